/**
 * The catalog across storages: list every storage concurrently, parse each listing, fetch
 * the little content that helps (`.info` files, sidecars, manifests, first bytes of
 * ambiguous files; bounded so big storages stay fast, and read while the listing's later
 * pages are still arriving), merge and sort newest first.
 * A storage that fails is reported in `failures`; the others still show.
 */
import type { BackupEntry, Catalog, StrayEntry } from '../../contract/api';
import { serializeError, throwIfAborted, toAppError } from '../errors';
import type { ObjectInfo, StorageProvider } from '../storage/provider';
import { companionName } from './companions';
import { classifyName } from './conventions';
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
  /**
   * Also read odoo_backup_sh `.info` companions (default false). The table shows nothing from
   * them but the warnings of a cross-check with the name, so a listing leaves them for the
   * detail panel and restore, which read the one they need (`singleEntry`).
   */
  readonly infoFiles?: boolean;
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

/** What `scanStorage` reads of an object as soon as the listing shows it, if anything. */
function earlyWant(o: ObjectInfo, infoFiles: boolean): ContentWant['what'] | undefined {
  const base = o.key.slice(o.key.lastIndexOf('/') + 1);
  if (base === 'manifest.json') return o.size <= MAX_TEXT_BYTES ? 'text' : undefined;
  const n = classifyName(base);
  if (n.role === 'info' && !infoFiles) return undefined;
  if (n.role === 'info' || n.role === 'sidecar' || n.role === 'checksum') return o.size <= MAX_TEXT_BYTES ? 'text' : undefined;
  if (n.role === 'backup' && n.ambiguous && o.size > 0) return 'head';
  return undefined;
}

/** Reads small files and heads with bounded concurrency while the listing goes on. */
class ContentFetcher {
  readonly text = new Map<string, string>();
  readonly heads = new Map<string, Uint8Array>();
  readonly asked = new Set<string>();
  private readonly queue: ContentWant[] = [];
  private active = 0;
  private failure: unknown;
  private wake: (() => void) | undefined;

  constructor(
    private readonly provider: StorageProvider,
    private readonly concurrency: number,
    private readonly signal: AbortSignal | undefined,
  ) {}

  /** Queues a read (once per key). */
  add(w: ContentWant): void {
    if (this.asked.has(w.key)) return;
    this.asked.add(w.key);
    this.queue.push(w);
    this.pump();
  }

  /** Resolves when every queued read is done; rejects with a cancellation. */
  async idle(): Promise<void> {
    while (this.active > 0 || this.queue.length > 0) await new Promise<void>((r) => (this.wake = r));
    if (this.failure) throw this.failure;
  }

  private pump(): void {
    while (this.active < this.concurrency && this.queue.length > 0) {
      const w = this.queue.shift()!;
      this.active++;
      void this.read(w).finally(() => {
        this.active--;
        this.pump();
        if (this.active === 0 && this.queue.length === 0) this.wake?.();
      });
    }
  }

  private async read(w: ContentWant): Promise<void> {
    if (this.failure || this.signal?.aborted) return;
    try {
      if (w.what === 'text') this.text.set(w.key, (await readAll(this.provider, w.key, MAX_TEXT_BYTES, this.signal)).toString('utf8'));
      else this.heads.set(w.key, await readAll(this.provider, w.key, HEAD_BYTES, this.signal));
    } catch (err) {
      // Content is a nicety: a file we cannot read is parsed by its name alone.
      if (toAppError(err).kind === 'Cancelled') this.failure = err;
    }
  }
}

/**
 * Lists and parses one storage. The small files that decide what the listing shows (`.info`
 * companions, sidecars, `.sha256` files, manifests, heads of ambiguous files; at most `contentLimit`) are read
 * while the listing's later pages are still coming, so on a slow listing they cost nothing.
 */
export async function scanStorage(name: string, provider: StorageProvider, opts: ScanOptions = {}): Promise<StorageScan> {
  const signal = opts.signal;
  const limit = opts.contentLimit ?? 200;
  const concurrency = Math.max(1, Math.min(opts.concurrency ?? provider.capabilities.maxConcurrency, 8));
  const fetcher = new ContentFetcher(provider, concurrency, signal);
  const objects: ObjectInfo[] = [];
  try {
    for await (const o of provider.list(opts.prefix ?? '', signal ? { signal } : {})) {
      objects.push(o);
      if (fetcher.asked.size >= limit) continue;
      const what = earlyWant(o, opts.infoFiles === true);
      if (what) fetcher.add({ key: o.key, what });
    }
  } finally {
    await fetcher.idle().catch(() => undefined);
  }
  throwIfAborted(signal, 'Listing');
  await fetcher.idle();
  let parsed = parseListing(name, objects, fetcher);
  // What the parse still wants (names the early guess missed), within what is left of the budget.
  const isInfo = (k: string): boolean => classifyName(k.slice(k.lastIndexOf('/') + 1)).role === 'info';
  const more = parsed.wants.filter((w) => !fetcher.asked.has(w.key) && (opts.infoFiles || !isInfo(w.key))).slice(0, Math.max(0, limit - fetcher.asked.size));
  if (more.length === 0) return { backups: parsed.backups, strays: parsed.strays, objects };
  for (const w of more) fetcher.add(w);
  await fetcher.idle();
  throwIfAborted(signal, 'Listing');
  parsed = parseListing(name, objects, fetcher);
  return { backups: parsed.backups, strays: parsed.strays, objects };
}

/**
 * The catalog entry of one single-file backup with its companion (`.info`, sidecar, `.sha256`)
 * read and checked (what a listing may leave for later): for the detail panel, inspect, restore
 * and download's checksum. Undefined when the name's convention has no companion or it has none.
 */
export async function singleEntry(name: string, provider: StorageProvider, info: ObjectInfo, signal?: AbortSignal): Promise<BackupEntry | undefined> {
  const slash = info.key.lastIndexOf('/');
  const n = classifyName(info.key.slice(slash + 1));
  const companionBase = n.role === 'backup' ? companionName(n) : undefined;
  if (companionBase === undefined) return undefined;
  const companionKey = `${info.key.slice(0, slash + 1)}${companionBase}`;
  let companion: ObjectInfo;
  try {
    companion = await provider.stat(companionKey, signal ? { signal } : {});
  } catch (err) {
    if (toAppError(err).kind === 'Cancelled') throw err;
    return undefined;
  }
  const text = new Map<string, string>();
  if (companion.size <= MAX_TEXT_BYTES) {
    try {
      text.set(companion.key, (await readAll(provider, companion.key, MAX_TEXT_BYTES, signal)).toString('utf8'));
    } catch (err) {
      if (toAppError(err).kind === 'Cancelled') throw err;
    }
  }
  return parseListing(name, [info, companion], { text }).backups.find((b) => b.key === info.key);
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
