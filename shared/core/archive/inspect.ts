/**
 * `inspect`: what is inside a backup — Odoo version, database, PostgreSQL version, modules,
 * filestore count/bytes, dump archive version, encryption — reading as little as possible: the
 * zip central directory and manifest through ranged reads (yauzl) when the source is seekable, the
 * custom-format header and TOC from the first megabytes, or one sequential pass otherwise.
 */
import type { Readable } from 'node:stream';
import { dirEntry, type ZipDirEntry } from './zip-dir-entry';
import type { InspectResult } from '../../contract/api';
import { AppError, toAppError } from '../errors';
import { detectEncryption, type DecryptKeys } from '../crypto';
import { openBackup, peekStream } from '../restore/open-backup';
import { majorOf, parseDumpHeader } from './dump-header';
import { sniffFormat } from './sniff';
import type { BackupSource, MultiPartBackup } from './source';
import { memberReadError, readZipStream } from './zip-stream';
import { openZipRandomAccess } from './source-reader';
import { filestorePath } from './odoo-zip';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * The first `max` bytes of member `name` of a zip read through ranged reads (central directory
 * first), or undefined when the member is absent. For preflight checks on seekable sources.
 */
export async function readZipMemberHead(source: BackupSource, size: number, name: string, max: number, signal?: AbortSignal): Promise<Buffer | undefined> {
  const zip = await openZipRandomAccess(source, size, signal);
  try {
    for await (const entry of zip.eachEntry()) {
      if (entry.fileName !== name) continue;
      const s = await zip.openReadStreamPromise(entry);
      const { head, stream } = await peekStream(s, max);
      stream.destroy();
      return head.subarray(0, max);
    }
    return undefined;
  } finally {
    zip.close();
  }
}

/** How much a backup's filestore holds: files and the bytes they take on disk. */
export interface FilestoreSize {
  readonly files: number;
  readonly bytes: number;
}

/** What to say of bytes after a zip's end record. */
export function trailingNote(bytes: number): string {
  return `${bytes} byte${bytes === 1 ? '' : 's'} after the end of the zip archive ${bytes === 1 ? 'was' : 'were'} ignored (as Odoo and unzip ignore them): the file was changed after it was made.`;
}

/**
 * The file entries of a seekable zip of `size` bytes, from its central directory (read through
 * ranged reads; nothing is inflated). `warn` hears of bytes after the zip's end, which are ignored.
 */
export async function zipDirectory(source: BackupSource, size: number, signal?: AbortSignal, warn?: (message: string) => void): Promise<ZipDirEntry[]> {
  const zip = await openZipRandomAccess(source, size, signal, (n) => warn?.(trailingNote(n)));
  try {
    const entries: ZipDirEntry[] = [];
    for await (const entry of zip.eachEntry()) if (!entry.fileName.endsWith('/')) entries.push(dirEntry(entry));
    return entries;
  } finally {
    zip.close();
  }
}

/** The `filestore/` files among a zip's entries and the bytes they inflate to (the uncompressed sizes its central directory declares). */
export function zipFilestoreSize(entries: readonly ZipDirEntry[]): FilestoreSize {
  let bytes = 0;
  let files = 0;
  for (const entry of entries) {
    if (filestorePath(entry.fileName) === undefined) continue;
    bytes += entry.uncompressedSize;
    files++;
  }
  return { files, bytes };
}

function isMultiPart(s: BackupSource | MultiPartBackup): s is MultiPartBackup {
  return (s as MultiPartBackup).kind === 'multipart';
}

interface Manifest {
  db_name?: string;
  version?: string;
  major_version?: string;
  pg_version?: string;
  modules?: Record<string, string>;
}

function applyManifest(out: Mutable<InspectResult>, m: Manifest): void {
  if (m.db_name) out.database = m.db_name;
  if (m.version ?? m.major_version) out.odooVersion = m.version ?? m.major_version;
  if (m.pg_version && !out.pgVersion) out.pgVersion = m.pg_version;
  if (m.modules && typeof m.modules === 'object') out.modules = m.modules;
}

function parseManifest(text: string, warnings: string[]): Manifest | undefined {
  try {
    return JSON.parse(text) as Manifest;
  } catch {
    warnings.push('manifest.json is not valid JSON.');
    return undefined;
  }
}

