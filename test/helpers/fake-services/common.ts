/**
 * Plumbing shared by the local fake cloud servers (Dropbox, Google Drive, Swift): a loopback
 * HTTP server, bearer-token bookkeeping, and injectable faults (status codes with Retry-After,
 * connections dropped half way through a request or response body).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One injected fault; the first matching queued fault is consumed by the next request. */
export interface FaultSpec {
  /** Matches the request's route name (e.g. `files/download`) or path; every request when omitted. */
  readonly route?: string | RegExp;
  /** Answer with this status instead of processing (429, 500, 503…). */
  readonly status?: number;
  /** With `status`: a service-specific error reason (e.g. Drive's `userRateLimitExceeded`). */
  readonly reason?: string;
  /** With `status`: the `Retry-After` header, in seconds. */
  readonly retryAfterSec?: number;
  /** Upload: read this many request-body bytes, then drop the connection without processing.
   *  Download: send the headers and this many body bytes, then drop the connection. */
  readonly dropAfterBytes?: number;
  /** Process the request normally, then drop the connection instead of answering. */
  readonly dropResponse?: boolean;
  /** How many requests the fault applies to (default 1). */
  readonly times?: number;
}

/** A queue of faults; servers call `take(route)` once per request. */
export class FaultQueue {
  private readonly queue: Array<FaultSpec & { left: number }> = [];

  /** Queues a fault. */
  add(spec: FaultSpec): void {
    this.queue.push({ ...spec, left: spec.times ?? 1 });
  }

  /** The fault for this request, if one matches (consumed). */
  take(route: string): FaultSpec | undefined {
    const i = this.queue.findIndex((f) => f.route === undefined || (typeof f.route === 'string' ? route === f.route || route.includes(f.route) : f.route.test(route)));
    if (i < 0) return undefined;
    const f = this.queue[i]!;
    f.left--;
    if (f.left <= 0) this.queue.splice(i, 1);
    return f;
  }

  /** Faults still queued. */
  get pending(): number {
    return this.queue.length;
  }
}

