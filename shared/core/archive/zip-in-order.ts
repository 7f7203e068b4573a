/**
 * Entries of a seekable zip read in one sequential pass over the stretch of the file they lie
 * in, in file order — not one or two ranged reads per entry (its local header, then its data),
 * as yauzl reads them. A filestore of 1,000 small files cost ~2 s of CPU that way on a local
 * file, and 2,000 GETs on a storage. The entries come from the central directory (yauzl); each
 * is checked as the sequential reader checks it: its local header's signature, then its size
 * and CRC-32 against the central directory's.
 */
import { pipeline, Readable } from 'node:stream';
import { createInflateRaw, crc32, inflateRawSync } from 'node:zlib';
import type { ZipDirEntry } from './zip-dir-entry';
import { ByteReader } from './byte-reader';
import { checkedEntry, entryMismatch, zipReadError, type RandomAccessZip } from './source-reader';
import { assertReadableEntry, corrupt, INFLATE_CHUNK, SIG_LOCAL } from './zip-stream';

/** Entries this small (compressed and not) are read whole and inflated at once; larger ones stream. */
const WHOLE_MAX = 1 << 20;

/** An entry's bytes: whole and already checked, or a stream checked at its end (read it to the end before the next entry). */
export type EntryData = Buffer | Readable;

/**
 * Calls `onEntry` for each of `entries` in the order they lie in the zip, reading the stretch
 * from the first to the end of the file once; stops at the first failure (raised).
 */
export async function readInOrder(
  src: RandomAccessZip,
  entries: readonly ZipDirEntry[],
  zipName: string,
  signal: AbortSignal | undefined,
  onEntry: (entry: ZipDirEntry, data: EntryData) => Promise<void>,
): Promise<void> {
  const sorted = [...entries].sort((a, b) => a.relativeOffsetOfLocalHeader - b.relativeOffsetOfLocalHeader);
  if (sorted.length === 0) return;
  const start = sorted[0]!.relativeOffsetOfLocalHeader;
  const stream = await src.open({ offset: start, length: src.size - start }, signal);
  const reader = new ByteReader(stream as AsyncIterable<Buffer>);
  try {
    for (const entry of sorted) {
      const data = await entryData(reader, start, entry, zipName).catch((err: unknown) => {
        throw zipReadError(err as Error, zipName, entry.fileName);
      });
      await onEntry(entry, data);
    }
  } finally {
    await reader.close();
    stream.destroy();
  }
}

/** Moves `reader` to `entry`'s data (past its local header) and returns that data, inflated. */
async function entryData(reader: ByteReader, start: number, entry: ZipDirEntry, zipName: string): Promise<EntryData> {
  const at = entry.relativeOffsetOfLocalHeader - start;
  if (at < reader.position || !(await reader.skip(at - reader.position))) throw corrupt(`${zipName} is corrupt: the entry "${entry.fileName}" lies outside the file.`, { entry: entry.fileName });
  const head = await reader.readExact(30, zipName);
  if (head.readUInt32LE(0) !== SIG_LOCAL) throw corrupt(`${zipName} is corrupt: no local header where "${entry.fileName}" should begin.`, { entry: entry.fileName });
  await reader.readExact(head.readUInt16LE(26) + head.readUInt16LE(28), zipName);
  assertReadableEntry(zipName, entry.fileName, entry.encrypted, entry.compressionMethod);
  if (entry.compressedSize <= WHOLE_MAX && entry.uncompressedSize <= WHOLE_MAX) return wholeEntry(await reader.readExact(entry.compressedSize, zipName), entry, zipName);
  const raw = Readable.from(passBytes(reader, entry.compressedSize, zipName, entry.fileName), { objectMode: false });
  // pipeline, not pipe: a failed read (a cancel) must reach the consumer, not go unhandled on `raw`.
  return checkedEntry(entry.compressionMethod === 8 ? pipeline(raw, createInflateRaw({ chunkSize: INFLATE_CHUNK }), () => undefined) : raw, entry, zipName);
}

/** A small entry's bytes, inflated and checked. */
function wholeEntry(raw: Buffer, entry: ZipDirEntry, zipName: string): Buffer {
  let data = raw;
  try {
    if (entry.compressionMethod === 8) data = inflateRawSync(raw, { maxOutputLength: entry.uncompressedSize + 1 });
  } catch (err) {
    // More bytes than the central directory says: no need to inflate the rest to know.
    if ((err as NodeJS.ErrnoException).code !== 'ERR_BUFFER_TOO_LARGE') throw err;
    throw corrupt(`${zipName} is corrupt: "${entry.fileName}" inflates past the ${entry.uncompressedSize} bytes its header declares.`, { entry: entry.fileName });
  }
  const mismatch = entryMismatch(entry, zipName, crc32(data), data.length);
  if (mismatch) throw mismatch;
  return data;
}

/** The next `n` bytes of `reader`, as they come. */
async function* passBytes(reader: ByteReader, n: number, zipName: string, entry: string): AsyncGenerator<Buffer> {
  for (let left = n; left > 0; ) {
    const c = await reader.readChunk(Math.min(left, 1 << 20));
    if (!c) throw corrupt(`${zipName} is truncated: "${entry}" ends early.`, { entry });
    left -= c.length;
    yield c;
  }
}
