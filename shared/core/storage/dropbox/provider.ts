/**
 * Dropbox behind the provider interface, with the official `dropbox` SDK for RPC and upload
 * routes. Downloads go to the same documented `files/download` endpoint with plain fetch,
 * because the SDK buffers a whole download in memory (`res.arrayBuffer()`), and backups must
 * stream. Uploads larger than one chunk use an upload session whose offset is recovered from
 * the server's `incorrect_offset` answer after a lost request or response.
 */
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { Dropbox, DropboxResponseError, type files } from 'dropbox';
import { AppError, cancelledError, throwIfAborted } from '../../errors';
import type { TokenSource } from '../../auth/token-source';
import { ByteReader } from '../../archive/byte-reader';
import type { Logger } from '../../util/logger';
import type { Capabilities, CallOptions, ListOptions, ObjectInfo, ReadOptions, StorageProvider, WriteOptions } from '../provider';
import { assertValidKey, assertValidPrefix, assertValidRange } from '../wrappers/keys';
import { backoffDelay } from '../wrappers/backoff';
import { MAX_RETRY_AFTER_MS } from '../wrappers/retry';
import { guardReadStream, sleep } from '../wrappers/streams';
import { classifyDropboxError, errorSummary, isUnauthorized } from './errors';
import { onAbort } from '../../util/abort';

/** Where the SDK sends content requests (the test fetch rewrites this host). */
const CONTENT_URL = 'https://content.dropboxapi.com/2/';

/** What the provider needs besides its config. */
export interface DropboxProviderOptions {
  /** Root folder (`""` or `/Folder`), relative to the app folder for app-folder apps. */
  readonly folderPath: string;
  readonly tokens: TokenSource;
  readonly fetch: typeof fetch;
  readonly log: Logger;
  /** Upload chunk size (bytes). */
  readonly chunkBytes: number;
  /** For messages. */
  readonly storageName: string;
}

/** JSON for the `Dropbox-API-Arg` header: non-ASCII escaped, as the API requires. */
export function headerSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Dropbox storage. */
export class DropboxProvider implements StorageProvider {
  readonly kind = 'dropbox' as const;
  readonly capabilities: Capabilities = { write: true, remove: true, rangeReads: true, maxConcurrency: 4, caseInsensitive: true };

  constructor(private readonly o: DropboxProviderOptions) {}

  private path(key: string): string {
    return `${this.o.folderPath}/${key}`;
  }

  private toInfo(m: files.FileMetadata, key?: string): ObjectInfo {
    const full = m.path_display ?? m.path_lower ?? '';
    return {
      key: key ?? full.slice(this.o.folderPath.length + 1),
      size: m.size,
      modified: new Date(m.server_modified),
      etag: m.rev,
      ...(m.content_hash ? { checksum: { algorithm: 'dropbox-content-hash' as const, value: m.content_hash } } : {}),
    };
  }

  /** Runs `fn` with an SDK client holding a current token; after a 401, refreshes once and retries. */
  private async call<T>(what: string, signal: AbortSignal | undefined, fn: (dbx: Dropbox, token: string) => Promise<T>): Promise<T> {
    throwIfAborted(signal, `The Dropbox request for "${what}"`);
    for (let attempt = 0; ; attempt++) {
      const token = await this.o.tokens.accessToken(signal);
      const dbx = new Dropbox({ accessToken: token, fetch: this.o.fetch });
      try {
        return await fn(dbx, token);
      } catch (e) {
        if (isUnauthorized(e) && attempt === 0) {
          this.o.log.info('Dropbox answered 401; refreshing the access token once', { summary: errorSummary(e) });
          this.o.tokens.invalidate();
          continue;
        }
        throw classifyDropboxError(e, what, this.o.storageName, signal);
      }
    }
  }