/** A started fake server. */
export interface StartedServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Starts `handler` on 127.0.0.1, port 0. Uncaught handler errors become 500s. */
export async function startServer(handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Promise<StartedServer> {
  const server: Server = createServer((req, res) => {
    handler(req, res).catch((err: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`fake server error: ${err instanceof Error ? err.message : String(err)}`);
      } else {
        res.destroy();
      }
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Thrown by `readBody` after it dropped the connection on purpose. */
export class DroppedConnection extends Error {
  constructor() {
    super('connection dropped by fault injection');
  }
}

/** Reads the whole request body; with `dropAfterBytes`, destroys the socket once that many bytes arrived. */
export async function readBody(req: IncomingMessage, dropAfterBytes?: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    const b = c as Buffer;
    chunks.push(b);
    n += b.length;
    if (dropAfterBytes !== undefined && n >= dropAfterBytes) {
      req.socket.destroy();
      throw new DroppedConnection();
    }
  }
  if (dropAfterBytes !== undefined) {
    // The whole body was shorter than the drop point: drop anyway, before answering.
    req.socket.destroy();
    throw new DroppedConnection();
  }
  return Buffer.concat(chunks);
}

/** Sends `data` (a body or a slice of one); with `dropAfterBytes`, sends that much and drops the connection. */
export function sendBytes(res: ServerResponse, status: number, headers: Record<string, string>, data: Buffer, dropAfterBytes?: number): void {
  if (dropAfterBytes === undefined) {
    res.writeHead(status, { ...headers, 'content-length': String(data.length) });
    res.end(data);
    return;
  }
  res.writeHead(status, { ...headers, 'content-length': String(data.length) });
  res.write(data.subarray(0, Math.min(dropAfterBytes, data.length)), () => {
    setTimeout(() => res.socket?.destroy(), 5);
  });
}

/** Sends a JSON body. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(data.length), ...headers });
  res.end(data);
}

/** Parses a `Range: bytes=a-b` header against `size`: the slice, or 'unsatisfiable', or undefined (no/ignored header). */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return undefined;
  const [, a, b] = m;
  if (a === '' && b === '') return undefined;
  let start: number;
  let end: number;
  if (a === '') {
    const suffix = Number(b);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(a);
    end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
    if (start >= size || end < start) return 'unsatisfiable';
  }
  return { start, end };
}

/** Issued bearer tokens with an expiry and per-service metadata. */
export class TokenBook<M> {
  private readonly tokens = new Map<string, { meta: M; expiresAt: number }>();
  private counter = 0;

  /** Issues a new token valid for `ttlMs`. */
  issue(meta: M, ttlMs = 3_600_000, prefix = 'tok'): string {
    const token = `${prefix}-${++this.counter}-${Math.random().toString(36).slice(2, 10)}`;
    this.tokens.set(token, { meta, expiresAt: Date.now() + ttlMs });
    return token;
  }

  /** Registers a token chosen by the test. */
  add(token: string, meta: M, ttlMs = 3_600_000): void {
    this.tokens.set(token, { meta, expiresAt: Date.now() + ttlMs });
  }

  /** Makes a token expired. */
  expire(token: string): void {
    const t = this.tokens.get(token);
    if (t) t.expiresAt = 0;
  }

  /** Expires every token. */
  expireAll(): void {
    for (const t of this.tokens.values()) t.expiresAt = 0;
  }

  /** 'missing' | 'invalid' | 'expired' or the token's metadata. */
  check(authorization: string | undefined): { ok: true; meta: M; token: string } | { ok: false; why: 'missing' | 'invalid' | 'expired' } {
    const m = authorization === undefined ? null : /^Bearer (.+)$/.exec(authorization);
    if (!m) return { ok: false, why: 'missing' };
    return this.checkToken(m[1]!);
  }

  /** Same as `check`, for a raw token (Swift's X-Auth-Token). */
  checkToken(token: string | undefined): { ok: true; meta: M; token: string } | { ok: false; why: 'missing' | 'invalid' | 'expired' } {
    if (token === undefined || token === '') return { ok: false, why: 'missing' };
    const t = this.tokens.get(token);
    if (!t) return { ok: false, why: 'invalid' };
    if (t.expiresAt <= Date.now()) return { ok: false, why: 'expired' };
    return { ok: true, meta: t.meta, token };
  }
}

/** Opaque page cursors: a random id mapped to server-side state; unknown ids are invalid. */
export class CursorBook<S> {
  private readonly map = new Map<string, S>();

  /** Stores `state`, returning its opaque cursor. */
  put(state: S): string {
    const id = Buffer.from(`${Date.now()}:${Math.random()}:${this.map.size}`).toString('base64url');
    this.map.set(id, state);
    return id;
  }

  /** The state of `cursor`, or undefined when unknown. */
  get(cursor: string): S | undefined {
    return this.map.get(cursor);
  }
}

/**
 * A fetch for tests that refuses any non-loopback destination (so a mis-pointed SDK fails
 * loudly instead of reaching the internet) and optionally rewrites URLs first.
 */
export function loopbackFetch(rewrite: (url: URL) => URL = (u) => u, seen: string[] = []): typeof fetch {
  const f = (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]): ReturnType<typeof fetch> => {
    const raw = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const url = rewrite(new URL(raw));
    seen.push(url.href);
    if (url.hostname !== '127.0.0.1' && url.hostname !== 'localhost') {
      return Promise.reject(new Error(`test guard: refused non-loopback request to ${url.origin}`));
    }
    if (typeof input === 'object' && !(input instanceof URL)) {
      return fetch(new Request(url.href, input), init);
    }
    return fetch(url.href, init);
  };
  return f as typeof fetch;
}
