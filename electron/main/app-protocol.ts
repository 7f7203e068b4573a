/**
 * The app's pages are served from `app://bundle/…`, a privileged custom scheme backed by the
 * `dist/renderer` folder, instead of `file://` (Electron security checklist: "avoid file://").
 * A page on file:// may read any file on the disk, and a CSP header is not reliably applied
 * to file:// responses; here every response carries our CSP, only files inside the renderer
 * folder are served, and the page has a real origin (`'self'` = app://bundle).
 *
 * Pure over Fetch API types and a file reader (Node's `readFile` reads inside app.asar in
 * Electron), so it is tested with real files and real `Request` objects.
 */
import { extname, isAbsolute, relative, resolve, sep } from 'node:path';

/** The scheme. */
export const APP_SCHEME = 'app';
/** The one host of the scheme. */
export const APP_HOST = 'bundle';
/** The URL of the app's main page. */
export const APP_INDEX_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/** Privileges for `protocol.registerSchemesAsPrivileged`: a standard, secure origin. */
export const APP_SCHEME_PRIVILEGES = { standard: true, secure: true, supportFetchAPI: true, codeCache: true } as const;

const MIME: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
};

/** The Content-Type for a file name (unknown types are served as opaque bytes). */
export function mimeType(path: string): string {
  return MIME[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The file under `root` that an app:// URL names, or undefined when the URL is not ours or
 * would leave the folder (`..`, encoded separators, NUL bytes, absolute paths).
 */
export function resolveAppFile(url: string, root: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST) return undefined;
  let path: string;
  try {
    path = decodeURIComponent(u.pathname);
  } catch {
    return undefined;
  }
  if (path.includes('\0') || path.includes('\\')) return undefined;
  if (path === '/' || path === '') path = '/index.html';
  const base = resolve(root);
  const file = resolve(base, `.${path}`);
  const rel = relative(base, file);
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) return undefined;
  return file;
}

/** Headers of every app:// response. */
export function appResponseHeaders(path: string, csp: string): Record<string, string> {
  return {
    'Content-Type': mimeType(path),
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-cache',
  };
}

/** Options of `appProtocolHandler`. */
export interface AppProtocolOptions {
  /** The renderer folder (`dist/renderer`). */
  readonly root: string;
  /** The Content-Security-Policy sent with every response. */
  readonly csp: string;
  /** Reads a whole file (Node's `readFile`; rejects with ENOENT/EISDIR when absent). */
  readFile(path: string): Promise<Uint8Array>;
}

/** The `protocol.handle('app', …)` handler. */
export function appProtocolHandler(opts: AppProtocolOptions): (request: Request) => Promise<Response> {
  const text = (status: number, body: string): Response =>
    new Response(body, { status, headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Security-Policy': opts.csp } });
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return text(405, 'Method not allowed');
    const file = resolveAppFile(request.url, opts.root);
    if (!file) return text(404, 'Not found');
    let body: Uint8Array;
    try {
      body = await opts.readFile(file);
    } catch {
      return text(404, 'Not found');
    }
    const headers = appResponseHeaders(file, opts.csp);
    return new Response(request.method === 'HEAD' ? null : (body as Uint8Array<ArrayBuffer>), { status: 200, headers });
  };
}
