/** Settings of a Dropbox storage (non-secret only; tokens live in the secret store). */
import { z } from 'zod';
import type { SettingField } from '../provider';

/** Dropbox's OAuth token endpoint. */
export const DROPBOX_TOKEN_URL = 'https://api.dropboxapi.com/oauth2/token';

/** Validated settings of a Dropbox storage. */
export const dropboxConfigSchema = z.object({
  /** The folder holding the backups, e.g. `/ProductionBackups`; `""` is the (app folder's) root. */
  folderPath: z
    .string()
    .default('')
    .transform((p) => p.trim().replace(/\/+$/, ''))
    .transform((p) => (p === '' || p.startsWith('/') ? p : `/${p}`))
    .refine((p) => !p.split('/').slice(1).some((s) => s === '' || s === '.' || s === '..'), 'The folder path has an empty, "." or ".." segment.'),
  /** App-folder apps see `Apps/<app name>/` as their root; full-Dropbox apps see the whole Dropbox. */
  appType: z.enum(['app_folder', 'full_dropbox']).default('app_folder'),
  /** Name of the app folder (display only: the API resolves it from the token). */
  appName: z.string().optional(),
  /** The app's OAuth client id (needed to refresh tokens). */
  clientId: z.string().optional(),
  /** OAuth token endpoint (overridable for tests). */
  tokenUrl: z.url().default(DROPBOX_TOKEN_URL),
  /** OAuth authorization endpoint for `storage connect` (overridable; default: Dropbox's). */
  authUrl: z.url().optional(),
  /** Upload-session chunk size; files larger than one chunk use a session (Dropbox: ≤ 150 MiB per request). */
  uploadChunkBytes: z
    .number()
    .int()
    .min(1)
    .max(150 * 1024 * 1024)
    .default(8 * 1024 * 1024),
});
/** Validated settings of a Dropbox storage. */
export type DropboxConfig = z.infer<typeof dropboxConfigSchema>;

/** The settings form / CLI flags of a Dropbox storage. */
export const dropboxFields: readonly SettingField[] = [
  { name: 'folderPath', label: 'Folder', type: 'string', required: false, secret: false, help: 'Folder holding the backups, e.g. /ProductionBackups (relative to Apps/<app> for app-folder apps).' },
  { name: 'appType', label: 'App type', type: 'select', required: false, secret: false, options: ['app_folder', 'full_dropbox'], default: 'app_folder', help: 'odoo_backup_sh uses an "App folder" app.' },
  { name: 'appName', label: 'App folder name', type: 'string', required: false, secret: false, help: 'For display: the folder under Apps/.' },
  { name: 'clientId', label: 'App key (client id)', type: 'string', required: false, secret: false, help: 'Needed for `storage connect` (OAuth with refresh).' },
  { name: 'authUrl', label: 'OAuth authorization URL', type: 'string', required: false, secret: false, help: 'Only for a non-standard sign-in server (see docs/oauth-clients.md).' },
  { name: 'tokenUrl', label: 'OAuth token URL', type: 'string', required: false, secret: false, help: 'Only for a non-standard sign-in server (see docs/oauth-clients.md).' },
  { name: 'accessToken', label: 'Access token (legacy)', type: 'string', required: false, secret: true, help: 'A long-lived token generated in the app console (odoo_backup_sh style); prefer `storage connect`.' },
];

/** One-line description of where it points. */
export function describeDropbox(config: DropboxConfig): string {
  const folder = config.folderPath === '' ? '/' : config.folderPath;
  return config.appType === 'app_folder' ? `Dropbox app folder Apps/${config.appName ?? '<app>'}${folder === '/' ? '' : folder}` : `Dropbox ${folder}`;
}
