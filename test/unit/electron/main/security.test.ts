import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  cspHeader,
  isAllowedNavigation,
  isAppUrl,
  mainWindowOptions,
  navigationDecision,
  permissionAllowed,
  safeExternalUrl,
  secureWebPreferences,
  withCspHeader,
  type AppLocation,
} from '../../../../electron/main/security';

const loc: AppLocation = { appUrl: 'app://bundle/index.html' };

function parseCsp(csp: string): Map<string, string[]> {
  return new Map(
    csp.split(';').map((d) => {
      const [name, ...values] = d.trim().split(/\s+/);
      return [name as string, values];
    }),
  );
}

describe('secureWebPreferences', () => {
  it('isolates, sandboxes and keeps Node out of every window', () => {
    const p = secureWebPreferences('/app/dist/electron/preload.cjs');
    expect(p).toMatchObject({
      preload: '/app/dist/electron/preload.cjs',
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
      devTools: false,
    });
    expect(p).not.toHaveProperty('enableBlinkFeatures');
    expect(secureWebPreferences('/p', { devTools: true }).devTools).toBe(true);
  });

  it('is what the main window uses', () => {
    const o = mainWindowOptions({ preloadPath: '/p.cjs' });
    expect(o.show).toBe(false);
    expect(o.title).toBe('Odoo Backup Desk');
    expect(o.webPreferences).toEqual(secureWebPreferences('/p.cjs'));
  });
});

describe('cspHeader', () => {
  it('allows only our own scripts, no inline, no eval, no framing, no form posts', () => {
    const d = parseCsp(cspHeader());
    expect(d.get('default-src')).toEqual(["'none'"]);
    expect(d.get('script-src')).toEqual(["'self'"]);
    expect(d.get('style-src')).toEqual(["'self'"]);
    expect(d.get('connect-src')).toEqual(["'self'"]);
    expect(d.get('object-src')).toEqual(["'none'"]);
    expect(d.get('frame-ancestors')).toEqual(["'none'"]);
    expect(d.get('base-uri')).toEqual(["'none'"]);
    expect(d.get('form-action')).toEqual(["'none'"]);
    expect(cspHeader()).not.toMatch(/unsafe-eval|unsafe-inline|\*/);
  });

  it('relaxes only for a dev server origin (hot reload)', () => {
    const d = parseCsp(cspHeader({ devOrigin: 'http://localhost:5173' }));
    expect(d.get('script-src')).toEqual(["'self'", "'unsafe-inline'", 'http://localhost:5173']);
    expect(d.get('connect-src')).toEqual(["'self'", 'http://localhost:5173', 'ws://localhost:5173']);
    expect(cspHeader({ devOrigin: 'http://localhost:5173' })).not.toContain('unsafe-eval');
  });

  it('replaces any CSP a response carried and keeps the other headers', () => {
    const h = withCspHeader({ 'content-security-policy': ["default-src *"], 'Content-Type': 'text/html', 'X-A': ['1', '2'] }, "default-src 'none'");
    expect(h).toEqual({ 'Content-Type': ['text/html'], 'X-A': ['1', '2'], 'Content-Security-Policy': ["default-src 'none'"] });
    expect(withCspHeader(undefined, 'x')).toEqual({ 'Content-Security-Policy': ['x'] });
  });
});

describe('navigationDecision', () => {
  it('lets our pages load, sends main-frame web links to the browser, blocks the rest', () => {
    expect(navigationDecision('app://bundle/index.html#/x', true, loc)).toEqual({ allow: true });
    expect(navigationDecision('https://www.odoo.com/documentation', true, loc)).toEqual({ allow: false, external: 'https://www.odoo.com/documentation' });
    expect(navigationDecision('http://odoo.lan:8069/web', true, loc)).toEqual({ allow: false, external: 'http://odoo.lan:8069/web' });
    // a sub-frame never opens the browser; file:, javascript: and credentials never do
    expect(navigationDecision('https://www.odoo.com/', false, loc)).toEqual({ allow: false });
    expect(navigationDecision('file:///etc/passwd', true, loc)).toEqual({ allow: false });
    expect(navigationDecision('javascript:alert(1)', true, loc)).toEqual({ allow: false });
    expect(navigationDecision('https://u:p@example.com/', true, loc)).toEqual({ allow: false });
  });
});

describe('isAppUrl / isAllowedNavigation', () => {
  it('accepts our pages, with hash routes and query', () => {
    expect(isAppUrl(loc.appUrl, loc)).toBe(true);
    expect(isAppUrl('app://bundle/index.html#/restore?x=1', loc)).toBe(true);
    expect(isAppUrl('app://bundle/assets/index-abc.js', loc)).toBe(true);
    expect(isAllowedNavigation('app://bundle/', loc)).toBe(true);
  });

  it('refuses file: URLs, other hosts of the scheme, and credentials', () => {
    expect(isAppUrl(pathToFileURL('/etc/passwd').href, loc)).toBe(false);
    expect(isAppUrl(pathToFileURL(join('/opt', 'app', 'dist', 'renderer', 'index.html')).href, loc)).toBe(false);
    expect(isAppUrl('app://other/index.html', loc)).toBe(false);
    expect(isAppUrl('app://bundle.evil/index.html', loc)).toBe(false);
    expect(isAppUrl('app://user:pw@bundle/index.html', loc)).toBe(false);
    expect(isAppUrl('apps://bundle/index.html', loc)).toBe(false);
  });

  it('refuses the web, other schemes and garbage', () => {
    for (const u of ['https://example.com/', 'http://127.0.0.1:5173/', 'javascript:alert(1)', 'data:text/html,hi', 'devtools://x', 'not a url', '', undefined]) {
      expect(isAppUrl(u, loc), String(u)).toBe(false);
      if (u) expect(isAllowedNavigation(u, loc)).toBe(false);
    }
  });

  it('accepts the dev server origin only when configured', () => {
    const dev: AppLocation = { ...loc, devUrl: 'http://localhost:5173/' };
    expect(isAppUrl('http://localhost:5173/#/backups', dev)).toBe(true);
    expect(isAppUrl('http://localhost:5174/', dev)).toBe(false);
    expect(isAppUrl('http://localhost:5173/', loc)).toBe(false);
  });

  it('never treats a file: page as ours, even if configured so', () => {
    const bad: AppLocation = { appUrl: 'file:///opt/app/index.html' };
    expect(isAppUrl('file:///opt/app/index.html', bad)).toBe(false);
  });
});

describe('safeExternalUrl', () => {
  it('lets http(s) links through, normalized', () => {
    expect(safeExternalUrl('https://www.odoo.com/documentation/16.0/')).toBe('https://www.odoo.com/documentation/16.0/');
    expect(safeExternalUrl('HTTP://Example.COM')).toBe('http://example.com/');
  });
  it('refuses other schemes, credentials and junk', () => {
    for (const u of ['file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share', 'ms-msdt:/id', 'https://user:pw@host/', 'https://', 'nonsense', 'x'.repeat(9000)]) {
      expect(safeExternalUrl(u), u).toBeUndefined();
    }
  });
});

describe('permissionAllowed', () => {
  it('denies every permission', () => {
    for (const p of ['media', 'geolocation', 'notifications', 'clipboard-read', 'clipboard-sanitized-write', 'openExternal', 'fullscreen', 'hid', 'serial', 'usb']) {
      expect(permissionAllowed(p, loc.appUrl)).toBe(false);
    }
  });
});
