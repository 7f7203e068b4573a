/**
 * Verification stage: every file the database references (`ir_attachment.store_fname`, read in the
 * dump's snapshot) must be in the archive as `filestore/<store_fname>`; the ones that are not are
 * named in the result (a warning: the backup is still written, but restoring it loses them).
 */

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
  const missing: string[] = [];
  let missingCount = 0;
  for (const f of referenced) {
    if (archived.has(f)) continue;
    missingCount++;
    if (missing.length < MISSING_LISTED) missing.push(f);
  }
  return {
    status: missingCount ? 'missing-files' : 'complete',
    referenced: referenced.size,
    archived: archived.size,
    missingCount,
    missing: missing.sort(),
    message: missingCount
      ? `${missingCount} of the ${referenced.size} files the database references are missing from the filestore, so from the backup: ${missing.slice(0, 5).join(', ')}${missingCount > 5 ? ', …' : ''}.`
      : `All ${referenced.size} files the database references are in the backup.`,
  };
}
