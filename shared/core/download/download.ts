/**
 * Downloading a backup from a storage to a local file: streamed, with progress and
 * cancellation, resumed with ranged reads after a dropped connection, optionally decrypted
 * on the way. The data goes to `<out>.part`, which is renamed to `<out>` only once it is
 * complete and verified (size against the listing, a checksum when the storage or a sidecar
 * gives one, a zip's central directory, a dump's magic); on any failure or cancel the
 * `.part` file is deleted, so nothing partial is ever presented as the backup.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline as streamPipeline, Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError, cancelledError, toAppError } from '../errors';
import type { JobContext } from '../jobs/job';
import type { ObjectChecksum, StorageProvider } from '../storage/provider';
import { resumableRead } from '../storage/wrappers/resume';
import { sniffFormat } from '../archive/sniff';
import { decryptStream, type DecryptKeys } from '../crypto';
import { peekStream } from '../restore/open-backup';
import { forgetPart, notePart, replayPart, resumableBytes } from './part-resume';
import { freeBytes, type FreeSpaceSource } from '../restore/space';
import { formatBytes } from '../../contract/units';
import { stripEncryption } from '../catalog/conventions';
import { checksummer, readHead, verifyZip, type Checksummer } from './verify';

/** What to download. */
export interface DownloadOptions {
  readonly provider: StorageProvider;
  readonly key: string;
  /** A file path, or an existing folder (the object's name is used inside it). */
  readonly out: string;
  /** Size the catalog listed; the download must deliver exactly this many bytes. */
  readonly expectedSize?: number;
  /** sha256 from a sidecar, when there is one (preferred over the storage's checksum). */
  readonly sidecarSha256?: string;
  /** Decrypt on the way (the output is the plaintext). */
  readonly decrypt?: DecryptKeys;
  /** Where free space is read from (tests inject their own figures). */
  readonly freeSpace?: FreeSpaceSource;
  /** How many times a dropped transfer is resumed (default 5). */
  readonly maxResumes?: number;
  /** Replace an existing output file. */
  readonly overwrite?: boolean;
}

/** What a finished download reports. */
export interface DownloadResult {
  /** The final path. */
  readonly path: string;
  /** Bytes read from the storage. */
  readonly storedBytes: number;
  /** Bytes written (differs from storedBytes when decrypted). */
  readonly bytes: number;
  /** Checks that passed, for the user: e.g. `size`, `sha256`, `zip`. */
  readonly verified: string[];
  /** True when it was decrypted (asked to decrypt a backup that is not encrypted, it is saved as it is). */
  readonly decrypted: boolean;
}

