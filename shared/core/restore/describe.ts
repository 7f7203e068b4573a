/**
 * Stage 1 of a restore: opens the backup ONCE and describes it — format, encryption, the dump's
 * header (a custom dump's TOC, or the `-- Dumped from` line and `CREATE EXTENSION`s of an SQL
 * dump, also inside a zip whose first entry is `dump.sql`), the manifest of a multi-part backup,
 * and its size. Every later stage reads the same stream on from there; nothing is read twice.
 */
import type { Readable } from 'node:stream';
import { majorOf, parseDumpHeader, type DumpHeader } from '../archive/dump-header';
import type { BackupSource, MultiPartBackup } from '../archive/source';
import type { ZipDirEntry } from '../archive/zip-dir-entry';
import { zipDirectory, zipFilestoreSize, type FilestoreSize } from '../archive/inspect';
import { readZipStream, type ZipStreamEntry } from '../archive/zip-stream';
import { damagedWhileDecrypted, type DecryptKeys } from '../crypto';
import { AppError, isAppError } from '../errors';
import { openBackup, peekStream, type OpenedBackup } from './open-backup';

/** What the head of an SQL dump says (plain `.sql`, or `dump.sql` in a zip). */
export interface SqlHead {
  /** Major version of the server the dump was taken from (`-- Dumped from database version`). */
  readonly serverMajor: number | undefined;
  /** Extensions the head creates. */
  readonly extensions: string[];
}

/** A backup opened once: what it is, and its content positioned at the start. */
export interface BackupDescription {
  /** The name of the main part (the file, or a multi-part backup's dump). */
  readonly name: string;
  /** Raw size of the main part, when known. */
  readonly size: number | undefined;
  /** Set when the main part is a local file (pg_restore may read it itself). */
  readonly localPath: string | undefined;
  /** The multi-part backup (dump + manifest + filestore folder), when it is one. */
  readonly multi: MultiPartBackup | undefined;
  readonly format: 'zip' | 'sql' | 'sql-gz' | 'dump';
  readonly encrypted: boolean;
  readonly encryption?: string;
  /** A custom-format dump's header and TOC. */
  readonly dumpHeader?: DumpHeader;
  /** An SQL dump's head, when it was read (plain SQL, or a zip's leading `dump.sql`). */
  readonly sqlHead?: SqlHead;
  /** The Odoo version from a multi-part backup's manifest.json. */
  readonly manifestVersion?: string;
  /** The PostgreSQL major the manifest says the dump came from (its `pg_version`). */
  readonly manifestPgMajor?: number;
  /** The (decrypted) content, head included; destroyed by the staging's roll back. */
  readonly stream: Readable;
  /** For zips: the entries, the first one's head already read (iterate once). */
  readonly zipEntries?: AsyncIterable<ZipStreamEntry>;
  /** Bytes the filestore needs on disk, when known without reading the backup through (see `measureFilestore`). */
  readonly filestoreBytes?: number;
  /** How many files the filestore holds, known when `filestoreBytes` is. */
  readonly filestoreFiles?: number;
  /** A plain seekable zip's file entries, from its central directory (read once, here). */
  readonly zipDirectory?: readonly ZipDirEntry[];
  /** Raw bytes read from the source so far (for progress). */
  rawBytes(): number;
}

/** How much of a custom dump's head is read for its TOC, and of an SQL dump's for its header. */
const DUMP_TOC_BYTES = 8 * 1024 * 1024;
const SQL_HEAD_BYTES = 512 * 1024;

function isMultiPart(s: BackupSource | MultiPartBackup): s is MultiPartBackup {
  return (s as MultiPartBackup).kind === 'multipart';
}

/** Opens `source` once (decrypting when needed) and describes it; `onStream` gets the stream at once (for roll back). */
export async function describeBackup(
  source: BackupSource | MultiPartBackup,
  opts: { decrypt?: DecryptKeys; signal: AbortSignal; warn: (m: string) => void; onStream: (s: Readable) => void; measureFilestore?: boolean },
): Promise<BackupDescription> {
  const multi = isMultiPart(source) ? source : undefined;
  const main = multi ? multi.dump : (source as BackupSource);
  const opened = await openBackup(main, { ...(opts.decrypt ? { decrypt: opts.decrypt } : {}), signal: opts.signal });
  opts.onStream(opened.stream);
  try {
    return await describeOpened(main, multi, opened, opts);
  } catch (err) {
    // Damage found while peeking into decrypted data is the encrypted file's.
    throw err instanceof AppError ? damagedWhileDecrypted(err, opened.encrypted) : err;
  }
}

