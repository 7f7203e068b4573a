/**
 * `storages:connect` through the Desk against a local OAuth authorization server (PKCE,
 * loopback redirect) and a local Dropbox API server driven by the official SDK: the job's
 * progress carries the sign-in URL, the "browser" step is plain HTTP (as a browser follows the
 * 302), the refresh token lands in the secret store; a revoked grant seen by a catalog listing
 * or a storage test marks the storage "needs-reconnect", a connect clears it; `storages:remove`
 * deletes the secret scope and the status whatever the kind.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiMethods, type JobSnapshotDto } from '../../../../shared/contract/api';
import { connectionStatus, CONNECTION_STATUS_FILE, markNeedsReconnect } from '../../../../shared/core/auth/connection-status';
import { Desk } from '../../../../shared/core/desk/open-desk';
import { MemorySecretStore } from '../../../../shared/core/secrets/secret-store';
import { startFakeDropbox, type FakeDropbox } from '../../../helpers/fake-services/dropbox';
import { browserFollow, startFakeOAuthServer, type FakeOAuthServer } from '../../../helpers/fake-oauth-server';

let tmp: string;
let dbx: FakeDropbox;
let oauth: FakeOAuthServer;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'bd-desk-connect-'));
  dbx = await startFakeDropbox();
  oauth = await startFakeOAuthServer({ clientIds: ['dbx-app-key'], mintAccessToken: (ttl) => dbx.issueToken({ appType: 'full_dropbox' }, ttl * 1000) });
});
afterAll(async () => {
  await oauth?.close();
  await dbx?.close();
  await rm(tmp, { recursive: true, force: true });
});

async function waitFor(desk: Desk, jobId: string, until: (j: JobSnapshotDto) => boolean): Promise<JobSnapshotDto> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const j = await desk['jobs:get']({ jobId });
    if (until(j)) return j;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${j.state}: ${JSON.stringify(j.progress)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
const finished = (j: JobSnapshotDto): boolean => j.state !== 'running';

const statusOf = async (desk: Desk, name: string): Promise<string | undefined> =>
  apiMethods['storages:list'].result.parse(await desk['storages:list']({})).find((s) => s.name === name)?.status;

describe('Desk storages:connect (OAuth)', { timeout: 30_000 }, () => {
  it('connects through the browser, lists, marks a revoked grant "needs-reconnect", and reconnects', async () => {
    const home = await mkdtemp(join(tmp, 'home-'));
    const secrets = new MemorySecretStore();
    const opened: string[] = [];
    const desk = await Desk.open({
      home,
      secrets,
      fetch: dbx.fetch,
      openUrl: async (url) => {
        opened.push(url);
        const r = await browserFollow(url);
        expect(r.callbackStatus).toBe(200);
      },
    });
    try {
      await desk['storages:add']({
        name: 'dbx',
        kind: 'dropbox',
        settings: { folderPath: '/Backups', appType: 'full_dropbox', clientId: 'dbx-app-key', authUrl: oauth.authUrl, tokenUrl: oauth.tokenUrl },
      });
      const entry = await desk.storageEntry('dbx');
      expect(await statusOf(desk, 'dbx')).toBe('needs-secret');

      // Not connected yet: the error names the storage, not its secret scope's id.
      const before = await desk['catalog:list']({});
      expect(before.failures).toHaveLength(1);
      expect(before.failures[0]!.error).toMatchObject({ kind: 'AuthFailed', message: expect.stringContaining('"dbx"') });
      expect(JSON.stringify(before.failures[0]!.error)).not.toContain(entry.id);

      const { jobId } = await desk['storages:connect']({ name: 'dbx' });
      const done = await waitFor(desk, jobId, finished);
      expect(done.state, JSON.stringify(done.error)).toBe('succeeded');
      expect(done.kind).toBe('connect');
      expect(opened).toHaveLength(1);
      expect(new URL(opened[0]!).origin).toBe(new URL(oauth.authUrl).origin);
      expect(oauth.authorizeRequests.at(-1)).toMatchObject({ client_id: 'dbx-app-key', code_challenge_method: 'S256' });
      expect(await secrets.get(entry.secretScope, 'refreshToken')).toBe(oauth.issuedRefreshTokens.at(-1));
      expect(await statusOf(desk, 'dbx')).toBe('ok');

      // Connected: the catalog lists the storage with refreshed tokens.
      await (await desk.provider('dbx')).write!('acme_2024-01-02_03-04-05.zip', Readable.from([Buffer.from('PK zip bytes')]));
      const listed = await desk['catalog:list']({});
      expect(listed.failures).toEqual([]);
      expect(listed.backups.map((b) => b.ref)).toEqual(['dbx:acme_2024-01-02_03-04-05.zip']);

      // The grant is revoked: the next listing fails with AuthFailed + reconnect and the Desk records it.
      oauth.revoke();
      dbx.expireAllTokens();
      const revoked = await desk['catalog:list']({});
      expect(revoked.failures[0]?.error).toMatchObject({ kind: 'AuthFailed', details: { reconnect: true } });
      expect(await statusOf(desk, 'dbx')).toBe('needs-reconnect');
      const recorded = JSON.parse(await readFile(join(home, CONNECTION_STATUS_FILE), 'utf8')) as Record<string, { reason: string }>;
      expect(recorded.dbx?.reason).toMatch(/dbx/);

      // Reconnecting clears it, and the storage works again.
      const again = await desk['storages:connect']({ name: 'dbx' });
      expect((await waitFor(desk, again.jobId, finished)).state).toBe('succeeded');
      expect(await statusOf(desk, 'dbx')).toBe('ok');
      expect((await desk['catalog:list']({})).backups).toHaveLength(1);
      const test = await desk['storages:test']({ name: 'dbx' });
      expect(test.checks.map((c) => [c.name, c.ok])).toEqual([['open', true], ['list', true], ['write', true], ['read', true], ['delete', true]]);

      // A storage test that meets a revoked grant marks it too.
      oauth.revoke();
      dbx.expireAllTokens();
      const failing = await desk['storages:test']({ name: 'dbx' });
      expect(failing.ok).toBe(false);
      await expect.poll(() => connectionStatus(home, 'dbx')).toBe('needs-reconnect');
    } finally {
      await desk.close();
    }
  });

  it('without an openUrl (serve), the sign-in URL is in the job progress and the loopback redirect completes the job', async () => {
    const home = await mkdtemp(join(tmp, 'home-'));
    const secrets = new MemorySecretStore();
    const desk = await Desk.open({ home, secrets, fetch: dbx.fetch });
    try {
      await desk['storages:add']({ name: 'web', kind: 'dropbox', settings: { folderPath: '/W', appType: 'full_dropbox', clientId: 'dbx-app-key', authUrl: oauth.authUrl, tokenUrl: oauth.tokenUrl } });
      await markNeedsReconnect(home, 'web', 'revoked in a test');
      const { jobId } = await desk['storages:connect']({ name: 'web' });
      const waiting = await waitFor(desk, jobId, (j) => j.progress?.message?.startsWith('http') === true || finished(j));
      expect(waiting.state).toBe('running');
      expect(waiting.progress).toMatchObject({ phase: 'authorize', label: 'Sign in in your browser' });
      const url = new URL(waiting.progress!.message!);
      expect(url.searchParams.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
      // The user signs in: the browser follows the 302 to the loopback receiver.
      expect((await browserFollow(url.href)).callbackStatus).toBe(200);
      expect((await waitFor(desk, jobId, finished)).state).toBe('succeeded');
      expect(await connectionStatus(home, 'web')).toBe('ok');
      expect(await secrets.get((await desk.storageEntry('web')).secretScope, 'refreshToken')).toBeTruthy();
    } finally {
      await desk.close();
    }
  });

  it('refuses to connect an unknown storage and a storage that is not an OAuth kind; a denied sign-in fails the job', async () => {
    const home = await mkdtemp(join(tmp, 'home-'));
    const desk = await Desk.open({ home, secrets: new MemorySecretStore(), fetch: dbx.fetch, openUrl: async (url) => void (await browserFollow(url)) });
    try {
      await expect(desk['storages:connect']({ name: 'nope' })).rejects.toMatchObject({ kind: 'NotFound' });
      await desk['storages:add']({ name: 'disk', kind: 'local', settings: { path: tmp } });
      const local = await desk['storages:connect']({ name: 'disk' });
      expect((await waitFor(desk, local.jobId, finished)).error).toMatchObject({ kind: 'InvalidInput', message: expect.stringContaining('only Dropbox and Google Drive') });

      await desk['storages:add']({ name: 'denied', kind: 'dropbox', settings: { appType: 'full_dropbox', clientId: 'dbx-app-key', authUrl: oauth.authUrl, tokenUrl: oauth.tokenUrl } });
      oauth.mode = 'deny';
      const d = await desk['storages:connect']({ name: 'denied' });
      const failed = await waitFor(desk, d.jobId, finished);
      expect(failed.state).toBe('failed');
      expect(failed.error?.hint).toBeTruthy();
    } finally {
      oauth.mode = 'approve';
      await desk.close();
    }
  });

  it('inspect and download that meet a revoked grant mark the storage; errors of a Drive storage name it too', async () => {
    const home = await mkdtemp(join(tmp, 'home-'));
    const secrets = new MemorySecretStore();
    const desk = await Desk.open({ home, secrets, fetch: dbx.fetch, openUrl: async (url) => void (await browserFollow(url)) });
    try {
      await desk['storages:add']({ name: 'box', kind: 'dropbox', settings: { folderPath: '/Box', appType: 'full_dropbox', clientId: 'dbx-app-key', authUrl: oauth.authUrl, tokenUrl: oauth.tokenUrl } });
      expect((await waitFor(desk, (await desk['storages:connect']({ name: 'box' })).jobId, finished)).state).toBe('succeeded');
      await (await desk.provider('box')).write!('acme_2024-02-02_00-00-00.dump', Readable.from([Buffer.from('PGDMP bytes')]));

      oauth.revoke();
      dbx.expireAllTokens();
      await expect(desk['backups:inspect']({ source: 'box:acme_2024-02-02_00-00-00.dump' })).rejects.toMatchObject({ kind: 'AuthFailed' });
      expect(await connectionStatus(home, 'box')).toBe('needs-reconnect');

      expect((await waitFor(desk, (await desk['storages:connect']({ name: 'box' })).jobId, finished)).state).toBe('succeeded');
      expect(await connectionStatus(home, 'box')).toBe('ok');
      oauth.revoke();
      dbx.expireAllTokens();
      const dl = await desk['download:start']({ ref: 'box:acme_2024-02-02_00-00-00.dump', out: join(home, 'a.dump') });
      expect((await waitFor(desk, dl.jobId, finished)).error).toMatchObject({ kind: 'AuthFailed' });
      expect(await connectionStatus(home, 'box')).toBe('needs-reconnect');

      await desk['storages:add']({ name: 'drive', kind: 'gdrive', settings: { clientId: 'g-client' } });
      const entry = await desk.storageEntry('drive');
      const cat = await desk['catalog:list']({ storages: ['drive'] });
      expect(cat.failures[0]?.error.message).toContain('"drive"');
      expect(JSON.stringify(cat.failures[0]?.error)).not.toContain(entry.id);
    } finally {
      await desk.close();
    }
  });

  it('storages:remove deletes the secret scope and the connection status, whatever the kind', async () => {
    const home = await mkdtemp(join(tmp, 'home-'));
    const secrets = new MemorySecretStore();
    const desk = await Desk.open({ home, secrets });
    try {
      await desk['storages:add']({ name: 'disk', kind: 'local', settings: { path: tmp } });
      const scope = (await desk.storageEntry('disk')).secretScope;
      await secrets.set(scope, 'leftover', 'a secret someone imported');
      await markNeedsReconnect(home, 'disk', 'test');
      await desk['storages:remove']({ name: 'disk' });
      expect(await secrets.get(scope, 'leftover')).toBeUndefined();
      expect(await connectionStatus(home, 'disk')).toBe('ok');
      expect(JSON.parse(await readFile(join(home, CONNECTION_STATUS_FILE), 'utf8'))).toEqual({});

      await desk['storages:add']({ name: 'cloud', kind: 'dropbox', settings: { appType: 'full_dropbox', clientId: 'x' } });
      const cloudScope = (await desk.storageEntry('cloud')).secretScope;
      await secrets.set(cloudScope, 'refreshToken', 'r-token');
      await markNeedsReconnect(home, 'cloud');
      await desk['storages:remove']({ name: 'cloud' });
      expect(await secrets.get(cloudScope, 'refreshToken')).toBeUndefined();
      expect(await connectionStatus(home, 'cloud')).toBe('ok');
    } finally {
      await desk.close();
    }
  });
});