/** Creates the folder `path` goes into (like `mkdir -p`), classifying what stops it. */
async function ensureParentFolder(path: string): Promise<void> {
  const parent = dirname(path);
  try {
    await mkdir(parent, { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      throw new AppError('PermissionDenied', `Cannot create the folder ${parent} for the download (${code}).`, { cause: err, hint: 'Choose a destination in a folder you can write to.' });
    }
    if (code === 'ENOTDIR' || code === 'EEXIST') {
      throw new AppError('InvalidInput', `Cannot create the folder ${parent} for the download: part of that path is a file.`, { cause: err, hint: 'Choose another destination.' });
    }
    throw new AppError('Fatal', `Cannot create the folder ${parent} for the download: ${(err as Error).message}`, { cause: err, hint: 'Check the destination path and the disk.' });
  }
}

/** What is at a download's destination already: nothing, a file or a folder. */
export type ExistingDestination = 'file' | 'folder' | undefined;

/** What is at `path` now (a download's destination). */
export async function existingAt(path: string): Promise<ExistingDestination> {
  const st = await stat(path).catch(() => undefined);
  if (!st) return undefined;
  return st.isDirectory() ? 'folder' : 'file';
}

/**
 * Refuses a destination that exists, unless `overwrite` and it is of the kind the download
 * writes (a file replaces a file, a folder a folder). Worded for any face: the CLI and the
 * dialog check first (`download:check-destination`) and say it their own way.
 */
async function guardDestination(path: string, writes: 'file' | 'folder', overwrite: boolean): Promise<void> {
  const existing = await existingAt(path);
  if (existing === undefined || (overwrite && existing === writes)) return;
  const what = existing === 'folder' ? 'A folder' : 'A file';
  throw new AppError('Conflict', `${what} named ${path} already exists.`, {
    hint: overwrite ? `It cannot be replaced by a ${writes}: choose another destination.` : 'Choose another destination, or allow replacing it.',
  });
}

/** Where a multi-file backup named `name` goes for `out` (an existing folder gets a folder of that name inside). */
export async function folderOutPath(out: string, name: string): Promise<string> {
  return (await existingAt(out)) === 'folder' ? join(out, name) : out;
}

/** Where the download will be written for `out` (a folder gets the object's name). */
export async function resolveOutPath(out: string, key: string, decrypting: boolean): Promise<string> {
  let name = basename(key);
  if (decrypting) name = stripEncryption(name).name;
  try {
    const st = await stat(out);
    if (st.isDirectory()) return join(out, name);
  } catch {
    /* not there: a file path */
  }
  return out;
}

/** Downloads one object as a job step (progress phases `download`, `verify`). */
export async function downloadBackup(opts: DownloadOptions, ctx: JobContext): Promise<DownloadResult> {
  const { provider, key, signal } = { ...opts, signal: ctx.signal };
  const path = await resolveOutPath(opts.out, key, opts.decrypt !== undefined);
  await guardDestination(path, 'file', opts.overwrite === true);
  await ensureParentFolder(path);
  const part = `${path}.part`;
  const info = await provider.stat(key, { signal });
  const size = opts.expectedSize ?? info.size;
  if (info.size !== size) {
    throw new AppError('Integrity', `"${key}" now has ${info.size} bytes but the listing said ${size}.`, {
      hint: 'The object changed since it was listed (maybe an upload is still running). List again and retry.',
    });
  }
  const checks: { sum: Checksummer; expected: string; label: string }[] = [];
  if (opts.sidecarSha256) checks.push({ sum: checksummer('sha256'), expected: opts.sidecarSha256.toLowerCase(), label: 'sha256 (companion)' });
  const cs: ObjectChecksum | undefined = info.checksum;
  if (cs && !(cs.algorithm === 'sha256' && opts.sidecarSha256)) checks.push({ sum: checksummer(cs.algorithm), expected: cs.value.toLowerCase(), label: `${cs.algorithm} (storage)` });

  let received = 0;
  let written = 0;
  let decrypted = false;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      received += chunk.length;
      for (const c of checks) c.sum.update(chunk);
      ctx.progress({ phase: 'download', label: 'Downloading', done: received, total: size, unit: 'bytes' });
      cb(null, chunk);
    },
  });
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      written += chunk.length;
      cb(null, chunk);
    },
  });
  // What a killed run left of this very object is kept, and the download goes on from there
  // (a refusal for want of room keeps it too).
  const canResume = !opts.decrypt && provider.capabilities.rangeReads;
  const already = await resumableBytes(part, info, canResume);
  await checkRoom(path, size - already, opts.freeSpace ?? freeBytes);
  try {
    if (already > 0) {
      await replayPart(part, already, (chunk) => checks.forEach((c) => c.sum.update(chunk)));
      received = written = already;
      ctx.log('info', `Going on with the download of "${key}" from byte ${already}, where an earlier run stopped.`);
    } else if (canResume) await notePart(part, info);
    ctx.progress({ phase: 'download', label: 'Downloading', done: received, total: size, unit: 'bytes' });
    // A run killed while verifying left every byte: only the checks are left to do.
    const input = already === size ? Readable.from([]) : await resumableRead(provider, key, {
      signal,
      size,
      ...(already > 0 ? { range: { offset: already } } : {}),
      ...(info.etag !== undefined ? { etag: info.etag } : {}),
      maxResumes: opts.maxResumes ?? 5,
      onResume: (offset, attempt, err) => ctx.log('warn', `Connection lost at byte ${offset} (${err.message}); resuming (attempt ${attempt}).`),
    });
    // Opened only once there is something to write (a file opened before a failed decryption stayed open).
    const sink = (): Writable => createWriteStream(part, { flags: already > 0 ? 'a' : 'w', mode: 0o600, flush: true });
    if (opts.decrypt) {
      // pipeline, not pipe: when decryption gives up (a wrong passphrase) and destroys `tap`, the
      // storage stream is destroyed too, or it would hold its transfer slot for good.
      const first = await peekStream(streamPipeline(input, tap, () => undefined), 64);
      decrypted = sniffFormat(first.head) === 'openpgp';
      // A backup that is not encrypted is saved as it is (a script may pass --decrypt for every backup).
      const plain: Readable = decrypted ? await decryptStream(first.stream, opts.decrypt, { signal }) : first.stream;
      await pipeline(plain, counter, sink(), { signal });
    } else {
      await pipeline(input, tap, counter, sink(), { signal });
    }
    if (signal.aborted) throw cancelledError('The download');
    ctx.progress({ phase: 'verify', label: 'Verifying' });
    const verified: string[] = [];
    if (received !== size) {
      throw new AppError('Integrity', `Received ${received} bytes of "${key}" but the listing says ${size}.`, {
        hint: 'The download is incomplete; try again.',
      });
    }
    verified.push('size');
    for (const c of checks) {
      const got = c.sum.digest();
      if (got !== c.expected) {
        throw new AppError('Integrity', `The ${c.label} checksum of "${key}" does not match (expected ${c.expected}, got ${got}).`, {
          hint: 'The data was damaged in transfer or on the storage. Download again; if it persists, the stored backup is corrupt.',
        });
      }
      verified.push(c.label);
    }
    const head = await readHead(part, 8);
    if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b) {
      const z = await verifyZip(part, `"${key}"`);
      verified.push(`zip (${z.entries} entries)`);
    } else if (!opts.decrypt && /\.zip$/i.test(key)) {
      throw new AppError('Integrity', `"${key}" is named .zip but is not a zip archive.`, { hint: 'Check the file on the storage; it may be an error page saved as a backup.' });
    } else if (head.subarray(0, 5).toString('latin1') === 'PGDMP') {
      verified.push('dump header');
    }
    if (signal.aborted) throw cancelledError('The download');
    await rename(part, path);
    await forgetPart(part);
    ctx.log('info', `Downloaded "${key}" to ${path} (${verified.join(', ')}).`);
    return { path, storedBytes: received, bytes: written, verified, decrypted };
  } catch (err) {
    // A failure or a cancel leaves nothing (only a killed run leaves a `.part` to go on from).
    await forgetPart(part).catch(() => undefined);
    if (signal.aborted) throw cancelledError('The download');
    throw toAppError(err);
  }
}

