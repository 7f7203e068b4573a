/**
 * A small in-memory Google Drive API v3 server for tests, speaking the documented wire
 * protocol `@googleapis/drive` parses: `files.list` (`q` subset, `pageSize` ≤ 1000, opaque
 * `pageToken` tied to its query, partial-response `fields`, shared-drive rules: `corpora=drive`
 * + `driveId` + `includeItemsFromAllDrives`, `supportsAllDrives`), `files.get` (metadata and
 * `alt=media` with Range), `files.create` (folders), `files.delete`, resumable uploads
 * (`uploadType=resumable` → session URI; `Content-Range` chunks in 256 KiB multiples → 308
 * with `Range` until complete; status queries (empty PUTs with an unknown start); a dropped connection keeps the
 * bytes that arrived, rounded down to 256 KiB), Google's error envelope, 401 for bad bearer
 * tokens, and the OAuth token endpoint (refresh tokens, and service-account JWT assertions whose
 * RS256 signature is verified). Faults: `failNext`.
 */
import { createHash, createPublicKey, verify } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CursorBook, DroppedConnection, FaultQueue, loopbackFetch, parseRange, readBody, sendBytes, sendJson, startServer, TokenBook, type FaultSpec } from './common';

/** Folder MIME type. */
export const FOLDER_MIME = 'application/vnd.google-apps.folder';
/** The fake's id for "My Drive" (alias `root`). */
export const MY_DRIVE_ROOT = '0AMyDriveRootFolderId';

/** One stored file or folder. */
export interface FakeDriveFile {
  id: string;
  name: string;
  mimeType: string;
  parents: string[];
  trashed: boolean;
  data: Buffer;
  createdTime: Date;
  modifiedTime: Date;
  /** Set when the file lives in a shared drive. */
  driveId?: string;
}

/** Inspectable state. */
export interface FakeDriveState {
  readonly files: Map<string, FakeDriveFile>;
  /** Shared drives: id → name. */
  readonly drives: Map<string, string>;
  readonly sessions: Map<string, { meta: Record<string, unknown>; fileId?: string; received: Buffer[]; size: number; total?: number; fields?: string; allDrives: boolean }>;
  readonly requests: Array<{ method: string; path: string; query: string; status: number; contentRange?: string }>;
}

/** A running fake Drive. */
export interface FakeDrive {
  readonly url: string;
  readonly state: FakeDriveState;
  failNext(spec: FaultSpec): void;
  issueToken(ttlMs?: number): string;
  addRefreshToken(refreshToken: string): void;
  /** Registers a service account (its public key verifies JWT assertions). */
  addServiceAccount(email: string, publicKeyPem: string): void;
  expireAllTokens(): void;
  /** Creates a folder (or file with `data`) directly in the state; returns its id. */
  put(parentId: string, name: string, data?: Buffer, opts?: { trashed?: boolean; modifiedTime?: Date }): string;
  /** Creates a shared drive; its id is also its root folder id. */
  addSharedDrive(name: string): string;
  /** A fetch that refuses non-loopback hosts (and rewrites Google's token URL to this server). */
  readonly fetch: typeof fetch;
  readonly seenUrls: readonly string[];
  close(): Promise<void>;
}

/** Drive's chunk granularity for resumable uploads. */
export const DRIVE_CHUNK_GRANULARITY = 256 * 1024;

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly location?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const notFound = (id: string): ApiError => new ApiError(404, 'notFound', `File not found: ${id}.`, 'fileId');

type Term = { kind: 'parent'; id: string } | { kind: 'trashed'; value: boolean } | { kind: 'name'; value: string } | { kind: 'mime'; value: string; negate: boolean };

