import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_INDEX_URL, appProtocolHandler, mimeType, resolveAppFile } from '../../../../electron/main/app-protocol';
import { cspHeader } from '../../../../electron/main/security';

let base: string;
let root: string;
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'obd-proto-'));
  root = join(base, 'dist', 'renderer');
  await mkdir(join(root, 'assets'), { recursive: true });
  await writeFile(join(root, 'index.html'), '<!doctype html><title>Odoo Backup Desk</title><script type="module" src="./assets/app.js"></script>');
  await writeFile(join(root, 'assets', 'app.js'), 'console.log(1)');
  await writeFile(join(root, 'assets', 'a b.css'), 'body{}');
  await writeFile(join(base, 'dist', 'secret.txt'), 'outside');
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('resolveAppFile', () => {
  it('maps app://bundle paths into the renderer folder', () => {
    expect(resolveAppFile(APP_INDEX_URL, root)).toBe(join(root, 'index.html'));
    expect(resolveAppFile('app://bundle/', root)).toBe(join(root, 'index.html'));
    expect(resolveAppFile('app://bundle/assets/app.js?v=1#x', root)).toBe(join(root, 'assets', 'app.js'));
    expect(resolveAppFile('app://bundle/assets/a%20b.css', root)).toBe(join(root, 'assets', 'a b.css'));
  });

  it('refuses every way out of the folder and every other URL', () => {
    for (const u of [
      'app://bundle/../secret.txt',
      'app://bundle/%2e%2e/secret.txt',
      'app://bundle/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
      'app://bundle/..%2fsecret.txt',
      'app://bundle/..%5csecret.txt',
      'app://bundle/%00index.html',
      'app://bundle/%E0%A4%A',
      'app://other/index.html',
      'file:///etc/passwd',
      'https://bundle/index.html',
      'nonsense',
    ]) {
      const f = resolveAppFile(u, root);
      expect(f === undefined || f.startsWith(root + '/'), `${u} -> ${f}`).toBe(true);
    }
    expect(resolveAppFile('app://bundle/..%2fsecret.txt', root)).toBeUndefined();
    expect(resolveAppFile('app://other/index.html', root)).toBeUndefined();
  });
});

describe('appProtocolHandler', () => {
  const csp = cspHeader();
  const handler = () => appProtocolHandler({ root, csp, readFile: (p) => readFile(p) });

  it('serves our files with the right type, our CSP and nosniff', async () => {
    const res = await handler()(new Request(APP_INDEX_URL));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(csp);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).toContain('<title>Odoo Backup Desk</title>');
    const js = await handler()(new Request('app://bundle/assets/app.js'));
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await js.text()).toBe('console.log(1)');
  });

  it('answers 404 for missing files, folders and escapes (with the CSP still set)', async () => {
    for (const u of ['app://bundle/missing.js', 'app://bundle/assets', 'app://bundle/%2e%2e/secret.txt', 'app://bundle/..%2fsecret.txt']) {
      const res = await handler()(new Request(u));
      expect(res.status, u).toBe(404);
      expect(res.headers.get('content-security-policy')).toBe(csp);
      expect(await res.text()).not.toContain('outside');
    }
  });

  it('allows only GET and HEAD', async () => {
    expect((await handler()(new Request(APP_INDEX_URL, { method: 'POST', body: 'x' }))).status).toBe(405);
    const head = await handler()(new Request(APP_INDEX_URL, { method: 'HEAD' }));
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('knows the types the renderer build emits', () => {
    expect(mimeType('x.CSS')).toBe('text/css; charset=utf-8');
    expect(mimeType('font.woff2')).toBe('font/woff2');
    expect(mimeType('logo.svg')).toBe('image/svg+xml');
    expect(mimeType('blob.bin')).toBe('application/octet-stream');
  });
});
