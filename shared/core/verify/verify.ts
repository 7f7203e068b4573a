/**
 * Verifies a backup without restoring it: reads it through once — decrypting it (the OpenPGP
 * integrity check must pass), every zip member (CRC-32 and size), the whole dump through the
 * restore's parser (or `pg_restore` for a custom-format dump), the manifest, and every filestore
 * file (hashed against its SHA-1 name) — then checks that every file the attachments reference
 * is there, and says which of the objects they reference in S3/Swift the backup holds. Damage that makes the backup unreadable is raised (`Integrity`); what a restore would
 * lose or get wrong is reported as problems.
 */
import { createHash, type Hash } from 'node:crypto';
import { pipeline as streamPipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { VerifyReport } from '../../contract/verify';
import { parseDumpHeader } from '../archive/dump-header';
import { filestorePath } from '../archive/odoo-zip';
import type { BackupSource, FolderSource, MultiPartBackup } from '../archive/source';
import { readZipStream } from '../archive/zip-stream';
import { hashingSource } from '../archive/hashing-source';
import { damagedWhileDecrypted, type DecryptKeys } from '../crypto';
import { AppError, throwIfAborted } from '../errors';
import type { JobContext } from '../jobs/job';
import { readPgRestoreSql } from '../pg/pg-restore-sql';
import { requirePgRestore } from '../pg/tools';
import { readSmall } from '../restore/describe';
import { openBackup, type OpenedBackup } from '../restore/open-backup';
import { checkSqlDump, type DumpCheck } from './dump-check';
import { FilestoreCheck } from './filestore-check';
import { judge, type Findings, type ObjectStoreFinding } from './judge';

/** Options of a verification. */
export interface VerifyOptions {
  readonly decrypt?: DecryptKeys;
  /** The sha256 the backup's companion records (lower-case hex): the bytes read are checked against it. */
  readonly expectedSha256?: string;
}

/** Reads `source` through and says what it found; progress in bytes of the backup read. */
export async function verifyBackup(source: BackupSource | MultiPartBackup, opts: VerifyOptions, ctx: JobContext): Promise<VerifyReport> {
  const multi = (source as MultiPartBackup).kind === 'multipart' ? (source as MultiPartBackup) : undefined;
  const hash = opts.expectedSha256 ? createHash('sha256') : undefined;
  const whole = multi ? multi.dump : (source as BackupSource);
  const main = hash ? hashingSource(whole, hash) : whole;
  const opened = await openBackup(main, { ...(opts.decrypt ? { decrypt: opts.decrypt } : {}), signal: ctx.signal });
  const report = (): void => ctx.progress({ phase: 'verify', label: 'Reading the backup', done: opened.rawBytes(), ...(main.size !== undefined ? { total: main.size } : {}), unit: 'bytes' });
  const timer = setInterval(report, 250);
  try {
    const findings = await readAll(main, opened, multi, ctx.signal).catch((err: unknown) => {
      throw err instanceof AppError ? damagedWhileDecrypted(err, opened.encrypted) : err;
    });
    report(); // the end, which the timer may have missed
    const actual = hash ? await restOfHash(opened, hash, main.size) : undefined;
    const checksum = actual !== undefined ? { expected: opts.expectedSha256!.toLowerCase(), actual } : undefined;
    return judge({ ...findings, name: source.name, encrypted: opened.encrypted, ...(checksum ? { checksum } : {}) });
  } finally {
    clearInterval(timer);
    opened.stream.destroy();
  }
}

/**
 * The hash once every byte has passed (a reader may stop before the end: what is left is read
 * now). The zip reader closes the stream once it has read the central directory; a decrypted
 * stream it closed cannot be drained, but its decryptor had read the whole message by then (the
 * last plaintext comes only after the integrity check at its end). Undefined when not every byte
 * of the file was hashed: no verdict rather than a false one.
 */
async function restOfHash(opened: OpenedBackup, hash: Hash, size: number | undefined): Promise<string | undefined> {
  if (!opened.stream.destroyed) {
    for await (const _ of opened.stream) {
      // draining: the hash sees the bytes through its tap
    }
  }
  if (size !== undefined && opened.rawBytes() !== size) return undefined;
  return hash.digest('hex');
}

/** Reads the opened backup by its format. */
async function readAll(main: BackupSource, opened: OpenedBackup, multi: MultiPartBackup | undefined, signal: AbortSignal): Promise<Omit<Findings, 'name' | 'encrypted'>> {
  const files = multi?.filestore ? new FilestoreCheck(signal) : undefined;
  const folder = async (dump: DumpCheck, format: Findings['format']): Promise<Omit<Findings, 'name' | 'encrypted'>> => {
    if (multi?.filestore && files) await readFolder(multi.filestore, files, signal);
    return { format: multi ? 'folder' : format, dump, ...(files ? { filestore: files.result(dump.referenced) } : {}), objectStores: objectsHeld(dump, files) };
  };
  switch (opened.format) {
    case 'zip':
      return readZip(opened.stream, main.name, signal);
    case 'sql':
      return folder(await checkSqlDump(opened.stream, signal), 'sql');
    case 'sql-gz':
      return folder(await checkSqlDump(streamPipeline(opened.stream, createGunzip(), () => undefined), signal), 'sql-gz');
    case 'dump':
      return folder(await readCustomDump(main.name, opened, signal), 'dump');
    default:
      throw new AppError('InvalidInput', `${main.name} is not a backup: neither a zip, a PostgreSQL dump nor an OpenPGP message.`, { hint: 'Choose an Odoo backup (.zip, .dump, .sql, .sql.gz, or one of these encrypted).' });
  }
}

/** Every member of a zip, in one pass: `dump.sql`, `manifest.json`, the filestore, the rest drained (each CRC-checked). */
async function readZip(stream: Readable, name: string, signal: AbortSignal): Promise<Omit<Findings, 'name' | 'encrypted'>> {
  const files = new FilestoreCheck(signal);
  let dump: DumpCheck | undefined;
  let manifest: string | undefined;
  let hasFilestore = false;
  for await (const entry of readZipStream(stream, { name })) {
    throwIfAborted(signal, 'Verifying');
    const rel = entry.directory ? undefined : filestorePath(entry.name);
    if (entry.name === 'dump.sql') dump = await checkSqlDump(entry.data(), signal);
    else if (entry.name === 'manifest.json') manifest = await readSmall(entry.data(), 4 * 1024 * 1024);
    else if (rel !== undefined) {
      hasFilestore = true;
      await files.add(rel, entry.data());
    } else for await (const _ of entry.data()) throwIfAborted(signal, 'Verifying');
  }
  if (!dump) throw new AppError('InvalidInput', `${name} is a zip but holds no dump.sql: it is not an Odoo backup.`, { hint: 'Choose an Odoo backup made by the database manager or a backup module.' });
  // A zip without any filestore file was made database-only (as `backup --no-filestore` does):
  // like a .dump, it is judged for what it holds, and the files it leaves out are a note.
  return { format: 'zip', dump, ...(manifest !== undefined ? { manifest } : {}), ...(hasFilestore ? { filestore: files.result(dump.referenced) } : {}), objectStores: objectsHeld(dump, files) };
}

/** Per bucket/container the attachments use: how many objects they reference there, and how many the backup holds. */
function objectsHeld(dump: DumpCheck, files: FilestoreCheck | undefined): ObjectStoreFinding[] {
  return [...dump.remote].map(([store, ids]) => ({ store, objects: ids.size, held: files ? files.holding(ids) : 0 }));
}

/** Every file of a filestore folder, hashed. */
async function readFolder(folder: FolderSource, files: FilestoreCheck, signal: AbortSignal): Promise<void> {
  for await (const f of folder.list(signal)) {
    const s = await folder.open(f.path, signal);
    try {
      await files.add(f.path, s);
    } finally {
      s.destroy();
    }
  }
}

/** A custom-format dump, turned into SQL by `pg_restore -f -` (which reads and inflates every data block). */
async function readCustomDump(name: string, opened: OpenedBackup, signal: AbortSignal): Promise<DumpCheck> {
  const tool = await requirePgRestore(parseDumpHeader(opened.head)?.version);
  // Fed through stdin (also from a local file), so that the bytes read count as progress.
  return readPgRestoreSql(
    {
      tool: tool.path,
      args: ['-f', '-'],
      input: opened.stream,
      signal,
      failed: (tail) => new AppError('Integrity', `${name} is damaged: pg_restore could not read it (${tail}).`, { hint: 'Restore another backup; this one cannot be restored whole.' }),
    },
    (sql) => checkSqlDump(sql, signal),
  );
}
