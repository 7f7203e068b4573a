/**
 * End to end: a Dropbox storage is connected through the browser flow (local authorization
 * server checking PKCE), its refresh token goes to the real Secret Service (gnome-keyring),
 * and the Dropbox provider lists the local Dropbox API server with refreshed tokens; then
 * revocation → AuthFailed + reconnect, and reconnecting makes it work again.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectStorage } from '../../../shared/core/auth/oauth-flow';
import { openKeychainStore, type KeychainSecretStore } from '../../../shared/core/secrets/keychain';
import { dropboxFactory } from '../../../shared/core/storage/dropbox';
import { dropboxConfigSchema } from '../../../shared/core/storage/dropbox/config';
import type { StorageProvider } from '../../../shared/core/storage/provider';
import { nullLogger } from '../../../shared/core/util/logger';
import { startFakeDropbox, type FakeDropbox } from '../../helpers/fake-services/dropbox';
import { browserFollow, startFakeOAuthServer, type FakeOAuthServer } from '../../helpers/fake-oauth-server';
import { keyringAvailable, startKeyringSession, type KeyringSession } from '../../helpers/keyring-session';

const hasKeyring = await keyringAvailable();

describe.skipIf(!hasKeyring)('Dropbox via OAuth, end to end', () => {
  let session: KeyringSession;
  let home: string;
  let dbx: FakeDropbox;
  let oauth: FakeOAuthServer;
  let secrets: KeychainSecretStore;
  const scope = 'storage:e2e-dropbox';

  beforeAll(async () => {
    session = await startKeyringSession({ applyToProcess: true });
    home = await mkdtemp(join(tmpdir(), 'bd-e2e-dbx-'));
    dbx = await startFakeDropbox();
    oauth = await startFakeOAuthServer({ clientIds: ['dbx-app-key'], mintAccessToken: (ttl) => dbx.issueToken({ appType: 'full_dropbox' }, ttl * 1000) });
    secrets = await openKeychainStore(home, { service: 'odoo-backup-desk-e2e' });
  });
  afterAll(async () => {
    await oauth?.close();
    await dbx?.close();
    await session?.stop();
    await rm(home, { recursive: true, force: true });
  });

  const connect = (): Promise<unknown> =>
    connectStorage({
      kind: 'dropbox',
      storageName: 'dbx',
      scope,
      settings: { clientId: 'dbx-app-key', authUrl: oauth.authUrl, tokenUrl: oauth.tokenUrl },
      secrets,
      home,
      openUrl: async (url) => {
        const r = await browserFollow(url);
        expect(r.callbackStatus).toBe(200);
      },
    });

  const open = (): Promise<StorageProvider> =>
    dropboxFactory.create(dropboxConfigSchema.parse({ folderPath: '/Backups', appType: 'full_dropbox', clientId: 'dbx-app-key', tokenUrl: oauth.tokenUrl }), scope, {
      secrets,
      log: nullLogger,
      fetch: dbx.fetch,
    });

  const keys = async (p: StorageProvider): Promise<string[]> => {
    const out: string[] = [];
    for await (const o of p.list('')) out.push(o.key);
    return out.sort();
  };

  it('connects, stores the refresh token in the keychain, and lists with refreshed tokens', async () => {
    await connect();
    expect(await secrets.get(scope, 'refreshToken')).toBe(oauth.issuedRefreshTokens.at(-1));
    const p = await open();
    await p.write!('acme.2024-01-02_03-04-05.zip', Readable.from([Buffer.from('zip bytes')]));
    expect(await keys(p)).toEqual(['acme.2024-01-02_03-04-05.zip']);

    // The access token expires: the provider gets a 401, refreshes once, carries on.
    const refreshes = (): number => oauth.tokenRequests.filter((t) => t.grantType === 'refresh_token' && t.ok).length;
    const before = refreshes();
    dbx.expireAllTokens();
    expect(await keys(p)).toEqual(['acme.2024-01-02_03-04-05.zip']);
    expect(refreshes()).toBe(before + 1);
    await p.close();
  });

  it('a revoked grant fails with AuthFailed + reconnect; reconnecting works again', async () => {
    const p = await open();
    oauth.revoke();
    dbx.expireAllTokens();
    await expect(keys(p)).rejects.toMatchObject({ kind: 'AuthFailed', details: { reconnect: true } });
    await p.close();

    await connect();
    const again = await open();
    expect(await keys(again)).toEqual(['acme.2024-01-02_03-04-05.zip']);
    await again.close();
  });
});
