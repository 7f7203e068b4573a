/**
 * The application menu as a template (pure data; `index.ts` builds it with `Menu`):
 * File (Open backup…, Quit), Edit, View (reload and devtools only in development),
 * Window, Help (documentation, About). On macOS the first menu is the app menu.
 */
import type { MenuItemConstructorOptions } from 'electron';

/** What the menu items do. */
export interface MenuActions {
  openBackup(): void;
  openDocs(): void;
  showAbout(): void;
}

/** Inputs of `menuTemplate`. */
export interface MenuOptions {
  readonly appName: string;
  readonly platform: NodeJS.Platform;
  /** Development build: adds reload and developer tools. */
  readonly dev: boolean;
  readonly actions: MenuActions;
}

/** The application menu template. */
export function menuTemplate(o: MenuOptions): MenuItemConstructorOptions[] {
  const mac = o.platform === 'darwin';
  const sep: MenuItemConstructorOptions = { type: 'separator' };
  const about: MenuItemConstructorOptions = { label: `About ${o.appName}`, click: () => o.actions.showAbout() };
  const appMenu: MenuItemConstructorOptions[] = mac
    ? [{ label: o.appName, submenu: [about, sep, { role: 'services' }, sep, { role: 'hide' }, { role: 'hideOthers' }, { role: 'unhide' }, sep, { role: 'quit' }] }]
    : [];
  const file: MenuItemConstructorOptions = {
    label: '&File',
    submenu: [
      { label: 'Open Backup…', accelerator: 'CmdOrCtrl+O', click: () => o.actions.openBackup() },
      sep,
      mac ? { role: 'close' } : { role: 'quit', label: 'Quit', accelerator: 'CmdOrCtrl+Q' },
    ],
  };
  const edit: MenuItemConstructorOptions = {
    label: '&Edit',
    submenu: [{ role: 'undo' }, { role: 'redo' }, sep, { role: 'cut' }, { role: 'copy' }, { role: 'paste' }, { role: 'selectAll' }],
  };
  const devItems: MenuItemConstructorOptions[] = o.dev ? [{ role: 'reload' }, { role: 'forceReload' }, { role: 'toggleDevTools' }, sep] : [];
  const view: MenuItemConstructorOptions = {
    label: '&View',
    submenu: [...devItems, { role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, sep, { role: 'togglefullscreen' }],
  };
  const windowMenu: MenuItemConstructorOptions = {
    label: '&Window',
    submenu: mac ? [{ role: 'minimize' }, { role: 'zoom' }, sep, { role: 'front' }] : [{ role: 'minimize' }, { role: 'close' }],
  };
  const help: MenuItemConstructorOptions = {
    label: '&Help',
    role: 'help',
    submenu: [{ label: 'Documentation', click: () => o.actions.openDocs() }, ...(mac ? [] : [sep, about])],
  };
  return [...appMenu, file, edit, view, windowMenu, help];
}
