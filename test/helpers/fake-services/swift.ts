/**
 * A small in-memory OpenStack Swift + Keystone server for tests, speaking the documented APIs:
 * Keystone v3 password auth (`POST /v3/auth/tokens` → `X-Subject-Token` and a service catalog
 * with object-store endpoints per region and interface), v1 tempauth (`GET /auth/v1.0`),
 * `X-Auth-Token` checks (401), container listings (`format=json`, `prefix`, `marker`,
 * `limit` ≤ 10 000), objects (HEAD, GET with Range, PUT with ETag checks, DELETE), and Static
 * Large Objects (`?multipart-manifest=put|get|delete`, segment checks, minimum segment size).
 * Faults: `failNext`.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DroppedConnection, FaultQueue, loopbackFetch, parseRange, readBody, sendBytes, sendJson, startServer, TokenBook, type FaultSpec } from './common';

/** One stored object. */
export interface FakeSwiftObject {
  data: Buffer;
  etag: string;
  lastModified: Date;
  contentType: string;
  /** Set for SLO manifests: the segment list as stored. */
  slo?: Array<{ name: string; hash: string; bytes: number }>;
}

/** Inspectable state: accounts → containers → objects. */
export interface FakeSwiftState {
  readonly accounts: Map<string, Map<string, Map<string, FakeSwiftObject>>>;
  /** Every request: method, path (decoded, without query) and status. */
  readonly requests: Array<{ method: string; path: string; query: string; status: number }>;
}

/** Options of the fake. */
export interface FakeSwiftOptions {
  /** Regions in the Keystone catalog (default ['RegionOne']); each gets its own account `AUTH_<region>`. */
  readonly regions?: readonly string[];
  /** Largest plain object (real default 5 GiB). */
  readonly maxFileSize?: number;
  /** Smallest SLO segment except the last (real default 1 MiB). */
  readonly minSegmentSize?: number;
  /** Keystone token lifetime. */
  readonly tokenTtlMs?: number;
  /** Containers created at start in every account. */
  readonly containers?: readonly string[];
}

/** Credentials the fake accepts. */
export const SWIFT_TEST_USER = { username: 'backup', password: 's3cret-pass', userDomain: 'Default', projectName: 'odoo', projectDomain: 'Default' } as const;
/** Tempauth credentials the fake accepts (account `AUTH_tempauth`). */
export const SWIFT_TEMPAUTH_USER = { user: 'test:tester', key: 'testing-key' } as const;

/** A running fake Swift. */
export interface FakeSwift {
  readonly url: string;
  readonly state: FakeSwiftState;
  failNext(spec: FaultSpec): void;
  /** Expires every token (the next request gets 401). */
  expireAllTokens(): void;
  /** Objects of `container` in `account` (e.g. `AUTH_RegionOne`). */
  container(account: string, container: string): Map<string, FakeSwiftObject> | undefined;
  /** A fetch that only reaches loopback. */
  readonly fetch: typeof fetch;
  readonly seenUrls: readonly string[];
  /** How many times each auth endpoint issued a token. */
  readonly authCount: { v3: number; v1: number };
  close(): Promise<void>;
}

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');
const httpDate = (d: Date): string => d.toUTCString();
const listingDate = (d: Date): string => d.toISOString().replace('Z', '').replace(/\.(\d{3})$/, '.$1000');

