/**
 * OpenStack Swift behind the provider interface: marker-paginated container listings, HEAD,
 * ranged GET, streamed PUT (ETag verified), and Static Large Objects above a size threshold —
 * segments streamed to `<container>_segments`, then a `?multipart-manifest=put`; segments of a
 * failed or cancelled upload, and of a replaced large object, are deleted.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { AppError, cancelledError, throwIfAborted } from '../../errors';
import { ByteReader } from '../../archive/byte-reader';
import type { Logger } from '../../util/logger';
import type { Capabilities, CallOptions, ListOptions, ObjectInfo, ReadOptions, StorageProvider, StorageRoot, StorageTemporaries, WriteOptions } from '../provider';
import { assertValidKey, assertValidPrefix, assertValidRange } from '../wrappers/keys';
import { retrying } from '../wrappers/retry';
import { guardReadStream } from '../wrappers/streams';
import type { SwiftClient } from './client';
import { classifySwiftError } from './errors';
import { onAbort } from '../../util/abort';
import { swiftTemporaries, type SegmentEntry } from './temporaries';

/** What the provider needs besides the client. */
export interface SwiftProviderOptions {
  readonly client: SwiftClient;
  readonly container: string;
  /** Object-name prefix (`""` or ending in `/`). */
  readonly prefix: string;
  readonly segmentContainer: string;
  readonly segmentThresholdBytes: number;
  readonly segmentSizeBytes: number;
  /** The held segments' largest size and count (default `HELD_SEGMENT_BYTES`, `HELD_SEGMENTS`; tests make them small). */
  readonly held?: { readonly bytes: number; readonly segments: number };
  readonly log: Logger;
  readonly storageName: string;
  /** First pause before a request whose body is in memory is sent again after a transient failure (default 500 ms, doubled each time, 4 times). */
  readonly retryDelayMs?: number;
}

/** An SLO's segments held in memory (and sent again after a transient failure) are at most this large. */
const HELD_SEGMENT_BYTES = 16 * 1024 * 1024;
/**
 * How many of an SLO's first segments are held (800 × 16 MiB = 12.5 GiB; Swift allows 1,000 per
 * manifest by default, so 200 streamed segments of the configured 1 GiB follow). At 32 MiB a
 * backup to Swift and a local folder peaked at 259–280 MB RSS, at 16 MiB 217–236, local alone 157.
 */
const HELD_SEGMENTS = 800;

/** Where the segments of one large object go. */
interface SegmentTarget {
  readonly key: string;
  readonly segCont: string;
  readonly base: string;
  /** Every segment a PUT was started for (deleted if the write fails). */
  readonly attempted: string[];
  readonly signal: AbortSignal | undefined;
}

/** One entry of an SLO manifest. */
interface SloSegment {
  readonly path: string;
  readonly etag: string;
  readonly size_bytes: number;
}

/** Uploads up to this many bytes (of known or unknown size) are buffered and sent as one plain object. */
const PROBE_BYTES = 8 * 1024 * 1024;

/** One entry of a JSON container listing. */
interface ListingEntry {
  readonly name?: string;
  readonly subdir?: string;
  readonly bytes: number;
  readonly hash: string;
  readonly last_modified: string;
  readonly slo_etag?: string;
}

/** URL path of an object: each `/`-separated part percent-encoded. */
export function objectPath(container: string, name: string): string {
  return `/${encodeURIComponent(container)}/${name.split('/').map(encodeURIComponent).join('/')}`;
}

