/**
 * `backup-desk serve`: the same typed API the Electron app uses, over loopback HTTP.
 *
 * - `POST /api/<method>` with a JSON body, validated by the contract's zod `args` schema (the
 *   same validation the IPC handlers do); answers the result as JSON, or an `ApiError` with a
 *   status that matches its kind.
 * - `GET /api/events?token=…`: server-sent events `job:update` / `job:done`.
 * - `POST /api/upload?name=…`: streams a dropped backup file into `<home>/incoming/`.
 * - everything else: the built React app (`dist/renderer`), with a strict CSP.
 *
 * Guarded by a random bearer token (constant-time compare) and Host/Origin checks.
 * Uses node:http directly: the surface is five routes, a framework would add more than it saves.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, extname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { API_METHOD_NAMES, apiMethods, type ApiError, type ApiMethod, type DeskApi, type JobSnapshotDto } from '../contract/api';
import { AppError, invalidArgumentsError, serializeError, type ErrorKind } from '../core/errors';
import { nullLogger, type Logger } from '../core/util/logger';
import { allowedHosts, hostAllowed, isLoopback, newToken, originAllowed, presentedToken, tokenMatches } from './auth';

/** The job event source `serve` forwards (a `JobManager` satisfies it). */
export interface JobEventSource {
  on(event: 'update' | 'done', listener: (snap: JobSnapshotDto) => void): unknown;
  off(event: 'update' | 'done', listener: (snap: JobSnapshotDto) => void): unknown;
}

/** What `startServer` needs. */
export interface ServeOptions {
  /** The core (a `Desk`) or any implementation of the contract. */
  readonly api: DeskApi;
  /** Job events to push over SSE. */
  readonly events: JobEventSource;
  /** The app home; uploads go to `<home>/incoming/`. */
  readonly home: string;
  /** The built UI folder (`dist/renderer`); without it only the API is served. */
  readonly staticDir?: string | undefined;
  /** Bind address; default 127.0.0.1. */
  readonly host?: string | undefined;
  /** Port; 0 (default) picks a free one. */
  readonly port?: number | undefined;
  /** The access token; a random one by default. */
  readonly token?: string | undefined;
  readonly log?: Logger | undefined;
  /** SSE keep-alive interval (ms); default 15 s. */
  readonly heartbeatMs?: number | undefined;
}

/** A running server. */
export interface RunningServer {
  /** The URL to open, token included in the fragment (never sent to the server by browsers). */
  readonly url: string;
  /** The base URL without the token. */
  readonly origin: string;
  readonly token: string;
  readonly host: string;
  readonly port: number;
  /** True when bound to a non-loopback address. */
  readonly exposed: boolean;
  /** Stops accepting, ends SSE streams, and resolves when the server is closed. */
  close(): Promise<void>;
}

/** The Content-Security-Policy sent with the app's HTML. */
export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const MAX_JSON_BODY = 1024 * 1024;

const STATUS: Record<ErrorKind, number> = {
  InvalidInput: 400,
  AuthFailed: 422,
  PermissionDenied: 403,
  NotFound: 404,
  Conflict: 409,
  Cancelled: 409,
  Integrity: 422,
  MissingTool: 424,
  Unsupported: 501,
  Transient: 503,
  Fatal: 500,
};

/** The HTTP status for an error kind. */
export function statusForKind(kind: ErrorKind): number {
  return STATUS[kind];
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

const BASE_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
};

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body ?? null);
  res.writeHead(status, { ...BASE_HEADERS, 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(data) });
  res.end(data);
}

function sendError(res: ServerResponse, err: unknown, status?: number): void {
  const e = serializeError(err) as ApiError;
  if (!res.headersSent) sendJson(res, status ?? statusForKind(e.kind), e);
  else res.destroy();
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_JSON_BODY) throw new AppError('InvalidInput', 'The request body is too large.', { hint: 'API requests are small JSON objects; upload files through /api/upload.' });
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new AppError('InvalidInput', 'The request body is not valid JSON.', { hint: 'Send one JSON object with the method arguments.' });
  }
}

