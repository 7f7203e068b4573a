/**
 * Google Drive behind the provider interface, with `@googleapis/drive` for listing, metadata,
 * media reads (streamed, with Range), folder creation and deletes. Uploads are real resumable
 * sessions driven over fetch (the SDK silently turns `uploadType: 'resumable'` into a one-shot
 * multipart upload): chunks in 256 KiB multiples, and after a dropped connection the session's
 * offset is queried (`Content-Range: bytes STAR/total`) and the upload resumes from there.
 *
 * Keys map to folder paths below the configured folder. Drive allows several files (and
 * folders) with the same name in one folder: the newest (modifiedTime, then createdTime) wins
 * for list, stat, read, write and remove, and the others are logged as hidden duplicates. That
 * matches what a person sees as "the" backup after re-uploading it, and keeps keys plain paths
 * that round-trip (a key suffix for duplicates would leak Drive ids into backup names).
 * Trashed files are never listed.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { drive_v3 } from '@googleapis/drive';
import { AppError, cancelledError, throwIfAborted } from '../../errors';
import type { TokenSource } from '../../auth/token-source';
import { ByteReader } from '../../archive/byte-reader';
import type { Logger } from '../../util/logger';
import type { Capabilities, CallOptions, ListOptions, ObjectInfo, ReadOptions, StorageProvider, WriteOptions } from '../provider';
import { backoffDelay } from '../wrappers/backoff';
import { assertValidKey, assertValidPrefix, assertValidRange } from '../wrappers/keys';
import { guardReadStream, sleep } from '../wrappers/streams';
import { classifyDriveError, driveHttpError, isDriveUnauthorized } from './errors';
import { onAbort } from '../../util/abort';

/** Drive's folder MIME type. */
export const FOLDER_MIME = 'application/vnd.google-apps.folder';
const FILE_FIELDS = 'id,name,mimeType,size,md5Checksum,modifiedTime,createdTime';

/** What the provider needs. */
export interface GdriveProviderOptions {
  /** Folder id, shared-drive id or `root` where `folderPath` starts. */
  readonly baseId: string;
  /** Folder path below `baseId` (`""` for the base itself). */
  readonly folderPath: string;
  /** Shared drive id, when the storage is on one. */
  readonly driveId?: string;
  /** True when `baseId` is a configured folder id, checked once to exist (a wrong id would list as an empty folder). */
  readonly checkBase?: boolean;
  readonly rootUrl: string;
  readonly tokens: TokenSource;
  readonly fetch: typeof fetch;
  readonly log: Logger;
  readonly chunkBytes: number;
  readonly storageName: string;
}

type DriveFile = drive_v3.Schema$File;