async function readAll(s: AsyncIterable<Buffer>, max: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of s) {
    if (n < max) parts.push(c);
    n += c.length;
  }
  return Buffer.concat(parts).subarray(0, max);
}

function sqlHeader(out: Mutable<InspectResult>, head: Buffer): void {
  const text = head.toString('latin1');
  const m = /-- Dumped from database version (\S+)/.exec(text);
  if (m && !out.pgVersion) out.pgVersion = m[1];
}

async function inspectZipRandomAccess(source: BackupSource, size: number, out: Mutable<InspectResult>, warnings: string[], signal?: AbortSignal): Promise<void> {
  const zip = await openZipRandomAccess(source, size, signal, (n) => warnings.push(trailingNote(n)));
  try {
    let files = 0;
    let bytes = 0;
    let sawDump = false;
    for await (const entry of zip.eachEntry()) {
      if (signal?.aborted) throw new AppError('Cancelled', 'Inspect was cancelled.');
      const name = entry.fileName;
      if (name === 'manifest.json') {
        const m = parseManifest((await readAll((await zip.openReadStreamPromise(entry)) as AsyncIterable<Buffer>, 4 << 20)).toString('utf8'), warnings);
        if (m) applyManifest(out, m);
      } else if (name === 'dump.sql') {
        sawDump = true;
        const s = await zip.openReadStreamPromise(entry);
        const { head, stream } = await peekStream(s, 8192).catch((err: unknown) => {
          throw memberReadError(err, source.name, name);
        });
        stream.destroy();
        sqlHeader(out, head);
      } else if (filestorePath(name) !== undefined && !name.endsWith('/')) {
        files++;
        bytes += entry.uncompressedSize;
      }
    }
    if (!sawDump) warnings.push('The zip holds no dump.sql: it is not an Odoo backup.');
    out.filestoreFiles = files;
    out.filestoreBytes = bytes;
  } finally {
    zip.close();
  }
}

async function inspectZipStream(input: Readable, name: string, out: Mutable<InspectResult>, warnings: string[]): Promise<void> {
  let files = 0;
  let bytes = 0;
  let sawDump = false;
  for await (const entry of readZipStream(input, { name })) {
    if (entry.name === 'manifest.json') {
      const m = parseManifest((await readAll(entry.data(), 4 << 20)).toString('utf8'), warnings);
      if (m) applyManifest(out, m);
    } else if (entry.name === 'dump.sql') {
      sawDump = true;
      let head = Buffer.alloc(0);
      for await (const c of entry.data()) if (head.length < 8192) head = Buffer.concat([head, c]);
      if (!out.pgVersion) sqlHeader(out, head);
    } else if (filestorePath(entry.name) !== undefined && !entry.directory) {
      files++;
      for await (const c of entry.data()) bytes += c.length;
    }
  }
  if (!sawDump) warnings.push('The zip holds no dump.sql: it is not an Odoo backup.');
  out.filestoreFiles = files;
  out.filestoreBytes = bytes;
}

function applyDumpHeader(out: Mutable<InspectResult>, head: Buffer, warnings: string[]): void {
  const h = parseDumpHeader(head);
  if (!h) {
    warnings.push('The pg_dump header could not be read.');
    return;
  }
  out.dumpArchiveVersion = h.versionText;
  if (h.database && !out.database) out.database = h.database;
  if (h.serverVersion && !out.pgVersion) {
    const major = majorOf(h.serverVersion);
    out.pgVersion = h.serverVersion.split(' ')[0] ?? (major !== undefined ? String(major) : undefined);
  }
  if (h.format !== 1) warnings.push(`This pg_dump archive is not in custom format (format ${h.format}).`);
}

/**
 * Inspects a backup. Encrypted backups are decrypted on the fly when keys are given; without
 * keys the result says it is encrypted and how, and what else can be told from outside.
 */