/** The description of a backup once opened (and decrypting). */
async function describeOpened(
  main: BackupSource,
  multi: MultiPartBackup | undefined,
  opened: OpenedBackup,
  opts: { signal: AbortSignal; warn: (m: string) => void; onStream: (s: Readable) => void; measureFilestore?: boolean },
): Promise<BackupDescription> {
  const directory = multi ? undefined : await seekableZipDirectory(main, opened, opts.signal, opts.warn);
  const fs = opts.measureFilestore ? await measureFilestore(multi, directory, opts.signal) : undefined;
  const base = {
    name: main.name,
    size: main.size,
    localPath: main.localPath,
    multi,
    encrypted: opened.encrypted,
    ...(opened.encryption ? { encryption: opened.encryption } : {}),
    ...(multi?.manifest ? await manifestVersion(multi.manifest, opts) : {}),
    ...(fs ? { filestoreBytes: fs.bytes, filestoreFiles: fs.files } : {}),
    ...(directory ? { zipDirectory: directory } : {}),
    rawBytes: opened.rawBytes,
  };
  if (opened.format === 'sql-gz') return { ...base, format: 'sql-gz', stream: opened.stream };
  if (opened.format === 'sql') return { ...base, format: 'sql', stream: opened.stream, sqlHead: parseSqlHead(opened.head) };
  if (opened.format === 'dump') {
    const { head, stream } = await peekStream(opened.stream, DUMP_TOC_BYTES);
    opts.onStream(stream);
    const dumpHeader = parseDumpHeader(head);
    if (!dumpHeader) throw new AppError('InvalidInput', `${main.name} has a damaged pg_dump header.`, { hint: 'Use another backup.' });
    return { ...base, format: 'dump', stream, dumpHeader };
  }
  if (opened.format === 'zip') {
    const { entries, sqlHead } = await peekZip(opened.stream, main.name);
    return { ...base, format: 'zip', stream: opened.stream, zipEntries: entries, ...(sqlHead ? { sqlHead } : {}) };
  }
  throw new AppError('InvalidInput', `${main.name} is not a backup this app can restore (not a zip, pg_dump or SQL file).`, {
    hint: 'Choose an Odoo backup (.zip or .dump), a plain .sql/.sql.gz dump, or an OpenPGP-encrypted one.',
  });
}

/**
 * A plain seekable zip's central directory, read once here and kept for the load (the scout of
 * early index builds and the filestore written beside the load use it). Undefined for other
 * backups (encrypted or streamed zips, dumps), and when it cannot be read (left to the load).
 */
async function seekableZipDirectory(main: BackupSource, opened: { format: string; encrypted: boolean }, signal: AbortSignal, warn: (m: string) => void): Promise<ZipDirEntry[] | undefined> {
  if (opened.format !== 'zip' || opened.encrypted || !main.seekable || main.size === undefined) return undefined;
  // A zip whose central directory is missing or broken (a truncated file) is refused here, before
  // anything is created: Odoo's own restore cannot read it either. Other failures are left to the load.
  return zipDirectory(main, main.size, signal, warn).catch((err: unknown) => {
    if (isAppError(err, 'Integrity')) throw err;
    return undefined;
  });
}

/**
 * The files and bytes of a backup's filestore, when that can be told without reading the backup
 * through: a multi-part backup's folder listing, a plain seekable zip's central directory
 * (`filestore/` entries). Undefined otherwise (encrypted or streamed zips, an unreadable listing).
 */
async function measureFilestore(multi: MultiPartBackup | undefined, directory: readonly ZipDirEntry[] | undefined, signal: AbortSignal): Promise<FilestoreSize | undefined> {
  if (directory) return zipFilestoreSize(directory);
  if (!multi) return undefined;
  try {
    let bytes = 0;
    let files = 0;
    for await (const f of multi.filestore?.list(signal) ?? []) {
      bytes += f.size;
      files++;
    }
    return { files, bytes };
  } catch {
    return undefined;
  }
}

