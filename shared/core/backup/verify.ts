/**
 * Verification stage: every file the database references (`ir_attachment.store_fname`, read in the
 * dump's snapshot) must be in the archive as `filestore/<store_fname>`; the ones that are not are
 * named in the result (a warning: the backup is still written, but restoring it loses them), the
 * objects kept in S3/Swift apart from the files missing from the filestore.
 */
import { parseStoreFname, storeOf } from '../attachments/store-fname';

/** What the verification found. */
export interface FilestoreVerification {
  /** `checked`: a zip with its filestore; `skipped`: no filestore in this backup (dump format, --no-filestore). */
  readonly status: 'complete' | 'missing-files' | 'skipped';
  /** Distinct files the database references. */
  readonly referenced: number;
  /** Filestore files written into the archive. */
  readonly archived: number;
  /** How many referenced files are not in the archive. */
  readonly missingCount: number;
  /** The first of them (at most `MISSING_LISTED`), `ab/abcdef…`. */
  readonly missing: string[];
  readonly message: string;
}

/** How many missing files a result names. */
export const MISSING_LISTED = 100;

/** Compares the referenced files with the archive's `filestore/` members. */
export function verifyFilestore(referenced: ReadonlySet<string> | undefined, archived: ReadonlySet<string> | undefined): FilestoreVerification {
  if (!referenced) {
    return {
      status: 'skipped',
      referenced: 0,
      archived: archived?.size ?? 0,
      missingCount: 0,
      missing: [],
      message: archived
        ? `Made by Odoo itself: the archive was checked member by member (CRC-32, sizes, central directory; ${archived.size} filestore files); which files the database references is not known from outside it.`
        : 'Made by Odoo itself: which files the database references is not known from outside it.',
    };
  }
  if (!archived) {
    return {
      status: 'skipped',
      referenced: referenced.size,
      archived: 0,
      missingCount: referenced.size,
      missing: [],
      message: referenced.size
        ? `No filestore in this backup: the ${referenced.size} files the database references are not in it.`
        : 'No filestore in this backup; the database references no files.',
    };
  }
  const missing = [...referenced].filter((f) => !archived.has(f)).sort();
  return {
    status: missing.length ? 'missing-files' : 'complete',
    referenced: referenced.size,
    archived: archived.size,
    missingCount: missing.length,
    missing: missing.slice(0, MISSING_LISTED),
    message: missing.length ? missingMessage(missing, referenced.size) : `All ${referenced.size} files the database references are in the backup.`,
  };
}

/** The bucket/container a name points into (`s3://bucket`), or undefined for a filestore path. */
function objectStoreOf(storeFname: string): string | undefined {
  const at = parseStoreFname(storeFname);
  if (at.kind === 'filestore' || at.kind === 'unknown') return undefined;
  return at.kind === 'openstack' ? 'a Swift container' : `${at.kind}://${storeOf(at) ?? ''}`;
}

/**
 * What is not in the backup: files missing from the filestore, and apart from them the objects
 * kept in S3/Swift (not missing anywhere: this backup just does not hold them).
 */
function missingMessage(missing: readonly string[], referenced: number): string {
  const remote = missing.filter((f) => objectStoreOf(f) !== undefined);
  const local = missing.filter((f) => objectStoreOf(f) === undefined);
  const list = (names: readonly string[]): string => `${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}`;
  const parts: string[] = [];
  if (local.length) parts.push(`${local.length} of the ${referenced} files the database references are missing from the filestore, so from the backup: ${list(local)}.`);
  if (remote.length) {
    const stores = [...new Set(remote.map((f) => objectStoreOf(f)!))].join(', ');
    parts.push(
      `${remote.length} of the ${referenced} files the database references are kept in ${stores}, not in the filestore, so this backup does not hold them: it is not self-contained. ` +
        'A backup that includes its attachments from S3/Swift holds them.',
    );
  }
  return parts.join(' ');
}