  /** @inheritdoc */
  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<ObjectInfo> {
    assertValidPrefix(prefix);
    const { signal } = options;
    throwIfAborted(signal, 'The Dropbox listing');
    const dir = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    const folder = dir === '' ? this.o.folderPath : this.path(dir);
    const want = prefix.toLowerCase();
    const limit = options.pageSize === undefined ? undefined : Math.max(1, Math.min(2000, options.pageSize));
    let res: files.ListFolderResult;
    try {
      res = await this.call(folder || '/', signal, async (d) => (await d.filesListFolder({ path: folder, recursive: true, ...(limit ? { limit } : {}) }, { signal })).result);
    } catch (e) {
      // A folder that does not exist (yet) holds nothing.
      if (e instanceof AppError && e.kind === 'NotFound') return;
      throw e;
    }
    for (;;) {
      for (const entry of res.entries) {
        // Folders are not objects; cloud docs (is_downloadable false) cannot be backups.
        if (entry['.tag'] !== 'file' || entry.is_downloadable === false) continue;
        const info = this.toInfo(entry);
        if (info.key.toLowerCase().startsWith(want)) yield info;
        throwIfAborted(signal, 'The Dropbox listing');
      }
      if (!res.has_more) return;
      const cursor = res.cursor;
      res = await this.call(folder || '/', signal, async (d) => (await d.filesListFolderContinue({ cursor }, { signal })).result);
    }
  }

  /** @inheritdoc */
  async stat(key: string, options: CallOptions = {}): Promise<ObjectInfo> {
    assertValidKey(key);
    const m = await this.call(key, options.signal, async (d) => (await d.filesGetMetadata({ path: this.path(key) }, { signal: options.signal })).result);
    if (m['.tag'] !== 'file') throw new AppError('NotFound', `"${key}" is a folder on Dropbox, not a file.`, { hint: 'Give the key of a file.' });
    return this.toInfo(m, key);
  }

