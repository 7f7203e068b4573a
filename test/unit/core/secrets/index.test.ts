/** Choosing the secret store: vault when present or preferred, else the keychain, else one clear error. */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSecretStore, VaultSecretStore, VAULT_PASSPHRASE_FILE_ENV } from '../../../../shared/core/secrets';
import { keyringAvailable, startKeyringSession, type KeyringSession } from '../../../helpers/keyring-session';

const run = promisify(execFile);
const root = resolve(__dirname, '../../../..');
const hasKeyring = await keyringAvailable();

describe.skipIf(!hasKeyring)('openSecretStore', () => {
  let session: KeyringSession;
  let home: string;
  beforeAll(async () => {
    session = await startKeyringSession({ applyToProcess: true });
    home = await mkdtemp(join(tmpdir(), 'bd-open-'));
  });
  afterAll(async () => {
    await session?.stop();
    await rm(home, { recursive: true, force: true });
  });

  it('uses the keychain when no vault exists', async () => {
    const s = await openSecretStore(home, { keychain: { service: 'odoo-backup-desk-test' } });
    expect(s.backend).toBe('keychain');
    await s.set('storage:x', 'n', 'v');
    expect(await s.get('storage:x', 'n')).toBe('v');
  });

  it('refuses prefer=vault when there is no vault', async () => {
    await expect(openSecretStore(home, { prefer: 'vault' })).rejects.toMatchObject({ kind: 'NotFound' });
  });

  it('uses the vault once it exists, with the passphrase from the env-named file or the prompt', async () => {
    const v = await VaultSecretStore.create(home, 'vault pass', { logN: 15 });
    await v.set('storage:y', 'n', 'in-vault');
    const pf = join(home, 'pp');
    await writeFile(pf, 'vault pass\n');
    const a = await openSecretStore(home, { env: { [VAULT_PASSPHRASE_FILE_ENV]: pf } });
    expect(a.backend).toBe('vault');
    expect(await a.get('storage:y', 'n')).toBe('in-vault');
    const b = await openSecretStore(home, { env: {}, vaultPassphrase: async () => 'vault pass' });
    expect(await b.get('storage:y', 'n')).toBe('in-vault');
    await expect(openSecretStore(home, { env: {}, vaultPassphrase: async () => 'nope' })).rejects.toMatchObject({ kind: 'AuthFailed' });
    await expect(openSecretStore(home, { env: {} })).rejects.toMatchObject({ kind: 'InvalidInput' });
    // prefer=keychain still reaches the keychain although a vault exists.
    expect((await openSecretStore(home, { prefer: 'keychain', keychain: { service: 'odoo-backup-desk-test' } })).backend).toBe('keychain');
  });
});

describe('openSecretStore with neither keychain nor vault', () => {
  it('explains both options (child process without a session bus)', async () => {
    const home = await mkdtemp(join(tmpdir(), 'bd-open-none-'));
    try {
      const script = `
        import { openSecretStore } from ${JSON.stringify(join(root, 'shared/core/secrets/index.ts'))};
        try { await openSecretStore(${JSON.stringify(home)}); console.log(JSON.stringify({ ok: true })); }
        catch (e) { console.log(JSON.stringify({ kind: e.kind, message: e.message, hint: e.hint })); }`;
      const env = { ...process.env, DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(home, 'no-bus')}` };
      const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env, cwd: root });
      const out = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { kind?: string; message?: string; hint?: string };
      expect(out.kind).toBe('Unsupported');
      expect(out.message).toMatch(/No OS keychain/);
      expect(out.message).toMatch(/vault/);
      expect(out.hint).toMatch(/secrets vault init/);
      expect(out.hint).toMatch(/never stored in plain text/);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
