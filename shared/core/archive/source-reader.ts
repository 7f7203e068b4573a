/**
 * yauzl's random-access reader over a `BackupSource` (a local file or ranged storage reads).
 *
 * Why a block cache: yauzl walks a zip's central directory with two tiny reads per entry (its
 * fixed header, then its name), each a ranged read of its own — 6,000 opens (or GETs) for a
 * filestore of 3,000 files, 1.9 s on a local file and far longer on S3. Once reads run on from
 * where the previous one ended (a sequential walk), a whole block is fetched and later reads are
 * served from it; isolated reads (an entry's local header) stay exact, so scattered entries do
 * not pull in blocks they do not need.
 */
import { PassThrough, pipeline, Transform, type Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import yauzl from 'yauzl';
import type { ZipDirEntry } from './zip-dir-entry';
import { AppError } from '../errors';
import type { BackupSource } from './source';
import { corrupt } from './zip-stream';

/** Bytes fetched at once during a sequential walk. */
const BLOCK = 256 * 1024;
/** Contiguous reads in a row before blocks are fetched (the first pair may be a lone local header). */
const STREAK = 2;

/** yauzl's random-access reader over a `BackupSource`, caching blocks during sequential walks. */
export class SourceReader extends yauzl.RandomAccessReader {
  private lastEnd = -1;
  private streak = 0;
  private block: { start: number; data: Buffer } | undefined;

  constructor(
    private readonly source: BackupSource,
    private readonly size: number,
    private readonly signal: AbortSignal | undefined,
  ) {
    super();
  }

  /**
   * yauzl destroys a range's stream once it has what it wants (an entry head, a stopped entry):
   * the source stream under it is then destroyed too, or it would stay open for good (holding its
   * storage's transfer slot, so a long-lived app would run out of them).
   */
  override _readStreamForRange(start: number, end: number): Readable {
    const out = new PassThrough();
    this.source.open({ offset: start, length: end - start }, this.signal).then(
      (s) => {
        if (out.destroyed) {
          s.destroy();
          return;
        }
        pipeline(s, out, () => undefined);
      },
      (e: unknown) => out.destroy(e instanceof Error ? e : new Error(String(e))),
    );
    return out;
  }

  /** A small read: from the cached block when it holds it, else exact, or a new block once the reads are sequential. */
  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (err: Error | null) => void): void {
    this.streak = position === this.lastEnd ? this.streak + 1 : 0;
    this.lastEnd = position + length;
    if (this.copyFromBlock(buffer, offset, length, position)) {
      process.nextTick(callback, null);
      return;
    }
    if (this.streak < STREAK || length >= BLOCK) {
      super.read(buffer, offset, length, position, callback);
      return;
    }
    this.fetchBlock(position).then(
      () => callback(this.copyFromBlock(buffer, offset, length, position) ? null : new Error('The zip ended before the data yauzl asked for.')),
      (e: unknown) => callback(e instanceof Error ? e : new Error(String(e))),
    );
  }

  private copyFromBlock(buffer: Buffer, offset: number, length: number, position: number): boolean {
    const b = this.block;
    if (!b || position < b.start || position + length > b.start + b.data.length) return false;
    b.data.copy(buffer, offset, position - b.start, position - b.start + length);
    return true;
  }

  private async fetchBlock(start: number): Promise<void> {
    const length = Math.max(0, Math.min(BLOCK, this.size - start));
    const parts: Buffer[] = [];
    const s = await this.source.open({ offset: start, length }, this.signal);
    try {
      for await (const c of s as AsyncIterable<Buffer>) parts.push(c);
    } finally {
      s.destroy();
    }
    this.block = { start, data: Buffer.concat(parts) };
  }
}

/** A zip that can be read at random: a seekable source of known size. */
export type RandomAccessZip = BackupSource & { readonly size: number };