/** A listing's `last_modified` (UTC, often without a zone suffix). */
function listedDate(text: string): Date {
  return new Date(/Z|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`);
}

/** Swift storage. */
export class SwiftProvider implements StorageProvider {
  readonly kind = 'swift' as const;
  readonly capabilities: Capabilities = { write: true, remove: true, rangeReads: true, maxConcurrency: 8, caseInsensitive: false };

  /** The container itself: created with a PUT (201 new, 202 existing), deleted when empty (409 otherwise). */
  readonly bucketRoot: StorageRoot;

  /** Segments of large-object uploads that a kill left behind (temporaries.ts). */
  readonly temporaries: StorageTemporaries;

  constructor(private readonly o: SwiftProviderOptions) {
    const c = o.container;
    const path = `/${encodeURIComponent(c)}`;
    this.bucketRoot = {
      name: c,
      create: async (opts: CallOptions = {}) => {
        const res = await o.client.request('PUT', path, c, opts.signal ? { signal: opts.signal } : {});
        if (!res.ok) await o.client.fail(res, c, opts.signal);
        await res.body?.cancel();
        return res.status === 201;
      },
      remove: async (opts: CallOptions = {}) => {
        const res = await o.client.request('DELETE', path, c, opts.signal ? { signal: opts.signal } : {});
        if (res.status === 409) {
          await res.body?.cancel();
          throw new AppError('Conflict', `Container ${c} is not empty.`, { hint: 'Remove what is left in it first.' });
        }
        if (!res.ok) await o.client.fail(res, c, opts.signal);
        await res.body?.cancel();
      },
    };
    this.temporaries = swiftTemporaries({
      segmentContainer: o.segmentContainer,
      prefix: o.prefix,
      listContainer: (container, prefix, signal) => this.segmentEntries(container, prefix, signal),
      segmentsOf: (name, signal) => this.segmentsOf(name, signal),
      deleteObject: (container, name, signal) => this.deleteObject(container, name, signal),
    });
  }

  /** The objects of the segment container below `prefix`; none when it does not exist. */
  private async *segmentEntries(container: string, prefix: string, signal?: AbortSignal): AsyncGenerator<SegmentEntry> {
    for await (const e of this.entries(container, prefix, `container ${container}`, { limit: 10_000, missing: () => undefined, ...(signal ? { signal } : {}) })) {
      yield { name: e.name, bytes: e.bytes, modified: listedDate(e.last_modified) };
    }
  }

  /** Deletes one object of `container`; `NotFound` when it is absent. */
  private async deleteObject(container: string, name: string, signal?: AbortSignal): Promise<void> {
    const res = await this.o.client.request('DELETE', objectPath(container, name), name, signal ? { signal } : {});
    if (res.status === 404) {
      await res.body?.cancel();
      throw new AppError('NotFound', `"${name}" is no longer in container ${container}.`, { hint: 'Nothing to remove.' });
    }
    if (!res.ok) await this.o.client.fail(res, name, signal);
    await res.body?.cancel();
  }

  private classify(e: unknown, what: string, signal?: AbortSignal): AppError {
    return classifySwiftError(e, what, this.o.storageName, signal);
  }

  /** @inheritdoc */
  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<ObjectInfo> {
    assertValidPrefix(prefix);
    const { signal } = options;
    const limit = Math.max(1, Math.min(10_000, options.pageSize ?? 10_000));
    const missing = (): AppError => new AppError('NotFound', `The Swift container "${this.o.container}" does not exist.`, { hint: 'Create it, or fix the container name in the storage settings.' });
    for await (const e of this.entries(this.o.container, this.o.prefix + prefix, prefix || '/', { limit, missing, ...(signal ? { signal } : {}) })) {
      yield {
        key: e.name.slice(this.o.prefix.length),
        size: e.bytes,
        modified: listedDate(e.last_modified),
        etag: e.hash,
        ...(e.slo_etag === undefined && /^[0-9a-f]{32}$/.test(e.hash) ? { checksum: { algorithm: 'md5' as const, value: e.hash } } : {}),
      };
    }
  }

  /**
   * The objects of `container` whose names start with `full`, by marker-paginated JSON listings.
   * A missing container raises `missing()`, or ends the listing when that gives nothing.
   */
  private async *entries(container: string, full: string, what: string, o: { limit: number; missing: () => AppError | undefined; signal?: AbortSignal }): AsyncGenerator<ListingEntry & { name: string }> {
    const { signal, limit } = o;
    let marker = '';
    for (;;) {
      throwIfAborted(signal, 'The Swift listing');
      const res = await this.o.client.request('GET', `/${encodeURIComponent(container)}`, what, {
        query: { format: 'json', prefix: full, limit: String(limit), ...(marker ? { marker } : {}) },
        ...(signal ? { signal } : {}),
      });
      if (res.status === 404) {
        await res.body?.cancel();
        const err = o.missing();
        if (err) throw err;
        return;
      }
      if (!res.ok) await this.o.client.fail(res, what, signal);
      let page: ListingEntry[];
      try {
        page = res.status === 204 ? [] : ((await res.json()) as ListingEntry[]);
      } catch (e) {
        throw this.classify(e, what, signal);
      }
      for (const e of page) {
        if (e.name === undefined) continue;
        throwIfAborted(signal, 'The Swift listing');
        yield e as ListingEntry & { name: string };
      }
      if (page.length < limit || page.length === 0) return;
      marker = page[page.length - 1]!.name ?? page[page.length - 1]!.subdir ?? '';
    }
  }

  private info(key: string, res: Response): ObjectInfo {
    const etag = (res.headers.get('etag') ?? '').replace(/"/g, '');
    const slo = /^true$/i.test(res.headers.get('x-static-large-object') ?? '');
    const lm = res.headers.get('last-modified');
    return {
      key,
      size: Number(res.headers.get('content-length') ?? 0),
      modified: lm ? new Date(lm) : new Date(),
      ...(etag ? { etag } : {}),
      ...(!slo && /^[0-9a-f]{32}$/.test(etag) ? { checksum: { algorithm: 'md5' as const, value: etag } } : {}),
    };
  }

  /** @inheritdoc */
  async stat(key: string, options: CallOptions = {}): Promise<ObjectInfo> {
    assertValidKey(key);
    const res = await this.o.client.request('HEAD', objectPath(this.o.container, this.o.prefix + key), key, options.signal ? { signal: options.signal } : {});
    if (!res.ok) await this.o.client.fail(res, key, options.signal);
    await res.body?.cancel();
    return this.info(key, res);
  }

  /** @inheritdoc */
  async read(key: string, options: ReadOptions = {}): Promise<Readable> {
    assertValidKey(key);
    assertValidRange(options.range);
    const { signal, range } = options;
    if (range?.length === 0) {
      await this.stat(key, options);
      return Readable.from([]);
    }
    const headers: Record<string, string> = {};
    if (range && (range.offset > 0 || range.length !== undefined)) headers.range = `bytes=${range.offset}-${range.length === undefined ? '' : range.offset + range.length - 1}`;
    const res = await this.o.client.request('GET', objectPath(this.o.container, this.o.prefix + key), key, { headers, ...(signal ? { signal } : {}) });
    if (res.status === 416) {
      await res.body?.cancel();
      return Readable.from([]);
    }
    if (!res.ok) await this.o.client.fail(res, key, signal);
    if (range && range.offset > 0 && res.status !== 206) {
      await res.body?.cancel();
      throw new AppError('Fatal', 'Swift ignored the requested byte range.', { hint: 'Download the whole object instead.' });
    }
    if (res.body === null) return Readable.from([]);
    const len = res.headers.get('content-length');
    return guardReadStream(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), {
      signal,
      classify: (e) => this.classify(e, key, signal),
      what: `Reading "${key}" from Swift`,
      ...(len !== null && Number.isFinite(Number(len)) ? { expectedBytes: Number(len) } : {}),
    });
  }

  /** @inheritdoc */
  async write(key: string, body: Readable, options: WriteOptions = {}): Promise<ObjectInfo> {
    assertValidKey(key);
    const { signal } = options;
    throwIfAborted(signal, `Writing "${key}"`);
    const name = this.o.prefix + key;
    const reader = new ByteReader(body);
    const stopListening = onAbort(signal, () => body.destroy());
    try {
      const oldSegments = await this.segmentsOf(name, signal);
      let sent = 0;
      const progress = (n: number): void => {
        sent += n;
        options.onProgress?.(sent);
      };
      let info: ObjectInfo;
      if (options.size !== undefined && options.size <= Math.min(HELD_SEGMENT_BYTES, this.o.segmentThresholdBytes)) {
        // Small enough to hold: sent as a buffer, which a transient failure can send again.
        const all = await reader.readUpTo(options.size + 1);
        if (all.length !== options.size) throw new AppError('InvalidInput', `"${key}" was announced as ${options.size} bytes but the data had ${all.length > options.size ? 'more' : all.length}.`, { hint: 'The source changed while it was uploaded; try again.' });
        info = await this.putPlain(key, name, all, options);
        progress(all.length);
      } else if (options.size !== undefined && options.size <= this.o.segmentThresholdBytes) {
        info = await this.putPlain(key, name, this.stream(reader, Infinity, progress), options);
      } else if (options.size === undefined) {
        const head = await reader.readUpTo(Math.min(PROBE_BYTES, this.o.segmentThresholdBytes) + 1);
        if (head.length <= Math.min(PROBE_BYTES, this.o.segmentThresholdBytes)) {
          info = await this.putPlain(key, name, head, options);
          progress(head.length);
        } else {
          reader.unshift(head);
          info = await this.putLarge(key, name, reader, progress, options);
        }
      } else {
        info = await this.putLarge(key, name, reader, progress, options);
      }
      if (oldSegments.length > 0) await this.deleteSegments(oldSegments, signal);
      return info;
    } catch (e) {
      if (signal?.aborted) throw cancelledError(`Writing "${key}"`);
      throw this.writeError(this.classify(e, key, signal), key);
    } finally {
      stopListening();
      await reader.close().catch(() => undefined);
    }
  }

  /** A write answered 404 means the container is missing (Swift never creates one on PUT; the segments container is created): say so. */
  private writeError(e: AppError, key: string): AppError {
    if (e.kind !== 'NotFound') return e;
    return new AppError('NotFound', `"${key}" cannot be written: the container "${this.o.container}" of storage "${this.o.storageName}" does not exist.`, {
      hint: `Create the container (e.g. \`swift post ${this.o.container}\`, or in the cloud console), or change the storage's container.`,
      cause: e,
    });
  }

  /** Up to `max` bytes of `reader` as a byte stream, feeding `hash` and `progress`. */
  private async *stream(reader: ByteReader, max: number, progress: (n: number) => void, hash = createHash('md5'), counter = { n: 0 }): AsyncGenerator<Uint8Array> {
    while (counter.n < max) {
      const c = await reader.readChunk(Math.min(1024 * 1024, max - counter.n));
      if (!c) return;
      hash.update(c);
      counter.n += c.length;
      progress(c.length);
      yield c;
    }
  }

  /** One plain PUT; the returned ETag must be the MD5 of what was sent. */
  private async putPlain(key: string, name: string, body: Buffer | AsyncGenerator<Uint8Array>, options: WriteOptions): Promise<ObjectInfo> {
    const { signal } = options;
    const hash = createHash('md5');
    let size = 0;
    let payload: Buffer | AsyncIterable<Uint8Array>;
    let refused: { error: unknown } | undefined;
    if (Buffer.isBuffer(body)) {
      hash.update(body);
      size = body.length;
      payload = body;
      await options.beforeCommit?.();
    } else {
      // The last chunk is held back until `beforeCommit` is done: the PUT ends (and the object
      // appears) only after it, and a failure there breaks the request off instead.
      payload = (async function* () {
        let held: Uint8Array | undefined;
        for await (const c of body) {
          hash.update(c);
          size += c.length;
          if (held) yield held;
          held = c;
        }
        await options.beforeCommit?.().catch((e: unknown) => {
          refused = { error: e };
          throw e;
        });
        if (held) yield held;
      })();
    }
    const headers: Record<string, string> = { 'content-type': options.contentType ?? 'application/octet-stream' };
    if (Buffer.isBuffer(body)) headers.etag = hash.copy().digest('hex');
    const put = { headers, body: payload, ...(signal ? { signal } : {}) };
    const res = Buffer.isBuffer(payload)
      ? await this.requestOk('PUT', objectPath(this.o.container, name), key, put)
      : await this.o.client.request('PUT', objectPath(this.o.container, name), key, put).catch((e: unknown) => {
          throw refused ? refused.error : e;
        });
    if (!res.ok) await this.o.client.fail(res, key, signal);
    await res.body?.cancel();
    const md5 = hash.digest('hex');
    const etag = (res.headers.get('etag') ?? '').replace(/"/g, '');
    if (etag !== '' && etag !== md5) {
      throw new AppError('Integrity', `Swift stored different bytes than were sent for "${key}".`, { hint: 'Try the upload again.' });
    }
    if (options.size !== undefined && size !== options.size) {
      throw new AppError('InvalidInput', `"${key}" was announced as ${options.size} bytes but the data had ${size}.`, { hint: 'The source changed while it was uploaded; try again.' });
    }
    return { key, size, modified: new Date(res.headers.get('last-modified') ?? Date.now()), etag: md5, checksum: { algorithm: 'md5', value: md5 } };
  }

  /**
   * A request whose body is in memory (none, text, a buffer), sent again after a transient
   * failure (a dropped connection, 503, 429 within its Retry-After), so that one hiccup does not
   * fail a write whose streamed parts went through; its answer when ok, else the classified error.
   */
  private requestOk(method: string, path: string, what: string, r: Parameters<SwiftClient['request']>[3] = {}): Promise<Response> {
    const once = async (): Promise<Response> => {
      const res = await this.o.client.request(method, path, what, r);
      if (!res.ok) await this.o.client.fail(res, what, r.signal);
      return res;
    };
    return retrying(`${method} ${what}`, once, { retries: 4, baseDelayMs: this.o.retryDelayMs ?? 500, ...(r.signal ? { signal: r.signal } : {}), log: this.o.log });
  }

  /**
   * A Static Large Object: segments, then the manifest. Segments are removed if anything fails.
   * The first `HELD_SEGMENTS` segments are at most `HELD_SEGMENT_BYTES` each and held in memory,
   * so a transient failure sends one again (the next one is read while one is sent); past them
   * (objects over 12.5 GiB), segments of the configured size are streamed, and a failure there fails
   * the write.
   */
  private async putLarge(key: string, name: string, reader: ByteReader, progress: (n: number) => void, options: WriteOptions): Promise<ObjectInfo> {
    const { signal } = options;
    const segCont = this.o.segmentContainer;
    const created = await this.requestOk('PUT', `/${encodeURIComponent(segCont)}`, `container ${segCont}`, signal ? { signal } : {});
    await created.body?.cancel();
    const held = Math.min(this.o.segmentSizeBytes, this.o.held?.bytes ?? HELD_SEGMENT_BYTES);
    const heldCount = this.o.held?.segments ?? HELD_SEGMENTS;
    const base = `${name}/slo/${(Date.now() / 1000).toFixed(6)}/${held}`;
    const segments: SloSegment[] = [];
    const attempted: string[] = []; // includes a segment whose PUT was cut off (the server may have it)
    const segment: SegmentTarget = { key, segCont, base, attempted, signal };
    try {
      let next: Promise<Buffer> | undefined = reader.readFilled(held);
      for (let i = 0; ; i++) {
        if (next) {
          const data: Buffer = await next;
          if (i > 0 && data.length === 0) break;
          next = i + 1 < heldCount && data.length === held ? reader.readFilled(held) : undefined;
          // Read while this segment is sent; if the send fails first, the write fails and this read's own failure is moot.
          next?.catch(() => undefined);
          segments.push(await this.putHeldSegment(segment, i, data));
          progress(data.length);
          if (data.length < held) break;
          continue;
        }
        if (await reader.atEnd()) break;
        const s = await this.putStreamedSegment(segment, i, reader, progress);
        segments.push(s);
        if (s.size_bytes < this.o.segmentSizeBytes) break;
      }
      return await this.putManifest(key, name, segments, options);
    } catch (e) {
      // Leave nothing behind: an unfinished large object's segments are useless.
      await this.deleteSegments(attempted);
      throw e;
    }
  }

  /** One segment held in memory: sent again after a transient failure; its ETag must be the MD5 sent. */
  private async putHeldSegment(s: SegmentTarget, i: number, data: Buffer): Promise<SloSegment> {
    const segName = `${s.base}/${String(i).padStart(8, '0')}`;
    s.attempted.push(`/${s.segCont}/${segName}`);
    const md5 = createHash('md5').update(data).digest('hex');
    const res = await this.requestOk('PUT', objectPath(s.segCont, segName), s.key, { headers: { 'content-type': 'application/octet-stream' }, body: data, ...(s.signal ? { signal: s.signal } : {}) });
    await res.body?.cancel();
    return this.checkedSegment(s, segName, md5, data.length, res);
  }

  /** One segment streamed from `reader` (up to the configured segment size): a failure fails the write. */
  private async putStreamedSegment(s: SegmentTarget, i: number, reader: ByteReader, progress: (n: number) => void): Promise<SloSegment> {
    const segName = `${s.base}/${String(i).padStart(8, '0')}`;
    const hash = createHash('md5');
    const counter = { n: 0 };
    s.attempted.push(`/${s.segCont}/${segName}`);
    const res = await this.o.client.request('PUT', objectPath(s.segCont, segName), s.key, {
      headers: { 'content-type': 'application/octet-stream' },
      body: this.stream(reader, this.o.segmentSizeBytes, progress, hash, counter),
      ...(s.signal ? { signal: s.signal } : {}),
    });
    if (!res.ok) await this.o.client.fail(res, s.key, s.signal);
    await res.body?.cancel();
    return this.checkedSegment(s, segName, hash.digest('hex'), counter.n, res);
  }

  /** The manifest's entry for a stored segment, once its ETag says Swift stored what was sent. */
  private checkedSegment(s: SegmentTarget, segName: string, md5: string, size: number, res: Response): SloSegment {
    const etag = (res.headers.get('etag') ?? '').replace(/"/g, '');
    if (etag !== '' && etag !== md5) throw new AppError('Integrity', `Swift stored different bytes than were sent for a segment of "${s.key}".`, { hint: 'Try the upload again.' });
    return { path: `/${s.segCont}/${segName}`, etag: md5, size_bytes: size };
  }

  /** Writes the SLO manifest of `segments` (retried: it is held in memory), after the size check and `beforeCommit`. */
  private async putManifest(key: string, name: string, segments: readonly SloSegment[], options: WriteOptions): Promise<ObjectInfo> {
    const { signal } = options;
    throwIfAborted(signal, `Writing "${key}"`);
    const size = segments.reduce((s, x) => s + x.size_bytes, 0);
    if (options.size !== undefined && size !== options.size) {
      throw new AppError('InvalidInput', `"${key}" was announced as ${options.size} bytes but the data had ${size}.`, { hint: 'The source changed while it was uploaded; try again.' });
    }
    await options.beforeCommit?.();
    const res = await this.requestOk('PUT', objectPath(this.o.container, name), key, {
      query: { 'multipart-manifest': 'put' },
      headers: { 'content-type': options.contentType ?? 'application/octet-stream' },
      body: JSON.stringify(segments),
      ...(signal ? { signal } : {}),
    });
    await res.body?.cancel();
    const etag = (res.headers.get('etag') ?? '').replace(/"/g, '');
    this.o.log.debug('Swift SLO written', { segments: segments.length, size });
    return { key, size, modified: new Date(), ...(etag ? { etag } : {}) };
  }

  /** The segment paths of an existing SLO at `name` (empty when absent or a plain object). */
  private async segmentsOf(name: string, signal?: AbortSignal): Promise<string[]> {
    const path = objectPath(this.o.container, name);
    const head = await this.o.client.request('HEAD', path, name, signal ? { signal } : {});
    await head.body?.cancel();
    if (head.status === 404 || !/^true$/i.test(head.headers.get('x-static-large-object') ?? '')) return [];
    if (!head.ok) await this.o.client.fail(head, name, signal);
    const res = await this.o.client.request('GET', path, name, { query: { 'multipart-manifest': 'get' }, ...(signal ? { signal } : {}) });
    if (!res.ok) await this.o.client.fail(res, name, signal);
    const manifest = (await res.json()) as Array<{ name?: string }>;
    return manifest.map((m) => m.name ?? '').filter((n) => n !== '');
  }

  /** Best-effort delete of segment objects (`/container/name` paths). */
  private async deleteSegments(paths: readonly string[], signal?: AbortSignal): Promise<void> {
    for (const p of paths) {
      const [, c, ...rest] = p.split('/');
      try {
        const res = await this.o.client.request('DELETE', objectPath(c ?? '', rest.join('/')), p, signal ? { signal } : {});
        await res.body?.cancel();
      } catch (e) {
        this.o.log.warn('Could not delete a Swift segment', { segment: p, error: e instanceof Error ? e.message : String(e) });
      }
    }
  }

  /** @inheritdoc */
  async remove(key: string, options: CallOptions = {}): Promise<void> {
    assertValidKey(key);
    // `multipart-manifest=delete` removes a large object's segments too, and deletes plain objects normally.
    const res = await this.o.client.request('DELETE', objectPath(this.o.container, this.o.prefix + key), key, {
      query: { 'multipart-manifest': 'delete' },
      headers: { accept: 'application/json' },
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (!res.ok) await this.o.client.fail(res, key, options.signal);
    if (res.status === 200 && (res.headers.get('content-type') ?? '').includes('json')) {
      const r = (await res.json().catch(() => ({}))) as { Errors?: unknown[]; 'Response Status'?: string };
      if ((r.Errors?.length ?? 0) > 0) this.o.log.warn('Swift could not delete every segment', { key, errors: r.Errors?.length, status: r['Response Status'] });
    } else {
      await res.body?.cancel();
    }
  }

  /** @inheritdoc */
  async close(): Promise<void> {
    this.o.client.invalidate();
  }
}
