/** Settings of a Google Drive storage (non-secret only; tokens and keys live in the secret store). */
import { z } from 'zod';
import type { SettingField } from '../provider';

/** Google's OAuth token endpoint. */
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
/** Google's API root. */
export const GOOGLE_API_ROOT = 'https://www.googleapis.com/';
/** Resumable-upload chunks must be multiples of this (256 KiB). */
export const DRIVE_CHUNK_UNIT = 256 * 1024;

/** Validated settings of a Google Drive storage. */
export const gdriveConfigSchema = z.object({
  /** The folder's id (last segment of its URL), as odoo_backup_sh stores it. */
  folderId: z.string().min(1).optional(),
  /** A folder path like `Backups/Odoo`, resolved by name below the folder id, shared drive or My Drive. */
  folderPath: z
    .string()
    .default('')
    .transform((p) => p.replace(/^\/+|\/+$/g, '')),
  /** A shared drive's id; listing then uses `corpora=drive`. */
  driveId: z.string().min(1).optional(),
  /** The OAuth client id (for refresh tokens from `storage connect`). */
  clientId: z.string().optional(),
  /** OAuth token endpoint (overridable for tests); also used for service-account keys. */
  tokenUrl: z.url().default(GOOGLE_TOKEN_URL),
  /** OAuth authorization endpoint for `storage connect` (overridable; default: Google's). */
  authUrl: z.url().optional(),
  /** OAuth scope asked for by `storage connect` (default: full Drive). */
  oauthScope: z.enum(['https://www.googleapis.com/auth/drive', 'https://www.googleapis.com/auth/drive.file']).optional(),
  /** API root (overridable for tests). */
  rootUrl: z
    .url()
    .default(GOOGLE_API_ROOT)
    .transform((u) => (u.endsWith('/') ? u : `${u}/`)),
  /** Resumable-upload chunk size (a multiple of 256 KiB). */
  uploadChunkBytes: z
    .number()
    .int()
    .min(DRIVE_CHUNK_UNIT)
    .refine((n) => n % DRIVE_CHUNK_UNIT === 0, 'The chunk size must be a multiple of 256 KiB.')
    .default(8 * 1024 * 1024),
});
/** Validated settings of a Google Drive storage. */
export type GdriveConfig = z.infer<typeof gdriveConfigSchema>;

/** The settings form / CLI flags of a Google Drive storage. */
export const gdriveFields: readonly SettingField[] = [
  { name: 'folderId', label: 'Folder id', type: 'string', required: false, secret: false, help: 'Last part of the folder URL (odoo_backup_sh\'s google_disk_folder_id).' },
  { name: 'folderPath', label: 'Folder path', type: 'string', required: false, secret: false, help: 'e.g. Backups/Odoo, below the folder id, the shared drive or My Drive.' },
  { name: 'driveId', label: 'Shared drive id', type: 'string', required: false, secret: false },
  { name: 'clientId', label: 'OAuth client id', type: 'string', required: false, secret: false, help: 'Needed for `storage connect`.' },
  { name: 'authUrl', label: 'OAuth authorization URL', type: 'string', required: false, secret: false, help: 'Only for a non-standard sign-in server (see docs/oauth-clients.md).' },
  { name: 'tokenUrl', label: 'OAuth token URL', type: 'string', required: false, secret: false, help: 'Only for a non-standard sign-in server (see docs/oauth-clients.md).' },
  { name: 'oauthScope', label: 'OAuth scope', type: 'select', required: false, secret: false, options: ['https://www.googleapis.com/auth/drive', 'https://www.googleapis.com/auth/drive.file'], help: 'drive.file limits the app to files it created or opened.' },
  { name: 'serviceAccountKey', label: 'Service account JSON key', type: 'string', required: false, secret: true, help: 'odoo_backup_sh style; share the folder with the account\'s e-mail.' },
];

/** One-line description of where it points. */
export function describeGdrive(config: GdriveConfig): string {
  const base = config.folderId ? `folder ${config.folderId}` : config.driveId ? `shared drive ${config.driveId}` : 'My Drive';
  return `Google Drive ${base}${config.folderPath ? `/${config.folderPath}` : ''}`;
}
