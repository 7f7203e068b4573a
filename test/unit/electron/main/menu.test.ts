import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it } from 'vitest';
import { menuTemplate, type MenuActions } from '../../../../electron/main/menu';

function flatten(items: readonly MenuItemConstructorOptions[]): MenuItemConstructorOptions[] {
  return items.flatMap((i) => [i, ...(Array.isArray(i.submenu) ? flatten(i.submenu) : [])]);
}

function actions(): MenuActions & { log: string[] } {
  const log: string[] = [];
  return { log, openBackup: () => log.push('open'), openDocs: () => log.push('docs'), showAbout: () => log.push('about') };
}

const click = (item: MenuItemConstructorOptions | undefined): void => (item?.click as (() => void) | undefined)?.();

describe('menuTemplate', () => {
  it('has File, Edit, View, Window, Help on Linux/Windows, with Open Backup… and Quit', () => {
    const a = actions();
    const t = menuTemplate({ appName: 'Odoo Backup Desk', platform: 'linux', dev: false, actions: a });
    expect(t.map((m) => m.label)).toEqual(['&File', '&Edit', '&View', '&Window', '&Help']);
    const all = flatten(t);
    const open = all.find((i) => i.label === 'Open Backup…');
    expect(open?.accelerator).toBe('CmdOrCtrl+O');
    click(open);
    expect(all.some((i) => i.role === 'quit')).toBe(true);
    click(all.find((i) => i.label === 'Documentation'));
    click(all.find((i) => i.label === 'About Odoo Backup Desk'));
    expect(a.log).toEqual(['open', 'docs', 'about']);
  });

  it('offers reload and developer tools only in development', () => {
    const roles = (dev: boolean): unknown[] => flatten(menuTemplate({ appName: 'A', platform: 'win32', dev, actions: actions() })).map((i) => i.role);
    for (const r of ['reload', 'forceReload', 'toggleDevTools']) {
      expect(roles(false)).not.toContain(r);
      expect(roles(true)).toContain(r);
    }
  });

  it('puts the app menu first on macOS, with About and Quit there', () => {
    const t = menuTemplate({ appName: 'Odoo Backup Desk', platform: 'darwin', dev: false, actions: actions() });
    expect(t[0]?.label).toBe('Odoo Backup Desk');
    const first = flatten([t[0] as MenuItemConstructorOptions]);
    expect(first.some((i) => i.role === 'quit')).toBe(true);
    expect(first.some((i) => i.label === 'About Odoo Backup Desk')).toBe(true);
    // File > Close on macOS instead of Quit.
    const file = flatten([t[1] as MenuItemConstructorOptions]);
    expect(file.some((i) => i.role === 'close')).toBe(true);
    expect(file.some((i) => i.role === 'quit')).toBe(false);
  });
});