/** A file name safe to create inside `incoming/`: no folders, no control or odd characters. */
export function safeUploadName(raw: string): string {
  const base = basename(raw.replace(/\\/g, '/'))
    .replace(/[^A-Za-z0-9._+@ -]/g, '_')
    .replace(/^\.+/, '')
    .trim()
    .slice(0, 200);
  return base === '' ? 'upload.bin' : base;
}

async function freeName(dir: string, name: string): Promise<string> {
  const ext = name.endsWith('.zip.enc') ? '.zip.enc' : extname(name);
  const stem = ext ? name.slice(0, -ext.length) : name;
  for (let i = 0; i < 10_000; i++) {
    const candidate = i === 0 ? name : `${stem} (${i})${ext}`;
    try {
      await stat(join(dir, candidate));
    } catch {
      return candidate;
    }
  }
  throw new AppError('Conflict', 'Too many uploads with the same name.', { hint: `Clean up ${dir}.` });
}

/** Starts `serve`. Resolves once listening. */
export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const log = opts.log ?? nullLogger;
  const token = opts.token ?? newToken();
  const bindHost = opts.host ?? '127.0.0.1';
  const incoming = join(opts.home, 'incoming');
  const staticRoot = opts.staticDir ? resolve(opts.staticDir) : undefined;
  const sseClients = new Set<ServerResponse>();
  // Known once listening (the port is part of every allowed Host value).
  const guard: { hosts: Set<string> | undefined } = { hosts: undefined };

  const handleApi = async (req: IncomingMessage, res: ServerResponse, method: string): Promise<void> => {
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return sendError(res, new AppError('InvalidInput', `Use POST for /api/${method}.`), 405);
    }
    if (!(API_METHOD_NAMES as string[]).includes(method)) {
      return sendError(res, new AppError('NotFound', `No such API method: ${method}.`, { hint: `Known methods: ${API_METHOD_NAMES.join(', ')}.` }));
    }
    const m = method as ApiMethod;
    const body = await readJson(req);
    const parsed = apiMethods[m].args.safeParse(body);
    if (!parsed.success) return sendError(res, invalidArgumentsError(m, parsed.error));
    const fn = opts.api[m] as (args: unknown) => Promise<unknown>;
    const result = await fn.call(opts.api, parsed.data);
    // A method that returns nothing answers `{}`; a `null` result ("none") stays null.
    sendJson(res, 200, result === undefined ? {} : result);
  };

  const handleEvents = (req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(200, { ...BASE_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    res.write('retry: 2000\n\n');
    const send = (event: string) => (snap: JobSnapshotDto) => {
      res.write(`event: ${event}\ndata: ${JSON.stringify(snap)}\n\n`);
    };
    const onUpdate = send('job:update');
    const onDone = send('job:done');
    opts.events.on('update', onUpdate);
    opts.events.on('done', onDone);
    const beat = setInterval(() => res.write(': keep-alive\n\n'), opts.heartbeatMs ?? 15_000);
    sseClients.add(res);
    const cleanup = (): void => {
      clearInterval(beat);
      opts.events.off('update', onUpdate);
      opts.events.off('done', onDone);
      sseClients.delete(res);
    };
    req.on('close', cleanup);
    res.on('close', cleanup);
  };

  const handleUpload = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    if (req.method !== 'POST') return sendError(res, new AppError('InvalidInput', 'Use POST to upload.'), 405);
    const name = safeUploadName(url.searchParams.get('name') ?? 'upload.bin');
    await mkdir(incoming, { recursive: true });
    const finalName = await freeName(incoming, name);
    const dest = join(incoming, finalName);
    const part = `${dest}.part-${process.pid}-${Date.now()}`;
    const fh = await open(part, 'wx', 0o600);
    try {
      // Streamed straight to disk: the upload is limited by disk space only.
      await pipeline(req, createWriteStream('', { fd: fh.fd, autoClose: false }));
      await fh.sync();
      await fh.close();
      const expected = req.headers['content-length'];
      const { size } = await stat(part);
      if (expected !== undefined && Number(expected) !== size) {
        throw new AppError('Integrity', `The upload was cut short (${size} of ${expected} bytes).`, { hint: 'Drop the file again.' });
      }
      await rename(part, dest);
      log.info('upload stored', { name: finalName, size });
      sendJson(res, 200, { path: dest, name: finalName, size });
    } catch (err) {
      await fh.close().catch(() => undefined);
      await rm(part, { force: true });
      if (req.destroyed || req.aborted) {
        res.destroy();
        return;
      }
      throw err instanceof AppError
        ? err
        : new AppError('Fatal', `Could not store the upload: ${(err as Error).message}`, { hint: 'Check free disk space in the app home folder.', cause: err });
    }
  };

  const handleStatic = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return sendError(res, new AppError('InvalidInput', 'Only GET is allowed here.'), 405);
    }
    if (!staticRoot) {
      res.writeHead(404, { ...BASE_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('The UI is not built. Run `npm run build`; the API is at /api/.\n');
      return;
    }
    let rel: string;
    try {
      rel = decodeURIComponent(url.pathname);
    } catch {
      return sendError(res, new AppError('InvalidInput', 'Bad path.'), 400);
    }
    if (rel === '/' || rel === '') rel = '/index.html';
    const file = resolve(staticRoot, `.${rel}`);
    if (file !== staticRoot && !file.startsWith(staticRoot + sep)) {
      return sendError(res, new AppError('NotFound', 'Not found.'), 404);
    }
    const st = await stat(file).catch(() => undefined);
    if (!st?.isFile()) return sendError(res, new AppError('NotFound', `Not found: ${url.pathname}`), 404);
    const ext = extname(file).toLowerCase();
    const headers: Record<string, string | number> = {
      ...BASE_HEADERS,
      'Content-Type': MIME[ext] ?? 'application/octet-stream',
      'Content-Length': st.size,
      'Cache-Control': ext === '.html' ? 'no-store' : 'public, max-age=3600',
    };
    if (ext === '.html') headers['Content-Security-Policy'] = CSP;
    res.writeHead(200, headers);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    await pipeline(createReadStream(file), res);
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      try {
        if (!hostAllowed(req, guard.hosts)) {
          return sendError(res, new AppError('PermissionDenied', 'Unexpected Host header.', { hint: `Open the URL backup-desk serve printed.` }), 403);
        }
        if (!url.pathname.startsWith('/api/')) return await handleStatic(req, res, url);
        if (!originAllowed(req)) {
          return sendError(res, new AppError('PermissionDenied', 'Cross-origin requests are not allowed.'), 403);
        }
        const isEvents = url.pathname === '/api/events';
        if (!tokenMatches(presentedToken(req, url, isEvents), token)) {
          return sendError(
            res,
            new AppError('AuthFailed', 'Missing or wrong access token.', { hint: 'Open the full URL printed by `backup-desk serve` (it contains #token=…).' }),
            401,
          );
        }
        if (isEvents) return handleEvents(req, res);
        if (url.pathname === '/api/upload') return await handleUpload(req, res, url);
        return await handleApi(req, res, url.pathname.slice('/api/'.length));
      } catch (err) {
        log.warn('request failed', { path: url.pathname, error: (err as Error).message });
        sendError(res, err);
      }
    })();
  });
  server.requestTimeout = 0; // uploads of large backups may take long
  server.headersTimeout = 60_000;

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new AppError(err.code === 'EADDRINUSE' ? 'Conflict' : 'Fatal', `Cannot listen on ${bindHost}:${opts.port ?? 0}: ${err.message}`, {
          hint: err.code === 'EADDRINUSE' ? 'Choose another --port, or --port 0 for a free one.' : 'Check --host and --port.',
          cause: err,
        }),
      ),
    );
    server.listen(opts.port ?? 0, bindHost, () => resolveListen());
  });
  const port = (server.address() as AddressInfo).port;
  guard.hosts = allowedHosts(bindHost, port);
  const urlHost = isLoopback(bindHost) || bindHost === '0.0.0.0' || bindHost === '::' ? '127.0.0.1' : bindHost.includes(':') ? `[${bindHost}]` : bindHost;
  const origin = `http://${urlHost}:${port}`;
  return {
    url: `${origin}/#token=${token}`,
    origin,
    token,
    host: bindHost,
    port,
    exposed: !isLoopback(bindHost),
    close: () =>
      new Promise<void>((resolveClose) => {
        for (const c of sseClients) c.end();
        sseClients.clear();
        server.close(() => resolveClose());
        server.closeAllConnections();
      }),
  };
}
