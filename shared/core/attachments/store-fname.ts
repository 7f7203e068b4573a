/**
 * Where one Odoo attachment's bytes live, from its `ir_attachment.store_fname` (reference:
 * `shared/docs/odoo-manager-scheduling-object-storage.md` §3–4):
 * - core filestore `ab/abcdef…` (and the legacy `abc/abcdef…`);
 * - Camptocamp `attachment_s3` / `attachment_swift`: `s3://<bucket>/<sha1>`, `swift://<container>/<sha1>`
 *   (their parsers `^s3:///*([^/]*)/?(.*)`, case-insensitive; the key is the bare SHA-1);
 * - OCA `fs_attachment`: `<code>://<path>` (`path` = checksum or `ab/cd/<checksum>`, maybe renamed);
 * - Catalyst `odoo_openstack_storage` (8.0/9.0): a bare 40-hex SHA-1, the container being
 *   `<container_prefix>-<dbname lowercased>` (ICP `ir_attachment.location.openstack`).
 */

/** Where an attachment's content is, as far as `store_fname` tells. */
export type StoredAt =
  | { readonly kind: 'filestore'; readonly path: string; readonly sha1?: string }
  | { readonly kind: 's3'; readonly bucket: string; readonly key: string; readonly sha1?: string }
  | { readonly kind: 'swift'; readonly container: string; readonly key: string; readonly sha1?: string }
  | { readonly kind: 'fs'; readonly code: string; readonly path: string; readonly sha1?: string }
  | { readonly kind: 'openstack'; readonly key: string; readonly sha1: string; readonly container?: string }
  | { readonly kind: 'unknown'; readonly raw: string };

/** What a parse needs beyond the name: the location parameter, and for Catalyst the container. */
export interface ParseContext {
  /** ICP `ir_attachment.location` (`file`, `db`, `s3`, `swift`, `openstack`, an fs.storage code…). */
  readonly location?: string | undefined;
  /** Catalyst: `<container_prefix>-<dbname lowercased>`, when known. */
  readonly openstackContainer?: string | undefined;
}

const SHA1 = /^[0-9a-f]{40}$/;
const FILESTORE = /^([0-9a-f]{2,3})\/([0-9a-f]{40})$/;
const SCHEME = /^([A-Za-z][A-Za-z0-9_.+-]*):\/\/\/*(.*)$/s;

/** True when `s` is a lower-case 40-hex SHA-1, as Odoo names attachment objects. */
export function isSha1(s: string): boolean {
  return SHA1.test(s);
}

/** The SHA-1 a key names, if its last segment is one (`ab/cd/<sha>`, `<sha>`). */
function sha1OfKey(key: string): string | undefined {
  const last = key.slice(key.lastIndexOf('/') + 1).toLowerCase();
  return SHA1.test(last) ? last : undefined;
}

/** Parses one `store_fname` (see the module comment for the forms). */
export function parseStoreFname(storeFname: string, ctx: ParseContext = {}): StoredAt {
  const fs = FILESTORE.exec(storeFname);
  if (fs && fs[2]!.startsWith(fs[1]!)) return { kind: 'filestore', path: storeFname, sha1: fs[2]! };
  const m = SCHEME.exec(storeFname);
  if (m) {
    const scheme = m[1]!.toLowerCase();
    const rest = m[2]!;
    const slash = rest.indexOf('/');
    // An older Camptocamp form had no bucket (`s3://<sha1>`): the bucket is then unknown ("").
    const first = slash < 0 ? (SHA1.test(rest) ? '' : rest) : rest.slice(0, slash);
    const key = slash < 0 ? (SHA1.test(rest) ? rest : '') : rest.slice(slash + 1);
    const sha1 = sha1OfKey(key);
    if (scheme === 's3') return { kind: 's3', bucket: first, key, ...(sha1 ? { sha1 } : {}) };
    if (scheme === 'swift') return { kind: 'swift', container: first, key, ...(sha1 ? { sha1 } : {}) };
    const path = rest;
    const fsSha = sha1OfKey(path);
    return { kind: 'fs', code: m[1]!, path, ...(fsSha ? { sha1: fsSha } : {}) };
  }
  if (SHA1.test(storeFname)) {
    return { kind: 'openstack', key: storeFname, sha1: storeFname, ...(ctx.openstackContainer ? { container: ctx.openstackContainer } : {}) };
  }
  // Any other relative path is still read from the filestore by core Odoo (`_full_path`).
  if (!storeFname.includes('://') && !storeFname.startsWith('/') && !storeFname.split('/').includes('..') && storeFname.length > 0) {
    const sha1 = sha1OfKey(storeFname);
    return { kind: 'filestore', path: storeFname, ...(sha1 ? { sha1 } : {}) };
  }
  return { kind: 'unknown', raw: storeFname };
}

/** Odoo's filestore path of a SHA-1 (`_get_path`): `<sha[:2]>/<sha>`. */
export function filestorePathOf(sha1: string): string {
  return `${sha1.slice(0, 2)}/${sha1}`;
}

/** The bucket or container an object-storage location names (`fs` gives its storage code). */
export function storeOf(at: StoredAt): string | undefined {
  switch (at.kind) {
    case 's3':
      return at.bucket;
    case 'swift':
      return at.container;
    case 'fs':
      return at.code;
    case 'openstack':
      return at.container;
    default:
      return undefined;
  }
}

/** The object key inside its bucket/container (or fs.storage), for object-storage locations. */
export function keyOf(at: StoredAt): string | undefined {
  switch (at.kind) {
    case 's3':
    case 'swift':
    case 'openstack':
      return at.key;
    case 'fs':
      return at.path;
    default:
      return undefined;
  }
}

/**
 * Catalyst's container for a database: `<container_prefix>-<dbname lowercased>` from the ICP
 * `ir_attachment.location.openstack` JSON (which also holds credentials: only the prefix is read).
 */
export function openstackContainerOf(icpJson: string | undefined, dbName: string | undefined): string | undefined {
  if (!icpJson || !dbName) return undefined;
  try {
    const cfg = JSON.parse(icpJson) as { container_prefix?: unknown };
    return typeof cfg.container_prefix === 'string' && cfg.container_prefix ? `${cfg.container_prefix}-${dbName.toLowerCase()}` : undefined;
  } catch {
    return undefined;
  }
}

/** The `store_fname` an object-storage attachment gets once its object is in the filestore. */
export function homeStoreFname(sha1: string): string {
  return filestorePathOf(sha1);
}
