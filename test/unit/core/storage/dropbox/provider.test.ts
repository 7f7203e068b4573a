/** Dropbox provider against the local Dropbox API server: paging, auth refresh, rate limits, upload-session recovery, errors. */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { Dropbox, DropboxResponseError } from 'dropbox';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { refreshingTokenSource, staticTokenSource, type TokenSource } from '../../../../../shared/core/auth/token-source';
import { MemorySecretStore } from '../../../../../shared/core/secrets/secret-store';
import { dropboxFactory } from '../../../../../shared/core/storage/dropbox';
import { DropboxProvider } from '../../../../../shared/core/storage/dropbox/provider';
import { classifyDropboxError } from '../../../../../shared/core/storage/dropbox/errors';
import { resumableRead, writeWithRetry } from '../../../../../shared/core/storage/wrappers/resume';
import { nullLogger } from '../../../../../shared/core/util/logger';
import { dropboxContentHash, startFakeDropbox, type FakeDropbox } from '../../../../helpers/fake-services/dropbox';
import { caught, drain } from '../../../../helpers/assertions';

process.env.HTTPS_PROXY = 'http://127.0.0.1:9';

const bytes = (n: number, seed = 1): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));

/** A token source that counts what the provider asks of it. */
function counting(inner: TokenSource): TokenSource & { tokens: number; invalidations: number } {
  const c = {
    tokens: 0,
    invalidations: 0,
    accessToken: async (signal?: AbortSignal) => {
      c.tokens++;
      return inner.accessToken(signal);
    },
    invalidate: () => {
      c.invalidations++;
      inner.invalidate();
    },
  };
  return c;
}

