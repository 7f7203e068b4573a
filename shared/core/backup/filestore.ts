/**
 * Filestore stage: the entries `filestore/…` of an Odoo zip, from `DATA_DIR/filestore/DB` as Odoo's
 * `zip_dir` adds them (every file below, `checklist/` included; `*.pyc`, `*.pyo`, `*.swp` and
 * `.DS_Store` left out; no entries at all when the folder does not exist), each deflated or stored
 * by content (compressibility.ts). Other stages may add entries of their own (`extra`, e.g.
 * attachments fetched from object storage): they are appended under the same rules.
 *
 * Small files are read whole (so a stored one carries its CRC in its header without a second read)
 * with one file read ahead; larger ones stream.
 */
import { createReadStream } from 'node:fs';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../errors';
import { SAMPLE_BYTES, worthDeflating } from './compressibility';
import type { ZipEntry } from './zip-writer';
import { filestorePath } from '../archive/odoo-zip';

/** Files up to this size are read whole. */
export const WHOLE_FILE_LIMIT = 8 * 1024 * 1024;

const SKIPPED = /(\.pyc|\.pyo|\.swp)$|^\.DS_Store$/;

/** One file of the filestore, before it is read. */
export interface FilestoreFile {
  /** Path relative to the filestore folder, `/`-separated (`ab/abcdef…`). */
  readonly rel: string;
  readonly path: string;
  readonly size: number;
  readonly mtime: Date;
  readonly mode: number;
}

/** Every file below `dir` (sorted, recursively); none when `dir` does not exist. */
export async function* walkFilestore(dir: string, rel = ''): AsyncGenerator<FilestoreFile> {
  let names: string[];
  try {
    names = (await readdir(join(dir, rel))).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && rel === '') return;
    throw new AppError('PermissionDenied', `Cannot read the filestore folder ${join(dir, rel)}: ${(err as Error).message}`, {
      hint: 'Run the backup as a user who can read the Odoo data dir (often the "odoo" user).',
      cause: err,
    });
  }
  for (const name of names) {
    if (SKIPPED.test(name)) continue;
    const r = rel === '' ? name : `${rel}/${name}`;
    const path = join(dir, r);
    const st = await stat(path).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : Promise.reject(err)));
    if (!st) continue; // removed meanwhile
    if (st.isDirectory()) yield* walkFilestore(dir, r);
    else if (st.isFile()) yield { rel: r, path, size: st.size, mtime: st.mtime, mode: st.mode };
  }
}

async function readHead(path: string): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(SAMPLE_BYTES);
    const { bytesRead } = await fh.read(buf, 0, SAMPLE_BYTES, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** The zip entry of one filestore file (read whole when small). */
export async function fileEntry(f: FilestoreFile, prefix = 'filestore/'): Promise<ZipEntry> {
  const base = { name: `${prefix}${f.rel}`, mtime: f.mtime, mode: 0o100000 | (f.mode & 0o7777) };
  if (f.size <= WHOLE_FILE_LIMIT) {
    const buffer = await readFile(f.path);
    return { ...base, deflate: worthDeflating(buffer.subarray(0, SAMPLE_BYTES)), data: { kind: 'buffer', buffer } };
  }
  const deflate = worthDeflating(await readHead(f.path));
  const open = (): AsyncIterable<Buffer> => createReadStream(f.path, { highWaterMark: 1 << 20 });
  return { ...base, deflate, data: { kind: 'stream', open, size: f.size } };
}

/** Yields `load(item)` for each item, with `depth` loads started ahead. */
export async function* readAhead<I, T>(items: AsyncIterable<I>, load: (item: I) => Promise<T>, depth = 1): AsyncGenerator<T> {
  const queue: Promise<T>[] = [];
  for await (const item of items) {
    const p = load(item);
    p.catch(() => undefined); // observed when its turn comes
    queue.push(p);
    if (queue.length > depth) yield await queue.shift()!;
  }
  while (queue.length) yield await queue.shift()!;
}

/** `fileEntry`, or undefined when the file vanished meanwhile (Odoo's garbage collection runs while Odoo is up). */
async function entryUnlessGone(f: FilestoreFile): Promise<ZipEntry | undefined> {
  try {
    return await fileEntry(f);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AppError('PermissionDenied', `Cannot read ${f.path}: ${(err as Error).message}`, {
      hint: 'Run the backup as a user who can read the Odoo data dir (often the "odoo" user).',
      cause: err,
    });
  }
}

/** Options of `filestoreEntries`. */
export interface FilestoreEntriesOptions {
  /** More entries to add after the folder's (named `filestore/…` by their producer). */
  readonly extra?: AsyncIterable<ZipEntry>;
  /** Called for each folder file as it is added. */
  readonly onFile?: (f: { rel: string; size: number }) => void;
}

/** The `filestore/…` entries of `dir` (Odoo's `DATA_DIR/filestore/DB`), then any `extra` ones. */
export async function* filestoreEntries(dir: string, opts: FilestoreEntriesOptions = {}): AsyncGenerator<ZipEntry> {
  for await (const e of readAhead(walkFilestore(dir), entryUnlessGone, 1)) {
    if (!e) continue;
    opts.onFile?.({ rel: filestorePath(e.name) ?? e.name, size: e.data.kind === 'buffer' ? e.data.buffer.length : (e.data.size ?? 0) });
    yield e;
  }
  if (opts.extra) yield* opts.extra;
}
