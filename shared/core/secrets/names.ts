/**
 * Well-known secret names inside a scope, so every module files the same secret under the
 * same name. Scopes: `storage:<id>` for storages (see config), others as their owners choose.
 */

/** Names of secrets the app stores. */
export const SECRET_NAMES = {
  /** OAuth refresh token from `storage connect` (Dropbox, Google Drive). */
  refreshToken: 'refreshToken',
  /** Google desktop OAuth client secret (not confidential for desktop apps, still never in config). */
  clientSecret: 'clientSecret',
  /** Legacy long-lived Dropbox access token (odoo_backup_sh). */
  accessToken: 'accessToken',
  /** Google service-account JSON key, whole (odoo_backup_sh). */
  serviceAccountKey: 'serviceAccountKey',
  /** A remembered passphrase for the encrypted backups of a storage. */
  backupPassphrase: 'backupPassphrase',
  /** The master password of an Odoo instance's database manager (scope `odoo:<id>`). */
  masterPassword: 'masterPassword',
} as const;

/** One of the well-known secret names. */
export type SecretName = (typeof SECRET_NAMES)[keyof typeof SECRET_NAMES];
