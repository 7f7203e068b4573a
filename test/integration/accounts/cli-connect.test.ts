/**
 * The built CLI against the real Secret Service: `storage connect` (browser OAuth against the
 * local authorization server; the test plays the browser from the printed URL), credential
 * imports (`--service-account-file`, `--dropbox-token-env`), and `storage remove` deleting
 * the keychain entries.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsyncEntry } from '@napi-rs/keyring';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYCHAIN_SERVICE } from '../../../shared/core/secrets/keychain';
import { saveConfig, loadConfig, type StorageEntry } from '../../../shared/core/config';
import { listFactories } from '../../../shared/core/storage/registry';
import { browserFollow, startFakeOAuthServer, type FakeOAuthServer } from '../../helpers/fake-oauth-server';
import { keyringAvailable, startKeyringSession, type KeyringSession } from '../../helpers/keyring-session';
import { buildCli, runCli, type BuiltCli } from './cli-runner';

const hasKeyring = await keyringAvailable();
const registered = (kind: string): boolean => listFactories().some((f) => f.kind === kind);
const keychainGet = (account: string): Promise<string | null> => new AsyncEntry(KEYCHAIN_SERVICE, account).getPassword();

describe.skipIf(!hasKeyring)('backup-desk storage connect (built CLI, real keyring)', () => {
  let session: KeyringSession;
  let cli: BuiltCli;
  let oauth: FakeOAuthServer;
  let home: string;
  let env: NodeJS.ProcessEnv;
  const ids = { dbx: randomUUID(), g: randomUUID(), legacy: randomUUID() };

  beforeAll(async () => {
    [session, cli, oauth] = await Promise.all([startKeyringSession({ applyToProcess: true }), buildCli(), startFakeOAuthServer({ clientIds: ['dbx-app-key'] })]);
    home = await mkdtemp(join(tmpdir(), 'bd-cli-connect-'));
    env = { ...process.env, ...session.env, BACKUP_DESK_HOME: home, HTTPS_PROXY: 'http://127.0.0.1:9', NO_COLOR: '1' };
    delete env.BACKUP_DESK_VAULT_PASSPHRASE_FILE;
    // OAuth storages written straight into the config (the provider factories may not be registered yet).
    const entry = (id: string, name: string, kind: string, settings: Record<string, unknown>): StorageEntry => ({ id, name, kind, settings, secretScope: `storage:${id}` });
    await saveConfig(home, {
      version: 1,
      settings: {},
      storages: [
        entry(ids.dbx, 'dbx', 'dropbox', { clientId: 'dbx-app-key', authUrl: oauth.authUrl, tokenUrl: oauth.tokenUrl, folderPath: '/Backups', appType: 'full_dropbox' }),
        entry(ids.g, 'gd', 'gdrive', { folderId: 'folder-1' }),
        entry(ids.legacy, 'legacy', 'dropbox', { folderPath: '/ProductionBackups' }),
      ],
    });
  });
  afterAll(async () => {
    await oauth?.close();
    await cli?.dispose();
    await session?.stop();
    await rm(home, { recursive: true, force: true });
  });

  it('prints the sign-in URL, waits, and stores the refresh token in the keychain', async () => {
    let followed: Promise<unknown> | undefined;
    let buf = '';
    const run = await runCli(cli, ['storage', 'connect', 'dbx', '--timeout', '60'], {
      env,
      onStderr: (t) => {
        buf += t;
        const m = /(http:\/\/127\.0\.0\.1:\d+\/authorize\?\S+)/.exec(buf);
        if (m && !followed) followed = browserFollow(m[1] as string);
      },
    });
    expect(run.stderr).toMatch(/sign in to Dropbox/);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/connected storage dbx/);
    const rt = oauth.issuedRefreshTokens.at(-1) as string;
    expect(await keychainGet(`storage:${ids.dbx}/refreshToken`)).toBe(rt);
    const q = oauth.authorizeRequests.at(-1) as Record<string, string>;
    expect(q.code_challenge_method).toBe('S256');
    // The refresh token is nowhere in the output, the argv or the home folder.
    for (const text of [run.stdout, run.stderr, ...run.argvs]) expect(text).not.toContain(rt);
    expect((await readFile(join(home, 'config.json'), 'utf8')).includes(rt)).toBe(false);
  });

  it('gives up after the timeout with a clear message and stores nothing', async () => {
    const run = await runCli(cli, ['storage', 'connect', 'legacy', '--timeout', '1'], { env: { ...env, BACKUP_DESK_DROPBOX_CLIENT_ID: 'dbx-app-key' } });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/not completed within 1 s\./);
    expect(await keychainGet(`storage:${ids.legacy}/refreshToken`)).toBeNull();
  });

  it('imports a legacy Dropbox token from an env var and a service-account key from a file', async () => {
    const token = `sl.legacy-${randomUUID()}`;
    let run = await runCli(cli, ['storage', 'connect', 'legacy', '--dropbox-token-env', 'DBX_TOKEN'], { env: { ...env, DBX_TOKEN: token } });
    expect(run.code).toBe(0);
    expect(await keychainGet(`storage:${ids.legacy}/accessToken`)).toBe(token);
    for (const text of [run.stdout, run.stderr, ...run.argvs]) expect(text).not.toContain(token);

    const pem = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const key = { type: 'service_account', client_email: 'odoo-backup@proj.iam.gserviceaccount.com', private_key: pem, private_key_id: randomUUID() };
    const keyFile = join(home, '..', `sa-${randomUUID()}.json`);
    await writeFile(keyFile, JSON.stringify(key));
    run = await runCli(cli, ['storage', 'connect', 'gd', '--service-account-file', keyFile], { env });
    await rm(keyFile);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/odoo-backup@proj\.iam\.gserviceaccount\.com/);
    expect(JSON.parse((await keychainGet(`storage:${ids.g}/serviceAccountKey`)) as string)).toMatchObject(key);
    const cfg = await loadConfig(home);
    expect(cfg.storages.find((s) => s.name === 'gd')?.settings.clientEmail).toBe(key.client_email);
    expect(JSON.stringify(cfg)).not.toContain(key.private_key_id);

    // Wrong input: a file that is no service-account key, and a flag for the wrong kind.
    const bad = join(home, '..', `bad-${randomUUID()}.json`);
    await writeFile(bad, JSON.stringify({ installed: { client_id: 'x' } }));
    run = await runCli(cli, ['storage', 'connect', 'gd', '--service-account-file', bad], { env });
    await rm(bad);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/not a Google service-account JSON key/);
    run = await runCli(cli, ['storage', 'connect', 'dbx', '--service-account-file', bad], { env });
    expect(run.code).toBe(2);
  });

  it.skipIf(!registered('gdrive') || !registered('dropbox'))('storage add takes the same import flags (key from stdin, token from env)', async () => {
    const pem = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const key = { type: 'service_account', client_email: 'sa2@proj.iam.gserviceaccount.com', private_key: pem };
    let run = await runCli(cli, ['storage', 'add', 'gd2', '--type', 'gdrive', '--folder-id', 'f2', '--service-account-file', '-'], { env, stdin: JSON.stringify(key) });
    expect(run.code, run.stderr).toBe(0);
    const cfg = await loadConfig(home);
    const gd2 = cfg.storages.find((s) => s.name === 'gd2');
    expect(gd2?.settings.clientEmail).toBe(key.client_email);
    expect(JSON.parse((await keychainGet(`${gd2?.secretScope}/serviceAccountKey`)) as string)).toMatchObject(key);

    const token = `sl.add-${randomUUID()}`;
    run = await runCli(cli, ['storage', 'add', 'dbx2', '--type', 'dropbox', '--folder-path', '/B', '--dropbox-token-env', 'TOK'], { env: { ...env, TOK: token } });
    expect(run.code, run.stderr).toBe(0);
    const dbx2 = (await loadConfig(home)).storages.find((s) => s.name === 'dbx2');
    expect(await keychainGet(`${dbx2?.secretScope}/accessToken`)).toBe(token);

    // A bad key is refused before anything is added.
    run = await runCli(cli, ['storage', 'add', 'gd3', '--type', 'gdrive', '--folder-id', 'f3', '--service-account-file', '-'], { env, stdin: '{"type":"authorized_user"}' });
    expect(run.code).not.toBe(0);
    expect((await loadConfig(home)).storages.some((s) => s.name === 'gd3')).toBe(false);
  });

  it.skipIf(!registered('dropbox'))('storage remove deletes the keychain entries of an OAuth storage', async () => {
    expect(await keychainGet(`storage:${ids.dbx}/refreshToken`)).not.toBeNull();
    const run = await runCli(cli, ['storage', 'remove', 'dbx'], { env });
    expect(run.code).toBe(0);
    expect(await keychainGet(`storage:${ids.dbx}/refreshToken`)).toBeNull();
  });
});