/** What an SQL dump's first bytes say: the server version it was dumped from, and the extensions it creates. */
export function parseSqlHead(head: Buffer): SqlHead {
  const text = head.toString('latin1');
  return {
    serverMajor: majorOf(/-- Dumped from database version (\d+(?:\.\d+)?)/.exec(text)?.[1]),
    extensions: [...text.matchAll(/^CREATE EXTENSION (?:IF NOT EXISTS )?"?([A-Za-z0-9_]+)"?/gm)].map((m) => m[1]!),
  };
}

/**
 * Starts reading a zip; when its first entry is `dump.sql` (as Odoo writes it), reads that
 * entry's head. The entries are then replayed: the first one with its head, then the rest.
 */
async function peekZip(stream: Readable, name: string): Promise<{ entries: AsyncIterable<ZipStreamEntry>; sqlHead?: SqlHead }> {
  const all = readZipStream(stream, { name });
  const first = await all.next();
  if (first.done) return { entries: all };
  const entry = first.value;
  if (entry.name !== 'dump.sql' || entry.directory) return { entries: replay(entry, all) };
  const { head, rest } = await peekIterable(entry.data(), SQL_HEAD_BYTES);
  const peeked: ZipStreamEntry = { name: entry.name, directory: entry.directory, size: entry.size, compressedSize: entry.compressedSize, method: entry.method, data: () => rest };
  return { entries: replay(peeked, all), sqlHead: parseSqlHead(head) };
}

/** The first entry, then the rest of the archive. */
async function* replay(first: ZipStreamEntry, rest: AsyncGenerator<ZipStreamEntry>): AsyncGenerator<ZipStreamEntry> {
  try {
    yield first;
    for (;;) {
      const r = await rest.next();
      if (r.done) return;
      yield r.value;
    }
  } finally {
    await rest.return(undefined);
  }
}

/** Reads at least `min` bytes of `input`; returns them and an iterable of the whole input (head included). */
async function peekIterable(input: AsyncIterable<Buffer>, min: number): Promise<{ head: Buffer; rest: AsyncIterable<Buffer> }> {
  const it = input[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let size = 0;
  let done = false;
  while (size < min) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    chunks.push(r.value);
    size += r.value.length;
  }
  async function* whole(): AsyncGenerator<Buffer> {
    while (chunks.length > 0) yield chunks.shift()!;
    if (done) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  return { head: Buffer.concat(chunks), rest: whole() };
}

/** The Odoo and PostgreSQL versions in a multi-part backup's manifest.json (an unreadable one only warns). */
async function manifestVersion(manifest: BackupSource, opts: { signal: AbortSignal; warn: (m: string) => void }): Promise<{ manifestVersion?: string; manifestPgMajor?: number }> {
  try {
    const m = JSON.parse(await readSmall((await manifest.open(undefined, opts.signal)) as AsyncIterable<Buffer>, 4 * 1024 * 1024)) as { version?: string; pg_version?: string };
    const pgMajor = manifestPgMajor(m.pg_version);
    return { ...(m.version ? { manifestVersion: m.version } : {}), ...(pgMajor !== undefined ? { manifestPgMajor: pgMajor } : {}) };
  } catch {
    opts.warn('manifest.json of the backup could not be read; ignored.');
    return {};
  }
}

/** The PostgreSQL major of a manifest's `pg_version` ("15.0" → 15, "9.6" → 9), or undefined. */
export function manifestPgMajor(pgVersion: string | undefined): number | undefined {
  const m = /^(\d+)(?:\.(\d+))?/.exec(pgVersion ?? '');
  if (!m) return undefined;
  return Number(m[1]);
}

/** Reads a small text (at most `max` bytes kept). */
export async function readSmall(input: AsyncIterable<Buffer>, max: number): Promise<string> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of input) {
    n += c.length;
    if (n <= max) parts.push(c);
  }
  return Buffer.concat(parts).toString('utf8');
}