/** Parses the supported subset of Drive's query language (terms joined by `and`). */
export function parseDriveQuery(q: string): Term[] {
  const terms: Term[] = [];
  let rest = q.trim();
  const str = String.raw`'((?:[^'\\]|\\.)*)'`;
  const unescape = (s: string): string => s.replace(/\\(.)/g, '$1');
  const patterns: Array<[RegExp, (m: RegExpExecArray) => Term]> = [
    [new RegExp(`^${str}\\s+in\\s+parents`), (m) => ({ kind: 'parent', id: unescape(m[1]!) })],
    [/^trashed\s*=\s*(true|false)/, (m) => ({ kind: 'trashed', value: m[1] === 'true' })],
    [new RegExp(`^name\\s*=\\s*${str}`), (m) => ({ kind: 'name', value: unescape(m[1]!) })],
    [new RegExp(`^mimeType\\s*(!?=)\\s*${str}`), (m) => ({ kind: 'mime', value: unescape(m[2]!), negate: m[1] === '!=' })],
  ];
  while (rest !== '') {
    const hit = patterns.map(([re, f]) => {
      const m = re.exec(rest);
      return m ? { m, f } : undefined;
    }).find((x) => x !== undefined);
    if (!hit) throw new ApiError(400, 'invalid', 'Invalid Value', 'q');
    terms.push(hit.f(hit.m));
    rest = rest.slice(hit.m[0].length).trim();
    if (rest === '') break;
    const and = /^and\s+/i.exec(rest);
    if (!and) throw new ApiError(400, 'invalid', 'Invalid Value', 'q');
    rest = rest.slice(and[0].length);
  }
  return terms;
}

/** Selects fields of a file resource per a partial-response `fields` list like `id,name,size`. */
function pick(file: Record<string, unknown>, fields: string | undefined): Record<string, unknown> {
  const wanted = fields === undefined || fields.trim() === '' ? ['kind', 'id', 'name', 'mimeType'] : fields.split(',').map((f) => f.trim());
  if (wanted.includes('*')) return file;
  const out: Record<string, unknown> = {};
  for (const f of wanted) if (file[f] !== undefined) out[f] = file[f];
  return out;
}

/** Splits `nextPageToken,files(id,name)` into top-level and per-file field lists. */
function splitListFields(fields: string | undefined): { top: string[]; file: string | undefined } {
  if (fields === undefined || fields.trim() === '') return { top: ['nextPageToken', 'kind', 'incompleteSearch', 'files'], file: undefined };
  if (fields.trim() === '*') return { top: ['nextPageToken', 'kind', 'incompleteSearch', 'files'], file: '*' };
  const m = /files\(([^)]*)\)/.exec(fields);
  const top = fields.replace(/files\([^)]*\)/, 'files').split(',').map((s) => s.trim()).filter(Boolean);
  return { top, file: m ? m[1] : top.includes('files') ? '*' : undefined };
}

