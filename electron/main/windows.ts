/**
 * The BrowserWindow factory: every window gets the secure preferences of `security.ts`,
 * and every web contents (present and future) gets navigation, new-window, webview and
 * permission lock-down plus the CSP header. The policies themselves live in `security.ts`.
 */
import { app, BrowserWindow, nativeTheme, session, shell, type Session, type WebContents } from 'electron';
import type { Logger } from '../../shared/core/util/logger';
import { cspHeader, isAllowedNavigation, mainWindowOptions, navigationDecision, permissionAllowed, safeExternalUrl, withCspHeader, type AppLocation } from './security';

/** Applies CSP and permission denial to a session (once per session). */
export function hardenSession(ses: Session, loc: AppLocation): void {
  const csp = cspHeader(loc.devUrl ? { devOrigin: new URL(loc.devUrl).origin } : {});
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: withCspHeader(details.responseHeaders, csp) });
  });
  ses.setPermissionRequestHandler((_wc, permission, callback, details) => callback(permissionAllowed(permission, details.requestingUrl)));
  ses.setPermissionCheckHandler((_wc, permission, requestingOrigin) => permissionAllowed(permission, requestingOrigin));
  ses.setDevicePermissionHandler(() => false);
  ses.on('will-download', (event) => event.preventDefault());
}

/** Blocks navigation away from our pages, new windows and webviews; links open in the system browser. */
export function hardenWebContents(contents: WebContents, loc: AppLocation, log: Logger): void {
  const block = (what: string) => (event: { preventDefault(): void }, url: string) => {
    if (isAllowedNavigation(url, loc)) return;
    event.preventDefault();
    log.warn(`window: blocked ${what}`, { url: url.slice(0, 200) });
  };
  // Decided at will-frame-navigate, which Electron emits first; will-navigate stays as a second lock.
  contents.on('will-frame-navigate', (event) => {
    const decision = navigationDecision(event.url, event.isMainFrame, loc);
    if (decision.allow) return;
    event.preventDefault();
    if (decision.external) void shell.openExternal(decision.external);
    else log.warn('window: blocked frame navigation', { url: event.url.slice(0, 200) });
  });
  contents.on('will-navigate', (event) => block('navigation')(event, event.url));
  contents.on('will-redirect', (event) => block('redirect')(event, event.url));
  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
    log.warn('window: blocked a webview');
  });
  contents.setWindowOpenHandler(({ url }) => {
    const external = safeExternalUrl(url);
    if (external) void shell.openExternal(external);
    else log.warn('window: blocked a new window', { url: url.slice(0, 200) });
    return { action: 'deny' };
  });
}

/** Installs the hardening on every web contents the app will ever create. */
export function hardenApp(loc: AppLocation, log: Logger): void {
  hardenSession(session.defaultSession, loc);
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, loc, log));
}

/** Creates the main window, loads our page, shows it when ready. */
export function createMainWindow(opts: {
  readonly location: AppLocation;
  readonly preloadPath: string;
  readonly dev: boolean;
  readonly icon?: Electron.NativeImage;
  readonly log: Logger;
}): BrowserWindow {
  const win = new BrowserWindow({
    ...mainWindowOptions({ preloadPath: opts.preloadPath, devTools: opts.dev, dark: nativeTheme.shouldUseDarkColors }),
    ...(opts.icon ? { icon: opts.icon } : {}),
  });
  win.once('ready-to-show', () => win.show());
  win.webContents.on('render-process-gone', (_e, details) => opts.log.error('window: renderer gone', { reason: details.reason }));
  const url = opts.location.devUrl ?? opts.location.appUrl;
  win.loadURL(url).catch((err: unknown) => opts.log.error('window: could not load the page', { url, error: String(err) }));
  return win;
}