  /** @inheritdoc */
  async read(key: string, options: ReadOptions = {}): Promise<Readable> {
    assertValidKey(key);
    assertValidRange(options.range);
    const { signal, range } = options;
    if (range?.length === 0) {
      await this.stat(key, { signal });
      return Readable.from([]);
    }
    const res = await this.call(key, signal, async (_d, token) => {
      const headers: Record<string, string> = { authorization: `Bearer ${token}`, 'dropbox-api-arg': headerSafeJson({ path: this.path(key) }) };
      if (range && (range.offset > 0 || range.length !== undefined)) {
        headers.range = `bytes=${range.offset}-${range.length === undefined ? '' : range.offset + range.length - 1}`;
      }
      const r = await this.o.fetch(`${CONTENT_URL}files/download`, { method: 'POST', headers, ...(signal ? { signal } : {}) });
      if (r.status === 416) {
        await r.body?.cancel();
        return undefined; // the range starts at or past the end: nothing to read
      }
      if (!r.ok) {
        const text = await r.text();
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          /* plain-text error */
        }
        throw new DropboxResponseError(r.status, r.headers, body);
      }
      if (range && range.offset > 0 && r.status !== 206) {
        await r.body?.cancel();
        throw new AppError('Fatal', 'Dropbox ignored the requested byte range.', { hint: 'Download the whole file instead.' });
      }
      return r;
    });
    if (res === undefined || res.body === null) return Readable.from([]);
    const len = Number(res.headers.get('content-length'));
    const raw = Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
    return guardReadStream(raw, {
      signal,
      classify: (e) => classifyDropboxError(e, key, this.o.storageName, signal),
      what: `Reading "${key}" from Dropbox`,
      ...(Number.isFinite(len) && res.headers.get('content-length') !== null ? { expectedBytes: len } : {}),
    });
  }

  /** @inheritdoc */
  async write(key: string, body: Readable, options: WriteOptions = {}): Promise<ObjectInfo> {
    assertValidKey(key);
    const { signal } = options;
    throwIfAborted(signal, `Writing "${key}"`);
    const path = this.path(key);
    const chunk = this.o.chunkBytes;
    const reader = new ByteReader(body);
    const stopListening = onAbort(signal, () => body.destroy());
    try {
      const first = await reader.readUpTo(chunk);
      throwIfAborted(signal, `Writing "${key}"`);
      const mode = { '.tag': 'overwrite' as const };
      if (first.length < chunk || (await reader.atEnd())) {
        await options.beforeCommit?.();
        const m = await this.call(key, signal, async (d) => (await d.filesUpload({ path, mode, contents: first }, { signal })).result);
        options.onProgress?.(first.length);
        return this.toInfo(m, key);
      }
      // Upload session: start with the first chunk, append the middle ones, finish with the last.
      const sessionId = await this.call(key, signal, async (d) => (await d.filesUploadSessionStart({ close: false, contents: first }, { signal })).result.session_id);
      let offset = first.length;
      options.onProgress?.(offset);
      for (;;) {
        const next = await reader.readUpTo(chunk);
        throwIfAborted(signal, `Writing "${key}"`);
        const last = next.length < chunk || (await reader.atEnd());
        if (last) {
          await options.beforeCommit?.();
          const m = await this.sendChunk(key, signal, sessionId, offset, next, path);
          options.onProgress?.(offset + next.length);
          return this.toInfo(m as files.FileMetadata, key);
        }
        await this.sendChunk(key, signal, sessionId, offset, next);
        offset += next.length;
        options.onProgress?.(offset);
      }
    } catch (e) {
      if (signal?.aborted) throw cancelledError(`Writing "${key}"`);
      throw e;
    } finally {
      stopListening();
      await reader.close().catch(() => undefined);
    }
  }

  /**
   * Appends `data` at `offset` (or finishes the session with it when `commitPath` is given).
   * A dropped request or response is re-sent; the server's `incorrect_offset` answer tells how
   * much it really has, and only the missing tail of the chunk is sent again.
   */
  private async sendChunk(key: string, signal: AbortSignal | undefined, sessionId: string, offset: number, data: Buffer, commitPath?: string): Promise<files.FileMetadata | undefined> {
    let at = offset;
    let rest = data;
    for (let attempt = 0; ; attempt++) {
      try {
        const cursor = { session_id: sessionId, offset: at };
        if (commitPath !== undefined) {
          return await this.call(key, signal, async (d) => (await d.filesUploadSessionFinish({ cursor, commit: { path: commitPath, mode: { '.tag': 'overwrite' } }, contents: rest }, { signal })).result);
        }
        await this.call(key, signal, async (d) => d.filesUploadSessionAppendV2({ cursor, close: false, contents: rest }, { signal }));
        return undefined;
      } catch (e) {
        const err = e instanceof AppError ? e : classifyDropboxError(e, key, this.o.storageName, signal);
        const correct = typeof err.details?.correctOffset === 'number' ? err.details.correctOffset : undefined;
        const end = offset + data.length;
        if (correct !== undefined) {
          if (correct === end && commitPath === undefined) return undefined; // the server already has this chunk
          if (correct >= offset && correct <= end && attempt < 4) {
            this.o.log.info('Dropbox upload session offset corrected by the server', { from: at, to: correct });
            at = correct;
            rest = data.subarray(correct - offset);
            continue;
          }
          throw new AppError('Fatal', `The Dropbox upload session for "${key}" is at byte ${correct}, which this upload cannot continue from.`, { hint: 'Start the upload again.' });
        }
        if (commitPath !== undefined && attempt > 0 && err.kind === 'NotFound') {
          // A finish whose answer was lost consumed the session: the file is there if it has our size.
          const info = await this.stat(key, { signal }).catch(() => undefined);
          if (info?.size === end) return { '.tag': 'file', name: '', id: '', client_modified: '', server_modified: info.modified.toISOString(), rev: info.etag ?? '', size: info.size, path_display: commitPath, ...(info.checksum ? { content_hash: info.checksum.value } : {}) } as files.FileMetadata;
        }
        if (err.kind === 'Transient' && attempt < 3 && !signal?.aborted && (err.retryAfterMs ?? 0) <= MAX_RETRY_AFTER_MS) {
          // A longer Retry-After fails the chunk, as it fails any retried request.
          // Re-send at the same offset (the server answers incorrect_offset if part of it arrived),
          // after a pause, or as long as a 429's Retry-After asks: at once, it was refused again.
          this.o.log.info('Dropbox upload chunk lost; re-sending', { offset: at, attempt: attempt + 1 });
          await sleep(backoffDelay(attempt, { baseDelayMs: 250, maxDelayMs: 4_000 }, err.retryAfterMs), signal);
          continue;
        }
        throw err;
      }
    }
  }

  /** @inheritdoc */
  async remove(key: string, options: CallOptions = {}): Promise<void> {
    assertValidKey(key);
    // delete_v2 deletes folders too: make sure this is a file first.
    await this.stat(key, options);
    await this.call(key, options.signal, async (d) => d.filesDeleteV2({ path: this.path(key) }, { signal: options.signal }));
  }

  /** @inheritdoc */
  async close(): Promise<void> {
    /* fetch keeps no per-provider connections */
  }
}