/**
 * Opens a seekable zip of `size` bytes for random access (entries read lazily, one at a time).
 * Bytes after the end record (a transfer that appended some) are ignored, as Python's zipfile —
 * what Odoo restores with — and unzip ignore them; `onTrailing` hears how many.
 */
export async function openZipRandomAccess(source: BackupSource, size: number, signal?: AbortSignal, onTrailing?: (bytes: number) => void): Promise<yauzl.ZipFile> {
  try {
    return await openAt(source, size, signal);
  } catch (err) {
    // yauzl found the end record `trailing` bytes before the end, with a comment shorter than that.
    const m = err instanceof Error && !(err instanceof AppError) ? /^Invalid comment length\. Expected: (\d+)\. Found: (\d+)/.exec(err.message) : null;
    const trailing = m ? Number(m[1]) - Number(m[2]) : 0;
    if (trailing <= 0) throw zipError(err, source.name);
    const zip = await openAt(source, size - trailing, signal).catch((e: unknown) => {
      throw zipError(e, source.name);
    });
    onTrailing?.(trailing);
    return zip;
  }
}

/** yauzl over the first `size` bytes of `source`. */
function openAt(source: BackupSource, size: number, signal: AbortSignal | undefined): Promise<yauzl.ZipFile> {
  return yauzl.fromRandomAccessReaderPromise(new SourceReader(source, size, signal), size, { lazyEntries: true, autoClose: false, strictFileNames: false });
}

/** yauzl's own findings (no end-of-central-directory record, a bad signature) say the zip is damaged. */
function zipError(err: unknown, name: string): unknown {
  if (err instanceof AppError || !(err instanceof Error)) return err;
  return corrupt(`${name} is not a complete zip archive: ${err.message.replace(/\.$/, '')}.`);
}

/** What checking an entry's bytes needs of it (a yauzl entry or a compact `ZipDirEntry`). */
export type CheckedFacts = Pick<ZipDirEntry, 'fileName' | 'crc32' | 'uncompressedSize'>;

/** `Integrity` when an entry's CRC-32 or size is not what the central directory says, else undefined. */
export function entryMismatch(entry: CheckedFacts, zipName: string, crc: number, size: number): AppError | undefined {
  if (crc >>> 0 === entry.crc32 >>> 0 && size === entry.uncompressedSize) return undefined;
  const what = size === entry.uncompressedSize ? 'CRC-32 mismatch' : `size mismatch (${size} bytes, ${entry.uncompressedSize} expected)`;
  return corrupt(`${zipName} is corrupt: ${what} in "${entry.fileName}".`, { entry: entry.fileName });
}

/** yauzl's and inflate's complaints (no code, or a `Z_…` one) mean a damaged zip (`Integrity`); other errors pass as they are. */
export function zipReadError(err: Error, zipName: string, what: string): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (err instanceof AppError || (code !== undefined && !code.startsWith('Z_'))) return err;
  return corrupt(`${zipName} is corrupt: ${what.startsWith('its ') ? what : `"${what}"`} cannot be read (${err.message}).`, { entry: what });
}

/**
 * An entry's inflated bytes `data`, failing as `Integrity` at the end when their CRC-32 or size is
 * not the central directory's (yauzl checks sizes, not CRCs; the sequential reader of zip-stream.ts
 * checks both).
 */
export function checkedEntry(data: Readable, entry: CheckedFacts, zipName: string): Readable {
  let crc = 0;
  let size = 0;
  const check = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      crc = crc32(chunk, crc);
      size += chunk.length;
      cb(null, chunk);
    },
    flush(cb) {
      cb(entryMismatch(entry, zipName, crc, size));
    },
  });
  data.on('error', (err) => check.destroy(zipReadError(err, zipName, entry.fileName)));
  check.on('close', () => data.destroy());
  // A small entry can fail its check before the consumer attaches (e.g. while a writer makes its
  // folder): the consumer then finds `check` errored; the error must not go uncaught meanwhile.
  check.on('error', () => undefined);
  return data.pipe(check);
}
