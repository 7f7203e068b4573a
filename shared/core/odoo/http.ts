/**
 * The one HTTP exchange the database-manager client needs, on `node:http(s)` rather than fetch:
 * a request body pumped from a stream with backpressure (memory stays flat whatever its size),
 * upload progress, a response that may arrive before the body is fully sent (a proxy's 413),
 * cancellation, and a time limit on waiting for the answer once the body is sent.
 */
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ClientRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { cancelledError } from '../errors';
import { onAbort } from '../util/abort';

/** One request. */
export interface HttpExchange {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly headers?: Readonly<Record<string, string>>;
  /** The body: bytes, or a stream of bytes pumped with backpressure. */
  readonly body?: Buffer | AsyncIterable<Buffer>;
  /** Sent as Content-Length when known; otherwise the body goes chunked. */
  readonly contentLength?: number;
  readonly signal?: AbortSignal;
  /** Called with the running count of body bytes handed to the socket. */
  readonly onSent?: (bytes: number) => void;
  /** Called once the whole body was sent (the server is working from then on). */
  readonly onBodySent?: () => void;
  /** Longest wait for the response headers once the body was sent (default 2 h). */
  readonly responseTimeoutMs?: number;
  /** Longest time the server may read nothing while the body is being sent (default 5 min). */
  readonly stallTimeoutMs?: number;
  /** Longest wait for the TCP/TLS connection (default 30 s). */
  readonly connectTimeoutMs?: number;
}

/** A response whose body is still to be read. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: IncomingMessage;
  /** Body bytes sent before the answer came. */
  readonly bytesSent: number;
  /** False when the server answered before the whole body was sent (e.g. a proxy's 413). */
  readonly bodyComplete: boolean;
}

/** Why the exchange failed before any response: the caller classifies it. */
export class HttpFailure extends Error {
  constructor(
    message: string,
    /** `connect`: never connected; `upload`: dropped while sending; `wait`: dropped or timed out after sending. */
    readonly stage: 'connect' | 'upload' | 'wait',
    readonly code: string | undefined,
    readonly bytesSent: number,
    readonly timedOut: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HttpFailure';
  }
}

/** Performs one exchange; resolves at the response headers (read `body` next), rejects with `HttpFailure` or `Cancelled`. */
export function exchange(x: HttpExchange): Promise<HttpAnswer> {
  if (x.signal?.aborted) return Promise.reject(cancelledError());
  const url = new URL(x.url);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const headers: Record<string, string> = { ...x.headers, connection: 'close' };
  if (x.contentLength !== undefined) headers['content-length'] = String(x.contentLength);
  else if (x.body !== undefined) headers['transfer-encoding'] = 'chunked';
  return new Promise<HttpAnswer>((resolve, reject) => {
    const st = { sent: 0, bodyDone: false, settled: false, connected: false, timer: undefined as NodeJS.Timeout | undefined };
    const req: ClientRequest = send(url, { method: x.method, headers, agent: false });
    const settle = (fn: () => void): void => {
      if (st.settled) return;
      st.settled = true;
      clearTimeout(st.timer);
      stopListening();
      fn();
    };
    const fail = (message: string, code: string | undefined, timedOut: boolean, cause?: unknown): void => {
      const stage = !st.connected ? 'connect' : st.bodyDone ? 'wait' : 'upload';
      settle(() => reject(new HttpFailure(message, stage, code, st.sent, timedOut, { cause })));
      req.destroy();
    };
    const stopListening = onAbort(x.signal, () => {
      settle(() => reject(cancelledError()));
      req.destroy();
    });
    st.timer = setTimeout(() => fail(`no connection to ${url.host} within ${Math.round((x.connectTimeoutMs ?? 30_000) / 1000)} s`, 'ETIMEDOUT', true), x.connectTimeoutMs ?? 30_000);
    req.on('socket', (sock) => {
      const connected = (): void => {
        st.connected = true;
        clearTimeout(st.timer);
      };
      sock.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', connected);
    });
    // Headers go out now, not with the first body bytes: a server may answer them alone (a 413).
    req.flushHeaders();
    req.on('response', (res) => settle(() => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res, bytesSent: st.sent, bodyComplete: st.bodyDone })));
    req.on('error', (err: NodeJS.ErrnoException) => fail(err.message, err.code, false, err));
    const bodySent = (): void => {
      st.bodyDone = true;
      req.setTimeout(0);
      x.onBodySent?.();
      if (st.settled) return;
      const ms = x.responseTimeoutMs ?? 2 * 3600_000;
      clearTimeout(st.timer);
      st.timer = setTimeout(() => fail(`no answer within ${Math.round(ms / 1000)} s after the upload`, 'ETIMEDOUT', true), ms);
    };
    // While sending, a server that stops reading for this long is stalled; once sent, silence is normal (it works).
    req.setTimeout(x.stallTimeoutMs ?? 300_000, () => {
      if (!st.bodyDone) fail(`the upload stalled: the server read nothing for ${Math.round((x.stallTimeoutMs ?? 300_000) / 1000)} s`, 'ETIMEDOUT', true);
    });
    pump(req, x, () => st.settled, (n) => {
      st.sent = n;
      x.onSent?.(n);
    })
      .then(() => {
        if (!st.settled) bodySent();
      })
      .catch((err: unknown) => fail((err as Error).message, (err as NodeJS.ErrnoException).code, false, err));
  });
}

/** Writes the body to `req` with backpressure; stops quietly once the exchange settled (early answer, abort). */
async function pump(req: ClientRequest, x: HttpExchange, stopped: () => boolean, onSent: (n: number) => void): Promise<void> {
  if (x.body === undefined) {
    req.end();
    return;
  }
  if (Buffer.isBuffer(x.body)) {
    req.end(x.body);
    onSent(x.body.length);
    return;
  }
  let sent = 0;
  const it = x.body[Symbol.asyncIterator]();
  try {
    for (;;) {
      if (stopped()) return;
      const r = await it.next();
      if (r.done) break;
      if (stopped()) return;
      if (!req.write(r.value)) await drained(req);
      sent += r.value.length;
      onSent(sent);
    }
  } finally {
    // Ends the source (closes files, stops decryption) whether we finished, stopped or failed.
    await it.return?.();
  }
  if (!stopped()) await new Promise<void>((resolve) => req.end(resolve));
}

function drained(req: ClientRequest): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      req.off('drain', done);
      req.off('close', done);
      resolve();
    };
    req.on('drain', done);
    req.on('close', done);
  });
}

/** Reads at most `max` bytes of a response body as text (error pages, JSON); the rest is discarded. */
export async function readText(body: IncomingMessage, max = 2 * 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  try {
    for await (const c of body) {
      const b = c as Buffer;
      if (n < max) chunks.push(b.subarray(0, max - n));
      n += b.length;
    }
  } catch {
    // A body cut short (the server closed after its error page) still says what it says.
  }
  return Buffer.concat(chunks).toString('utf8');
}
