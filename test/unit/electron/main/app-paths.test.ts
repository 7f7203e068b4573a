import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appFiles, devServerUrl, homeArg } from '../../../../electron/main/app-paths';
import { isAppUrl } from '../../../../electron/main/security';

describe('homeArg', () => {
  it('reads --home DIR and --home=DIR, the last one winning', () => {
    expect(homeArg(['/usr/bin/electron', '.'])).toBeUndefined();
    expect(homeArg(['app', '--home', '/h1'])).toBe('/h1');
    expect(homeArg(['app', '--home=/h2'])).toBe('/h2');
    expect(homeArg(['app', '--home=/h1', '--no-sandbox', '--home', '/h3'])).toBe('/h3');
    expect(homeArg(['app', '--home'])).toBeUndefined();
    expect(homeArg(['app', '--home='])).toBeUndefined();
    expect(homeArg(['app', '--', '--home', '/x'])).toBeUndefined();
  });
});

describe('devServerUrl', () => {
  it('accepts loopback http(s) only', () => {
    expect(devServerUrl('http://localhost:5173')).toBe('http://localhost:5173/');
    expect(devServerUrl('http://127.0.0.1:5173/')).toBe('http://127.0.0.1:5173/');
    for (const u of ['http://example.com:5173', 'file:///tmp/x.html', 'javascript:1', 'nope', undefined]) expect(devServerUrl(u), String(u)).toBeUndefined();
  });
});

describe('appFiles', () => {
  const mainDir = join('/opt', 'app', 'dist', 'electron');
  it('finds the preload and the renderer next to the main bundle; pages are app://bundle', () => {
    const f = appFiles({ mainDir, packaged: true, env: {} });
    expect(f.preloadPath).toBe(join(mainDir, 'preload.cjs'));
    expect(f.rendererDir).toBe(join('/opt', 'app', 'dist', 'renderer'));
    expect(f.location).toEqual({ appUrl: 'app://bundle/index.html' });
    expect(isAppUrl(f.location.appUrl, f.location)).toBe(true);
  });
  it('uses ELECTRON_RENDERER_URL only when not packaged', () => {
    const env = { ELECTRON_RENDERER_URL: 'http://localhost:5173' };
    expect(appFiles({ mainDir, packaged: false, env }).location.devUrl).toBe('http://localhost:5173/');
    expect(appFiles({ mainDir, packaged: true, env }).location.devUrl).toBeUndefined();
  });
});