/** Escapes a string for a Drive query literal. */
export function driveQuoted(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

const time = (s: string | null | undefined): number => (s ? Date.parse(s) : 0);
/** True when `a` is newer than `b` (modifiedTime, then createdTime). */
const newer = (a: DriveFile, b: DriveFile): boolean => time(a.modifiedTime) - time(b.modifiedTime) > 0 || (time(a.modifiedTime) === time(b.modifiedTime) && time(a.createdTime) > time(b.createdTime));

/** Google Drive storage. */
export class GdriveProvider implements StorageProvider {
  readonly kind = 'gdrive' as const;
  readonly capabilities: Capabilities = { write: true, remove: true, rangeReads: true, maxConcurrency: 4, caseInsensitive: false };
  private readonly drive: drive_v3.Drive;
  /** Folder ids by path relative to the root (`""` is the root). */
  private readonly folders = new Map<string, string>();
  /** Set once the configured folder id was found to be a live folder. */
  private baseChecked = false;

  constructor(private readonly o: GdriveProviderOptions) {
    // retry: false — retries are wrappers (storage/wrappers), never inside a provider.
    this.drive = new drive_v3.Drive({ rootUrl: o.rootUrl, fetchImplementation: o.fetch, retry: false });
  }

  private classify(e: unknown, what: string, signal?: AbortSignal): AppError {
    return classifyDriveError(e, what, this.o.storageName, signal);
  }

  /** Runs an SDK call with a bearer token; after a 401 the token is refreshed once and the call repeated. */
  private async call<T>(what: string, signal: AbortSignal | undefined, fn: (opts: { headers: Record<string, string>; signal?: AbortSignal; retry: false }) => Promise<T>): Promise<T> {
    throwIfAborted(signal, `The Google Drive request for "${what}"`);
    for (let attempt = 0; ; attempt++) {
      const token = await this.o.tokens.accessToken(signal);
      try {
        return await fn({ headers: { authorization: `Bearer ${token}` }, retry: false, ...(signal ? { signal } : {}) });
      } catch (e) {
        if (isDriveUnauthorized(e) && attempt === 0) {
          this.o.log.info('Google Drive answered 401; refreshing the access token once');
          this.o.tokens.invalidate();
          continue;
        }
        throw this.classify(e, what, signal);
      }
    }
  }

  /** A raw authenticated request (resumable uploads); 401 → refresh once. Bodies are Buffers (replayable). */
  private async authedFetch(url: string, init: { method: string; headers?: Record<string, string>; body?: Buffer | string }, what: string, signal?: AbortSignal): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.o.tokens.accessToken(signal);
      let res: Response;
      try {
        res = await this.o.fetch(url, { method: init.method, headers: { ...init.headers, authorization: `Bearer ${token}` }, ...(init.body !== undefined ? { body: init.body } : {}), ...(signal ? { signal } : {}) });
      } catch (e) {
        throw this.classify(e, what, signal);
      }
      if (res.status === 401 && attempt === 0) {
        await res.body?.cancel();
        this.o.tokens.invalidate();
        continue;
      }
      return res;
    }
  }

  private listParams(): Record<string, unknown> {
    return { supportsAllDrives: true, includeItemsFromAllDrives: true, ...(this.o.driveId ? { corpora: 'drive', driveId: this.o.driveId } : {}) };
  }

  /** Every non-trashed child of `parentId` matching `extra` (a query suffix), page by page. */
  private async *children(parentId: string, extra: string, signal: AbortSignal | undefined, pageSize?: number): AsyncGenerator<DriveFile> {
    let pageToken: string | undefined;
    do {
      const params: drive_v3.Params$Resource$Files$List = {
        ...this.listParams(),
        q: `${driveQuoted(parentId)} in parents and trashed = false${extra}`,
        fields: `nextPageToken,files(${FILE_FIELDS})`,
        ...(pageSize ? { pageSize: Math.max(1, Math.min(1000, pageSize)) } : { pageSize: 1000 }),
        ...(pageToken ? { pageToken } : {}),
      };
      const res = await this.call(parentId, signal, (o) => this.drive.files.list(params, o));
      for (const f of res.data.files ?? []) yield f;
      pageToken = res.data.nextPageToken ?? undefined;
      throwIfAborted(signal, 'The Google Drive listing');
    } while (pageToken);
  }

  /** The newest non-trashed child named `name` (a folder, or a non-folder file). */
  private async child(parentId: string, name: string, folder: boolean, signal?: AbortSignal): Promise<DriveFile | undefined> {
    let best: DriveFile | undefined;
    let count = 0;
    for await (const f of this.children(parentId, ` and name = ${driveQuoted(name)} and mimeType ${folder ? '=' : '!='} '${FOLDER_MIME}'`, signal)) {
      count++;
      if (!best || newer(f, best)) best = f;
    }
    if (count > 1) this.o.log.warn('Google Drive has several entries with one name; using the newest', { name, count });
    return best;
  }

  /** Throws NotFound unless the configured folder id names a folder, not trashed, that this account sees (checked once). */
  private async checkBase(signal?: AbortSignal): Promise<void> {
    if (!this.o.checkBase || this.baseChecked) return;
    const id = this.o.baseId;
    const gone = (why: string): AppError =>
      new AppError('NotFound', `The Google Drive folder id "${id}" of storage "${this.o.storageName}" ${why}.`, {
        hint: "Fix the folder id in the storage settings (the last part of the folder's URL), or share the folder with this account.",
      });
    let f: DriveFile;
    try {
      f = (await this.call(id, signal, (o) => this.drive.files.get({ fileId: id, supportsAllDrives: true, fields: 'id,mimeType,trashed' }, o))).data;
    } catch (e) {
      throw e instanceof AppError && e.kind === 'NotFound' ? gone('does not exist or is not shared with this account') : e;
    }
    if (f.mimeType !== FOLDER_MIME) throw gone('is a file, not a folder');
    if (f.trashed) throw gone('is in the trash');
    this.baseChecked = true;
  }

  /** The id of the folder at `dir` (relative to the root, `""` = root); created when `create`, else undefined when missing. */
  private async folder(dir: string, create: boolean, signal?: AbortSignal): Promise<string | undefined> {
    const cached = this.folders.get(dir);
    if (cached) return cached;
    await this.checkBase(signal);
    let id = this.o.baseId;
    let path = '';
    const rootParts = this.o.folderPath === '' ? [] : this.o.folderPath.split('/');
    const parts = dir === '' ? [] : dir.split('/');
    for (const [i, seg] of [...rootParts, ...parts].entries()) {
      const inRoot = i < rootParts.length;
      if (!inRoot) path = path === '' ? seg : `${path}/${seg}`;
      const known = inRoot ? undefined : this.folders.get(path);
      if (known) {
        id = known;
        continue;
      }
      const found = await this.child(id, seg, true, signal);
      if (found?.id) {
        id = found.id;
      } else if (create && !inRoot) {
        const res = await this.call(seg, signal, (o) =>
          this.drive.files.create({ supportsAllDrives: true, fields: 'id', requestBody: { name: seg, mimeType: FOLDER_MIME, parents: [id] } }, o),
        );
        id = res.data.id!;
      } else if (inRoot) {
        throw new AppError('NotFound', `The Google Drive folder "${this.o.folderPath}" does not exist.`, { hint: 'Create it, or fix the folder path in the storage settings.' });
      } else {
        return undefined;
      }
      if (!inRoot) this.folders.set(path, id);
    }
    if (parts.length === 0) this.folders.set('', id);
    return id;
  }

  private toInfo(f: DriveFile, key: string): ObjectInfo {
    return {
      key,
      size: Number(f.size ?? 0),
      modified: new Date(f.modifiedTime ?? f.createdTime ?? Date.now()),
      ...(f.id ? { etag: f.md5Checksum ? `${f.id}:${f.md5Checksum}` : f.id } : {}),
      ...(f.md5Checksum ? { checksum: { algorithm: 'md5' as const, value: f.md5Checksum } } : {}),
    };
  }

  private split(key: string): { dir: string; name: string } {
    const i = key.lastIndexOf('/');
    return i < 0 ? { dir: '', name: key } : { dir: key.slice(0, i), name: key.slice(i + 1) };
  }

  /** The file behind `key`, or undefined. */
  private async find(key: string, signal?: AbortSignal): Promise<DriveFile | undefined> {
    const { dir, name } = this.split(key);
    const parent = await this.folder(dir, false, signal);
    return parent === undefined ? undefined : this.child(parent, name, false, signal);
  }

  private notFound(key: string): AppError {
    return new AppError('NotFound', `"${key}" was not found on Google Drive.`, { hint: 'Check the folder; the file may have been deleted or trashed.' });
  }

  /** @inheritdoc */
  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<ObjectInfo> {
    assertValidPrefix(prefix);
    const { signal, pageSize } = options;
    throwIfAborted(signal, 'The Google Drive listing');
    const startDir = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    const startId = await this.folder(startDir, false, signal);
    if (startId === undefined) return;
    const queue: Array<{ id: string; path: string }> = [{ id: startId, path: startDir }];
    while (queue.length > 0) {
      const { id, path } = queue.shift()!;
      const files = new Map<string, DriveFile>();
      const folders = new Map<string, DriveFile>();
      let hidden = 0;
      for await (const f of this.children(id, '', signal, pageSize)) {
        if (!f.name || f.name.includes('/')) {
          this.o.log.warn('Skipping a Google Drive entry whose name cannot be a key', { name: f.name });
          continue;
        }
        // Google Docs/Sheets/shortcuts have no binary content: they cannot be backups.
        if (f.mimeType !== FOLDER_MIME && f.mimeType?.startsWith('application/vnd.google-apps.')) continue;
        const group = f.mimeType === FOLDER_MIME ? folders : files;
        const prev = group.get(f.name);
        if (prev) hidden++;
        if (!prev || newer(f, prev)) group.set(f.name, f);
      }
      if (hidden > 0) this.o.log.warn('Google Drive folder has entries with duplicate names; listing the newest of each', { folder: path, hidden });
      for (const [name, f] of files) {
        const key = path === '' ? name : `${path}/${name}`;
        throwIfAborted(signal, 'The Google Drive listing');
        if (key.startsWith(prefix)) yield this.toInfo(f, key);
      }
      for (const [name, f] of folders) {
        const sub = path === '' ? name : `${path}/${name}`;
        if (f.id && (`${sub}/`.startsWith(prefix) || prefix.startsWith(`${sub}/`))) {
          this.folders.set(sub, f.id);
          queue.push({ id: f.id, path: sub });
        }
      }
    }
  }

  /** @inheritdoc */
  async stat(key: string, options: CallOptions = {}): Promise<ObjectInfo> {
    assertValidKey(key);
    const f = await this.find(key, options.signal);
    if (!f) throw this.notFound(key);
    return this.toInfo(f, key);
  }

  /** @inheritdoc */
  async read(key: string, options: ReadOptions = {}): Promise<Readable> {
    assertValidKey(key);
    assertValidRange(options.range);
    const { signal, range } = options;
    const f = await this.find(key, signal);
    if (!f?.id) throw this.notFound(key);
    const size = Number(f.size ?? 0);
    if (range?.length === 0 || (range && range.offset >= size) || size === 0) return Readable.from([]);
    const headers: Record<string, string> = {};
    if (range && (range.offset > 0 || range.length !== undefined)) headers.range = `bytes=${range.offset}-${range.length === undefined ? '' : range.offset + range.length - 1}`;
    const fileId = f.id;
    const res = await this.call(key, signal, (o) => this.drive.files.get({ fileId, alt: 'media', supportsAllDrives: true }, { ...o, headers: { ...o.headers, ...headers }, responseType: 'stream' }));
    if (range && range.offset > 0 && res.status !== 206) throw new AppError('Fatal', 'Google Drive ignored the requested byte range.', { hint: 'Download the whole file instead.' });
    const data = res.data as unknown;
    const raw = data instanceof Readable ? data : Readable.fromWeb(data as WebReadableStream<Uint8Array>);
    const len = res.headers instanceof Headers ? res.headers.get('content-length') : null;
    return guardReadStream(raw, {
      signal,
      classify: (e) => this.classify(e, key, signal),
      what: `Reading "${key}" from Google Drive`,
      ...(len !== null && Number.isFinite(Number(len)) ? { expectedBytes: Number(len) } : {}),
    });
  }

  /** @inheritdoc */
  async write(key: string, body: Readable, options: WriteOptions = {}): Promise<ObjectInfo> {
    assertValidKey(key);
    const { signal } = options;
    throwIfAborted(signal, `Writing "${key}"`);
    const reader = new ByteReader(body);
    const stopListening = onAbort(signal, () => body.destroy());
    try {
      const { dir, name } = this.split(key);
      const parent = (await this.folder(dir, true, signal))!;
      const existing = await this.child(parent, name, false, signal);
      const contentType = options.contentType ?? 'application/octet-stream';
      // A new revision of the newest same-named file keeps its id (and replaces it only once complete).
      const start = existing?.id
        ? { url: `${this.o.rootUrl}upload/drive/v3/files/${encodeURIComponent(existing.id)}?uploadType=resumable&supportsAllDrives=true&fields=${FILE_FIELDS}`, method: 'PATCH', meta: {} }
        : { url: `${this.o.rootUrl}upload/drive/v3/files?uploadType=resumable&supportsAllDrives=true&fields=${FILE_FIELDS}`, method: 'POST', meta: { name, parents: [parent], mimeType: contentType } };
      const headers: Record<string, string> = { 'content-type': 'application/json; charset=UTF-8', 'x-upload-content-type': contentType };
      if (options.size !== undefined) headers['x-upload-content-length'] = String(options.size);
      const init = await this.authedFetch(start.url, { method: start.method, headers, body: JSON.stringify(start.meta) }, key, signal);
      if (!init.ok) {
        if (init.status === 404) this.folders.clear(); // a cached folder may have been deleted meanwhile
        throw this.classify(await driveHttpError(init), key, signal);
      }
      await init.body?.cancel();
      const session = init.headers.get('location');
      if (!session) throw new AppError('Fatal', 'Google Drive did not return an upload session.', { hint: 'Try again; report it if it persists.' });

      const md5 = createHash('md5');
      let offset = 0;
      for (;;) {
        const data = await reader.readUpTo(this.o.chunkBytes);
        throwIfAborted(signal, `Writing "${key}"`);
        const last = data.length < this.o.chunkBytes || (await reader.atEnd());
        md5.update(data);
        if (last) await options.beforeCommit?.();
        const total = last ? offset + data.length : undefined;
        const done = await this.sendChunk(session, offset, data, total, key, signal);
        offset += data.length;
        options.onProgress?.(offset);
        if (!last) continue;
        if (!done) throw new AppError('Transient', `Google Drive did not confirm the end of the upload of "${key}".`, { hint: 'Try the upload again.' });
        const sum = md5.digest('hex');
        if (done.md5Checksum && done.md5Checksum !== sum) {
          throw new AppError('Integrity', `Google Drive stored different bytes than were sent for "${key}".`, { hint: 'Try the upload again.' });
        }
        if (options.size !== undefined && offset !== options.size) {
          throw new AppError('InvalidInput', `"${key}" was announced as ${options.size} bytes but the data had ${offset}.`, { hint: 'The source changed while it was uploaded; try again.' });
        }
        return this.toInfo(done, key);
      }
    } catch (e) {
      if (signal?.aborted) throw cancelledError(`Writing "${key}"`);
      throw this.classify(e, key, signal);
    } finally {
      stopListening();
      await reader.close().catch(() => undefined);
    }
  }

  /** The server's received byte count from a 308's `Range: bytes=0-N` (0 without the header). */
  private static received(res: Response): number {
    const m = /bytes=0-(\d+)/.exec(res.headers.get('range') ?? '');
    return m ? Number(m[1]) + 1 : 0;
  }

  /**
   * Sends `data` (bytes `offset`…) to the session; `total` on the last chunk. After a dropped
   * connection or a server error, asks the session how much arrived and sends only the rest.
   * Returns the file once the upload is complete.
   */
  private async sendChunk(session: string, offset: number, data: Buffer, total: number | undefined, key: string, signal?: AbortSignal): Promise<DriveFile | undefined> {
    const end = offset + data.length;
    let from = offset;
    let failures = 0;
    for (let rounds = 0; rounds < 20; rounds++) {
      try {
        const part = data.subarray(from - offset);
        const range = part.length === 0 ? `bytes */${total ?? '*'}` : `bytes ${from}-${from + part.length - 1}/${total ?? '*'}`;
        const res = await this.authedFetch(session, { method: 'PUT', headers: { 'content-range': range }, body: part }, key, signal);
        if (res.status === 200 || res.status === 201) return (await res.json()) as DriveFile;
        if (res.status === 308) {
          await res.body?.cancel();
          const got = GdriveProvider.received(res);
          if (got === end && total === undefined) return undefined;
          if (got < offset || got > end) throw new AppError('Fatal', `The Google Drive upload session of "${key}" is at byte ${got}, outside the chunk being sent.`, { hint: 'Start the upload again.' });
          from = got; // the server kept only part of the chunk: send the rest
          continue;
        }
        if (res.status === 404 || res.status === 410) {
          await res.body?.cancel();
          throw new AppError('Transient', `The Google Drive upload session of "${key}" expired.`, { hint: 'Start the upload again.' });
        }
        throw await driveHttpError(res);
      } catch (e) {
        const err = this.classify(e, key, signal);
        if (err.kind !== 'Transient' || failures >= 5 || signal?.aborted || /expired/.test(err.message)) throw err;
        failures++;
        this.o.log.info('Google Drive upload chunk interrupted; asking the session where to resume', { offset: from, attempt: failures });
        await sleep(backoffDelay(failures - 1, { baseDelayMs: 100, maxDelayMs: 2_000 }, err.retryAfterMs), signal);
        const q = await this.authedFetch(session, { method: 'PUT', headers: { 'content-range': `bytes */${total ?? '*'}` }, body: Buffer.alloc(0) }, key, signal).catch((x: unknown) => {
          throw this.classify(x, key, signal);
        });
        if (q.status === 200 || q.status === 201) return (await q.json()) as DriveFile;
        if (q.status !== 308) {
          await q.body?.cancel();
          if (q.status === 404 || q.status === 410) throw new AppError('Transient', `The Google Drive upload session of "${key}" expired.`, { hint: 'Start the upload again.' });
          continue; // try the chunk again as it was
        }
        await q.body?.cancel();
        const got = GdriveProvider.received(q);
        if (got < offset || got > end) throw new AppError('Fatal', `The Google Drive upload session of "${key}" is at byte ${got}, outside the chunk being sent.`, { hint: 'Start the upload again.' });
        if (got === end && total === undefined) return undefined;
        this.o.log.info('Google Drive upload resumes from the session offset', { offset: got });
        from = got;
      }
    }
    throw new AppError('Transient', `The upload of "${key}" made no progress.`, { hint: 'Try again later.' });
  }

  /** @inheritdoc */
  async remove(key: string, options: CallOptions = {}): Promise<void> {
    assertValidKey(key);
    const f = await this.find(key, options.signal);
    if (!f?.id) throw this.notFound(key);
    const fileId = f.id;
    await this.call(key, options.signal, (o) => this.drive.files.delete({ fileId, supportsAllDrives: true }, o));
  }

  /** @inheritdoc */
  async close(): Promise<void> {
    this.folders.clear();
  }
}
