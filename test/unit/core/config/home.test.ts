import { describe, expect, it } from 'vitest';
import { defaultHome, resolveHome } from '../../../../shared/core/config/home';

describe('resolveHome', () => {
  it('prefers --home, then $BACKUP_DESK_HOME, then the OS folder', () => {
    expect(resolveHome({ home: '/tmp/h', env: { BACKUP_DESK_HOME: '/tmp/e' } })).toBe('/tmp/h');
    expect(resolveHome({ env: { BACKUP_DESK_HOME: '/tmp/e' } })).toBe('/tmp/e');
    expect(resolveHome({ env: {}, platform: 'linux', homedir: '/home/u' })).toBe('/home/u/.config/odoo-backup-desk');
  });

  it('knows each OS app-data folder', () => {
    expect(defaultHome({ env: { XDG_CONFIG_HOME: '/xdg' }, platform: 'linux', homedir: '/home/u' })).toBe('/xdg/odoo-backup-desk');
    expect(defaultHome({ env: { XDG_CONFIG_HOME: 'relative' }, platform: 'linux', homedir: '/home/u' })).toBe('/home/u/.config/odoo-backup-desk');
    expect(defaultHome({ env: {}, platform: 'darwin', homedir: '/Users/u' })).toBe('/Users/u/Library/Application Support/Odoo Backup Desk');
    expect(defaultHome({ env: { APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, platform: 'win32', homedir: 'C:\\Users\\u' })).toMatch(/AppData.Roaming.Odoo Backup Desk$/);
  });
});
