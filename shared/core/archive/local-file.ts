/** A backup that is a file on this machine: seekable, ranged reads. */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { AppError } from '../errors';
import type { ByteRange } from '../storage/provider';
import type { BackupSource } from './source';

function classifyFsError(err: unknown, path: string): AppError {
  const code = (err as { code?: string }).code;
  if (code === 'ENOENT') return new AppError('NotFound', `No such file: ${path}`, { hint: 'Check the path of the backup file.', cause: err });
  if (code === 'EACCES' || code === 'EPERM') return new AppError('PermissionDenied', `Cannot read ${path} (${code}).`, { hint: 'Check the file permissions.', cause: err });
  if (code === 'EISDIR') return new AppError('InvalidInput', `${path} is a folder, not a backup file.`, { hint: 'Choose a backup file (.zip, .dump, .sql).', cause: err });
  return new AppError('Fatal', `Cannot read ${path}: ${(err as Error).message}`, { cause: err });
}

/** A `BackupSource` over a local file (its size is read when the source is opened first). */
export function localFileSource(path: string): BackupSource {
  let size: number | undefined;
  const source: BackupSource & { size: number | undefined } = {
    name: basename(path),
    get size() {
      return size;
    },
    seekable: true,
    localPath: path,
    async open(range?: ByteRange, signal?: AbortSignal): Promise<Readable> {
      try {
        const st = await stat(path);
        if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
        size = st.size;
      } catch (err) {
        throw classifyFsError(err, path);
      }
      const opts: { start?: number; end?: number; highWaterMark: number; signal?: AbortSignal } = { highWaterMark: 256 * 1024 };
      if (range) {
        opts.start = range.offset;
        if (range.length !== undefined) opts.end = range.offset + range.length - 1;
      }
      if (signal) opts.signal = signal;
      if (range?.length === 0) {
        const { Readable: R } = await import('node:stream');
        return R.from([]);
      }
      return createReadStream(path, opts);
    },
  };
  // Fill `size` eagerly without making construction async.
  void stat(path).then(
    (st) => (size = st.isFile() ? st.size : undefined),
    () => undefined,
  );
  return source;
}

/** Reads `length` bytes at `offset` of a seekable source (fewer at its end). */
export async function readRange(source: BackupSource, offset: number, length: number, signal?: AbortSignal): Promise<Buffer> {
  const s = await source.open({ offset, length }, signal);
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of s as AsyncIterable<Buffer>) {
    parts.push(c);
    n += c.length;
    if (n >= length) break;
  }
  s.destroy();
  return Buffer.concat(parts).subarray(0, length);
}
