/**
 * End to end for Google Drive: a desktop OAuth client (with its client secret) signs in
 * through the browser flow against the local authorization server, the refresh token goes
 * to the real Secret Service, and the Drive provider lists the local Drive API server with
 * refreshed tokens; Google's testing-mode expiry → AuthFailed + reconnect → reconnect works.
 * Also: an imported service-account key (odoo_backup_sh style) lists the same folder.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importServiceAccountKey } from '../../../shared/core/auth/imports';
import { connectStorage } from '../../../shared/core/auth/oauth-flow';
import { openKeychainStore, type KeychainSecretStore } from '../../../shared/core/secrets/keychain';
import { gdriveFactory } from '../../../shared/core/storage/gdrive';
import { gdriveConfigSchema } from '../../../shared/core/storage/gdrive/config';
import type { StorageProvider } from '../../../shared/core/storage/provider';
import { nullLogger } from '../../../shared/core/util/logger';
import { startFakeDrive, type FakeDrive } from '../../helpers/fake-services/gdrive';
import { browserFollow, startFakeOAuthServer, type FakeOAuthServer } from '../../helpers/fake-oauth-server';
import { keyringAvailable, startKeyringSession, type KeyringSession } from '../../helpers/keyring-session';

const hasKeyring = await keyringAvailable();

describe.skipIf(!hasKeyring)('Google Drive via OAuth and service account, end to end', () => {
  let session: KeyringSession;
  let home: string;
  let drive: FakeDrive;
  let oauth: FakeOAuthServer;
  let secrets: KeychainSecretStore;
  let folderId: string;
  const scope = 'storage:e2e-gdrive';

  beforeAll(async () => {
    session = await startKeyringSession({ applyToProcess: true });
    home = await mkdtemp(join(tmpdir(), 'bd-e2e-gd-'));
    drive = await startFakeDrive();
    oauth = await startFakeOAuthServer({ clientIds: ['g-desktop.apps.googleusercontent.com'], clientSecrets: { 'g-desktop.apps.googleusercontent.com': 'GOCSPX-desktop' }, mintAccessToken: (ttl) => drive.issueToken(ttl * 1000) });
    secrets = await openKeychainStore(home, { service: 'odoo-backup-desk-e2e' });
    folderId = drive.put('root', 'OdooBackups');
    drive.put(folderId, 'acme.2024-01-02_03-04-05.zip', Buffer.from('zip'));
    drive.put(folderId, 'acme.2024-01-02_03-04-05.info', Buffer.from('info'));
  });
  afterAll(async () => {
    await oauth?.close();
    await drive?.close();
    await session?.stop();
    await rm(home, { recursive: true, force: true });
  });

  const settings = (): Record<string, unknown> => ({ clientId: 'g-desktop.apps.googleusercontent.com', authUrl: oauth.authUrl, tokenUrl: oauth.tokenUrl, folderId, rootUrl: drive.url });
  const connect = (clientSecret?: string): Promise<unknown> =>
    connectStorage({ kind: 'gdrive', storageName: 'gd', scope, settings: settings(), secrets, home, ...(clientSecret ? { clientSecret } : {}), openUrl: async (u) => void (await browserFollow(u)) });
  const open = (s: string, extra: Record<string, unknown> = {}): Promise<StorageProvider> =>
    gdriveFactory.create(gdriveConfigSchema.parse({ ...settings(), ...extra }), s, { secrets, log: nullLogger, fetch: drive.fetch });
  const keys = async (p: StorageProvider): Promise<string[]> => {
    const out: string[] = [];
    for await (const o of p.list('')) out.push(o.key);
    return out.sort();
  };

  it('connects with offline access + client secret, lists, refreshes after expiry', async () => {
    await connect('GOCSPX-desktop');
    const q = oauth.authorizeRequests.at(-1) as Record<string, string>;
    expect(q).toMatchObject({ access_type: 'offline', prompt: 'consent', scope: 'https://www.googleapis.com/auth/drive', code_challenge_method: 'S256' });
    expect(await secrets.get(scope, 'refreshToken')).toBe(oauth.issuedRefreshTokens.at(-1));
    expect(await secrets.get(scope, 'clientSecret')).toBe('GOCSPX-desktop');
    const p = await open(scope);
    expect(await keys(p)).toEqual(['acme.2024-01-02_03-04-05.info', 'acme.2024-01-02_03-04-05.zip']);
    drive.expireAllTokens();
    expect(await keys(p)).toHaveLength(2); // 401 → refresh (with the stored client secret) → retry
    expect(oauth.tokenRequests.filter((t) => t.grantType === 'refresh_token' && t.ok).length).toBeGreaterThanOrEqual(2);
    await p.close();
  });

  it("Google's 7-day testing-mode expiry → AuthFailed + reconnect; reconnecting works", async () => {
    oauth.expireRefreshTokens();
    drive.expireAllTokens();
    const p = await open(scope);
    await expect(keys(p)).rejects.toMatchObject({ kind: 'AuthFailed', details: { reconnect: true } });
    await connect(); // the client secret is already in the keychain
    expect(await keys(await open(scope))).toHaveLength(2);
  });

  it('an imported service-account key lists the same folder', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const email = 'odoo-backup@acme-backups.iam.gserviceaccount.com';
    drive.addServiceAccount(email, publicKey.export({ type: 'spki', format: 'pem' }).toString());
    const sa = 'storage:e2e-gdrive-sa';
    const key = { type: 'service_account', project_id: 'acme-backups', private_key_id: 'k1', private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), client_email: email, token_uri: 'https://oauth2.googleapis.com/token' };
    expect(await importServiceAccountKey(secrets, sa, JSON.stringify(key))).toEqual({ clientEmail: email });
    const p = await open(sa, { clientId: undefined, tokenUrl: undefined });
    expect(await keys(p)).toEqual(['acme.2024-01-02_03-04-05.info', 'acme.2024-01-02_03-04-05.zip']);
    await p.close();
  });
});
