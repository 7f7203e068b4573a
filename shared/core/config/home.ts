/**
 * Where the app keeps its config and state ("home"): `--home`, else `$BACKUP_DESK_HOME`,
 * else the OS's per-user app-data folder.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Inputs of `resolveHome` (all injectable for tests). */
export interface HomeOptions {
  /** An explicit `--home`. */
  readonly home?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly platform?: NodeJS.Platform;
  readonly homedir?: string;
}

/** The folder name on Linux (XDG style, lower-case). */
export const LINUX_DIR_NAME = 'odoo-backup-desk';
/** The folder name on macOS and Windows. */
export const APP_DIR_NAME = 'Odoo Backup Desk';

/** The OS's app-data folder for this app (no `--home`, no env). */
export function defaultHome(opts: Omit<HomeOptions, 'home'> = {}): string {
  const env = opts.env ?? process.env;
  const platform = opts.platform ?? process.platform;
  const home = opts.homedir ?? homedir();
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', APP_DIR_NAME);
  if (platform === 'win32') {
    const appData = env.APPDATA && env.APPDATA.trim() !== '' ? env.APPDATA : join(home, 'AppData', 'Roaming');
    return join(appData, APP_DIR_NAME);
  }
  const xdg = env.XDG_CONFIG_HOME;
  // XDG: a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const base = xdg && xdg.startsWith('/') ? xdg : join(home, '.config');
  return join(base, LINUX_DIR_NAME);
}

/** Resolves the home folder: `--home`, else `$BACKUP_DESK_HOME`, else `defaultHome()`; always absolute. */
export function resolveHome(opts: HomeOptions = {}): string {
  const env = opts.env ?? process.env;
  if (opts.home && opts.home.trim() !== '') return resolve(opts.home);
  const fromEnv = env.BACKUP_DESK_HOME;
  if (fromEnv && fromEnv.trim() !== '') return resolve(fromEnv);
  return defaultHome(opts);
}
