/**
 * The window security policy as pure functions: web preferences, Content-Security-Policy,
 * which URLs are "our app", which links may open in the system browser, and permissions.
 * `windows.ts` applies them; the tests check them without the Electron binary.
 */
import type { BrowserWindowConstructorOptions, WebPreferences } from 'electron';

/** Where the app's pages come from. */
export interface AppLocation {
  /** The main page: `app://bundle/index.html` (see `app-protocol.ts`). */
  readonly appUrl: string;
  /** A dev server URL (`ELECTRON_RENDERER_URL`), only when not packaged. */
  readonly devUrl?: string;
}

/** The product name, used as the window title until the page sets its own. */
export const PRODUCT_NAME = 'Odoo Backup Desk';

/** Secure web preferences for every window: isolated, sandboxed, no Node, no webviews. */
export function secureWebPreferences(preloadPath: string, opts: { readonly devTools?: boolean } = {}): WebPreferences {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false,
    safeDialogs: true,
    devTools: opts.devTools ?? false,
  };
}

/** The main window's options (hidden until `ready-to-show`, to avoid a white flash). */
export function mainWindowOptions(opts: {
  readonly preloadPath: string;
  readonly devTools?: boolean;
  readonly dark?: boolean;
}): BrowserWindowConstructorOptions {
  return {
    title: PRODUCT_NAME,
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 600,
    show: false,
    backgroundColor: opts.dark ? '#1e1e22' : '#ffffff',
    autoHideMenuBar: false,
    webPreferences: secureWebPreferences(opts.preloadPath, opts.devTools === undefined ? {} : { devTools: opts.devTools }),
  };
}

/**
 * The Content-Security-Policy of our pages: only our own scripts, styles, images and
 * fonts; no inline script, no eval, no plugins, no frames, no forms posting anywhere.
 * With `devOrigin` (a Vite dev server) inline script/style and its websocket are allowed,
 * which hot reload needs; never in a packaged app.
 */
export function cspHeader(opts: { readonly devOrigin?: string } = {}): string {
  const dev = opts.devOrigin;
  const ws = dev ? dev.replace(/^http/, 'ws') : undefined;
  const directives: [string, string[]][] = [
    ['default-src', ["'none'"]],
    ['script-src', dev ? ["'self'", "'unsafe-inline'", dev] : ["'self'"]],
    ['style-src', dev ? ["'self'", "'unsafe-inline'", dev] : ["'self'"]],
    ['img-src', ["'self'", 'data:', 'blob:']],
    ['font-src', ["'self'", 'data:']],
    ['connect-src', dev && ws ? ["'self'", dev, ws] : ["'self'"]],
    ['worker-src', ["'self'"]],
    ['manifest-src', ["'self'"]],
    ['object-src', ["'none'"]],
    ['frame-src', ["'none'"]],
    ['child-src', ["'none'"]],
    ['frame-ancestors', ["'none'"]],
    ['base-uri', ["'none'"]],
    ['form-action', ["'none'"]],
  ];
  return directives.map(([name, values]) => `${name} ${values.join(' ')}`).join('; ');
}

/** Response headers with our CSP set (replacing any the server sent), for `onHeadersReceived`. */
export function withCspHeader(
  headers: Readonly<Record<string, string | string[]>> | undefined,
  csp: string,
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (k.toLowerCase() === 'content-security-policy') continue;
    out[k] = Array.isArray(v) ? [...v] : [v];
  }
  out['Content-Security-Policy'] = [csp];
  return out;
}

function parse(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

/**
 * True when `url` is one of our app's pages: the app scheme and host of `appUrl`
 * (`app://bundle/…`), or (in development) the dev server's origin. Never `file:`.
 */
export function isAppUrl(url: string | undefined, loc: AppLocation): boolean {
  if (!url) return false;
  const u = parse(url);
  if (!u) return false;
  if (loc.devUrl) {
    const dev = parse(loc.devUrl);
    if (dev && (dev.protocol === 'http:' || dev.protocol === 'https:') && u.origin === dev.origin) return true;
  }
  const app = parse(loc.appUrl);
  if (!app || app.protocol === 'file:' || app.host === '') return false;
  return u.protocol === app.protocol && u.host === app.host && u.username === '' && u.password === '';
}

/** `will-navigate`/`will-redirect`: only to our own pages (a reload); everything else is blocked. */
export function isAllowedNavigation(url: string, loc: AppLocation): boolean {
  return isAppUrl(url, loc);
}

/** What to do with a navigation: let it happen, or block it and maybe open `external` in the system browser. */
export interface NavigationDecision {
  readonly allow: boolean;
  readonly external?: string;
}

/**
 * The navigation policy, decided once at `will-frame-navigate` (Electron emits it before
 * `will-navigate`, and a navigation it prevents never reaches `will-navigate`): our own pages
 * load; a plain web link clicked in the main frame opens in the system browser; the rest is blocked.
 */
export function navigationDecision(url: string, isMainFrame: boolean, loc: AppLocation): NavigationDecision {
  if (isAllowedNavigation(url, loc)) return { allow: true };
  const external = isMainFrame ? safeExternalUrl(url) : undefined;
  return external ? { allow: false, external } : { allow: false };
}

/**
 * A link that may be handed to the system browser: `https:` or `http:` only, a host, no
 * user name or password in it. Returns the normalized URL, or undefined when refused.
 */
export function safeExternalUrl(url: string): string | undefined {
  if (typeof url !== 'string' || url.length > 8192) return undefined;
  const u = parse(url);
  if (!u) return undefined;
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return undefined;
  if (u.hostname === '' || u.username !== '' || u.password !== '') return undefined;
  return u.href;
}

/** Every web permission (camera, notifications, clipboard, geolocation…) is denied. */
export function permissionAllowed(_permission: string, _requestingUrl?: string): boolean {
  return false;
}
