/**
 * The filestore writer of a restore: writes the files of a backup's filestore (zip entries as
 * they stream by, or a multi-part backup's folder) into the staging folder, refusing unsafe
 * paths and never overwriting a file.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FolderSource } from '../archive/source';
import { AppError, cancelledError } from '../errors';
import type { Staging } from './staging';

/** Validates a filestore-relative path from an archive (no absolute paths, no `..`). */
export function safeRelative(rel: string): string {
  const norm = posix.normalize(rel);
  if (!rel || rel.includes('\\') || rel.includes('\0') || norm.startsWith('/') || norm === '.' || norm.split('/').includes('..')) {
    throw new AppError('Integrity', `The backup holds an unsafe filestore path "${rel}".`, { hint: 'The archive is malformed; use another backup.' });
  }
  return norm;
}

const madeDirs = new Set<string>();
async function mkdirCached(dir: string): Promise<void> {
  if (madeDirs.has(dir)) return;
  await mkdir(dir, { recursive: true });
  madeDirs.add(dir);
  if (madeDirs.size > 10_000) madeDirs.clear();
}

/** Writes filestore files into the staging folder; counts them. */
export class FilestoreWriter {
  /** Files written so far. */
  files = 0;
  private muted = false;

  constructor(
    private readonly staging: Staging,
    private readonly signal: AbortSignal,
    private readonly onFile: (files: number) => void,
  ) {}

  /** Writes one file at `rel` (relative to the filestore) from `data`, whole or streamed (destroyed when it cannot be written). */
  async write(rel: string, data: Buffer | AsyncIterable<Buffer> | Readable): Promise<void> {
    const dest = await this.destination(rel).catch((err: unknown) => {
      // A storage read left open would hold its transfer slot for good.
      if (data instanceof Readable) data.destroy();
      throw err;
    });
    if (Buffer.isBuffer(data)) await writeFile(dest, data, { flag: 'wx', signal: this.signal });
    else await pipeline(data instanceof Readable ? data : Readable.from(data), createWriteStream(dest, { flags: 'wx' }), { signal: this.signal });
    this.files++;
    if (!this.muted) this.onFile(this.files);
  }

  /** Stops reporting files (while they are written beside the database load, whose progress shows). */
  mute(): void {
    this.muted = true;
  }

  /** Reports files again, starting with the count so far. */
  unmute(): void {
    this.muted = false;
    this.onFile(this.files);
  }

  /** The path `rel` is written to, its folder made. */
  private async destination(rel: string): Promise<string> {
    const dest = join(await this.staging.folder(), ...safeRelative(rel).split('/'));
    await mkdirCached(dirname(dest));
    return dest;
  }

  /** Copies every file of a multi-part backup's filestore folder. */
  async copyFolder(folder: FolderSource): Promise<void> {
    for await (const f of folder.list(this.signal)) {
      if (this.signal.aborted) throw cancelledError('The restore');
      const rel = safeRelative(f.path);
      await this.write(rel, await folder.open(f.path, this.signal));
    }
  }
}
