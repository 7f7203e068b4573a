/**
 * The filestore written WHILE the database loads, for a zip that can be read twice cheaply (a
 * plain, seekable zip of known size: a local file or ranged storage reads). A second reader takes
 * the `filestore/…` entries from the zip's central directory (as describe.ts read it), reads them
 * in one sequential pass
 * (archive/zip-in-order.ts) and writes them, CRC-32 checked, a few at a time, into the staging
 * folder while the indexes and keys build — before, the files waited for the last build
 * (zip order: `dump.sql` comes first). It starts at the post-data section, not with the COPYs:
 * during the data load the server and our parsing already keep both cores busy (measured: the
 * walk beside the COPYs slowed them by twice its own time), while an index build mostly runs on
 * one. The walk also reads `manifest.json`, so the sequential pass may stop after `dump.sql`;
 * without the filestore, the walk reads only that.
 *
 * Failure on either side stops the other: a failed write stops the load (through the staging's
 * abort) and is the error reported; a failed load stops the walk and waits for it, so the roll
 * back never races a write into the folder it removes.
 */
import type { BackupSource, MultiPartBackup } from '../archive/source';
import type { ZipDirEntry } from '../archive/zip-dir-entry';
import type { RandomAccessZip } from '../archive/source-reader';
import { zipFilestoreSize } from '../archive/inspect';
import { readInOrder } from '../archive/zip-in-order';
import { cancelledError } from '../errors';
import type { BackupDescription } from './describe';
import { readSmall } from './describe';
import type { FilestoreWriter } from './filestore-writer';
import type { RestoreRun } from './pipeline';
import { filestorePath } from '../archive/odoo-zip';

/** What the walk found besides the files it wrote. */
export interface AlongsideResult {
  /** The raw text of `manifest.json`, when the zip has one. */
  readonly manifest: string | undefined;
  /** True when the zip has `filestore/` files. */
  readonly hasFilestore: boolean;
  /** Bytes of the zip this reader read (its entries and their headers). */
  readonly bytesRead: number;
}

/** A walk, started when the database load leaves a core free. */
export interface FilestoreAlongside {
  /** Starts the walk (later calls do nothing). */
  start(): void;
  /** Starts the walk if need be; settles when every file is written, or the walk failed or was stopped. */
  finish(): Promise<AlongsideResult>;
  /** Stops the walk (if started) and waits until no write is in flight; resolves with what it failed with before the stop, if anything. */
  stop(): Promise<unknown>;
}

/** The zip's source when it can be read at random (and its central directory was read), else undefined. */
export function randomAccessSource(run: RestoreRun, desc: BackupDescription): RandomAccessZip | undefined {
  const src = run.opts.source as BackupSource | MultiPartBackup;
  if (desc.format !== 'zip' || desc.encrypted || desc.multi || 'kind' in src) return undefined;
  if (!src.seekable || src.size === undefined || desc.zipDirectory === undefined) return undefined;
  return src as RandomAccessZip;
}

/**
 * A walk that writes the filestore of the zip `src` (see `randomAccessSource`) beside the load;
 * for a restore without the filestore it reads only `manifest.json`, so that the zip's files are
 * not read through after the database.
 */
export function filestoreAlongside(run: RestoreRun, src: RandomAccessZip | undefined, desc: BackupDescription, files: FilestoreWriter): FilestoreAlongside | undefined {
  if (!src) return undefined;
  const directory = desc.zipDirectory ?? [];
  const wanted = directory.filter((e) => e.fileName === 'manifest.json' || (run.opts.filestore && filestorePath(e.fileName) !== undefined));
  const hasFilestore = zipFilestoreSize(directory).files > 0;
  const stopper = new AbortController();
  const signal = AbortSignal.any([run.signal, stopper.signal]);
  let done: Promise<AlongsideResult> | undefined;
  let failure: unknown;
  const start = (): Promise<AlongsideResult> => {
    if (done) return done;
    done = walk(src, desc.name, wanted, files, signal).then((r) => ({ ...r, hasFilestore }));
    done.catch((err: unknown) => {
      if (stopper.signal.aborted || run.signal.aborted) return;
      // A failed write stops the load at once (the error raised is this one, see loadZip).
      failure = err;
      run.staging.abort();
    });
    return done;
  };
  return {
    start: () => void start(),
    finish: start,
    async stop() {
      const earlier = failure;
      stopper.abort();
      await done?.catch(() => undefined);
      return earlier;
    },
  };
}

/** Writes the `wanted` entries of the zip that are in its `filestore/`; reads `manifest.json`. */
async function walk(src: RandomAccessZip, name: string, wanted: readonly ZipDirEntry[], files: FilestoreWriter, signal: AbortSignal): Promise<Omit<AlongsideResult, 'hasFilestore'>> {
  let bytesRead = 0;
  const counted: RandomAccessZip = {
    ...src,
    async open(range, sig) {
      const s = await src.open(range, sig);
      s.on('data', (c: Buffer) => (bytesRead += c.length));
      return s;
    },
  };
  let manifest: string | undefined;
  const writes = new InFlight(WRITES_AT_ONCE);
  try {
    await readInOrder(counted, wanted, name, signal, async (entry, data) => {
      if (signal.aborted) throw cancelledError('The restore');
      writes.raise();
      if (entry.fileName === 'manifest.json') manifest = Buffer.isBuffer(data) ? data.toString('utf8') : await readSmall(data, 4 * 1024 * 1024);
      else if (Buffer.isBuffer(data)) await writes.add(() => files.write(pathInFilestore(entry), data));
      else await files.write(pathInFilestore(entry), data);
    });
  } finally {
    await writes.settled();
  }
  writes.raise();
  return { manifest, bytesRead };
}

/** The path inside the filestore of a `filestore/…` entry. */
function pathInFilestore(entry: ZipDirEntry): string {
  return filestorePath(entry.fileName) ?? entry.fileName;
}

/** Small files written at once: each is mostly waiting on the disk (a create, a write, a close). */
const WRITES_AT_ONCE = 8;

/** Up to `limit` tasks at once; the first failure is kept and raised by `raise`. */
class InFlight {
  private readonly running = new Set<Promise<void>>();
  private failure: { err: unknown } | undefined;

  constructor(private readonly limit: number) {}

  /** Starts `task`, first waiting while `limit` run. */
  async add(task: () => Promise<void>): Promise<void> {
    while (this.running.size >= this.limit) await Promise.race(this.running);
    const p = task().catch((err: unknown) => void (this.failure ??= { err }));
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
  }

  /** Raises the first failure so far. */
  raise(): void {
    if (this.failure) throw this.failure.err;
  }

  /** Waits until none runs. */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.race(this.running);
  }
}
