/**
 * A small in-memory Dropbox API v2 server for tests, speaking the documented wire protocol the
 * official `dropbox` SDK parses: RPC endpoints on `/2/…` with JSON bodies, content endpoints
 * with the `Dropbox-API-Arg` header and `Dropbox-API-Result` answer, 409 route errors with
 * `error_summary` + tagged `error`, 401 `invalid_access_token`/`expired_access_token`, 429 with
 * `Retry-After`, opaque `list_folder` cursors, `limit` bounds, upload-session offsets, the
 * 150 MiB single-upload limit, `content_hash`, app-folder vs full-Dropbox path roots, and
 * `/oauth2/token` refresh. Faults: `failNext`.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { CursorBook, DroppedConnection, FaultQueue, loopbackFetch, parseRange, readBody, sendBytes, sendJson, startServer, TokenBook, type FaultSpec } from './common';

/** Which kind of Dropbox app a token belongs to. */
export type DropboxAppAccess = { readonly appType: 'full_dropbox' } | { readonly appType: 'app_folder'; readonly appName: string };

/** One stored file (paths are absolute in the whole account, display case). */
export interface FakeDropboxFile {
  pathDisplay: string;
  data: Buffer;
  id: string;
  rev: string;
  serverModified: Date;
}

/** Inspectable state. */
export interface FakeDropboxState {
  /** Files by lower-case absolute path (in the whole account). */
  readonly files: Map<string, FakeDropboxFile>;
  /** Folders by lower-case absolute path → display path. */
  readonly folders: Map<string, string>;
  /** Open upload sessions. */
  readonly sessions: Map<string, { data: Buffer[]; offset: number; closed: boolean }>;
  /** Every request: route and HTTP status. */
  readonly requests: Array<{ route: string; status: number }>;
  /** Refresh tokens the token endpoint accepts → the app they belong to. */
  readonly refreshTokens: Map<string, DropboxAppAccess>;
}

/** Options of the fake. */
export interface FakeDropboxOptions {
  /** Single `files/upload` limit (real: 150 MiB). */
  readonly maxUploadBytes?: number;
  /** Access-token lifetime issued by `/oauth2/token` (default 4 h, like Dropbox). */
  readonly tokenTtlMs?: number;
}

/** A running fake Dropbox. */
export interface FakeDropbox {
  readonly url: string;
  readonly state: FakeDropboxState;
  /** Queues a fault (route names like `files/download`, `files/upload_session/append_v2`). */
  failNext(spec: FaultSpec): void;
  /** Issues an access token for `access` (default full Dropbox). */
  issueToken(access?: DropboxAppAccess, ttlMs?: number): string;
  /** Registers a refresh token for the OAuth endpoint. */
  addRefreshToken(refreshToken: string, access?: DropboxAppAccess): void;
  /** Expires every issued access token (the next call with one gets 401 expired_access_token). */
  expireAllTokens(): void;
  /** A fetch that rewrites `https://{api,content}.dropboxapi.com` to this server and refuses other hosts. */
  readonly fetch: typeof fetch;
  /** Every URL the rewriting fetch was asked for (after rewriting). */
  readonly seenUrls: readonly string[];
  close(): Promise<void>;
}

const FULL: DropboxAppAccess = { appType: 'full_dropbox' };

/** Dropbox's content hash: SHA-256 over the concatenated SHA-256 of each 4 MiB block. */
export function dropboxContentHash(data: Buffer): string {
  const outer = createHash('sha256');
  for (let i = 0; i < data.length; i += 4 * 1024 * 1024) outer.update(createHash('sha256').update(data.subarray(i, i + 4 * 1024 * 1024)).digest());
  return outer.digest('hex');
}

interface ListState {
  entries: unknown[];
  pos: number;
  access: DropboxAppAccess;
  limit: number;
}

class RouteError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`route error ${status}`);
  }
}