/** Refuses, with the figures, a download the destination's disk cannot hold (unknown free space is no refusal). */
async function checkRoom(path: string, bytes: number, space: FreeSpaceSource): Promise<void> {
  const free = await space(dirname(path));
  if (free === undefined || bytes <= free) return;
  throw new AppError('InvalidInput', `The backup needs ${formatBytes(bytes)} but the disk holding ${dirname(path)} has only ${formatBytes(free)} free.`, {
    hint: 'Free some space there, or save it to another disk.',
    details: { neededBytes: bytes, freeBytes: free },
  });
}

/** One file of a multi-file backup. */
export interface FolderItem {
  readonly key: string;
  /** Path inside the output folder (`/`-separated). */
  readonly rel: string;
  readonly size: number;
}

/** What to download for a multi-file backup (click-odoo folder, dump + filestore/). */
export interface FolderDownloadOptions {
  readonly provider: StorageProvider;
  /** The backup's name (folder created in `out` when `out` is an existing folder). */
  readonly name: string;
  readonly items: readonly FolderItem[];
  readonly out: string;
  /** Replace an existing folder of that name (only once the new one is complete). */
  readonly overwrite?: boolean;
}

/** Moves the complete `part` folder to `path`, replacing a folder there (set aside first, put back if the move fails). */
async function replaceFolder(part: string, path: string): Promise<void> {
  if ((await existingAt(path)) !== 'folder') return rename(part, path);
  const old = `${path}.bd-old-${process.pid}-${Date.now()}`;
  await rename(path, old);
  try {
    await rename(part, path);
  } catch (err) {
    await rename(old, path).catch(() => undefined);
    throw err;
  }
  await rm(old, { recursive: true, force: true });
}

/**
 * Downloads every file of a multi-file backup into `<out>.part/`, checks each file's size,
 * and renames the folder to `<out>` only when all are complete; removes it on any failure.
 */
export async function downloadFolder(opts: FolderDownloadOptions, ctx: JobContext): Promise<DownloadResult> {
  const signal = ctx.signal;
  const path = await folderOutPath(opts.out, opts.name);
  await guardDestination(path, 'folder', opts.overwrite === true);
  await ensureParentFolder(path);
  const part = `${path}.part`;
  const total = opts.items.reduce((s, i) => s + i.size, 0);
  let done = 0;
  try {
    await rm(part, { recursive: true, force: true });
    for (const item of opts.items) {
      if (item.rel.split('/').some((s) => s === '..' || s === '')) throw new AppError('InvalidInput', `Unsafe path "${item.rel}" in the backup.`);
      const file = join(part, ...item.rel.split('/'));
      await mkdir(dirname(file), { recursive: true });
      const input = await resumableRead(opts.provider, item.key, {
        signal,
        size: item.size,
        onResume: (offset, attempt, err) => ctx.log('warn', `Connection lost in "${item.key}" at byte ${offset} (${err.message}); resuming (attempt ${attempt}).`),
      });
      let got = 0;
      const tap = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          got += chunk.length;
          done += chunk.length;
          ctx.progress({ phase: 'download', label: 'Downloading', done, total, unit: 'bytes', message: item.rel });
          cb(null, chunk);
        },
      });
      await pipeline(input, tap, createWriteStream(file, { mode: 0o600, flush: true }), { signal });
      if (got !== item.size) throw new AppError('Integrity', `Received ${got} bytes of "${item.key}" but the listing says ${item.size}.`, { hint: 'Download it again.' });
    }
    if (signal.aborted) throw cancelledError('The download');
    await replaceFolder(part, path);
    ctx.log('info', `Downloaded ${opts.items.length} files to ${path}.`);
    return { path, storedBytes: done, bytes: done, verified: [`size of ${opts.items.length} files`], decrypted: false };
  } catch (err) {
    await rm(part, { recursive: true, force: true }).catch(() => undefined);
    if (signal.aborted) throw cancelledError('The download');
    throw toAppError(err);
  }
}
