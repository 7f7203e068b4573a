import { request } from 'node:http';
import { mkdtemp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeskApi } from '../../../shared/contract/api';
import { AppError } from '../../../shared/core/errors';
import { JobManager } from '../../../shared/core/jobs/job-manager';
import { CSP, startServer, type RunningServer } from '../../../shared/serve/server';

/** A transport-level double of the core: a few methods answer, the rest say "not here". */
function fakeApi(jobs: JobManager): DeskApi {
  const impl: Partial<DeskApi> = {
    'app:info': async () => ({ version: '0.0.0-test', home: '/h', secretsBackend: 'memory', platform: 'linux' }),
    'storages:remove': async ({ name }) => {
      throw new AppError('NotFound', `No storage named ${name}.`, { hint: 'List storages first.' });
    },
    'restore:check-name': async ({ db }) => ({ valid: true, exists: db === 'taken', message: undefined }),
    'rotation:get-policy': async () => null,
    'download:start': async ({ ref }) => {
      const h = jobs.start('download', `Download ${ref}`, async (ctx) => {
        ctx.progress({ phase: 'download', done: 5, total: 10, unit: 'bytes' });
        await new Promise((r) => setTimeout(r, 20));
        return { path: '/tmp/x' };
      });
      return { jobId: h.id };
    },
  };
  return new Proxy(impl as DeskApi, {
    get: (t, p) => (t as Record<string | symbol, unknown>)[p] ?? (async () => {
      throw new AppError('Unsupported', `${String(p)} is not in this test double`);
    }),
  });
}

