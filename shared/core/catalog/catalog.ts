/**
 * The catalog across storages: list every storage concurrently, parse each listing, fetch
 * the little content that helps (`.info` files, sidecars, manifests, first bytes of
 * ambiguous files; bounded so big storages stay fast), merge and sort newest first.
 * A storage that fails is reported in `failures`; the others still show.
 */
import type { BackupEntry, Catalog, StrayEntry } from '../../contract/api';
import { serializeError, throwIfAborted, toAppError } from '../errors';
import type { ObjectInfo, StorageProvider } from '../storage/provider';
import { parseListing, sortNewestFirst, type ContentWant } from './parse';
import { HEAD_BYTES } from './sniff';

/** Options of `scanStorage`. */
export interface ScanOptions {
  readonly signal?: AbortSignal;
  /** At most this many small files/heads are read per storage (default 200). */
  readonly contentLimit?: number;
  /** Parallel content reads (default: the provider's maxConcurrency, at most 8). */
  readonly concurrency?: number;
  /** Only below this prefix (default: the whole storage). */
  readonly prefix?: string;
}

/** The parsed content of one storage. */
export interface StorageScan {
  readonly backups: BackupEntry[];
  readonly strays: StrayEntry[];
  /** The raw listing (for callers that resolve multi-part backups). */
  readonly objects: ObjectInfo[];
}

const MAX_TEXT_BYTES = 64 * 1024;

async function readAll(provider: StorageProvider, key: string, length: number, signal: AbortSignal | undefined): Promise<Buffer> {
  const stream = await provider.read(key, { range: { offset: 0, length }, ...(signal ? { signal } : {}) });
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    total += chunk.length;
    if (total >= length) break;
  }
  stream.destroy();
  return Buffer.concat(chunks).subarray(0, length);
}

/** Lists and parses one storage. */
export async function scanStorage(name: string, provider: StorageProvider, opts: ScanOptions = {}): Promise<StorageScan> {
  const signal = opts.signal;
  const objects: ObjectInfo[] = [];
  for await (const o of provider.list(opts.prefix ?? '', signal ? { signal } : {})) objects.push(o);
  throwIfAborted(signal, 'Listing');
  let parsed = parseListing(name, objects);
  if (parsed.wants.length === 0) return { backups: parsed.backups, strays: parsed.strays, objects };
  const limit = opts.contentLimit ?? 200;
  const wants: ContentWant[] = parsed.wants.slice(0, limit);
  const text = new Map<string, string>();
  const heads = new Map<string, Uint8Array>();
  const sizes = new Map(objects.map((o) => [o.key, o.size]));
  const concurrency = Math.max(1, Math.min(opts.concurrency ?? provider.capabilities.maxConcurrency, 8));
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < wants.length) {
      const w = wants[next++]!;
      throwIfAborted(signal, 'Listing');
      try {
        if (w.what === 'text') {
          if ((sizes.get(w.key) ?? 0) > MAX_TEXT_BYTES) continue;
          text.set(w.key, (await readAll(provider, w.key, MAX_TEXT_BYTES, signal)).toString('utf8'));
        } else {
          heads.set(w.key, await readAll(provider, w.key, HEAD_BYTES, signal));
        }
      } catch (err) {
        if (toAppError(err).kind === 'Cancelled') throw err;
        // Content is a nicety: a file we cannot read is parsed by its name alone.
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, wants.length) }, worker));
  parsed = parseListing(name, objects, { text, heads });
  return { backups: parsed.backups, strays: parsed.strays, objects };
}

/** A storage the catalog should list. */
export interface CatalogStorage {
  readonly name: string;
  /** Connects (the catalog closes it when done). */
  open(): Promise<StorageProvider>;
}

/** Options of `listCatalog`. */
export interface CatalogOptions extends Omit<ScanOptions, 'prefix'> {
  /** Only backups of this database. */
  readonly db?: string;
  /** Include stray files. */
  readonly includeStrays?: boolean;
}

/** Lists every storage concurrently and merges the results, newest first. */
export async function listCatalog(storages: readonly CatalogStorage[], opts: CatalogOptions = {}): Promise<Catalog> {
  const results = await Promise.all(
    storages.map(async (s) => {
      let provider: StorageProvider | undefined;
      try {
        provider = await s.open();
        return { name: s.name, scan: await scanStorage(s.name, provider, opts) };
      } catch (err) {
        if (opts.signal?.aborted) throw toAppError(err);
        return { name: s.name, error: err };
      } finally {
        await provider?.close().catch(() => undefined);
      }
    }),
  );
  throwIfAborted(opts.signal, 'Listing');
  const backups: BackupEntry[] = [];
  const strays: StrayEntry[] = [];
  const failures: Catalog['failures'] = [];
  for (const r of results) {
    if ('error' in r) {
      failures.push({ storage: r.name, error: serializeError(r.error) });
      continue;
    }
    for (const b of r.scan.backups) if (opts.db === undefined || b.database === opts.db) backups.push(b);
    if (opts.includeStrays) strays.push(...r.scan.strays);
  }
  sortNewestFirst(backups);
  strays.sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0));
  return { backups, strays, failures };
}
