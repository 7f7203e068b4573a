/** Refresh, revocation, Google-style expiry and reconnect, against the local authorization server. */
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionStatus, connectionStatuses, CONNECTION_STATUS_FILE } from '../../../../shared/core/auth/connection-status';
import { connectStorage } from '../../../../shared/core/auth/oauth-flow';
import { refreshingTokenSource, serviceAccountTokenSource } from '../../../../shared/core/auth/token-source';
import { MemorySecretStore } from '../../../../shared/core/secrets/secret-store';
import { browserFollow, startFakeOAuthServer, type FakeOAuthServer } from '../../../helpers/fake-oauth-server';

describe('refreshingTokenSource', () => {
  let srv: FakeOAuthServer;
  let home: string;
  beforeAll(async () => {
    srv = await startFakeOAuthServer({ clientIds: ['cid'] });
    home = await mkdtemp(join(tmpdir(), 'bd-tok-'));
  });
  afterAll(async () => {
    await srv.close();
    await rm(home, { recursive: true, force: true });
  });

  const connect = async (secrets: MemorySecretStore, name: string): Promise<void> => {
    await connectStorage({
      kind: 'dropbox',
      storageName: name,
      scope: `storage:${name}`,
      settings: { clientId: 'cid', authUrl: srv.authUrl, tokenUrl: srv.tokenUrl },
      secrets,
      home,
      openUrl: async (u) => void (await browserFollow(u)),
    });
  };

  it('refreshes, caches, shares one refresh between concurrent callers, refreshes again after invalidate', async () => {
    const secrets = new MemorySecretStore();
    await connect(secrets, 'a');
    const ts = refreshingTokenSource({ tokenUrl: srv.tokenUrl, clientId: 'cid', storageName: 'a', statusHome: home }, secrets, 'storage:a');
    const before = srv.tokenRequests.filter((t) => t.grantType === 'refresh_token').length;
    const [t1, t2, t3] = await Promise.all([ts.accessToken(), ts.accessToken(), ts.accessToken()]);
    expect(t1).toBe(t2);
    expect(t2).toBe(t3);
    expect(srv.isValidAccessToken(t1)).toBe(true);
    expect(await ts.accessToken()).toBe(t1);
    expect(srv.tokenRequests.filter((t) => t.grantType === 'refresh_token').length - before).toBe(1);
    srv.expireAccessTokens();
    ts.invalidate(); // what a provider does after a 401
    const t4 = await ts.accessToken();
    expect(t4).not.toBe(t1);
    expect(srv.isValidAccessToken(t4)).toBe(true);
  });

  it('turns a revoked grant into AuthFailed + reconnect and records needs-reconnect; connecting again clears it', async () => {
    const secrets = new MemorySecretStore();
    await connect(secrets, 'rev');
    const rt = (await secrets.get('storage:rev', 'refreshToken')) as string;
    let called = '';
    const ts = refreshingTokenSource(
      { tokenUrl: srv.tokenUrl, clientId: 'cid', storageName: 'rev', statusHome: home, onReconnectNeeded: (r) => void (called = r) },
      secrets,
      'storage:rev',
    );
    await ts.accessToken();
    srv.revoke(rt);
    ts.invalidate();
    await expect(ts.accessToken()).rejects.toMatchObject({ kind: 'AuthFailed', details: { reconnect: true }, hint: expect.stringMatching(/storage connect rev/) });
    expect(called).toBe('invalid_grant');
    expect(await connectionStatus(home, 'rev')).toBe('needs-reconnect');
    expect(Object.keys(await connectionStatuses(home))).toContain('rev');
    const statusText = await readFile(join(home, CONNECTION_STATUS_FILE), 'utf8');
    expect(statusText).not.toContain(rt);

    await connect(secrets, 'rev'); // reconnect
    expect(await connectionStatus(home, 'rev')).toBe('ok');
    const fresh = refreshingTokenSource({ tokenUrl: srv.tokenUrl, clientId: 'cid', storageName: 'rev', statusHome: home }, secrets, 'storage:rev');
    expect(srv.isValidAccessToken(await fresh.accessToken())).toBe(true);
  });

  it("treats Google's testing-mode expiry (invalid_grant on refresh) the same way", async () => {
    const secrets = new MemorySecretStore();
    await connect(secrets, 'exp');
    srv.expireRefreshTokens();
    const ts = refreshingTokenSource({ tokenUrl: srv.tokenUrl, clientId: 'cid', storageName: 'exp', statusHome: home }, secrets, 'storage:exp');
    await expect(ts.accessToken()).rejects.toMatchObject({ kind: 'AuthFailed', details: { reconnect: true } });
    expect(await connectionStatus(home, 'exp')).toBe('needs-reconnect');
  });

  it('says "not connected" without a refresh token, and keeps a rotated refresh token', async () => {
    const none = refreshingTokenSource({ tokenUrl: srv.tokenUrl, clientId: 'cid', storageName: 'none' }, new MemorySecretStore(), 'storage:none');
    await expect(none.accessToken()).rejects.toMatchObject({ kind: 'AuthFailed', message: expect.stringMatching(/not connected/) });

    const rot = await startFakeOAuthServer({ clientIds: ['cid'], rotateRefreshTokens: true });
    try {
      const secrets = new MemorySecretStore();
      await connectStorage({
        kind: 'dropbox',
        storageName: 'rot',
        scope: 'storage:rot',
        settings: { clientId: 'cid', authUrl: rot.authUrl, tokenUrl: rot.tokenUrl },
        secrets,
        openUrl: async (u) => void (await browserFollow(u)),
      });
      const first = await secrets.get('storage:rot', 'refreshToken');
      const ts = refreshingTokenSource({ tokenUrl: rot.tokenUrl, clientId: 'cid', storageName: 'rot' }, secrets, 'storage:rot');
      await ts.accessToken();
      const second = await secrets.get('storage:rot', 'refreshToken');
      expect(second).not.toBe(first);
      ts.invalidate();
      expect(rot.isValidAccessToken(await ts.accessToken())).toBe(true); // the old one is revoked, so this proves the new one was used
    } finally {
      await rot.close();
    }
  });

  it('classifies a wrong client id, a 5xx/429 and an unreachable server', async () => {
    const secrets = new MemorySecretStore();
    await connect(secrets, 'cls');
    const wrongClient = refreshingTokenSource({ tokenUrl: srv.tokenUrl, clientId: 'other', storageName: 'cls' }, secrets, 'storage:cls');
    await expect(wrongClient.accessToken()).rejects.toMatchObject({ kind: 'AuthFailed', details: { oauthError: 'invalid_client' } });

    const busy = createServer((_req, res) => {
      res.writeHead(429, { 'retry-after': '7', 'content-type': 'application/json' });
      res.end('{}');
    });
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    const busyUrl = `http://127.0.0.1:${(busy.address() as AddressInfo).port}/token`;
    try {
      const ts = refreshingTokenSource({ tokenUrl: busyUrl, clientId: 'cid', storageName: 'cls' }, secrets, 'storage:cls');
      await expect(ts.accessToken()).rejects.toMatchObject({ kind: 'Transient', retryAfterMs: 7000 });
    } finally {
      await new Promise<void>((r) => busy.close(() => r()));
    }
    const down = refreshingTokenSource({ tokenUrl: busyUrl, clientId: 'cid', storageName: 'cls' }, secrets, 'storage:cls');
    await expect(down.accessToken()).rejects.toMatchObject({ kind: 'Transient' });
  });
});

describe('serviceAccountTokenSource', () => {
  it('signs an RS256 JWT that the server verifies, and fails for an unknown key', async () => {
    const srv = await startFakeOAuthServer();
    try {
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      srv.addServiceAccount('backup@proj.iam.gserviceaccount.com', publicKey.export({ type: 'spki', format: 'pem' }).toString());
      const secrets = new MemorySecretStore();
      const key = { type: 'service_account', client_email: 'backup@proj.iam.gserviceaccount.com', private_key: pem, token_uri: srv.tokenUrl };
      await secrets.set('storage:sa', 'serviceAccountKey', JSON.stringify(key));
      const ts = serviceAccountTokenSource({ storageName: 'sa' }, secrets, 'storage:sa');
      expect(srv.isValidAccessToken(await ts.accessToken())).toBe(true);

      const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      await secrets.set('storage:bad', 'serviceAccountKey', JSON.stringify({ ...key, private_key: other }));
      await expect(serviceAccountTokenSource({ storageName: 'bad' }, secrets, 'storage:bad').accessToken()).rejects.toMatchObject({ kind: 'AuthFailed' });
    } finally {
      await srv.close();
    }
  });
});
