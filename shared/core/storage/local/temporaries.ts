/**
 * Temp files that interrupted writes left in a local-folder storage: `write` streams to
 * `.<name>.backup-desk-tmp-<uuid>` next to the target and renames it at the end, so a kill -9
 * mid-write leaves that hidden file behind (listings never show it). Only names of exactly that
 * shape are ever yielded or removed.
 */
import { lstat, opendir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError, throwIfAborted } from '../../errors';
import type { CallOptions, StorageTemporaries, TemporaryObject } from '../provider';
import { classifyFsError } from './errors';

/** `.<name>.backup-desk-tmp-<uuid>`: the temp file of a write of `<name>`. */
const TEMP_NAME = /^\.(.+)\.backup-desk-tmp-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The key a temp file's name belongs to (undefined: not one of ours). */
export function localTempTarget(name: string): string | undefined {
  return TEMP_NAME.exec(name)?.[1];
}

async function* walk(root: string, signal?: AbortSignal): AsyncIterable<TemporaryObject> {
  const stack: string[] = [''];
  while (stack.length > 0) {
    throwIfAborted(signal, 'Listing temporary files');
    const rel = stack.pop()!;
    const dir = rel === '' ? root : join(root, ...rel.split('/'));
    let handle;
    try {
      handle = await opendir(dir);
    } catch (err) {
      if (classifyFsError(err, dir).kind === 'NotFound') continue;
      throw classifyFsError(err, `Folder ${dir}`);
    }
    for await (const ent of handle) {
      const key = rel === '' ? ent.name : `${rel}/${ent.name}`;
      if (ent.isDirectory()) stack.push(key); // symlinks are not followed: the storage's own files only
      const target = ent.isFile() ? localTempTarget(ent.name) : undefined;
      if (target === undefined) continue;
      const st = await lstat(join(dir, ent.name)).catch(() => undefined);
      if (st) yield { id: key, forKey: rel === '' ? target : `${rel}/${target}`, size: st.size, modified: st.mtime };
    }
  }
}

/** The temporaries of the local-folder storage at `root`. */
export function localTemporaries(root: string): StorageTemporaries {
  return {
    list: (options: CallOptions = {}) => walk(root, options.signal),
    async remove(temp: TemporaryObject, options: CallOptions = {}): Promise<void> {
      throwIfAborted(options.signal);
      const parts = temp.id.split('/');
      if (localTempTarget(parts[parts.length - 1]!) === undefined || parts.some((p) => p === '' || p === '.' || p === '..')) {
        throw new AppError('InvalidInput', `"${temp.id}" is not a temporary file of this app.`);
      }
      const path = join(root, ...parts);
      try {
        await unlink(path);
      } catch (err) {
        throw classifyFsError(err, `"${temp.id}" in ${root}`);
      }
    },
  };
}