describe('Dropbox provider', () => {
  let server: FakeDropbox;
  const make = (tokens: TokenSource, chunkBytes = 64 * 1024, folderPath = '/Backups'): DropboxProvider =>
    new DropboxProvider({ folderPath, tokens, fetch: server.fetch, log: nullLogger, chunkBytes, storageName: 'dbx' });

  beforeEach(async () => {
    server = await startFakeDropbox();
  });
  afterEach(async () => {
    await server.close();
    // Nothing ever left loopback: the rewriting fetch refuses other hosts, and saw only the fake.
    expect(server.seenUrls.every((u) => u.startsWith(server.url))).toBe(true);
  });

  it('pages a listing of 9 objects with limit 3 through list_folder/continue, each exactly once', async () => {
    const p = make(staticTokenSource(server.issueToken()));
    const keys = Array.from({ length: 9 }, (_, i) => (i % 3 === 0 ? `sub/db${i}.zip` : `db${i}.zip`));
    for (const k of keys) await p.write(k, Readable.from([Buffer.from(k)]));
    const before = server.state.requests.length;
    const got: string[] = [];
    for await (const o of p.list('', { pageSize: 3 })) got.push(o.key);
    expect(got.sort()).toEqual([...keys].sort());
    const calls = server.state.requests.slice(before).map((r) => r.route);
    expect(calls.filter((r) => r === 'files/list_folder')).toHaveLength(1);
    // 9 files + 1 folder entry = 10 entries in pages of 3 → 3 continues.
    expect(calls.filter((r) => r === 'files/list_folder/continue')).toHaveLength(3);
  });

  it('the server enforces opaque cursors and the limit bounds, as Dropbox does', async () => {
    const dbx = new Dropbox({ accessToken: server.issueToken(), fetch: server.fetch });
    const e1 = await dbx.filesListFolderContinue({ cursor: 'not-a-cursor' }).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(DropboxResponseError);
    expect((e1 as DropboxResponseError<unknown>).status).toBe(400);
    const e2 = await dbx.filesListFolder({ path: '', limit: 5000 }).catch((e: unknown) => e);
    expect((e2 as DropboxResponseError<unknown>).status).toBe(400);
    expect(classifyDropboxError(e2, 'x', 'dbx').kind).toBe('Fatal');
  });

  it('after a 401 refreshes the token once and retries; a second 401 is AuthFailed with a reconnect hint', async () => {
    server.addRefreshToken('r-1');
    const secrets = new MemorySecretStore();
    await secrets.set('storage:dbx', 'refreshToken', 'r-1');
    const ts = counting(refreshingTokenSource({ tokenUrl: 'https://api.dropboxapi.com/oauth2/token', clientId: 'cid', storageName: 'dbx' }, secrets, 'storage:dbx', server.fetch));
    const p = make(ts);
    await p.write('a.zip', Readable.from([Buffer.from('abc')]));
    expect(server.state.requests.filter((r) => r.route === 'oauth2/token')).toHaveLength(1);
    server.expireAllTokens();
    expect((await p.stat('a.zip')).size).toBe(3);
    expect(ts.invalidations).toBe(1);
    expect(server.state.requests.filter((r) => r.route === 'oauth2/token')).toHaveLength(2);
    expect(server.state.requests.some((r) => r.status === 401)).toBe(true);

    const bad = counting(staticTokenSource('revoked-token'));
    const err = await caught(make(bad).stat('a.zip'));
    expect(err.kind).toBe('AuthFailed');
    expect(err.hint).toMatch(/storage connect dbx/);
    expect(err.details?.reconnect).toBe(true);
    expect(bad.invalidations).toBe(1);
    expect(bad.tokens).toBe(2);
  });

  it('a revoked refresh token surfaces as AuthFailed asking to reconnect', async () => {
    const secrets = new MemorySecretStore();
    await secrets.set('storage:dbx', 'refreshToken', 'revoked');
    const config = dropboxFactory.configSchema.parse({ clientId: 'cid', folderPath: 'Backups' });
    const p = await dropboxFactory.create(config, 'storage:dbx', { secrets, log: nullLogger, fetch: server.fetch });
    const err = await caught(p.stat('x.zip'));
    expect(err.kind).toBe('AuthFailed');
    expect(err.details?.reconnect).toBe(true);
  });

  it('429 becomes Transient with the Retry-After delay, 5xx Transient, and the next call works', async () => {
    const p = make(staticTokenSource(server.issueToken()));
    await p.write('a.zip', Readable.from([Buffer.from('abc')]));
    server.failNext({ route: 'files/get_metadata', status: 429, retryAfterSec: 2 });
    const e = await caught(p.stat('a.zip'));
    expect(e.kind).toBe('Transient');
    expect(e.retryAfterMs).toBe(2000);
    server.failNext({ route: 'files/download', status: 503 });
    expect((await caught(p.read('a.zip'))).kind).toBe('Transient');
    expect((await p.stat('a.zip')).size).toBe(3);
  });

  it('the Retry-After of a 429 is honoured by the retrying writer (writeWithRetry)', async () => {
    const p = make(staticTokenSource(server.issueToken()));
    server.failNext({ route: 'files/upload', status: 429, retryAfterSec: 1 });
    const started = Date.now();
    const kinds: Array<number | undefined> = [];
    await writeWithRetry(p, 'rl.zip', () => Readable.from([Buffer.from('later')]), { baseDelayMs: 5, onRetry: (_n, e) => kinds.push(e.retryAfterMs) });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(kinds).toEqual([1000]);
    expect((await p.stat('rl.zip')).size).toBe(5);
  });

  it('recovers an upload session whose append answer was lost (incorrect_offset → correct_offset)', async () => {
    const p = make(staticTokenSource(server.issueToken()), 64 * 1024);
    const data = bytes(64 * 1024 * 3 + 1000, 3);
    server.failNext({ route: 'files/upload_session/append_v2', dropResponse: true });
    const info = await p.write('big.zip', Readable.from([data]), { size: data.length });
    expect(info.size).toBe(data.length);
    const appends = server.state.requests.filter((r) => r.route === 'files/upload_session/append_v2');
    // The lost answer, the re-send refused with incorrect_offset (409), then the next chunk.
    expect(appends.map((r) => r.status)).toEqual([0, 409, 200]);
    expect((await drain(await p.read('big.zip'))).equals(data)).toBe(true);
    expect(server.state.sessions.size).toBe(0);
  });

  it("re-sends a session chunk refused with 429 only once its Retry-After has passed", async () => {
    const p = make(staticTokenSource(server.issueToken()), 64 * 1024);
    const data = bytes(64 * 1024 * 3, 7);
    server.failNext({ route: 'files/upload_session/append_v2', status: 429, retryAfterSec: 1 });
    const started = Date.now();
    await p.write('slow.zip', Readable.from([data]));
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(server.state.requests.filter((r) => r.route === 'files/upload_session/append_v2').map((r) => r.status)).toEqual([429, 200]);
    expect((await drain(await p.read('slow.zip'))).equals(data)).toBe(true);
  });

  it('re-sends a session chunk whose request was cut half way', async () => {
    const p = make(staticTokenSource(server.issueToken()), 64 * 1024);
    const data = bytes(64 * 1024 * 4, 5);
    server.failNext({ route: 'files/upload_session/append_v2', dropAfterBytes: 20_000 });
    await p.write('cut.zip', Readable.from([data]));
    expect((await drain(await p.read('cut.zip'))).equals(data)).toBe(true);
    const stored = server.state.files.get('/backups/cut.zip');
    expect(stored?.data.length).toBe(data.length);
  });

  it('reports the Dropbox content hash as the checksum and streams ranged reads (206)', async () => {
    const p = make(staticTokenSource(server.issueToken()));
    const data = bytes(100_000, 9);
    await p.write('h.zip', Readable.from([data]));
    const st = await p.stat('h.zip');
    expect(st.checksum).toEqual({ algorithm: 'dropbox-content-hash', value: dropboxContentHash(data) });
    const part = await drain(await p.read('h.zip', { range: { offset: 500, length: 1000 } }));
    expect(part.equals(data.subarray(500, 1500))).toBe(true);
    expect(server.state.requests.filter((r) => r.route === 'files/download').at(-1)?.status).toBe(206);
    // A download dropped half way is Transient and resumable from where it stopped.
    server.failNext({ route: 'files/download', dropAfterBytes: 40_000 });
    const whole = await drain(await resumableRead(p, 'h.zip', { baseDelayMs: 5 }));
    expect(createHash('sha256').update(whole).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
  });

  it('classifies not-found, folders, permission and quota errors', async () => {
    const p = make(staticTokenSource(server.issueToken()));
    await p.write('dir/a.zip', Readable.from([Buffer.from('x')]));
    expect((await caught(p.stat('nope.zip'))).kind).toBe('NotFound');
    expect((await caught(p.stat('dir'))).kind).toBe('NotFound');
    expect((await caught(p.read('nope.zip'))).kind).toBe('NotFound');
    expect((await caught(p.remove('nope.zip'))).kind).toBe('NotFound');
    const headers = new Headers();
    expect(classifyDropboxError(new DropboxResponseError(403, headers, { error_summary: 'no_permission/' }), 'k', 'dbx').kind).toBe('PermissionDenied');
    expect(classifyDropboxError(new DropboxResponseError(409, headers, { error_summary: 'path/insufficient_space/..' }), 'k', 'dbx').kind).toBe('Fatal');
    expect(classifyDropboxError(new DropboxResponseError(409, headers, { error_summary: 'path/no_write_permission/..' }), 'k', 'dbx').kind).toBe('PermissionDenied');
    expect(classifyDropboxError(new DropboxResponseError(409, headers, { error_summary: 'reset/..' }), 'k', 'dbx').kind).toBe('Transient');
    expect(classifyDropboxError(new TypeError('fetch failed'), 'k', 'dbx').kind).toBe('Transient');
  });

  it('an app-folder token writes below Apps/<app>/, and describe() says so', async () => {
    const secrets = new MemorySecretStore();
    await secrets.set('storage:dbx', 'accessToken', server.issueToken({ appType: 'app_folder', appName: 'Odoo Backup' }));
    const config = dropboxFactory.configSchema.parse({ folderPath: 'ProductionBackups/', appType: 'app_folder', appName: 'Odoo Backup' });
    expect(config.folderPath).toBe('/ProductionBackups');
    expect(dropboxFactory.describe(config)).toBe('Dropbox app folder Apps/Odoo Backup/ProductionBackups');
    const p = await dropboxFactory.create(config, 'storage:dbx', { secrets, log: nullLogger, fetch: server.fetch });
    await p.write!('db.2024-01-01_00-00-00.zip', Readable.from([Buffer.from('zip')]));
    expect([...server.state.files.values()].map((f) => f.pathDisplay)).toEqual(['/Apps/Odoo Backup/ProductionBackups/db.2024-01-01_00-00-00.zip']);
    expect((await drain(await p.read('db.2024-01-01_00-00-00.zip'))).toString()).toBe('zip');
  });

  it('without any stored token the storage is "not connected"; a refresh token needs a client id', async () => {
    const secrets = new MemorySecretStore();
    const e = await caught(dropboxFactory.create(dropboxFactory.configSchema.parse({ clientId: 'cid' }), 'storage:dbx', { secrets, log: nullLogger, fetch: server.fetch }));
    expect(e.kind).toBe('AuthFailed');
    expect(e.hint).toMatch(/storage connect dbx/);
    await secrets.set('storage:dbx', 'refreshToken', 'r');
    const saved = process.env.BACKUP_DESK_DROPBOX_CLIENT_ID;
    delete process.env.BACKUP_DESK_DROPBOX_CLIENT_ID;
    try {
      const e2 = await caught(dropboxFactory.create(dropboxFactory.configSchema.parse({}), 'storage:dbx', { secrets, log: nullLogger, fetch: server.fetch }));
      expect(e2.kind).toBe('InvalidInput');
    } finally {
      if (saved !== undefined) process.env.BACKUP_DESK_DROPBOX_CLIENT_ID = saved;
    }
  });
});
