/**
 * The local-folder storage: a folder on this machine (or a mounted share) behind the
 * `StorageProvider` interface. Keys are `/`-separated paths relative to the folder.
 * Writes go to a hidden temp file in the target folder and are renamed into place once
 * complete, so a reader never sees a partial object.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, mkdir, open, opendir, realpath, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError, throwIfAborted } from '../../errors';
import { keyTakenError, type CallOptions, type Capabilities, type ListOptions, type ObjectInfo, type ReadOptions, type StorageProvider, type StorageTemporaries, type WriteOptions } from '../provider';
import { pathExists } from '../../util/fs';
import { classifyFsError } from './errors';
import { localTemporaries } from './temporaries';
import { assertValidKey, assertValidPrefix, assertValidRange } from '../wrappers/keys';

/** Temp files of in-flight writes carry this marker and are never listed. */
export const LOCAL_TEMP_MARKER = '.backup-desk-tmp-';

/** A folder on disk as a storage. */
export class LocalProvider implements StorageProvider {
  readonly kind = 'local' as const;
  readonly capabilities: Capabilities;
  /** Temp files of interrupted writes (`temporaries.ts`). */
  readonly temporaries: StorageTemporaries;

  constructor(readonly root: string) {
    this.temporaries = localTemporaries(root);
    this.capabilities = {
      write: true,
      remove: true,
      rangeReads: true,
      maxConcurrency: 8,
      caseInsensitive: process.platform === 'darwin' || process.platform === 'win32',
    };
  }

  /** Maps a key to a path inside the root; rejects keys that would escape it. */
  private pathOf(key: string): string {
    assertValidKey(key);
    const parts = key.split('/');
    if (process.platform === 'win32' && parts.some((p) => p.includes('\\'))) {
      throw new AppError('InvalidInput', `Invalid object key "${key}" for a local folder.`, { hint: 'Keys use "/" separators.' });
    }
    return join(this.root, ...parts);
  }

  /**
   * `NotFound` unless the storage folder exists: it is never created here, so that a backup to an
   * unmounted disk or share fails instead of filling the mount point on this machine's own disk.
   */
  private async assertRoot(): Promise<void> {
    try {
      const st = await stat(this.root);
      if (!st.isDirectory()) throw new AppError('NotFound', `The storage folder ${this.root} is not a folder.`, { hint: 'Point the storage at a folder.' });
    } catch (err) {
      const e = classifyFsError(err, `The storage folder ${this.root}`);
      if (e.kind === 'NotFound') {
        throw new AppError('NotFound', `The storage folder ${this.root} does not exist.`, {
          hint: 'Mount or create the folder (is the disk or share mounted?), or change the storage with `storage remove` + `storage add`.',
          cause: err,
        });
      }
      throw e;
    }
  }

  /** @inheritdoc */
  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<ObjectInfo> {
    const signal = options.signal;
    assertValidPrefix(prefix);
    throwIfAborted(signal, 'Listing');
    await this.assertRoot();
    // Walk only the folder the prefix is in; then filter by the full prefix.
    const slash = prefix.lastIndexOf('/');
    const dirKey = slash >= 0 ? prefix.slice(0, slash) : '';
    const startDir = dirKey === '' ? this.root : this.pathOf(dirKey);
    const visited = new Set<string>();
    const stack: { dir: string; keyPrefix: string }[] = [{ dir: startDir, keyPrefix: dirKey === '' ? '' : dirKey + '/' }];
    while (stack.length > 0) {
      const { dir, keyPrefix } = stack.pop()!;
      throwIfAborted(signal, 'Listing');
      let real: string;
      try {
        real = await realpath(dir);
      } catch (err) {
        if (dir === startDir && classifyFsError(err, dir).kind === 'NotFound') return;
        throw classifyFsError(err, `Folder ${dir}`);
      }
      if (visited.has(real)) continue; // a symlink loop
      visited.add(real);
      let handle;
      try {
        handle = await opendir(dir, { bufferSize: 256 });
      } catch (err) {
        const e = classifyFsError(err, `Folder ${dir}`);
        if (e.kind === 'NotFound' && dir === startDir) return;
        throw e;
      }
      const subdirs: { dir: string; keyPrefix: string }[] = [];
      // Stat a directory's entries in parallel batches: one await per file is what makes a
      // 10,000-file listing slow.
      const batch: { name: string; full: string; key: string; symlink: boolean }[] = [];
      const flush = async (): Promise<ObjectInfo[]> => {
        const stats = await Promise.all(batch.map((b) => stat(b.full).then((st) => ({ b, st }), (err: unknown) => ({ b, err }))));
        batch.length = 0;
        const out: ObjectInfo[] = [];
        for (const r of stats) {
          if ('err' in r) {
            if (r.b.symlink || classifyFsError(r.err, r.b.full).kind === 'NotFound') continue; // dangling link, or removed meanwhile
            throw classifyFsError(r.err, `File ${r.b.full}`);
          }
          if (r.st.isDirectory()) {
            if (r.b.symlink && (prefix === '' || prefix.startsWith(r.b.key + '/') || (r.b.key + '/').startsWith(prefix))) subdirs.push({ dir: r.b.full, keyPrefix: r.b.key + '/' });
            continue;
          }
          if (r.st.isFile() && r.b.key.startsWith(prefix)) out.push({ key: r.b.key, size: r.st.size, modified: r.st.mtime });
        }
        return out;
      };
      for await (const ent of handle) {
        if (signal?.aborted) break;
        const name = ent.name;
        if (name.includes(LOCAL_TEMP_MARKER)) continue;
        const full = join(dir, name);
        const key = keyPrefix + name;
        const symlink = ent.isSymbolicLink();
        if (ent.isDirectory()) {
          if (prefix.startsWith(key + '/') || (key + '/').startsWith(prefix) || prefix === '') subdirs.push({ dir: full, keyPrefix: key + '/' });
          continue;
        }
        if (!symlink && (!ent.isFile() || !key.startsWith(prefix))) continue;
        batch.push({ name, full, key, symlink });
        if (batch.length >= 64) for (const o of await flush()) yield o;
      }
      if (batch.length > 0 && !signal?.aborted) for (const o of await flush()) yield o;
      throwIfAborted(signal, 'Listing');
      // Depth-first, in name order for a stable (not promised) output.
      subdirs.sort((a, b) => (a.dir < b.dir ? 1 : -1));
      stack.push(...subdirs);
    }
  }

