/**
 * What goes up to `/web/database/restore`, made from any backup as a stream:
 * - an Odoo zip or a pg_dump custom-format dump: its bytes as they are (decrypted on the way
 *   when it is an OpenPGP message);
 * - a plain SQL dump (maybe gzipped), or a backup in several parts (a click-odoo folder, a
 *   pg_dump + `filestore/` layout): packed into an Odoo zip on the fly — `dump.sql` (a custom
 *   dump converted by the local `pg_restore -f -`), the manifest when there is one, and
 *   `filestore/…` — which Odoo restores like its own.
 * Nothing is written to disk and memory stays flat: the zip writer takes entries one at a time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { type Readable } from 'node:stream';
import { gunzipped } from '../archive/gunzip';
import type { BackupSource, FolderSource, MultiPartBackup } from '../archive/source';
import { readZipMemberHead } from '../archive/inspect';
import { writeZip, type ZipEntry } from '../backup/zip-writer';
import type { DecryptKeys } from '../crypto';
import { AppError, cancelledError } from '../errors';
import { requirePgRestore } from '../pg/tools';
import { openBackup, type OpenedBackup } from '../restore/open-backup';

/** The upload, ready to stream. */
export interface UploadSource {
  /** The bytes to send as `backup_file`. */
  readonly data: AsyncIterable<Buffer>;
  /** Exact byte count when known (Content-Length), else undefined (chunked). */
  readonly size: number | undefined;
  /** `backup.zip` or `backup.dump`: Odoo looks at the content, not the name. */
  readonly filename: string;
  /** What is sent: the backup as is, or a zip packed here. */
  readonly kind: 'zip' | 'dump' | 'packed-zip';
  /** Whether the backup was decrypted on the way. */
  readonly encrypted: boolean;
  /** The Odoo version its manifest names, when read before the upload. */
  readonly odooVersion: string | undefined;
  /** Bytes of the stored backup read so far, and its size (for progress when `size` is unknown). */
  rawBytes(): number;
  readonly rawSize: number | undefined;
  /** Stops reading (cancel or failure before the upload consumed it all). */
  close(): void;
}

function isMultiPart(s: BackupSource | MultiPartBackup): s is MultiPartBackup {
  return (s as MultiPartBackup).kind === 'multipart';
}

/** The `version` in an Odoo manifest (`manifest.json`), if it parses. */
export function manifestVersion(text: string | Buffer | undefined): string | undefined {
  if (text === undefined) return undefined;
  try {
    const m = JSON.parse(text.toString()) as { version?: unknown; major_version?: unknown };
    return typeof m.version === 'string' ? m.version : typeof m.major_version === 'string' ? m.major_version : undefined;
  } catch {
    return undefined;
  }
}

/** Opens `source` for the upload (see module comment). A wrong passphrase fails here, before any request. */
export async function prepareUpload(source: BackupSource | MultiPartBackup, opts: { decrypt?: DecryptKeys; signal: AbortSignal }): Promise<UploadSource> {
  if (isMultiPart(source)) return packMultiPart(source, opts);
  const version = await zipManifestVersion(source, opts.signal);
  const opened = await openBackup(source, { ...(opts.decrypt ? { decrypt: opts.decrypt } : {}), signal: opts.signal });
  const common = { encrypted: opened.encrypted, rawBytes: () => opened.rawBytes(), rawSize: source.size, close: () => opened.stream.destroy() };
  if (opened.format === 'zip' || opened.format === 'dump') {
    return { ...common, data: opened.stream, size: opened.encrypted ? undefined : source.size, filename: `backup.${opened.format}`, kind: opened.format, odooVersion: version };
  }
  if (opened.format === 'sql' || opened.format === 'sql-gz') {
    const sql = opened.format === 'sql-gz' ? gunzipped(opened.stream, source.name) : opened.stream;
    const entries = [streamEntry('dump.sql', () => sql)];
    return { ...common, data: writeZip(once(entries)), size: undefined, filename: 'backup.zip', kind: 'packed-zip', odooVersion: undefined };
  }
  opened.stream.destroy();
  throw new AppError('InvalidInput', `${source.name} is not a backup Odoo can restore (neither an Odoo zip, a pg_dump dump nor SQL).`, { hint: 'Choose an Odoo backup.' });
}

/** For a plain (unencrypted) zip read by ranges: the manifest's version, from the central directory. */
async function zipManifestVersion(source: BackupSource, signal: AbortSignal): Promise<string | undefined> {
  if (!source.seekable || source.size === undefined || !/\.zip$/i.test(source.name)) return undefined;
  try {
    return manifestVersion(await readZipMemberHead(source, source.size, 'manifest.json', 1024 * 1024, signal));
  } catch {
    return undefined; // not a zip after all, or encrypted: the upload path finds out
  }
}

