/**
 * The in-memory storage: the reference implementation of the provider contract and the test
 * double for everything above it (restic `mem/`, rclone `memory/`). Objects live in a Map;
 * writes are atomic (an object appears only once its body was read completely), reads stream
 * in chunks and honour ranges and cancellation, listings page like a bucket (sorted keys, a
 * marker per page) so pagination bugs show up here too.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { AppError, cancelledError, throwIfAborted } from '../../errors';
import type {
  Capabilities,
  CallOptions,
  ListOptions,
  ObjectInfo,
  ReadOptions,
  StorageProvider,
  WriteOptions,
} from '../provider';
import { assertValidKey, assertValidPrefix, assertValidRange } from '../wrappers/keys';
import { onAbort } from '../../util/abort';

/** One stored object. */
interface MemoryObject {
  readonly data: Buffer;
  readonly modified: Date;
  readonly md5: string;
}

/** The backing store of one or more memory providers (share it to see the same objects). */
export type MemoryStore = Map<string, MemoryObject>;

/** Options of `createMemoryProvider`. */
export interface MemoryProviderOptions {
  /** Share a store between providers (or keep one across reconnects). */
  readonly store?: MemoryStore;
  /** A read-only provider has no `write`/`remove`. */
  readonly readOnly?: boolean;
  /** Chunk size of read streams (default 64 KiB). */
  readonly chunkSize?: number;
  /** Default page size of listings (default 1000, like S3). */
  readonly pageSize?: number;
}

/** A fresh, empty store. */
export function createMemoryStore(): MemoryStore {
  return new Map();
}

/** Creates an in-memory storage provider. */
export function createMemoryProvider(options: MemoryProviderOptions = {}): StorageProvider {
  const store = options.store ?? createMemoryStore();
  const chunkSize = options.chunkSize ?? 64 * 1024;
  const defaultPageSize = options.pageSize ?? 1000;
  const readOnly = options.readOnly ?? false;
  let closed = false;

  const capabilities: Capabilities = {
    write: !readOnly,
    remove: !readOnly,
    rangeReads: true,
    maxConcurrency: 16,
    caseInsensitive: false,
  };

  const assertOpen = (): void => {
    if (closed) throw new AppError('Fatal', 'The memory storage was closed.', { hint: 'Reconnect the storage.' });
  };
  const infoOf = (key: string, o: MemoryObject): ObjectInfo => ({
    key,
    size: o.data.length,
    modified: o.modified,
    etag: o.md5,
    checksum: { algorithm: 'md5', value: o.md5 },
  });
  const notFound = (key: string): AppError =>
    new AppError('NotFound', `No object "${key}" in the memory storage.`, {
      hint: 'Check the name, or list the storage to see what is there.',
    });

  async function* list(prefix: string, opts: ListOptions = {}): AsyncIterable<ObjectInfo> {
    assertValidPrefix(prefix);
    const pageSize = Math.max(1, opts.pageSize ?? defaultPageSize);
    let marker: string | undefined;
    for (;;) {
      throwIfAborted(opts.signal, 'Listing');
      assertOpen();
      // One "request": the next page of sorted keys after the marker, like ListObjectsV2.
      const page = [...store.keys()]
        .filter((k) => k.startsWith(prefix) && (marker === undefined || k > marker))
        .sort()
        .slice(0, pageSize);
      await new Promise<void>((r) => setImmediate(r));
      for (const key of page) {
        const o = store.get(key);
        if (o !== undefined) yield infoOf(key, o);
      }
      if (page.length < pageSize) return;
      marker = page[page.length - 1];
    }
  }

  async function stat(key: string, opts: CallOptions = {}): Promise<ObjectInfo> {
    assertValidKey(key);
    throwIfAborted(opts.signal, 'Reading the object info');
    assertOpen();
    const o = store.get(key);
    if (o === undefined) throw notFound(key);
    return infoOf(key, o);
  }

  async function read(key: string, opts: ReadOptions = {}): Promise<Readable> {
    assertValidKey(key);
    assertValidRange(opts.range);
    throwIfAborted(opts.signal, 'Reading');
    assertOpen();
    const o = store.get(key);
    if (o === undefined) throw notFound(key);
    const start = opts.range?.offset ?? 0;
    if (start > o.data.length) {
      throw new AppError('InvalidInput', `Range starts at ${start}, past the end of "${key}" (${o.data.length} bytes).`);
    }
    const end = opts.range?.length === undefined ? o.data.length : Math.min(o.data.length, start + opts.range.length);
    const data = o.data.subarray(start, end);
    const signal = opts.signal;
    let pos = 0;
    const stream = new Readable({
      read() {
        // Asynchronous like a socket, so that cancellation can land mid-transfer.
        setImmediate(() => {
          if (stream.destroyed) return;
          if (signal?.aborted) {
            stream.destroy(cancelledError('Reading'));
            return;
          }
          if (pos >= data.length) {
            stream.push(null);
            return;
          }
          const next = data.subarray(pos, pos + chunkSize);
          pos += next.length;
          stream.push(Buffer.from(next));
        });
      },
    });
    stream.once('close', onAbort(signal, () => stream.destroy(cancelledError('Reading'))));
    return stream;
  }

  async function write(key: string, body: Readable, opts: WriteOptions = {}): Promise<ObjectInfo> {
    assertValidKey(key);
    assertOpen();
    const signal = opts.signal;
    const chunks: Buffer[] = [];
    let sent = 0;
    if (signal?.aborted) {
      body.destroy();
      throw cancelledError('Writing');
    }
    const stopListening = onAbort(signal, () => body.destroy(cancelledError('Writing')));
    try {
      for await (const chunk of body) {
        const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
        chunks.push(buf);
        sent += buf.length;
        opts.onProgress?.(sent);
        await new Promise<void>((r) => setImmediate(r));
        throwIfAborted(signal, 'Writing');
      }
    } catch (err) {
      if (signal?.aborted) throw cancelledError('Writing');
      if (err instanceof AppError) throw err;
      throw new AppError('Fatal', `Reading the data to store as "${key}" failed: ${(err as Error).message}`, { cause: err });
    } finally {
      stopListening();
    }
    await opts.beforeCommit?.();
    assertOpen();
    const data = Buffer.concat(chunks);
    const obj: MemoryObject = { data, modified: new Date(), md5: createHash('md5').update(data).digest('hex') };
    store.set(key, obj);
    return infoOf(key, obj);
  }

  async function remove(key: string, opts: CallOptions = {}): Promise<void> {
    assertValidKey(key);
    throwIfAborted(opts.signal, 'Deleting');
    assertOpen();
    if (!store.delete(key)) throw notFound(key);
  }

  const provider: StorageProvider = {
    kind: 'memory',
    capabilities,
    list,
    stat,
    read,
    async close() {
      closed = true;
    },
  };
  return readOnly ? provider : { ...provider, write, remove };
}
