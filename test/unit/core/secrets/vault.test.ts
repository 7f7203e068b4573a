/** The passphrase-encrypted vault file: round trip, wrong passphrase, tampering, no plaintext. */
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../../../shared/core/errors';
import { passphraseFromEnvFile, VaultSecretStore, vaultExists, vaultPath, VAULT_PASSPHRASE_FILE_ENV } from '../../../../shared/core/secrets/vault';

const SECRET = 'vault-secret-Zq8#unique-4711';

async function rejectsWith(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return err as AppError;
  }
  throw new Error('expected a rejection');
}

describe('VaultSecretStore', () => {
  let home: string;
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'bd-vault-'));
  });
  afterEach(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it('round-trips secrets across opens, with a 0600 file and no plaintext in it', async () => {
    expect(await vaultExists(home)).toBe(false);
    const v = await VaultSecretStore.create(home, 'correct horse battery', { logN: 15 });
    expect(v.backend).toBe('vault');
    await v.set('storage:1', 'secretAccessKey', SECRET);
    await v.set('storage:1', 'password', 'pw-one');
    await v.set('storage:2', 'password', 'pw-two');
    expect(await v.get('storage:1', 'secretAccessKey')).toBe(SECRET);
    expect((await stat(vaultPath(home))).mode & 0o777).toBe(0o600);

    const again = await VaultSecretStore.open(home, 'correct horse battery');
    expect(await again.get('storage:1', 'secretAccessKey')).toBe(SECRET);
    expect((await again.names('storage:1')).sort()).toEqual(['password', 'secretAccessKey']);
    await again.delete('storage:1', 'password');
    expect(await again.get('storage:1', 'password')).toBeUndefined();
    await again.deleteScope('storage:1');
    expect(await again.get('storage:1', 'secretAccessKey')).toBeUndefined();
    expect(await again.get('storage:2', 'password')).toBe('pw-two');

    await v.set('storage:3', 'token', SECRET); // another handle sees the other's writes
    const raw = await readFile(vaultPath(home));
    for (const needle of [SECRET, 'pw-two', 'storage:2', 'password', Buffer.from(SECRET).toString('base64')]) {
      expect(raw.includes(Buffer.from(needle))).toBe(false);
    }
    // No temp files are left behind.
    expect((await readdir(home)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('does not lose writes made concurrently through separate handles (as separate processes would)', async () => {
    await VaultSecretStore.create(home, 'pp', { logN: 15 });
    const a = await VaultSecretStore.open(home, 'pp');
    const b = await VaultSecretStore.open(home, 'pp');
    await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).set('s', `n${i}`, `v${i}`)));
    const c = await VaultSecretStore.open(home, 'pp');
    expect((await c.names('s')).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `n${i}`).sort());
    expect((await readdir(home)).filter((f) => f.endsWith('.lock'))).toEqual([]);
  });

  it('uses a new nonce for every write', async () => {
    const v = await VaultSecretStore.create(home, 'pp', { logN: 15 });
    await v.set('s', 'n', 'x');
    const a = JSON.parse(await readFile(vaultPath(home), 'utf8')) as { nonce: string; kdf: { salt: string; logN: number } };
    await v.set('s', 'n', 'x');
    const b = JSON.parse(await readFile(vaultPath(home), 'utf8')) as { nonce: string; kdf: { salt: string } };
    expect(a.nonce).not.toBe(b.nonce);
    expect(Buffer.from(a.nonce, 'base64')).toHaveLength(12);
    expect(a.kdf.salt).toBe(b.kdf.salt);
    expect(a.kdf.logN).toBe(15);
  });

  it('rejects a wrong passphrase with AuthFailed', async () => {
    const v = await VaultSecretStore.create(home, 'right passphrase', { logN: 15 });
    await v.set('s', 'n', SECRET);
    const err = await rejectsWith(VaultSecretStore.open(home, 'wrong passphrase'));
    expect(err.kind).toBe('AuthFailed');
    expect(err.message).toMatch(/Wrong passphrase/);
    expect(err.hint).toBeTruthy();
  });

  it('detects a tampered file (GCM) with Integrity, and unknown KDF parameters', async () => {
    const v = await VaultSecretStore.create(home, 'pp', { logN: 15 });
    await v.set('s', 'n', SECRET);
    const file = vaultPath(home);
    const original = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown> & { data: string; kdf: Record<string, unknown> };
    const data = Buffer.from(original.data, 'base64');
    data[0] = (data[0] ?? 0) ^ 0x01;
    await writeFile(file, JSON.stringify({ ...original, data: data.toString('base64') }));
    let err = await rejectsWith(VaultSecretStore.open(home, 'pp'));
    expect(err.kind).toBe('Integrity');
    expect(err.message).toMatch(/integrity check/);
    await expect(v.get('s', 'n')).rejects.toMatchObject({ kind: 'Integrity' });

    await writeFile(file, JSON.stringify({ ...original, kdf: { ...original.kdf, logN: 30 } }));
    err = await rejectsWith(VaultSecretStore.open(home, 'pp'));
    expect(err.kind).toBe('Integrity');
    await writeFile(file, 'not a vault');
    err = await rejectsWith(VaultSecretStore.open(home, 'pp'));
    expect(err.kind).toBe('Integrity');
  });

  it('refuses to overwrite an existing vault and reports a missing one', async () => {
    await VaultSecretStore.create(home, 'pp', { logN: 15 });
    expect((await rejectsWith(VaultSecretStore.create(home, 'other', { logN: 15 }))).kind).toBe('Conflict');
    const empty = await mkdtemp(join(tmpdir(), 'bd-vault-none-'));
    expect((await rejectsWith(VaultSecretStore.open(empty, 'pp'))).kind).toBe('NotFound');
    await rm(empty, { recursive: true });
    expect((await rejectsWith(VaultSecretStore.create(home, '', { logN: 15 }))).kind).toBe('InvalidInput');
  });

  it('reads the passphrase from the file named by BACKUP_DESK_VAULT_PASSPHRASE_FILE', async () => {
    const f = join(home, 'pass.txt');
    await writeFile(f, 'file passphrase\n');
    expect(await passphraseFromEnvFile({ [VAULT_PASSPHRASE_FILE_ENV]: f })).toBe('file passphrase');
    expect(await passphraseFromEnvFile({})).toBeUndefined();
    expect((await rejectsWith(passphraseFromEnvFile({ [VAULT_PASSPHRASE_FILE_ENV]: join(home, 'missing') }))).kind).toBe('InvalidInput');
  });
});