  /** @inheritdoc */
  async stat(key: string, options: CallOptions = {}): Promise<ObjectInfo> {
    throwIfAborted(options.signal);
    const path = this.pathOf(key);
    try {
      const st = await stat(path);
      if (!st.isFile()) throw new AppError('NotFound', `"${key}" is not a file in ${this.root}.`);
      return { key, size: st.size, modified: st.mtime };
    } catch (err) {
      throw classifyFsError(err, `"${key}" in ${this.root}`);
    }
  }

  /** @inheritdoc */
  async read(key: string, options: ReadOptions = {}): Promise<Readable> {
    const info = await this.stat(key, options);
    const range = options.range;
    assertValidRange(range);
    const start = range?.offset ?? 0;
    if (start < 0 || (range?.length !== undefined && range.length < 0)) {
      throw new AppError('InvalidInput', `Invalid byte range for "${key}".`);
    }
    if (range?.length === 0 || start >= info.size) {
      return Readable.from([]);
    }
    const end = range?.length !== undefined ? Math.min(info.size, start + range.length) - 1 : undefined;
    const path = this.pathOf(key);
    const stream = createReadStream(path, { start, ...(end !== undefined ? { end } : {}), ...(options.signal ? { signal: options.signal } : {}), highWaterMark: 256 * 1024 });
    // Classify errors that happen after opening (file removed, I/O error, abort).
    const out = new Transform({ transform: (chunk, _enc, cb) => cb(null, chunk) });
    stream.on('error', (err) => out.destroy(classifyFsError(err, `"${key}" in ${this.root}`)));
    out.on('close', () => stream.destroy());
    stream.pipe(out);
    return out;
  }

  /** @inheritdoc */
  async write(key: string, body: Readable, options: WriteOptions = {}): Promise<ObjectInfo> {
    throwIfAborted(options.signal);
    const path = this.pathOf(key);
    const dir = dirname(path);
    const tmp = join(dir, `.${path.slice(dir.length + sep.length)}${LOCAL_TEMP_MARKER}${randomUUID()}`);
    await this.assertRoot();
    let created: string | undefined;
    try {
      created = await mkdir(dir, { recursive: true });
      let sent = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          sent += chunk.length;
          options.onProgress?.(sent);
          cb(null, chunk);
        },
      });
      // `flush`: the data is on the disk before the file is closed, so before it is committed: a
      // power cut must not leave a listed backup whose blocks were never written.
      const sink = createWriteStream(tmp, { flags: 'wx', mode: 0o644, flush: true });
      if (options.signal) await pipeline(body, counter, sink, { signal: options.signal });
      else await pipeline(body, counter, sink);
      if (options.size !== undefined && options.size !== sent) {
        throw new AppError('Integrity', `Wrote ${sent} bytes to "${key}" but ${options.size} were expected.`);
      }
      await options.beforeCommit?.();
      await commitFile(tmp, path, options.ifAbsent === true, key);
      await syncFolder(dir);
      const st = await stat(path);
      return { key, size: st.size, modified: st.mtime };
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => undefined);
      if (created !== undefined) await removeEmptyUpTo(dir, created);
      throw classifyFsError(err, `"${key}" in ${this.root}`);
    }
  }

  /** @inheritdoc */
  async remove(key: string, options: CallOptions = {}): Promise<void> {
    throwIfAborted(options.signal);
    const path = this.pathOf(key);
    try {
      const st = await stat(path);
      if (!st.isFile()) throw new AppError('NotFound', `"${key}" is not a file in ${this.root}.`);
      await unlink(path);
    } catch (err) {
      throw classifyFsError(err, `"${key}" in ${this.root}`);
    }
  }

  /** @inheritdoc */
  async close(): Promise<void> {
    /* nothing to release */
  }
}

/** Makes a rename or link in `dir` durable (best effort: Windows cannot open a folder to sync it). */
async function syncFolder(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => undefined);
  if (!handle) return;
  try {
    await handle.sync().catch(() => undefined);
  } finally {
    await handle.close();
  }
}

/** Removes `dir` and its parents up to `top` while they are empty (the folders a failed write created). */
async function removeEmptyUpTo(dir: string, top: string): Promise<void> {
  for (let d = dir; d === top || d.startsWith(top + sep); d = dirname(d)) {
    if (!(await rmdir(d).then(() => true, () => false))) return;
  }
}

/**
 * Renames the finished temporary file into place. With `ifAbsent` a hard link makes it appear
 * only where nothing is (EEXIST is atomic: two writers of one key cannot both win); a folder
 * whose file system has no hard links falls back to a check, then the rename.
 */
async function commitFile(tmp: string, path: string, ifAbsent: boolean, key: string): Promise<void> {
  if (!ifAbsent) return rename(tmp, path);
  try {
    await link(tmp, path);
    await unlink(tmp);
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw keyTakenError(key);
    // A file system without hard links (FAT, some network mounts) says so in one of these.
    if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'ENOSYS'].includes(code ?? '')) throw err;
  }
  if (await pathExists(path)) throw keyTakenError(key);
  await rename(tmp, path);
}
