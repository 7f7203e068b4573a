/** Odoo's backup zip: `dump.sql`, `manifest.json`, and the filestore's files under `filestore/`. */

const FILESTORE_PREFIX = 'filestore/';

/** The path inside the filestore (`ab/abcdef…`) of zip member `name`; undefined for a member outside `filestore/`. */
export function filestorePath(name: string): string | undefined {
  return name.startsWith(FILESTORE_PREFIX) ? name.slice(FILESTORE_PREFIX.length) : undefined;
}
