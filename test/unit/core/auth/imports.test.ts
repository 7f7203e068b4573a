/** Importing odoo_backup_sh credentials: service-account JSON keys and legacy Dropbox tokens. */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { importDropboxAccessToken, importServiceAccountKey, parseServiceAccountKey } from '../../../../shared/core/auth/imports';
import { credentialKind, tokenSourceForStorage } from '../../../../shared/core/auth/storage-tokens';
import { MemorySecretStore } from '../../../../shared/core/secrets/secret-store';

const pem = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const key = { type: 'service_account', project_id: 'p', private_key_id: 'abc', private_key: pem, client_email: 'odoo-backup@p.iam.gserviceaccount.com', token_uri: 'https://oauth2.googleapis.com/token' };

describe('service-account key import', () => {
  it('stores the whole key as a secret and returns only client_email', async () => {
    const secrets = new MemorySecretStore();
    const r = await importServiceAccountKey(secrets, 'storage:g', JSON.stringify(key, null, 2));
    expect(r).toEqual({ clientEmail: key.client_email });
    expect(JSON.parse((await secrets.get('storage:g', 'serviceAccountKey')) as string)).toMatchObject(key);
    expect(await credentialKind(secrets, 'storage:g')).toBe('service-account');
  });

  it('rejects files that are not service-account keys, without echoing the content', () => {
    const cases: Array<[string, RegExp]> = [
      ['not json', /not JSON/],
      ['[1]', /not a JSON object/],
      [JSON.stringify({ installed: { client_id: 'x', client_secret: 'PRIVATE-XYZ' } }), /"type" is missing/],
      [JSON.stringify({ ...key, type: 'authorized_user' }), /expected "service_account"/],
      [JSON.stringify({ ...key, client_email: undefined }), /client_email/],
      [JSON.stringify({ ...key, private_key: 'PRIVATE-XYZ' }), /private_key/],
    ];
    for (const [text, re] of cases) {
      try {
        parseServiceAccountKey(text);
        throw new Error('accepted');
      } catch (err) {
        expect((err as { kind?: string }).kind).toBe('InvalidInput');
        expect((err as Error).message).toMatch(re);
        expect((err as Error).message).not.toContain('PRIVATE-XYZ');
      }
    }
  });
});

describe('legacy Dropbox access token import', () => {
  it('stores it as accessToken and providers get a static token source', async () => {
    const secrets = new MemorySecretStore();
    await importDropboxAccessToken(secrets, 'storage:d', '  sl.legacy-token-0123456789abcdef\n');
    expect(await secrets.get('storage:d', 'accessToken')).toBe('sl.legacy-token-0123456789abcdef');
    const ts = await tokenSourceForStorage({ kind: 'dropbox', storageName: 'd', scope: 'storage:d', settings: {}, secrets });
    expect(await ts.accessToken()).toBe('sl.legacy-token-0123456789abcdef');
    await expect(importDropboxAccessToken(secrets, 'storage:d', 'short')).rejects.toMatchObject({ kind: 'InvalidInput' });
  });

  it('a storage without any credential is "not connected" with reconnect', async () => {
    await expect(tokenSourceForStorage({ kind: 'gdrive', storageName: 'x', scope: 'storage:x', settings: {}, secrets: new MemorySecretStore() })).rejects.toMatchObject({
      kind: 'AuthFailed',
      details: { reconnect: true },
    });
  });
});