/** Starts a fake Google Drive on 127.0.0.1. */
export async function startFakeDrive(): Promise<FakeDrive> {
  const faults = new FaultQueue();
  const tokens = new TokenBook<true>();
  const pageTokens = new CursorBook<{ ids: string[]; pos: number; q: string }>();
  const refreshTokens = new Set<string>();
  const serviceAccounts = new Map<string, string>();
  const state: FakeDriveState = { files: new Map(), drives: new Map(), sessions: new Map(), requests: [] };
  let counter = 0;
  let url = '';
  const newId = (): string => `1F${(++counter).toString(36).padStart(6, '0')}${Math.random().toString(36).slice(2, 8)}`;

  const resource = (f: FakeDriveFile): Record<string, unknown> => ({
    kind: 'drive#file',
    id: f.id,
    name: f.name,
    mimeType: f.mimeType,
    parents: f.parents,
    trashed: f.trashed,
    createdTime: f.createdTime.toISOString(),
    modifiedTime: f.modifiedTime.toISOString(),
    ...(f.mimeType === FOLDER_MIME ? {} : { size: String(f.data.length), md5Checksum: createHash('md5').update(f.data).digest('hex') }),
    ...(f.driveId ? { driveId: f.driveId } : {}),
  });
  const canonical = (id: string): string => (id === 'root' ? MY_DRIVE_ROOT : id);
  const isContainer = (id: string): boolean => id === MY_DRIVE_ROOT || state.drives.has(id) || state.files.get(id)?.mimeType === FOLDER_MIME;
  const driveOf = (parentId: string): string | undefined => (state.drives.has(parentId) ? parentId : state.files.get(parentId)?.driveId);
  const visible = (f: FakeDriveFile | undefined, allDrives: boolean): f is FakeDriveFile => f !== undefined && (f.driveId === undefined || allDrives);
  const flag = (q: URLSearchParams, n: string): boolean => q.get(n) === 'true';

  const createFile = (meta: Record<string, unknown>, data: Buffer, allDrives: boolean): FakeDriveFile => {
    const parents = Array.isArray(meta.parents) && meta.parents.length > 0 ? (meta.parents as string[]).map(canonical) : [MY_DRIVE_ROOT];
    const parent = parents[0]!;
    const pDrive = driveOf(parent);
    if (!isContainer(parent) || (pDrive !== undefined && !allDrives)) throw notFound(parent);
    const now = new Date();
    const f: FakeDriveFile = { id: newId(), name: String(meta.name ?? 'Untitled'), mimeType: String(meta.mimeType ?? 'application/octet-stream'), parents, trashed: false, data, createdTime: now, modifiedTime: now, ...(pDrive ? { driveId: pDrive } : {}) };
    state.files.set(f.id, f);
    return f;
  };

  const sendError = (res: ServerResponse, e: ApiError): void => {
    sendJson(
      res,
      e.status,
      { error: { code: e.status, message: e.message, errors: [{ domain: e.status === 429 || /RateLimit/.test(e.reason) ? 'usageLimits' : 'global', reason: e.reason, message: e.message, ...(e.location ? { locationType: e.location === 'Authorization' ? 'header' : 'parameter', location: e.location } : {}) }] } },
      e.headers,
    );
  };

  const tokenEndpoint = async (req: IncomingMessage, res: ServerResponse): Promise<number> => {
    const form = new URLSearchParams((await readBody(req)).toString());
    const grant = form.get('grant_type');
    let ok = false;
    if (grant === 'refresh_token') ok = refreshTokens.has(form.get('refresh_token') ?? '');
    if (grant === 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      const parts = (form.get('assertion') ?? '').split('.');
      if (parts.length === 3) {
        const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { iss?: string; scope?: string; aud?: string; exp?: number };
        const pem = serviceAccounts.get(claims.iss ?? '');
        ok =
          pem !== undefined &&
          claims.aud === 'https://oauth2.googleapis.com/token' &&
          (claims.scope ?? '').split(' ').includes('https://www.googleapis.com/auth/drive') &&
          (claims.exp ?? 0) * 1000 > Date.now() &&
          verify('RSA-SHA256', Buffer.from(`${parts[0]}.${parts[1]}`), createPublicKey(pem), Buffer.from(parts[2]!, 'base64url'));
      }
    }
    if (!ok) {
      sendJson(res, 400, { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' });
      return 400;
    }
    sendJson(res, 200, { access_token: tokens.issue(true, 3_600_000, 'ya29'), expires_in: 3599, token_type: 'Bearer', scope: 'https://www.googleapis.com/auth/drive' });
    return 200;
  };

  const uploadChunk = async (req: IncomingMessage, res: ServerResponse, q: URLSearchParams): Promise<number> => {
    const id = q.get('upload_id') ?? '';
    const s = state.sessions.get(id);
    if (!s) {
      await readBody(req).catch(() => undefined);
      throw new ApiError(404, 'notFound', 'Upload session not found or expired.');
    }
    const cr = String(req.headers['content-range'] ?? '');
    const complete = (): number => {
      const data = Buffer.concat(s.received);
      let f: FakeDriveFile;
      if (s.fileId) {
        f = state.files.get(s.fileId)!;
        f.data = data;
        f.modifiedTime = new Date();
        if (typeof s.meta.name === 'string') f.name = s.meta.name;
      } else {
        f = createFile(s.meta, data, s.allDrives);
      }
      state.sessions.delete(id);
      sendJson(res, 200, pick(resource(f), s.fields));
      return 200;
    };
    const progress = (): number => {
      res.writeHead(308, s.size > 0 ? { range: `bytes=0-${s.size - 1}`, 'content-length': '0' } : { 'content-length': '0' });
      res.end();
      return 308;
    };
    const status = /^bytes \*\/(\d+|\*)$/.exec(cr);
    if (status) {
      await readBody(req);
      if (status[1] !== '*') s.total = Number(status[1]);
      if (s.total !== undefined && s.size === s.total) return complete();
      return progress();
    }
    const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(cr);
    if (!m) {
      await readBody(req);
      throw new ApiError(400, 'badContent', 'Invalid Content-Range header.');
    }
    const start = Number(m[1]);
    const end = Number(m[2]);
    const total = m[3] === '*' ? undefined : Number(m[3]);
    if (start > s.size) {
      await readBody(req);
      throw new ApiError(400, 'badContent', `Content-Range starts at ${start} but only ${s.size} bytes were received.`);
    }
    const body = await readBody(req);
    if (body.length !== end - start + 1) throw new ApiError(400, 'badContent', 'The Content-Range does not match the body length.');
    if (total === undefined || end + 1 < total) {
      if (body.length % DRIVE_CHUNK_GRANULARITY !== 0) throw new ApiError(400, 'badContent', 'Chunks other than the last must be a multiple of 256 KiB.');
    }
    const fresh = body.subarray(s.size - start);
    s.received.push(fresh);
    s.size += fresh.length;
    if (total !== undefined) s.total = total;
    if (s.total !== undefined && s.size > s.total) throw new ApiError(400, 'badContent', 'More bytes than the declared total.');
    if (s.total !== undefined && s.size === s.total) return complete();
    return progress();
  };

  const server = await startServer(async (req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const path = u.pathname;
    const q = u.searchParams;
    const record = (status: number): void => {
      state.requests.push({ method: req.method ?? '', path, query: u.search, status, ...(typeof req.headers['content-range'] === 'string' ? { contentRange: req.headers['content-range'] } : {}) });
    };
    // Upload PUTs are routed with their Content-Range, so a fault can target one chunk.
    const cr = typeof req.headers['content-range'] === 'string' ? ` ${req.headers['content-range']}` : '';
    const fault = faults.take(`${req.method} ${path}${u.search}${cr}`);
    try {
      if (fault?.status !== undefined) {
        await readBody(req).catch(() => undefined);
        const reason = fault.reason ?? (fault.status === 429 ? 'rateLimitExceeded' : 'backendError');
        record(fault.status);
        sendError(res, new ApiError(fault.status, reason, fault.status === 429 || /RateLimit/.test(reason) ? 'Rate Limit Exceeded' : 'Backend Error', undefined, fault.retryAfterSec !== undefined ? { 'retry-after': String(fault.retryAfterSec) } : {}));
        return;
      }
      if (path === '/token' && req.method === 'POST') {
        record(await tokenEndpoint(req, res));
        return;
      }
      const auth = tokens.check(req.headers.authorization);
      if (!auth.ok) {
        await readBody(req).catch(() => undefined);
        throw new ApiError(401, 'authError', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.', 'Authorization');
      }
      const allDrives = flag(q, 'supportsAllDrives');

      // Resumable uploads.
      if (path.startsWith('/upload/drive/v3/files')) {
        if (req.method === 'PUT' && q.has('upload_id')) {
          if (fault?.dropAfterBytes !== undefined) {
            // Record the partial body before dropping, so the kept bytes are real data.
            const id = q.get('upload_id') ?? '';
            const s = state.sessions.get(id);
            const cr = /^bytes (\d+)-/.exec(String(req.headers['content-range'] ?? ''));
            const chunks: Buffer[] = [];
            let n = 0;
            const limit = fault.dropAfterBytes;
            await new Promise<void>((resolve) => {
              const onData = (c: Buffer): void => {
                chunks.push(c);
                n += c.length;
                if (n >= limit) {
                  req.off('data', onData);
                  req.pause();
                  resolve();
                }
              };
              req.on('data', onData);
              req.once('end', resolve);
              req.once('close', resolve);
              req.once('error', () => resolve());
            });
            if (s && cr) {
              const start = Number(cr[1]);
              const body = Buffer.concat(chunks);
              const kept = Math.floor(Math.min(n, fault.dropAfterBytes) / DRIVE_CHUNK_GRANULARITY) * DRIVE_CHUNK_GRANULARITY;
              if (start <= s.size && start + kept > s.size) {
                s.received.push(body.subarray(s.size - start, kept));
                s.size = start + kept;
              }
            }
            req.socket.destroy();
            record(0);
            return;
          }
          const status = await uploadChunk(req, res, q);
          record(status);
          return;
        }
        if (q.get('uploadType') !== 'resumable') {
          await readBody(req);
          throw new ApiError(400, 'invalid', 'This fake supports uploadType=resumable only.', 'uploadType');
        }
        const idMatch = /^\/upload\/drive\/v3\/files\/([^/]+)$/.exec(path);
        const raw = await readBody(req);
        const meta = raw.length ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : {};
        if (req.method === 'PATCH' && idMatch) {
          const f = state.files.get(idMatch[1]!);
          if (!visible(f, allDrives) || f.mimeType === FOLDER_MIME) throw notFound(idMatch[1]!);
        } else if (req.method !== 'POST' || path !== '/upload/drive/v3/files') {
          throw new ApiError(405, 'methodNotAllowed', 'Method not allowed.');
        } else {
          const parent = Array.isArray(meta.parents) ? canonical(String(meta.parents[0])) : MY_DRIVE_ROOT;
          if (!isContainer(parent) || (driveOf(parent) !== undefined && !allDrives)) throw notFound(parent);
        }
        const id = `up-${newId()}`;
        const lenHeader = req.headers['x-upload-content-length'];
        state.sessions.set(id, {
          meta,
          ...(idMatch ? { fileId: idMatch[1]! } : {}),
          received: [],
          size: 0,
          ...(typeof lenHeader === 'string' ? { total: Number(lenHeader) } : {}),
          ...(q.get('fields') ? { fields: q.get('fields')! } : {}),
          allDrives,
        });
        record(200);
        res.writeHead(200, { location: `${url}/upload/drive/v3/files?uploadType=resumable&upload_id=${id}`, 'content-length': '0' });
        res.end();
        return;
      }

      if (path === '/drive/v3/files' && req.method === 'GET') {
        await readBody(req);
        const pageSize = q.has('pageSize') ? Number(q.get('pageSize')) : 100;
        if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) throw new ApiError(400, 'invalid', `Invalid value '${q.get('pageSize')}'. Values must be within the range: [1, 1000]`, 'pageSize');
        const corpora = q.get('corpora') ?? 'user';
        const includeAll = flag(q, 'includeItemsFromAllDrives');
        if (corpora === 'drive') {
          if (!q.get('driveId')) throw new ApiError(400, 'invalid', 'The driveId parameter must be specified if and only if corpora is set to drive.', 'driveId');
          if (!includeAll || !allDrives) throw new ApiError(403, 'teamDriveIncludeItemsRequired', 'The includeItemsFromAllDrives parameter must be set to true when driveId is specified.', 'includeItemsFromAllDrives');
          if (!state.drives.has(q.get('driveId')!)) throw new ApiError(404, 'notFound', `Shared drive not found: ${q.get('driveId')}`, 'driveId');
        } else if (q.get('driveId')) {
          throw new ApiError(400, 'invalid', 'The driveId parameter must be specified if and only if corpora is set to drive.', 'driveId');
        }
        const qs = q.get('q') ?? '';
        let st: { ids: string[]; pos: number; q: string };
        const token = q.get('pageToken');
        if (token) {
          const found = pageTokens.get(token);
          if (!found || found.q !== `${corpora}|${q.get('driveId') ?? ''}|${qs}`) throw new ApiError(400, 'invalid', 'Invalid Value', 'pageToken');
          st = found;
        } else {
          const terms = parseDriveQuery(qs);
          const ids = [...state.files.values()]
            .filter((f) => (corpora === 'drive' ? f.driveId === q.get('driveId') : f.driveId === undefined || includeAll))
            .filter((f) =>
              terms.every((t) => {
                switch (t.kind) {
                  case 'parent':
                    return f.parents.includes(canonical(t.id));
                  case 'trashed':
                    return f.trashed === t.value;
                  case 'name':
                    return f.name === t.value;
                  case 'mime':
                    return (f.mimeType === t.value) !== t.negate;
                }
              }),
            )
            .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.createdTime.getTime() - b.createdTime.getTime()))
            .map((f) => f.id);
          st = { ids, pos: 0, q: `${corpora}|${q.get('driveId') ?? ''}|${qs}` };
        }
        const pageIds = st.ids.slice(st.pos, st.pos + pageSize);
        const next = st.pos + pageIds.length < st.ids.length ? pageTokens.put({ ...st, pos: st.pos + pageIds.length }) : undefined;
        const { top, file } = splitListFields(q.get('fields') ?? undefined);
        const body: Record<string, unknown> = {};
        if (top.includes('kind')) body.kind = 'drive#fileList';
        if (top.includes('incompleteSearch')) body.incompleteSearch = false;
        if (next && top.includes('nextPageToken')) body.nextPageToken = next;
        if (top.includes('files')) body.files = pageIds.map((id) => state.files.get(id)).filter((f): f is FakeDriveFile => f !== undefined).map((f) => pick(resource(f), file));
        record(200);
        sendJson(res, 200, body);
        return;
      }

      if (path === '/drive/v3/files' && req.method === 'POST') {
        const meta = JSON.parse((await readBody(req)).toString('utf8') || '{}') as Record<string, unknown>;
        const f = createFile(meta, Buffer.alloc(0), allDrives);
        record(200);
        sendJson(res, 200, pick(resource(f), q.get('fields') ?? undefined));
        return;
      }

      const one = /^\/drive\/v3\/files\/([^/]+)$/.exec(path);
      if (one) {
        await readBody(req);
        const id = decodeURIComponent(one[1]!);
        const f = state.files.get(id);
        if (!visible(f, allDrives)) throw notFound(id);
        if (req.method === 'DELETE') {
          state.files.delete(id);
          for (const c of [...state.files.values()]) if (c.parents.includes(id)) state.files.delete(c.id);
          record(204);
          res.writeHead(204).end();
          return;
        }
        if (req.method !== 'GET') throw new ApiError(405, 'methodNotAllowed', 'Method not allowed.');
        if (q.get('alt') !== 'media') {
          record(200);
          sendJson(res, 200, pick(resource(f), q.get('fields') ?? undefined));
          return;
        }
        if (f.mimeType === FOLDER_MIME) throw new ApiError(403, 'fileNotDownloadable', 'Only files with binary content can be downloaded.', 'alt');
        const range = parseRange(req.headers.range, f.data.length);
        if (range === 'unsatisfiable') {
          record(416);
          res.writeHead(416, { 'content-range': `bytes */${f.data.length}`, 'content-length': '0' }).end();
          return;
        }
        const slice = range ? f.data.subarray(range.start, range.end + 1) : f.data;
        const headers: Record<string, string> = { 'content-type': f.mimeType };
        if (range) headers['content-range'] = `bytes ${range.start}-${range.end}/${f.data.length}`;
        record(range ? 206 : 200);
        sendBytes(res, range ? 206 : 200, headers, slice, fault?.dropAfterBytes);
        return;
      }
      await readBody(req);
      throw new ApiError(404, 'notFound', 'Not Found');
    } catch (e) {
      if (e instanceof DroppedConnection) {
        record(0);
        return;
      }
      if (e instanceof ApiError) {
        record(e.status);
        sendError(res, e);
        return;
      }
      if (e instanceof SyntaxError) {
        record(400);
        sendError(res, new ApiError(400, 'parseError', 'Parse Error'));
        return;
      }
      throw e;
    }
  });
  url = server.url;

  const seenUrls: string[] = [];
  return {
    url,
    state,
    failNext: (spec) => faults.add(spec),
    issueToken: (ttlMs) => tokens.issue(true, ttlMs, 'ya29'),
    addRefreshToken: (t) => {
      refreshTokens.add(t);
    },
    addServiceAccount: (email, pem) => {
      serviceAccounts.set(email, pem);
    },
    expireAllTokens: () => tokens.expireAll(),
    put: (parentId, name, data, opts = {}) => {
      const p = canonical(parentId);
      const now = opts.modifiedTime ?? new Date();
      const f: FakeDriveFile = { id: newId(), name, mimeType: data === undefined ? FOLDER_MIME : 'application/zip', parents: [p], trashed: opts.trashed ?? false, data: data ?? Buffer.alloc(0), createdTime: now, modifiedTime: now, ...(driveOf(p) ? { driveId: driveOf(p)! } : {}) };
      state.files.set(f.id, f);
      return f.id;
    },
    addSharedDrive: (name) => {
      const id = `0A${newId()}`;
      state.drives.set(id, name);
      return id;
    },
    fetch: loopbackFetch((u) => (u.href === 'https://oauth2.googleapis.com/token' ? new URL(`${url}/token`) : u), seenUrls),
    seenUrls,
    close: () => server.close(),
  };
}
