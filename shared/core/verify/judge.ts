/** Turns what a verification read into its report: the checks that passed and the problems found. */
import type { VerifyReport } from '../../contract/verify';
import type { DumpCheck } from './dump-check';
import type { FilestoreResult } from './filestore-check';

/** A bucket/container the attachments use: the objects they reference there, and how many of them the backup holds. */
export interface ObjectStoreFinding {
  readonly store: string;
  readonly objects: number;
  readonly held: number;
}

/** What reading a backup found, before judging it. */
export interface Findings {
  readonly name: string;
  readonly format: VerifyReport['format'];
  readonly encrypted: boolean;
  readonly dump: DumpCheck;
  /** The manifest's text, when the backup has one. */
  readonly manifest?: string;
  readonly filestore?: FilestoreResult;
  /** The buckets/containers its attachments use (none when all are in the database or the filestore). */
  readonly objectStores?: readonly ObjectStoreFinding[];
  /** The sha256 its companion records and the one of the bytes read, when the companion records one. */
  readonly checksum?: { readonly expected: string; readonly actual: string };
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** The Odoo version and database a manifest names; a problem when it is not JSON. */
function readManifest(text: string, problems: string[]): VerifyReport['manifest'] {
  try {
    const m = JSON.parse(text) as { version?: unknown; db_name?: unknown };
    return { ...(typeof m.version === 'string' ? { odooVersion: m.version } : {}), ...(typeof m.db_name === 'string' ? { database: m.db_name } : {}) };
  } catch {
    problems.push('manifest.json is not valid JSON: Odoo\'s database manager will refuse this backup.');
    return undefined;
  }
}

/** The filestore's checks and problems. */
function judgeFilestore(fs: FilestoreResult, checks: string[], problems: string[]): void {
  const allMatch = fs.hashed > 0 && fs.corruptCount === 0;
  checks.push(`Filestore: ${plural(fs.files, 'file')} read${allMatch ? `; each of the ${plural(fs.hashed, 'file')} named by a SHA-1 holds the content that SHA-1 names` : ''}.`);
  if (fs.corruptCount > 0) {
    problems.push(`${plural(fs.corruptCount, 'filestore file')} ${fs.corruptCount === 1 ? 'does' : 'do'} not match the SHA-1 in ${fs.corruptCount === 1 ? 'its name' : 'their names'} (damaged): ${fs.corrupt.slice(0, 5).join(', ')}${fs.corruptCount > 5 ? ', …' : ''}.`);
  }
  if (fs.missingCount > 0) {
    problems.push(`${plural(fs.missingCount, 'file')} that attachments reference ${fs.missingCount === 1 ? 'is' : 'are'} not in the filestore (a restore loses ${fs.missingCount === 1 ? 'it' : 'them'}): ${fs.missing.slice(0, 5).join(', ')}${fs.missingCount > 5 ? ', …' : ''}.`);
  } else if (fs.referenced > 0) {
    checks.push(`Every one of the ${plural(fs.referenced, 'file')} that attachments reference is in the filestore.`);
  }
}

/** The note for a dump that holds the database only: its attachments' files are not part of it. */
function noFilestoreNote(f: Findings): string[] {
  const n = f.dump.referenced.size;
  if (f.filestore || (f.format === 'zip' && n === 0)) return [];
  const kind = f.format === 'dump' ? 'a custom-format dump (.dump)' : f.format === 'zip' ? 'this zip was made without one and' : 'an SQL dump';
  return [`No filestore: ${kind} holds the database only${n > 0 ? `; the ${plural(n, 'file')} its attachments reference in the filestore ${n === 1 ? 'is' : 'are'} not in it` : ''}. Keep the filestore beside it to restore the attachments.`];
}

/**
 * Attachments kept in S3/Swift: held by the backup (a check), or only in their bucket/container
 * (a note: the backup is not self-contained, which a restore must be told what to do about).
 */
function judgeObjectStores(stores: readonly ObjectStoreFinding[], checks: string[], notes: string[]): void {
  for (const s of stores) {
    if (s.held === s.objects) checks.push(`The ${plural(s.objects, 'attachment object')} kept in ${s.store} ${s.objects === 1 ? 'is' : 'are'} also in the backup's filestore.`);
    else {
      notes.push(
        `Not self-contained: ${s.objects - s.held} of the ${plural(s.objects, 'attachment object')} kept in ${s.store} ${s.objects - s.held === 1 ? 'is' : 'are'} not in this backup, only there. ` +
          'A restore has to bring them home from there or keep reading them there; a backup made with its attachments from S3/Swift included holds them.',
      );
    }
  }
}

/** The report of a verification. */
export function judge(f: Findings): VerifyReport {
  const checks: string[] = [];
  const problems: string[] = [];
  if (f.checksum?.expected === f.checksum?.actual && f.checksum) checks.push('Its sha256 is the one its companion (.info, sidecar or .sha256 file) records.');
  else if (f.checksum) problems.push(`Its sha256 (${f.checksum.actual}) is not the one its companion records (${f.checksum.expected}): the file changed after the backup was made (bytes added, cut or altered).`);
  if (f.encrypted) checks.push("Decrypted; the OpenPGP message's integrity check passed.");
  if (f.format === 'zip') checks.push('Every zip member read; CRC-32 and sizes match.');
  const d = f.dump;
  checks.push(`Database dump read to its end${d.pgVersion ? ` (PostgreSQL ${d.pgVersion})` : ''}: ${plural(d.statements, 'statement')}, the data of ${plural(d.tables, 'table')}, ${plural(d.rows, 'row')}.`);
  if (!d.complete) problems.push('The dump lacks pg_dump\'s closing line ("PostgreSQL database dump complete"): pg_dump may have stopped before the end, and tables may be missing.');
  const manifest = f.manifest !== undefined ? readManifest(f.manifest, problems) : undefined;
  if (f.filestore) judgeFilestore(f.filestore, checks, problems);
  const notes = noFilestoreNote(f);
  judgeObjectStores(f.objectStores ?? [], checks, notes);
  return {
    ok: problems.length === 0,
    name: f.name,
    format: f.format,
    encrypted: f.encrypted,
    dump: { ...(d.pgVersion ? { pgVersion: d.pgVersion } : {}), complete: d.complete, statements: d.statements, tables: d.tables, rows: d.rows },
    ...(manifest ? { manifest } : {}),
    ...(f.filestore ? { filestore: f.filestore } : {}),
    problems,
    checks,
    notes,
  };
}