export async function inspectBackup(source: BackupSource | MultiPartBackup, opts: { decrypt?: DecryptKeys; signal?: AbortSignal } = {}): Promise<InspectResult> {
  const warnings: string[] = [];
  try {
    if (isMultiPart(source)) return await inspectMulti(source, opts, warnings);
    const out: Mutable<InspectResult> = { name: source.name, format: 'zip', encrypted: false };
    const first = await source.open(undefined, opts.signal);
    const peek = await peekStream(first, 4096);
    peek.stream.destroy();
    const head = peek.head;
    if (head.length === 0) throw new AppError('InvalidInput', `${source.name} is empty.`, { hint: 'Choose another backup.' });
    const fmt = sniffFormat(head);
    if (source.size !== undefined) out.size = source.size;
    if (fmt === 'openpgp') {
      const info = detectEncryption(head);
      out.encrypted = true;
      const method = (info as { method?: string }).method;
      if (method) out.encryption = method;
      out.format = /\.dump(\.|$)/i.test(source.name) ? 'dump' : /\.sql(\.|$)/i.test(source.name) ? 'sql' : 'zip';
      if (!opts.decrypt) {
        warnings.push('The backup is encrypted; give the passphrase or key to see inside.');
        out.warnings = warnings;
        out.contentsRead = false;
        return out;
      }
      const opened = await openBackup(source, opts);
      try {
        if (opened.format === 'zip') {
          out.format = 'zip';
          await inspectZipStream(opened.stream, source.name, out, warnings);
        } else if (opened.format === 'dump') {
          out.format = 'dump';
          const p = await peekStream(opened.stream, 8 << 20);
          applyDumpHeader(out, p.head, warnings);
          p.stream.destroy();
        } else if (opened.format === 'sql') {
          out.format = 'sql';
          sqlHeader(out, opened.head);
        } else {
          warnings.push('The decrypted content is not a known backup format.');
        }
      } finally {
        opened.stream.destroy();
      }
      out.warnings = warnings;
      return out;
    }
    if (fmt === 'zip') {
      out.format = 'zip';
      const size = source.size ?? (await sizeOf(source, opts.signal));
      if (source.seekable && size !== undefined) await inspectZipRandomAccess(source, size, out, warnings, opts.signal);
      else await inspectZipStream(await source.open(undefined, opts.signal), source.name, out, warnings);
    } else if (fmt === 'dump') {
      out.format = 'dump';
      const s = await source.open(source.seekable ? { offset: 0, length: 8 << 20 } : undefined, opts.signal);
      const p = await peekStream(s, 8 << 20);
      p.stream.destroy();
      applyDumpHeader(out, p.head, warnings);
    } else if (fmt === 'sql') {
      out.format = 'sql';
      sqlHeader(out, head);
    } else if (fmt === 'sql-gz') {
      out.format = 'sql';
      const opened = await openBackup(source, opts);
      opened.stream.destroy();
      warnings.push('Gzip-compressed plain SQL dump.');
    } else {
      throw new AppError('InvalidInput', `${source.name} is not a backup this app knows (not a zip, pg_dump, SQL or OpenPGP file).`, {
        hint: 'Choose an Odoo backup (.zip or .dump), a plain .sql dump or an encrypted backup.',
      });
    }
    if (warnings.length) out.warnings = warnings;
    return out;
  } catch (err) {
    throw toAppError(err);
  }
}

async function sizeOf(source: BackupSource, signal?: AbortSignal): Promise<number | undefined> {
  // Local sources learn their size when opened.
  const s = await source.open({ offset: 0, length: 1 }, signal);
  s.destroy();
  return source.size;
}

async function inspectMulti(source: MultiPartBackup, opts: { decrypt?: DecryptKeys; signal?: AbortSignal }, warnings: string[]): Promise<InspectResult> {
  const inner = await inspectBackup(source.dump, opts);
  const out: Mutable<InspectResult> = { ...inner, name: source.name, format: 'folder' };
  if (source.manifest) {
    const m = parseManifest((await readAll((await source.manifest.open(undefined, opts.signal)) as AsyncIterable<Buffer>, 4 << 20)).toString('utf8'), warnings);
    if (m) applyManifest(out, m);
  }
  if (source.filestore) {
    let files = 0;
    let bytes = 0;
    for await (const f of source.filestore.list(opts.signal)) {
      files++;
      bytes += f.size;
    }
    out.filestoreFiles = files;
    out.filestoreBytes = bytes;
  }
  if (warnings.length) out.warnings = [...(inner.warnings ?? []), ...warnings];
  return out;
}