/** A click-odoo folder or a pg_dump + filestore layout, packed into an Odoo zip. */
async function packMultiPart(mp: MultiPartBackup, opts: { decrypt?: DecryptKeys; signal: AbortSignal }): Promise<UploadSource> {
  const manifest = mp.manifest ? await readSmall(mp.manifest, opts.signal) : undefined;
  const opened = await openBackup(mp.dump, { ...(opts.decrypt ? { decrypt: opts.decrypt } : {}), signal: opts.signal });
  const sql = await sqlOf(opened, mp, opts.signal).catch((err: unknown) => {
    opened.stream.destroy(); // no pg_restore, not a dump: the storage read is given back
    throw err;
  });
  const entries: ZipEntry[] = [streamEntry('dump.sql', () => sql)];
  if (manifest) entries.push({ name: 'manifest.json', deflate: true, data: { kind: 'buffer', buffer: manifest } });
  let filestoreBytes = 0;
  const all = (async function* (): AsyncGenerator<ZipEntry> {
    yield* entries;
    if (mp.filestore) yield* filestoreEntries(mp.filestore, opts.signal, (n) => (filestoreBytes += n));
  })();
  return {
    data: writeZip(all),
    size: undefined,
    filename: 'backup.zip',
    kind: 'packed-zip',
    encrypted: opened.encrypted,
    odooVersion: manifestVersion(manifest),
    rawBytes: () => opened.rawBytes() + filestoreBytes,
    rawSize: undefined,
    close: () => opened.stream.destroy(),
  };
}

/** The dump of a multi-part backup as a plain SQL script. */
async function sqlOf(opened: OpenedBackup, mp: MultiPartBackup, signal: AbortSignal): Promise<AsyncIterable<Buffer>> {
  if (opened.format === 'sql') return opened.stream;
  if (opened.format === 'sql-gz') return gunzipped(opened.stream, mp.dump.name);
  if (opened.format === 'dump') return dumpToSql(opened, signal);
  throw new AppError('InvalidInput', `${mp.dump.name} in ${mp.name} is not a database dump.`, { hint: 'Choose an Odoo backup.' });
}

/** Every file of the filestore folder as a `filestore/<path>` entry, opened only when the writer reaches it. */
async function* filestoreEntries(folder: FolderSource, signal: AbortSignal, onBytes: (n: number) => void): AsyncGenerator<ZipEntry> {
  for await (const f of folder.list(signal)) {
    if (signal.aborted) throw cancelledError('The restore');
    if (f.path.split('/').includes('..') || f.path.startsWith('/')) throw new AppError('Integrity', `The backup holds an unsafe filestore path "${f.path}".`);
    yield streamEntry(`filestore/${f.path}`, () => counted(folder.open(f.path, signal), onBytes));
  }
}

/** A deflated entry read once, as it comes (a data descriptor carries its sizes). */
function streamEntry(name: string, open: () => AsyncIterable<Buffer>): ZipEntry {
  return { name, deflate: true, level: 1, data: { kind: 'stream', open } };
}

async function* counted(p: Promise<Readable>, onBytes: (n: number) => void): AsyncGenerator<Buffer> {
  for await (const c of await p) {
    onBytes((c as Buffer).length);
    yield c as Buffer;
  }
}

async function* once<T>(items: readonly T[]): AsyncGenerator<T> {
  yield* items;
}


/** A custom-format dump as a plain SQL script, through the local `pg_restore -f -` (stdin in, stdout out). */
async function dumpToSql(opened: OpenedBackup, signal: AbortSignal): Promise<AsyncIterable<Buffer>> {
  const tool = await requirePgRestore();
  const child = spawn(tool.path, ['--no-owner', '-f', '-'], { stdio: ['pipe', 'pipe', 'pipe'], signal });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  opened.stream.pipe(child.stdin);
  child.stdin.on('error', () => undefined); // pg_restore may stop reading early; its exit status tells
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  let failed: Error | undefined;
  // A cancel kills pg_restore with an 'error' event (as does a failed spawn): unheard, it would end the process.
  child.on('error', (err) => {
    if (!signal.aborted) failed = err;
  });
  return (async function* () {
    let complete = false;
    try {
      for await (const c of child.stdout) yield c as Buffer;
      complete = true;
    } finally {
      // The upload stopped early (refused, cut, cancelled): so do pg_restore and the storage read under it.
      if (!complete) stopEarly(opened.stream, child);
    }
    const code = await exited;
    if (failed) throw new AppError('Fatal', `pg_restore could not be run: ${failed.message}`);
    if (code !== 0) throw new AppError('Integrity', `pg_restore could not read the dump (exit ${code}): ${stderr.trim().split('\n').slice(-3).join(' ')}`, { hint: 'The dump is damaged, or newer than this pg_restore.' });
  })();
}

function stopEarly(input: Readable, child: ChildProcess): void {
  input.destroy();
  if (child.exitCode === null && child.signalCode === null) child.kill();
}

async function readSmall(source: BackupSource, signal: AbortSignal): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of await source.open(undefined, signal)) {
    parts.push(c as Buffer);
    n += (c as Buffer).length;
    if (n > 16 * 1024 * 1024) throw new AppError('InvalidInput', `${source.name} is too large for a manifest.`);
  }
  return Buffer.concat(parts);
}
