/**
 * The native-app OAuth flow end to end against a local authorization server that checks
 * the PKCE verifier, state, redirect URI and client id; the "browser" follows the
 * authorization redirect to the loopback callback with plain HTTP.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeInBrowser, connectStorage } from '../../../../shared/core/auth/oauth-flow';
import { connectionStatus, markNeedsReconnect } from '../../../../shared/core/auth/connection-status';
import type { AppError } from '../../../../shared/core/errors';
import { resolveOAuthClient } from '../../../../shared/core/auth/oauth-providers';
import { s256Challenge } from '../../../../shared/core/auth/pkce';
import { MemorySecretStore } from '../../../../shared/core/secrets/secret-store';
import { browserFollow, startFakeOAuthServer, type FakeOAuthServer } from '../../../helpers/fake-oauth-server';

describe('OAuth authorization code + PKCE against a local authorization server', () => {
  let srv: FakeOAuthServer;
  let home: string;
  beforeAll(async () => {
    srv = await startFakeOAuthServer({ clientIds: ['dbx-client', 'g-client'], clientSecrets: { 'g-client': 'g-desktop-secret' } });
    home = await mkdtemp(join(tmpdir(), 'bd-oauth-'));
  });
  afterAll(async () => {
    await srv.close();
    await rm(home, { recursive: true, force: true });
  });

  const dropboxSettings = () => ({ clientId: 'dbx-client', authUrl: srv.authUrl, tokenUrl: srv.tokenUrl });

  it('connects a Dropbox storage: S256 challenge, state, loopback redirect, refresh token stored', async () => {
    const secrets = new MemorySecretStore();
    await secrets.set('storage:1', 'accessToken', 'legacy-token-to-be-replaced');
    await markNeedsReconnect(home, 'dbx');
    const opened: string[] = [];
    let page = '';
    const result = await connectStorage({
      kind: 'dropbox',
      storageName: 'dbx',
      scope: 'storage:1',
      settings: dropboxSettings(),
      secrets,
      home,
      openUrl: async (url) => {
        opened.push(url);
        const r = await browserFollow(url);
        expect(r.authorizeStatus).toBe(302);
        expect(r.callbackStatus).toBe(200);
        page = r.callbackBody ?? '';
      },
    });
    expect(result.storageName).toBe('dbx');
    expect(page).toMatch(/connected/i);
    const q = srv.authorizeRequests.at(-1) as Record<string, string>;
    expect(q.code_challenge_method).toBe('S256');
    expect(q.token_access_type).toBe('offline');
    expect(q.redirect_uri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    expect(q.state?.length).toBeGreaterThanOrEqual(20);
    expect(opened[0]?.startsWith(srv.authUrl)).toBe(true);
    // The verifier sent at the exchange matches the challenge sent at authorization.
    const exchange = srv.tokenRequests.filter((t) => t.grantType === 'authorization_code').at(-1);
    expect(exchange?.ok).toBe(true);
    expect(s256Challenge(exchange?.body.code_verifier as string)).toBe(q.code_challenge);
    expect(exchange?.body.code_verifier).not.toBe(q.code_challenge);
    expect(await secrets.get('storage:1', 'refreshToken')).toBe(srv.issuedRefreshTokens.at(-1));
    expect(await secrets.get('storage:1', 'accessToken')).toBeUndefined();
    expect(await connectionStatus(home, 'dbx')).toBe('ok');
  });

  it('sends Google offline-access parameters and the desktop client secret', async () => {
    const secrets = new MemorySecretStore();
    await connectStorage({
      kind: 'gdrive',
      storageName: 'g',
      scope: 'storage:g',
      settings: { clientId: 'g-client', authUrl: srv.authUrl, tokenUrl: srv.tokenUrl, oauthScope: 'https://www.googleapis.com/auth/drive.file' },
      secrets,
      clientSecret: 'g-desktop-secret',
      openUrl: async (url) => void (await browserFollow(url)),
    });
    const q = srv.authorizeRequests.at(-1) as Record<string, string>;
    expect(q.access_type).toBe('offline');
    expect(q.prompt).toBe('consent');
    expect(q.scope).toBe('https://www.googleapis.com/auth/drive.file');
    expect(await secrets.get('storage:g', 'refreshToken')).toBeTruthy();
    expect(await secrets.get('storage:g', 'clientSecret')).toBe('g-desktop-secret');
  });

  it('the server rejects a wrong PKCE verifier (so the check is real)', async () => {
    const client = resolveOAuthClient('dropbox', dropboxSettings(), 'x');
    // Authorize with one challenge, then exchange with a different verifier.
    const auth = new URL(client.authUrl);
    const challenge = s256Challenge('a'.repeat(43));
    Object.entries({ response_type: 'code', client_id: 'dbx-client', redirect_uri: 'http://127.0.0.1:9/callback', code_challenge: challenge, code_challenge_method: 'S256', state: 'st' }).forEach(([k, v]) =>
      auth.searchParams.set(k, v),
    );
    const r = await fetch(auth, { redirect: 'manual' });
    const code = new URL(r.headers.get('location') as string).searchParams.get('code') as string;
    const bad = await fetch(srv.tokenUrl, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'authorization_code', code, client_id: 'dbx-client', redirect_uri: 'http://127.0.0.1:9/callback', code_verifier: 'b'.repeat(43) }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toBe('invalid_grant');
    // …and the code is single-use even with the right verifier afterwards.
    const again = await fetch(srv.tokenUrl, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'authorization_code', code, client_id: 'dbx-client', redirect_uri: 'http://127.0.0.1:9/callback', code_verifier: 'a'.repeat(43) }),
    });
    expect(again.status).toBe(400);
  });

  it('ignores a callback with a wrong state and still completes with the right one', async () => {
    const client = resolveOAuthClient('dropbox', dropboxSettings(), 'x');
    const tokens = await authorizeInBrowser({
      client,
      openUrl: async (url) => {
        const u = new URL(url);
        const redirect = u.searchParams.get('redirect_uri') as string;
        const forged = await fetch(`${redirect}?code=forged&state=wrong`);
        expect(forged.status).toBe(400);
        const other = await fetch(redirect.replace('/callback', '/other'));
        expect(other.status).toBe(404);
        await browserFollow(url);
      },
    });
    expect(tokens.refreshToken).toBeTruthy();
  });

  it('reports a declined consent as AuthFailed', async () => {
    srv.mode = 'deny';
    try {
      const secrets = new MemorySecretStore();
      await expect(
        connectStorage({ kind: 'dropbox', storageName: 'd', scope: 's', settings: dropboxSettings(), secrets, openUrl: async (u) => void (await browserFollow(u)) }),
      ).rejects.toMatchObject({ kind: 'AuthFailed', message: expect.stringMatching(/declined/) });
      expect(await secrets.get('s', 'refreshToken')).toBeUndefined();
    } finally {
      srv.mode = 'approve';
    }
  });

  it('times out and can be cancelled, and frees the loopback port', async () => {
    const client = resolveOAuthClient('dropbox', dropboxSettings(), 'x');
    let redirect = '';
    await expect(
      authorizeInBrowser({ client, timeoutMs: 200, openUrl: (u) => void (redirect = new URL(u).searchParams.get('redirect_uri') as string) }),
    ).rejects.toMatchObject({ kind: 'AuthFailed', details: { timeout: true } });
    await expect(fetch(redirect)).rejects.toThrow(); // nobody listens any more
    const ac = new AbortController();
    const p = authorizeInBrowser({ client, signal: ac.signal, openUrl: () => void setTimeout(() => ac.abort(), 50) });
    await expect(p).rejects.toMatchObject({ kind: 'Cancelled' });
  });

  it('fails clearly without a client id, and when no refresh token is issued', async () => {
    await expect(
      connectStorage({ kind: 'dropbox', storageName: 'n', scope: 's', settings: {}, env: {}, secrets: new MemorySecretStore(), openUrl: () => undefined }),
    ).rejects.toMatchObject({ kind: 'InvalidInput', hint: expect.stringMatching(/oauth-clients\.md/) });
    const noRt = await startFakeOAuthServer({ clientIds: ['c'], omitRefreshToken: true });
    try {
      const secrets = new MemorySecretStore();
      await expect(
        connectStorage({
          kind: 'gdrive',
          storageName: 'g2',
          scope: 's',
          settings: { clientId: 'c', authUrl: noRt.authUrl, tokenUrl: noRt.tokenUrl },
          secrets,
          openUrl: async (u) => void (await browserFollow(u)),
        }),
      ).rejects.toMatchObject({ kind: 'AuthFailed', message: expect.stringMatching(/no refresh token/) });
      expect(await secrets.get('s', 'refreshToken')).toBeUndefined();
    } finally {
      await noRt.close();
    }
  });

  it('can use a fixed loopback port, and says so clearly when it is taken', async () => {
    const client = resolveOAuthClient('dropbox', dropboxSettings(), 'x');
    const { createServer } = await import('node:net');
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const taken = (blocker.address() as { port: number }).port;
    await expect(authorizeInBrowser({ client, redirectPort: taken, openUrl: () => undefined })).rejects.toMatchObject({ kind: 'Fatal', hint: expect.stringMatching(/port/) });
    await new Promise<void>((r) => blocker.close(() => r()));
    let redirect = '';
    const tokens = await authorizeInBrowser({
      client,
      redirectPort: taken,
      openUrl: async (u) => {
        redirect = new URL(u).searchParams.get('redirect_uri') as string;
        await browserFollow(u);
      },
    });
    expect(redirect).toBe(`http://127.0.0.1:${taken}/callback`);
    expect(tokens.refreshToken).toBeTruthy();
  });

  it('refuses non-https endpoints off loopback', () => {
    expect(() => resolveOAuthClient('dropbox', { clientId: 'c', tokenUrl: 'http://example.com/token' }, 'x')).toThrow(/https/);
    const c = resolveOAuthClient('gdrive', { clientId: 'c' }, 'x');
    expect(c.authUrl).toBe('https://accounts.google.com/o/oauth2/v2/auth');
    expect(c.tokenUrl).toBe('https://oauth2.googleapis.com/token');
    expect(c.authParams.scope).toBe('https://www.googleapis.com/auth/drive');
    expect(resolveOAuthClient('dropbox', {}, 'x', { BACKUP_DESK_DROPBOX_CLIENT_ID: 'envid' }).clientId).toBe('envid');
  });

  it('without a client id says how to get one, in the app’s words and (apart) the CLI’s', () => {
    let err: AppError | undefined;
    try {
      resolveOAuthClient('dropbox', {}, 'box', {});
    } catch (e) {
      err = e as AppError;
    }
    expect(err?.kind).toBe('InvalidInput');
    expect(err?.hint).toBe('Register your own Dropbox app (see docs/oauth-clients.md) and give its client id when adding the storage, or set BACKUP_DESK_DROPBOX_CLIENT_ID.');
    expect(err?.details?.cliHint).toMatch(/`backup-desk storage add … --client-id ID`/);
  });
});
