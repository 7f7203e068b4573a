/**
 * The keychain store against a real Secret Service (gnome-keyring on a private session bus),
 * and its clear error when no Secret Service can be reached.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { AsyncEntry } from '@napi-rs/keyring';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KeychainSecretStore, keyringLoader, openKeychainStore, SECRETS_INDEX_FILE } from '../../../../shared/core/secrets/keychain';
import { keyringAvailable, startKeyringSession, type KeyringSession } from '../../../helpers/keyring-session';

const run = promisify(execFile);
const root = resolve(__dirname, '../../../..');
const hasKeyring = await keyringAvailable();
const SERVICE = 'odoo-backup-desk-test';

describe.skipIf(!hasKeyring)('KeychainSecretStore (real gnome-keyring)', () => {
  let session: KeyringSession;
  let home: string;
  let store: KeychainSecretStore;

  beforeAll(async () => {
    session = await startKeyringSession({ applyToProcess: true });
    home = await mkdtemp(join(tmpdir(), 'bd-kc-home-'));
    store = await openKeychainStore(home, { service: SERVICE });
  });
  afterAll(async () => {
    await session?.stop();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('stores, reads, replaces and deletes a secret in the Secret Service', async () => {
    expect(store.backend).toBe('keychain');
    expect(await store.get('storage:a', 'secretAccessKey')).toBeUndefined();
    await store.set('storage:a', 'secretAccessKey', 'kc-value-1');
    expect(await store.get('storage:a', 'secretAccessKey')).toBe('kc-value-1');
    // It really is in the keychain, under service/account `<scope>/<name>`.
    expect(await new AsyncEntry(SERVICE, 'storage:a/secretAccessKey').getPassword()).toBe('kc-value-1');
    await store.set('storage:a', 'secretAccessKey', 'kc-value-2');
    expect(await store.get('storage:a', 'secretAccessKey')).toBe('kc-value-2');
    await store.delete('storage:a', 'secretAccessKey');
    expect(await store.get('storage:a', 'secretAccessKey')).toBeUndefined();
    await store.delete('storage:a', 'secretAccessKey'); // absent: no error
  });

  it('deleteScope removes every secret of one scope and nothing else', async () => {
    await store.set('storage:b', 'password', 'pw-b');
    await store.set('storage:b', 'refreshToken', 'rt-b');
    await store.set('storage:c', 'password', 'pw-c');
    expect(await store.names('storage:b')).toEqual(['password', 'refreshToken']);
    await store.deleteScope('storage:b');
    expect(await store.get('storage:b', 'password')).toBeUndefined();
    expect(await store.get('storage:b', 'refreshToken')).toBeUndefined();
    expect(await store.get('storage:c', 'password')).toBe('pw-c');
    expect(await store.names('storage:b')).toEqual([]);
  });

  it('deleteScope also finds entries the index lost (keychain search)', async () => {
    await new AsyncEntry(SERVICE, 'storage:d/orphan').setPassword('orphan-value');
    await store.deleteScope('storage:d');
    expect(await new AsyncEntry(SERVICE, 'storage:d/orphan').getPassword()).toBeNull();
  });

  it('keeps only names in the home folder index, never values', async () => {
    await store.set('storage:e', 'password', 'index-must-not-hold-this');
    const text = await readFile(join(home, SECRETS_INDEX_FILE), 'utf8');
    expect(text).toContain('storage:e');
    expect(text).toContain('password');
    expect(text).not.toContain('index-must-not-hold-this');
  });
});

describe.skipIf(!hasKeyring)('keychain without a Secret Service', () => {
  it('fails fast with Unsupported and a vault hint (child process with no session bus)', async () => {
    const home = await mkdtemp(join(tmpdir(), 'bd-kc-nobus-'));
    try {
      const script = `
        import { openKeychainStore } from ${JSON.stringify(join(root, 'shared/core/secrets/keychain.ts'))};
        try { await openKeychainStore(${JSON.stringify(home)}); console.log(JSON.stringify({ ok: true })); }
        catch (e) { console.log(JSON.stringify({ kind: e.kind, message: e.message, hint: e.hint })); }`;
      const env = { ...process.env, DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(home, 'no-bus')}` };
      const t0 = Date.now();
      const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env, cwd: root });
      const out = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { kind?: string; message?: string; hint?: string };
      expect(Date.now() - t0).toBeLessThan(20_000);
      expect(out.kind).toBe('Unsupported');
      expect(out.message).toMatch(/No OS keychain is available/);
      expect(out.hint).toMatch(/secrets vault init/);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});

describe('keychain binding loaded lazily', () => {
  it('turns a binding that cannot load into Unsupported with the vault hint, and retries next time', async () => {
    let calls = 0;
    const load = keyringLoader(() => {
      calls++;
      return Promise.reject(new Error('Cannot find module @napi-rs/keyring-linux-x64-gnu'));
    });
    const err = (await load().catch((e: unknown) => e)) as { kind?: string; message?: string; hint?: string };
    expect(err.kind).toBe('Unsupported');
    expect(err.message).toMatch(/native binding .* could not be loaded/);
    expect(err.hint).toMatch(/secrets vault init/);
    await load().catch(() => undefined);
    expect(calls).toBe(2);
  });

  it('loads the real binding once and hands the same module to every caller', async () => {
    let calls = 0;
    const load = keyringLoader(async () => {
      calls++;
      return import('@napi-rs/keyring');
    });
    const [a, b] = await Promise.all([load(), load()]);
    expect(a).toBe(b);
    expect(typeof a.AsyncEntry).toBe('function');
    expect(calls).toBe(1);
  });
});