function raw(
  srv: RunningServer,
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: srv.port, path, method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('serve', () => {
  let home: string;
  let srv: RunningServer;
  const jobs = new JobManager();

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'bd-serve-'));
    const ui = join(home, 'ui');
    await mkdir(join(ui, 'assets'), { recursive: true });
    await writeFile(join(ui, 'index.html'), '<!doctype html><title>x</title>');
    await writeFile(join(ui, 'assets', 'app.js'), 'console.log(1)');
    await writeFile(join(home, 'secret.txt'), 'do not serve');
    srv = await startServer({ api: fakeApi(jobs), events: jobs, home, staticDir: ui, port: 0 });
  });
  afterAll(async () => {
    await srv.close();
    await rm(home, { recursive: true, force: true });
  });

  const call = (method: string, body: unknown, token = srv.token) =>
    fetch(`${srv.origin}/api/${method}`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

  it('binds to loopback on a free port and prints a URL with the token in the fragment', () => {
    expect(srv.host).toBe('127.0.0.1');
    expect(srv.port).toBeGreaterThan(0);
    expect(srv.exposed).toBe(false);
    expect(srv.url).toBe(`http://127.0.0.1:${srv.port}/#token=${srv.token}`);
    expect(srv.token.length).toBeGreaterThanOrEqual(40);
  });

  it('answers a method with the right token', async () => {
    const res = await call('app:info', {});
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ version: '0.0.0-test' });
  });

  it('answers a null result as null (a storage without a rotation policy), not as an empty object', async () => {
    const res = await call('rotation:get-policy', { storage: 'nas' });
    expect(res.status).toBe(200);
    expect(await res.json()).toBeNull();
  });

  it('refuses a missing or wrong token with 401 and an ApiError', async () => {
    const none = await fetch(`${srv.origin}/api/app:info`, { method: 'POST', body: '{}' });
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ kind: 'AuthFailed', hint: expect.stringContaining('#token=') });
    const wrong = await call('app:info', {}, srv.token.slice(0, -1) + (srv.token.endsWith('A') ? 'B' : 'A'));
    expect(wrong.status).toBe(401);
    // The query-string token is accepted for the event stream only.
    const q = await fetch(`${srv.origin}/api/app:info?token=${srv.token}`, { method: 'POST', body: '{}' });
    expect(q.status).toBe(401);
  });

  it('validates arguments with the contract schema', async () => {
    const res = await call('restore:check-name', { db: 'x' });
    expect(res.status).toBe(400);
    const err = (await res.json()) as { kind: string; message: string };
    expect(err.kind).toBe('InvalidInput');
    expect(err.message).toBe('Invalid arguments for restore:check-name: target: is missing');
    const bad = await fetch(`${srv.origin}/api/app:info`, { method: 'POST', headers: { Authorization: `Bearer ${srv.token}` }, body: '{nope' });
    expect(bad.status).toBe(400);
    const ok = await call('restore:check-name', { db: 'taken', target: { type: 'embedded' } });
    expect(await ok.json()).toMatchObject({ valid: true, exists: true });
  });

  it('maps error kinds to statuses and keeps the hint', async () => {
    const res = await call('storages:remove', { name: 'nope' });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ kind: 'NotFound', message: 'No storage named nope.', hint: 'List storages first.' });
    const unknown = await call('nope:nothing', {});
    expect(unknown.status).toBe(404);
    const get = await fetch(`${srv.origin}/api/app:info`, { headers: { Authorization: `Bearer ${srv.token}` } });
    expect(get.status).toBe(405);
  });

  it('rejects foreign Host and Origin headers (DNS rebinding, CSRF)', async () => {
    const host = await raw(srv, '/api/app:info', { method: 'POST', headers: { Host: `evil.example:${srv.port}`, Authorization: `Bearer ${srv.token}` }, body: '{}' });
    expect(host.status).toBe(403);
    const page = await raw(srv, '/', { headers: { Host: 'evil.example' } });
    expect(page.status).toBe(403);
    const origin = await raw(srv, '/api/app:info', {
      method: 'POST',
      headers: { Origin: 'http://evil.example', Authorization: `Bearer ${srv.token}` },
      body: '{}',
    });
    expect(origin.status).toBe(403);
    const same = await raw(srv, '/api/app:info', {
      method: 'POST',
      headers: { Host: `localhost:${srv.port}`, Origin: `http://localhost:${srv.port}`, Authorization: `Bearer ${srv.token}` },
      body: '{}',
    });
    expect(same.status).toBe(200);
  });

  it('serves the UI with a strict CSP and nothing outside it', async () => {
    const page = await fetch(`${srv.origin}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe(CSP);
    expect(CSP).toContain("script-src 'self'");
    expect(CSP).not.toContain('unsafe');
    const js = await fetch(`${srv.origin}/assets/app.js`);
    expect(js.headers.get('content-type')).toContain('javascript');
    const trav = await raw(srv, '/../secret.txt');
    expect(trav.status).toBe(404);
    const enc = await raw(srv, '/%2e%2e/secret.txt');
    expect(enc.status).toBe(404);
    expect(enc.body).not.toContain('do not serve');
  });

  it('streams job events over SSE', async () => {
    const ctrl = new AbortController();
    const unauth = await fetch(`${srv.origin}/api/events`);
    expect(unauth.status).toBe(401);
    const res = await fetch(`${srv.origin}/api/events?token=${srv.token}`, { signal: ctrl.signal });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    const started = await call('download:start', { ref: 'local:a.zip', out: '/tmp/a.zip' });
    const { jobId } = (await started.json()) as { jobId: string };
    let text = '';
    const dec = new TextDecoder();
    while (!text.includes('event: job:done')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += dec.decode(value);
    }
    ctrl.abort();
    expect(text).toContain('event: job:update');
    const doneLine = text.split('\n\n').find((b) => b.startsWith('event: job:done'))!;
    const snap = JSON.parse(doneLine.split('\n')[1]!.slice('data: '.length)) as { id: string; state: string; result: unknown };
    expect(snap).toMatchObject({ id: jobId, state: 'succeeded', result: { path: '/tmp/x' } });
    // The listener is removed once the client goes away.
    await expect.poll(() => jobs.listenerCount('update'), { timeout: 5000 }).toBe(0);
    expect(jobs.listenerCount('done')).toBe(0);
  });

  it('streams an upload into <home>/incoming with a safe, unique name', async () => {
    const data = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
    const up = async () => {
      const res = await fetch(`${srv.origin}/api/upload?name=${encodeURIComponent('../../evil/acme db.zip')}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${srv.token}`, 'Content-Type': 'application/octet-stream' },
        body: data,
      });
      expect(res.status).toBe(200);
      return (await res.json()) as { path: string; name: string; size: number };
    };
    const a = await up();
    const b = await up();
    expect(a.path).toBe(join(home, 'incoming', 'acme db.zip'));
    expect(b.name).toBe('acme db (1).zip');
    expect(a.size).toBe(data.length);
    expect((await readFile(a.path)).equals(data)).toBe(true);
    expect((await readdir(join(home, 'incoming'))).sort()).toEqual(['acme db (1).zip', 'acme db.zip']);
    const noTok = await fetch(`${srv.origin}/api/upload?name=x.zip`, { method: 'POST', body: 'x' });
    expect(noTok.status).toBe(401);
  });

  it('leaves no partial file when an upload is cut short', async () => {
    await new Promise<void>((resolve) => {
      const req = request({
        host: '127.0.0.1',
        port: srv.port,
        path: '/api/upload?name=cut.zip',
        method: 'POST',
        headers: { Authorization: `Bearer ${srv.token}`, 'Content-Length': '1000000' },
      });
      req.on('error', () => resolve());
      req.write(Buffer.alloc(1000));
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 100);
    });
    await new Promise((r) => setTimeout(r, 200));
    const names = await readdir(join(home, 'incoming'));
    expect(names.filter((n) => n.startsWith('cut'))).toEqual([]);
  });
});