/** Starts a fake Swift/Keystone on 127.0.0.1. */
export async function startFakeSwift(options: FakeSwiftOptions = {}): Promise<FakeSwift> {
  const regions = options.regions ?? ['RegionOne'];
  const maxFileSize = options.maxFileSize ?? 5 * 1024 * 1024 * 1024;
  const minSegment = options.minSegmentSize ?? 1024 * 1024;
  const faults = new FaultQueue();
  const tokens = new TokenBook<{ accounts: readonly string[] }>();
  const state: FakeSwiftState = { accounts: new Map(), requests: [] };
  const authCount = { v3: 0, v1: 0 };
  for (const acct of [...regions.map((r) => `AUTH_${r}`), 'AUTH_tempauth']) {
    state.accounts.set(acct, new Map((options.containers ?? ['backups']).map((c) => [c, new Map()])));
  }
  let url = '';

  const sloData = (acct: Map<string, Map<string, FakeSwiftObject>>, o: FakeSwiftObject): Buffer => {
    if (!o.slo) return o.data;
    return Buffer.concat(
      o.slo.map((s) => {
        const [, c, ...rest] = s.name.split('/');
        const seg = acct.get(c!)?.get(rest.join('/'));
        if (!seg) throw new Error(`segment ${s.name} missing`);
        return seg.data;
      }),
    );
  };
  const objectHeaders = (o: FakeSwiftObject, size: number): Record<string, string> => ({
    'content-type': o.contentType,
    etag: o.slo ? `"${o.etag}"` : o.etag,
    'last-modified': httpDate(o.lastModified),
    'x-timestamp': (o.lastModified.getTime() / 1000).toFixed(5),
    'accept-ranges': 'bytes',
    'content-length': String(size),
    ...(o.slo ? { 'x-static-large-object': 'True' } : {}),
  });

  const text = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'content-type': 'text/html; charset=UTF-8', 'content-length': String(Buffer.byteLength(body)), ...headers });
    res.end(body);
  };

  const keystone = async (req: IncomingMessage, res: ServerResponse): Promise<number> => {
    let body: { auth?: { identity?: { methods?: string[]; password?: { user?: { name?: string; password?: string; domain?: { name?: string; id?: string } } } }; scope?: { project?: { name?: string; id?: string; domain?: { name?: string; id?: string } } } } };
    try {
      body = JSON.parse((await readBody(req)).toString('utf8')) as typeof body;
    } catch {
      sendJson(res, 400, { error: { code: 400, message: 'Expecting to find auth in request body.', title: 'Bad Request' } });
      return 400;
    }
    const user = body.auth?.identity?.password?.user;
    const project = body.auth?.scope?.project;
    const okUser = body.auth?.identity?.methods?.includes('password') && user?.name === SWIFT_TEST_USER.username && user.password === SWIFT_TEST_USER.password && (user.domain?.name ?? user.domain?.id) === SWIFT_TEST_USER.userDomain;
    if (!okUser) {
      sendJson(res, 401, { error: { code: 401, message: 'The request you have made requires authentication.', title: 'Unauthorized' } });
      return 401;
    }
    if (project?.name !== SWIFT_TEST_USER.projectName && project?.id !== 'p-odoo') {
      sendJson(res, 401, { error: { code: 401, message: 'User has no access to project', title: 'Unauthorized' } });
      return 401;
    }
    const ttl = options.tokenTtlMs ?? 3_600_000;
    const token = tokens.issue({ accounts: regions.map((r) => `AUTH_${r}`) }, ttl, 'gAAAA');
    authCount.v3++;
    const catalog = [
      { type: 'identity', name: 'keystone', id: 'k1', endpoints: [{ id: 'e0', interface: 'public', region: regions[0], region_id: regions[0], url: `${url}/v3` }] },
      {
        type: 'object-store',
        name: 'swift',
        id: 's1',
        endpoints: regions.flatMap((r, i) => [
          { id: `e${i}p`, interface: 'public', region: r, region_id: r, url: `${url}/v1/AUTH_${r}` },
          { id: `e${i}i`, interface: 'internal', region: r, region_id: r, url: `http://10.255.0.${i + 1}:8080/v1/AUTH_${r}` },
          { id: `e${i}a`, interface: 'admin', region: r, region_id: r, url: `http://10.255.1.${i + 1}:8080/v1` },
        ]),
      },
    ];
    sendJson(
      res,
      201,
      { token: { methods: ['password'], expires_at: new Date(Date.now() + ttl).toISOString(), issued_at: new Date().toISOString(), user: { id: 'u1', name: user!.name, domain: { id: 'default', name: 'Default' } }, project: { id: 'p-odoo', name: 'odoo', domain: { id: 'default', name: 'Default' } }, catalog } },
      { 'x-subject-token': token },
    );
    return 201;
  };

  const swift = async (req: IncomingMessage, res: ServerResponse, path: string, q: URLSearchParams, fault: FaultSpec | undefined): Promise<number> => {
    const parts = path.split('/'); // ['', 'v1', 'AUTH_x', container?, ...object]
    const acctName = parts[2]!;
    const auth = tokens.checkToken(req.headers['x-auth-token'] as string | undefined);
    if (!auth.ok || !auth.meta.accounts.includes(acctName)) {
      text(res, 401, '<html><h1>Unauthorized</h1><p>This server could not verify that you are authorized to access the document you requested.</p></html>');
      return 401;
    }
    const acct = state.accounts.get(acctName);
    if (!acct) {
      text(res, 404, '<html><h1>Not Found</h1></html>');
      return 404;
    }
    const containerName = parts[3];
    const objName = parts.slice(4).join('/');
    if (containerName === undefined || containerName === '') {
      sendJson(res, 200, [...acct.keys()].sort().map((name) => ({ name, count: acct.get(name)!.size, bytes: 0 })));
      return 200;
    }
    const cont = acct.get(containerName);
    if (objName === '') {
      if (req.method === 'PUT') {
        await readBody(req);
        if (cont) {
          res.writeHead(202).end();
          return 202;
        }
        acct.set(containerName, new Map());
        res.writeHead(201).end();
        return 201;
      }
      if (!cont) {
        text(res, 404, '<html><h1>Not Found</h1><p>The resource could not be found.</p></html>');
        return 404;
      }
      if (req.method === 'HEAD') {
        res.writeHead(204, { 'x-container-object-count': String(cont.size) }).end();
        return 204;
      }
      if (req.method === 'DELETE') {
        if (cont.size > 0) {
          text(res, 409, '<html><h1>Conflict</h1><p>There was a conflict when trying to complete your request.</p></html>');
          return 409;
        }
        acct.delete(containerName);
        res.writeHead(204).end();
        return 204;
      }
      if (req.method !== 'GET') {
        text(res, 405, 'Method Not Allowed');
        return 405;
      }
      const limit = q.has('limit') ? Number(q.get('limit')) : 10_000;
      if (!Number.isInteger(limit) || limit < 0 || limit > 10_000) {
        text(res, 412, 'Maximum limit is 10000');
        return 412;
      }
      const prefix = q.get('prefix') ?? '';
      const marker = q.get('marker') ?? '';
      const names = [...cont.keys()].filter((n) => n.startsWith(prefix) && Buffer.compare(Buffer.from(n), Buffer.from(marker)) > 0).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      const page = names.slice(0, limit).map((name) => {
        const o = cont.get(name)!;
        const size = o.slo ? o.slo.reduce((s, x) => s + x.bytes, 0) : o.data.length;
        return { name, bytes: size, hash: o.etag, last_modified: listingDate(o.lastModified), content_type: o.contentType, ...(o.slo ? { slo_etag: o.etag } : {}) };
      });
      if (q.get('format') !== 'json') {
        text(res, page.length ? 200 : 204, page.map((p) => p.name).join('\n') + (page.length ? '\n' : ''));
        return page.length ? 200 : 204;
      }
      sendJson(res, 200, page);
      return 200;
    }
    if (!cont) {
      await readBody(req).catch(() => undefined);
      text(res, 404, '<html><h1>Not Found</h1></html>');
      return 404;
    }
    const mm = q.get('multipart-manifest');
    switch (req.method) {
      case 'PUT': {
        const data = await readBody(req, fault?.dropAfterBytes);
        if (mm === 'put') {
          let manifest: Array<{ path?: string; etag?: string | null; size_bytes?: number | null }>;
          try {
            manifest = JSON.parse(data.toString('utf8')) as typeof manifest;
          } catch {
            text(res, 400, 'Manifest must be valid JSON.\n');
            return 400;
          }
          const problems: string[] = [];
          const segs: Array<{ name: string; hash: string; bytes: number }> = [];
          for (const [i, seg] of manifest.entries()) {
            const [, c, ...rest] = (seg.path ?? '').split('/');
            const so = acct.get(c ?? '')?.get(rest.join('/'));
            if (!so) {
              problems.push(`${seg.path}, 404 Not Found`);
              continue;
            }
            if (seg.etag && seg.etag !== so.etag) problems.push(`${seg.path}, Etag Mismatch`);
            if (seg.size_bytes != null && seg.size_bytes !== so.data.length) problems.push(`${seg.path}, Size Mismatch`);
            if (i < manifest.length - 1 && so.data.length < minSegment) problems.push(`Index ${i}: too small; each segment must be at least ${minSegment} bytes.`);
            segs.push({ name: seg.path!, hash: so.etag, bytes: so.data.length });
          }
          if (problems.length || manifest.length === 0) {
            text(res, 400, `Errors:\n${problems.join('\n') || 'Manifest must have at least one segment.'}`);
            return 400;
          }
          const etag = md5(Buffer.from(segs.map((s) => s.hash).join('')));
          cont.set(objName, { data, etag, lastModified: new Date(), contentType: String(req.headers['content-type'] ?? 'application/octet-stream'), slo: segs });
          res.writeHead(201, { etag: `"${etag}"`, 'content-length': '0' }).end();
          return 201;
        }
        if (data.length > maxFileSize) {
          text(res, 413, '<html><h1>Request Entity Too Large</h1><p>The body of your request was too large for this server.</p></html>');
          return 413;
        }
        const etag = md5(data);
        const want = req.headers.etag;
        if (typeof want === 'string' && want.replace(/"/g, '') !== etag) {
          text(res, 422, '<html><h1>Unprocessable Entity</h1><p>Unable to process the contained instructions</p></html>');
          return 422;
        }
        cont.set(objName, { data, etag, lastModified: new Date(), contentType: String(req.headers['content-type'] ?? 'application/octet-stream') });
        if (fault?.dropResponse) {
          req.socket.destroy();
          return 0;
        }
        res.writeHead(201, { etag, 'last-modified': httpDate(new Date()), 'content-length': '0' }).end();
        return 201;
      }
      case 'HEAD':
      case 'GET': {
        await readBody(req);
        const o = cont.get(objName);
        if (!o) {
          text(res, 404, '<html><h1>Not Found</h1><p>The resource could not be found.</p></html>');
          return 404;
        }
        if (req.method === 'GET' && mm === 'get' && o.slo) {
          sendJson(res, 200, o.slo.map((s) => ({ name: s.name, hash: s.hash, bytes: s.bytes, content_type: 'application/octet-stream', last_modified: listingDate(o.lastModified) })));
          return 200;
        }
        const full = sloData(acct, o);
        if (req.method === 'HEAD') {
          res.writeHead(200, objectHeaders(o, full.length)).end();
          return 200;
        }
        const range = parseRange(req.headers.range, full.length);
        if (range === 'unsatisfiable') {
          text(res, 416, '<html><h1>Requested Range Not Satisfiable</h1></html>', { 'content-range': `bytes */${full.length}` });
          return 416;
        }
        const slice = range ? full.subarray(range.start, range.end + 1) : full;
        const headers = objectHeaders(o, slice.length);
        if (range) headers['content-range'] = `bytes ${range.start}-${range.end}/${full.length}`;
        sendBytes(res, range ? 206 : 200, headers, slice, fault?.dropAfterBytes);
        return range ? 206 : 200;
      }
      case 'DELETE': {
        await readBody(req);
        const o = cont.get(objName);
        if (!o) {
          text(res, 404, '<html><h1>Not Found</h1><p>The resource could not be found.</p></html>');
          return 404;
        }
        cont.delete(objName);
        if (mm === 'delete' && o.slo) {
          let deleted = 1;
          let notFound = 0;
          for (const s of o.slo) {
            const [, c, ...rest] = s.name.split('/');
            if (acct.get(c!)?.delete(rest.join('/'))) deleted++;
            else notFound++;
          }
          sendJson(res, 200, { 'Number Deleted': deleted, 'Number Not Found': notFound, 'Response Body': '', 'Response Status': '200 OK', Errors: [] });
          return 200;
        }
        res.writeHead(204).end();
        return 204;
      }
      default:
        text(res, 405, 'Method Not Allowed');
        return 405;
    }
  };

  const server = await startServer(async (req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    let path: string;
    try {
      path = decodeURIComponent(u.pathname);
    } catch {
      text(res, 412, 'Invalid UTF8 or contains NULL');
      return;
    }
    const record = (status: number): void => {
      state.requests.push({ method: req.method ?? '', path, query: u.search, status });
    };
    const fault = faults.take(`${req.method} ${path}${u.search}`);
    try {
      if (fault?.status !== undefined) {
        await readBody(req).catch(() => undefined);
        text(res, fault.status, fault.status === 429 ? 'Slow down' : 'Service Unavailable', fault.retryAfterSec !== undefined ? { 'retry-after': String(fault.retryAfterSec) } : {});
        record(fault.status);
        return;
      }
      if (path === '/v3/auth/tokens' && req.method === 'POST') {
        record(await keystone(req, res));
        return;
      }
      if (path === '/auth/v1.0' && req.method === 'GET') {
        const user = req.headers['x-auth-user'] ?? req.headers['x-storage-user'];
        const key = req.headers['x-auth-key'] ?? req.headers['x-storage-pass'];
        if (user !== SWIFT_TEMPAUTH_USER.user || key !== SWIFT_TEMPAUTH_USER.key) {
          text(res, 401, '<html><h1>Unauthorized</h1></html>');
          record(401);
          return;
        }
        authCount.v1++;
        const token = tokens.issue({ accounts: ['AUTH_tempauth'] }, options.tokenTtlMs ?? 86_400_000, 'AUTH_tk');
        res.writeHead(200, { 'x-storage-url': `${url}/v1/AUTH_tempauth`, 'x-auth-token': token, 'x-storage-token': token, 'x-auth-token-expires': '86399', 'content-length': '0' }).end();
        record(200);
        return;
      }
      if (path.startsWith('/v1/')) {
        record(await swift(req, res, path, u.searchParams, fault));
        return;
      }
      text(res, 404, 'Not Found');
      record(404);
    } catch (e) {
      if (e instanceof DroppedConnection) {
        record(0);
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
    expireAllTokens: () => tokens.expireAll(),
    container: (account, container) => state.accounts.get(account)?.get(container),
    fetch: loopbackFetch(undefined, seenUrls),
    seenUrls,
    authCount,
    close: () => server.close(),
  };
}