const routeError = (summary: string, error: unknown): RouteError => new RouteError(409, { error_summary: `${summary}/..`, error });
const badRequest = (route: string, message: string): RouteError => new RouteError(400, `Error in call to API function "${route}": ${message}`);
const pathNotFound = (tag = 'path'): RouteError => routeError(`${tag}/not_found`, { '.tag': tag, [tag]: { '.tag': 'not_found' } });

/** Starts a fake Dropbox on 127.0.0.1. */
export async function startFakeDropbox(options: FakeDropboxOptions = {}): Promise<FakeDropbox> {
  const maxUpload = options.maxUploadBytes ?? 150 * 1024 * 1024;
  const faults = new FaultQueue();
  const tokens = new TokenBook<DropboxAppAccess>();
  const cursors = new CursorBook<ListState>();
  const state: FakeDropboxState = { files: new Map(), folders: new Map(), sessions: new Map(), requests: [], refreshTokens: new Map() };
  let idCounter = 0;
  let revCounter = 0x1000;

  /** The account-absolute prefix of an app's root (`/apps/name` for app folders). */
  const rootOf = (a: DropboxAppAccess): string => (a.appType === 'app_folder' ? `/Apps/${a.appName}` : '');
  const toAbs = (a: DropboxAppAccess, p: string, route: string): string => {
    if (p !== '' && !p.startsWith('/')) throw badRequest(route, `Invalid path "${p}": must start with "/" or be empty.`);
    if (p.endsWith('/') && p !== '') throw badRequest(route, `Invalid path "${p}": must not end with "/".`);
    return rootOf(a) + p;
  };
  const toApp = (a: DropboxAppAccess, abs: string): string => abs.slice(rootOf(a).length);

  const ensureFolders = (absDisplay: string): void => {
    const parts = absDisplay.split('/').filter((s) => s !== '');
    let cur = '';
    for (const part of parts) {
      cur += `/${part}`;
      if (state.files.has(cur.toLowerCase())) throw routeError('path/conflict/file', { '.tag': 'path', path: { '.tag': 'conflict', conflict: { '.tag': 'file' } } });
      if (!state.folders.has(cur.toLowerCase())) state.folders.set(cur.toLowerCase(), cur);
    }
  };

  const fileMeta = (a: DropboxAppAccess, f: FakeDropboxFile): Record<string, unknown> => {
    const p = toApp(a, f.pathDisplay);
    return {
      '.tag': 'file',
      name: p.slice(p.lastIndexOf('/') + 1),
      id: f.id,
      client_modified: f.serverModified.toISOString().replace(/\.\d+Z$/, 'Z'),
      server_modified: f.serverModified.toISOString().replace(/\.\d+Z$/, 'Z'),
      rev: f.rev,
      size: f.data.length,
      path_lower: p.toLowerCase(),
      path_display: p,
      is_downloadable: true,
      content_hash: dropboxContentHash(f.data),
    };
  };
  const folderMeta = (a: DropboxAppAccess, absDisplay: string): Record<string, unknown> => {
    const p = toApp(a, absDisplay);
    return { '.tag': 'folder', name: p.slice(p.lastIndexOf('/') + 1), id: `id:folder${absDisplay.length}`, path_lower: p.toLowerCase(), path_display: p };
  };

  const commit = (a: DropboxAppAccess, path: string, data: Buffer, mode: unknown, route: string, contentHash?: string): Record<string, unknown> => {
    const abs = toAbs(a, path, route);
    if (abs === rootOf(a) || path === '') throw badRequest(route, 'path must not be the root');
    if (contentHash !== undefined && contentHash !== dropboxContentHash(data)) throw routeError('content_hash_mismatch', { '.tag': 'content_hash_mismatch' });
    const lower = abs.toLowerCase();
    if (state.folders.has(lower)) throw routeError('path/conflict/folder', { '.tag': 'path', path: { reason: { '.tag': 'conflict', conflict: { '.tag': 'folder' } } } });
    const modeTag = typeof mode === 'string' ? mode : ((mode as { '.tag'?: string } | undefined)?.['.tag'] ?? 'add');
    const existing = state.files.get(lower);
    if (existing && modeTag === 'add') throw routeError('path/conflict/file', { '.tag': 'path', path: { reason: { '.tag': 'conflict', conflict: { '.tag': 'file' } } } });
    ensureFolders(abs.slice(0, abs.lastIndexOf('/')));
    const f: FakeDropboxFile = { pathDisplay: existing?.pathDisplay ?? abs, data, id: existing?.id ?? `id:f${++idCounter}`, rev: (++revCounter).toString(16), serverModified: new Date() };
    state.files.set(lower, f);
    return fileMeta(a, f);
  };

  const parseArg = (req: IncomingMessage, route: string): Record<string, unknown> => {
    const h = req.headers['dropbox-api-arg'];
    if (typeof h !== 'string') throw badRequest(route, 'Missing Dropbox-API-Arg header.');
    try {
      return JSON.parse(h) as Record<string, unknown>;
    } catch {
      throw badRequest(route, 'Could not decode Dropbox-API-Arg header as JSON.');
    }
  };

  const listEntries = (a: DropboxAppAccess, absFolder: string, recursive: boolean): unknown[] => {
    const lower = absFolder.toLowerCase();
    const out: unknown[] = [];
    const inside = (p: string): boolean => p.startsWith(`${lower}/`) && (recursive || !p.slice(lower.length + 1).includes('/'));
    for (const [p, display] of state.folders) if (inside(p)) out.push(folderMeta(a, display));
    for (const [p, f] of state.files) if (inside(p)) out.push(fileMeta(a, f));
    return out;
  };

  const page = (cursor: string, st: ListState): Record<string, unknown> => {
    const entries = st.entries.slice(st.pos, st.pos + st.limit);
    const next = { ...st, pos: st.pos + entries.length };
    const has_more = next.pos < st.entries.length;
    return { entries, cursor: has_more ? cursors.put(next) : cursor, has_more };
  };

  const rpc = async (route: string, a: DropboxAppAccess, body: Record<string, unknown>): Promise<unknown> => {
    switch (route) {
      case 'files/list_folder': {
        const limit = body.limit === undefined ? 2000 : Number(body.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 2000) throw badRequest(route, `Invalid value for "limit": ${String(body.limit)} is not within 1..2000.`);
        const path = String(body.path ?? '');
        const abs = toAbs(a, path, route);
        if (abs !== rootOf(a) && !state.folders.has(abs.toLowerCase())) {
          if (state.files.has(abs.toLowerCase())) throw routeError('path/not_folder', { '.tag': 'path', path: { '.tag': 'not_folder' } });
          throw pathNotFound();
        }
        const entries = listEntries(a, abs, body.recursive === true);
        const st: ListState = { entries, pos: 0, access: a, limit };
        return page(cursors.put(st), st);
      }
      case 'files/list_folder/continue': {
        const st = typeof body.cursor === 'string' ? cursors.get(body.cursor) : undefined;
        if (!st) throw badRequest(route, 'Invalid "cursor" parameter.');
        return page(body.cursor as string, st);
      }
      case 'files/get_metadata': {
        const abs = toAbs(a, String(body.path ?? ''), route);
        const f = state.files.get(abs.toLowerCase());
        if (f) return fileMeta(a, f);
        const d = state.folders.get(abs.toLowerCase());
        if (d) return folderMeta(a, d);
        throw pathNotFound();
      }
      case 'files/delete_v2': {
        const abs = toAbs(a, String(body.path ?? ''), route);
        const lower = abs.toLowerCase();
        const f = state.files.get(lower);
        if (f) {
          state.files.delete(lower);
          return { metadata: fileMeta(a, f) };
        }
        const d = state.folders.get(lower);
        if (d) {
          for (const k of [...state.files.keys()]) if (k.startsWith(`${lower}/`)) state.files.delete(k);
          for (const k of [...state.folders.keys()]) if (k === lower || k.startsWith(`${lower}/`)) state.folders.delete(k);
          return { metadata: folderMeta(a, d) };
        }
        throw pathNotFound('path_lookup');
      }
      default:
        throw new RouteError(404, `Unknown API function: "${route}"`);
    }
  };

  const upload = async (route: string, a: DropboxAppAccess, arg: Record<string, unknown>, data: Buffer): Promise<unknown> => {
    switch (route) {
      case 'files/upload': {
        if (data.length > maxUpload) throw routeError('payload_too_large', { '.tag': 'payload_too_large' });
        return commit(a, String(arg.path ?? ''), data, arg.mode, route, typeof arg.content_hash === 'string' ? arg.content_hash : undefined);
      }
      case 'files/upload_session/start': {
        const id = `sess-${Math.random().toString(36).slice(2)}`;
        state.sessions.set(id, { data: [data], offset: data.length, closed: arg.close === true });
        return { session_id: id };
      }
      case 'files/upload_session/append_v2':
      case 'files/upload_session/finish': {
        const cursor = (arg.cursor ?? {}) as { session_id?: string; offset?: number };
        const s = cursor.session_id === undefined ? undefined : state.sessions.get(cursor.session_id);
        const wrap = (e: Record<string, unknown>, summary: string): RouteError =>
          route.endsWith('finish') ? routeError(`lookup_failed/${summary}`, { '.tag': 'lookup_failed', lookup_failed: e }) : routeError(summary, e);
        if (!s) throw wrap({ '.tag': 'not_found' }, 'not_found');
        if (cursor.offset !== s.offset) throw wrap({ '.tag': 'incorrect_offset', correct_offset: s.offset }, 'incorrect_offset');
        if (s.closed && data.length > 0) throw wrap({ '.tag': 'closed' }, 'closed');
        s.data.push(data);
        s.offset += data.length;
        if (route.endsWith('append_v2')) {
          if (arg.close === true) s.closed = true;
          return null;
        }
        const c = (arg.commit ?? {}) as { path?: string; mode?: unknown };
        const meta = commit(a, String(c.path ?? ''), Buffer.concat(s.data), c.mode, route);
        state.sessions.delete(cursor.session_id!);
        return meta;
      }
      default:
        throw new RouteError(404, `Unknown API function: "${route}"`);
    }
  };

  const server = await startServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    let route = url.pathname.replace(/^\/(2\/)?/, '');
    if (url.pathname === '/oauth2/token') route = 'oauth2/token';
    const record = (status: number): void => {
      state.requests.push({ route, status });
    };
    const fail = (e: RouteError): void => {
      record(e.status);
      if (typeof e.body === 'string') {
        res.writeHead(e.status, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(e.body);
      } else sendJson(res, e.status, e.body);
    };
    const fault = faults.take(route);
    try {
      if (fault?.status !== undefined) {
        const headers: Record<string, string> = {};
        if (fault.retryAfterSec !== undefined) headers['retry-after'] = String(fault.retryAfterSec);
        record(fault.status);
        if (fault.status === 429) {
          sendJson(res, 429, { error_summary: 'too_many_requests/..', error: { reason: { '.tag': 'too_many_requests' }, retry_after: fault.retryAfterSec ?? 1 } }, headers);
        } else {
          res.writeHead(fault.status, { 'content-type': 'text/plain', ...headers });
          res.end('Internal Server Error (injected)');
        }
        return;
      }
      if (req.method !== 'POST') throw new RouteError(405, 'Only POST is supported.');

      if (route === 'oauth2/token') {
        const form = new URLSearchParams((await readBody(req)).toString());
        const access = form.get('grant_type') === 'refresh_token' ? state.refreshTokens.get(form.get('refresh_token') ?? '') : undefined;
        if (!access || !form.get('client_id')) {
          record(400);
          sendJson(res, 400, { error: 'invalid_grant', error_description: 'refresh token is malformed or revoked' });
          return;
        }
        record(200);
        sendJson(res, 200, { access_token: tokens.issue(access, options.tokenTtlMs ?? 4 * 3_600_000, 'sl'), token_type: 'bearer', expires_in: Math.floor((options.tokenTtlMs ?? 4 * 3_600_000) / 1000) });
        return;
      }

      const auth = tokens.check(req.headers.authorization);
      if (!auth.ok) {
        const tag = auth.why === 'expired' ? 'expired_access_token' : 'invalid_access_token';
        fail(new RouteError(401, { error_summary: `${tag}/..`, error: { '.tag': tag } }));
        return;
      }
      const a = auth.meta;
      const isContent = route === 'files/download' || route.startsWith('files/upload');

      if (!isContent) {
        const raw = await readBody(req);
        let body: Record<string, unknown> = {};
        if (raw.length > 0) {
          if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) throw badRequest(route, 'Bad HTTP "Content-Type" header. Expecting "application/json".');
          body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
        }
        const result = await rpc(route, a, body);
        if (fault?.dropResponse) {
          record(0);
          req.socket.destroy();
          return;
        }
        record(200);
        sendJson(res, 200, result);
        return;
      }

      const arg = parseArg(req, route);
      if (route === 'files/download') {
        await readBody(req);
        const abs = toAbs(a, String(arg.path ?? ''), route);
        const f = state.files.get(abs.toLowerCase());
        if (!f) {
          if (state.folders.has(abs.toLowerCase())) throw routeError('path/not_file', { '.tag': 'path', path: { '.tag': 'not_file' } });
          throw pathNotFound();
        }
        const range = parseRange(req.headers.range, f.data.length);
        const headers = { 'content-type': 'application/octet-stream', 'dropbox-api-result': JSON.stringify(fileMeta(a, f)).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) };
        if (range === 'unsatisfiable') {
          record(416);
          res.writeHead(416, { 'content-range': `bytes */${f.data.length}` });
          res.end();
          return;
        }
        const slice = range ? f.data.subarray(range.start, range.end + 1) : f.data;
        const status = range ? 206 : 200;
        record(status);
        sendBytes(res, status, range ? { ...headers, 'content-range': `bytes ${range.start}-${range.end}/${f.data.length}` } : headers, slice, fault?.dropAfterBytes);
        return;
      }

      if (req.headers['content-type'] !== 'application/octet-stream') throw badRequest(route, 'Bad HTTP "Content-Type" header. Expecting "application/octet-stream".');
      const data = await readBody(req, fault?.dropAfterBytes);
      const result = await upload(route, a, arg, data);
      if (fault?.dropResponse) {
        record(0);
        req.socket.destroy();
        return;
      }
      record(200);
      sendJson(res, 200, result);
    } catch (e) {
      if (e instanceof DroppedConnection) {
        record(0);
        return;
      }
      if (e instanceof RouteError) {
        fail(e);
        return;
      }
      throw e;
    }
  });

  const seenUrls: string[] = [];
  const rewriting = loopbackFetch((u) => {
    if (u.protocol === 'https:' && (u.hostname === 'api.dropboxapi.com' || u.hostname === 'content.dropboxapi.com')) {
      return new URL(`${server.url}${u.pathname}${u.search}`);
    }
    return u;
  }, seenUrls);

  return {
    url: server.url,
    state,
    failNext: (spec) => faults.add(spec),
    issueToken: (access = FULL, ttlMs) => tokens.issue(access, ttlMs, 'sl'),
    addRefreshToken: (refreshToken, access = FULL) => {
      state.refreshTokens.set(refreshToken, access);
    },
    expireAllTokens: () => tokens.expireAll(),
    fetch: rewriting,
    seenUrls,
    close: () => server.close(),
  };
}
