import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MemorySecretStore } from '../../../../../shared/core/secrets/secret-store';
import { nullLogger } from '../../../../../shared/core/util/logger';
import { sftpFactory } from '../../../../../shared/core/storage/sftp';
import { sftpConfigSchema, type SftpConfig } from '../../../../../shared/core/storage/sftp/config';
import { createSftpProvider, type SftpAuth, type SftpStorageProvider } from '../../../../../shared/core/storage/sftp/sftp-provider';
import { ed25519KeyPair } from '../../../../helpers/ssh-keys';
import { startSshd, type TestSshd } from '../../../../helpers/sshd';
import { bodyOf, collect, drain, expectKind, patternBytes } from '../../../../conformance/storage-suite';
import type { StorageProvider, TemporaryObject } from '../../../../../shared/core/storage/provider';

/** Every temporary object the provider reports. */
async function temporariesOf(p: StorageProvider): Promise<TemporaryObject[]> {
  const out: TemporaryObject[] = [];
  for await (const t of p.temporaries!.list()) out.push(t);
  return out;
}


let sshd: TestSshd;
let tmp: string;
const open: SftpStorageProvider[] = [];

const configFor = (over: Partial<SftpConfig> = {}): SftpConfig =>
  sftpConfigSchema.parse({ host: sshd.host, port: sshd.port, username: sshd.username, path: sshd.root, auth: 'key', hostKeyFingerprint: sshd.hostKeyFingerprint, ...over });
const providerFor = (over: Partial<SftpConfig> = {}, auth: SftpAuth = { privateKey: sshd.clientKey }): SftpStorageProvider => {
  const p = createSftpProvider(configFor(over), auth);
  open.push(p);
  return p;
};
/** Every file below the storage root, on the server's disk. */
async function filesOnDisk(dir = sshd.root): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesOnDisk(p)));
    else out.push(path.relative(sshd.root, p));
  }
  return out;
}

beforeAll(async () => {
  sshd = await startSshd();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'sftp-test-'));
});
afterAll(async () => {
  for (const p of open) await p.close();
  await sshd?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('SFTP host key verification against a real sshd', () => {
  it('refuses an unknown host and shows its fingerprint and how to pin it', async () => {
    const knownHostsFile = path.join(tmp, 'empty_known_hosts');
    const err = await expectKind(() => providerFor({ hostKeyFingerprint: undefined, knownHostsFile }).stat('x'), 'AuthFailed');
    expect(err.message).toContain(sshd.hostKeyFingerprint);
    // the app's words name its screen; the CLI's, the command that pins it
    expect(err.hint).toMatch(/pin it as the storage's host key \(Storages → Change secret, "Host key"\) or add it to .*\.$/);
    expect(err.hint).not.toContain('--');
    expect(err.details?.cliHint).toContain(`backup-desk storage set-secret NAME --host-key-fingerprint ${sshd.hostKeyFingerprint}`);
    expect(err.details?.fingerprint).toBe(sshd.hostKeyFingerprint);
  });

  it('refuses a wrong pinned fingerprint loudly', async () => {
    const wrong = `SHA256:${'A'.repeat(43)}`;
    const p = createSftpProvider(configFor({ hostKeyFingerprint: wrong }), { privateKey: sshd.clientKey }, { storageName: 'nas' });
    open.push(p);
    const err = await expectKind(() => p.stat('x'), 'AuthFailed');
    expect(err.message).toMatch(/HOST KEY CHANGED/);
    expect(err.message).toContain(sshd.hostKeyFingerprint);
    expect(err.hint).toContain('Storages → Change secret, "Host key"');
    expect(err.details?.cliHint).toContain(`backup-desk storage set-secret nas --host-key-fingerprint ${sshd.hostKeyFingerprint}`);
  });

  it('accepts a host found in known_hosts (plain and ssh-keygen -H hashed), refuses a changed key', async () => {
    const plain = path.join(tmp, 'known_hosts_plain');
    await writeFile(plain, `[127.0.0.1]:${sshd.port} ${sshd.hostPublicKey}\n`);
    await providerFor({ hostKeyFingerprint: undefined, knownHostsFile: plain }).write!('kh/a.txt', bodyOf(Buffer.from('a')));
    const { execFileSync } = await import('node:child_process');
    execFileSync('ssh-keygen', ['-H', '-f', plain], { stdio: 'ignore' });
    expect(await readFile(plain, 'utf8')).not.toContain('127.0.0.1');
    expect((await providerFor({ hostKeyFingerprint: undefined, knownHostsFile: plain }).stat('kh/a.txt')).size).toBe(1);

    const changed = path.join(tmp, 'known_hosts_changed');
    await writeFile(changed, `[127.0.0.1]:${sshd.port} ${ed25519KeyPair().public}\n`);
    const err = await expectKind(() => providerFor({ hostKeyFingerprint: undefined, knownHostsFile: changed }).stat('kh/a.txt'), 'AuthFailed');
    expect(err.message).toMatch(/HOST KEY CHANGED/);
    expect(err.hint).toContain('ssh-keygen -R');
  });

  it('trusts on first use only when asked, and saves the key to known_hosts', async () => {
    const file = path.join(tmp, 'tofu', 'known_hosts');
    const first = providerFor({ hostKeyFingerprint: undefined, knownHostsFile: file, trustOnFirstUse: true });
    await first.write!('tofu.txt', bodyOf(Buffer.from('t')));
    expect(first.hostKeyFingerprint()).toBe(sshd.hostKeyFingerprint);
    expect(await readFile(file, 'utf8')).toMatch(/^\|1\|.+ ssh-ed25519 /);
    // Later connections verify against the saved key without trusting anything new.
    expect((await providerFor({ hostKeyFingerprint: undefined, knownHostsFile: file }).stat('tofu.txt')).size).toBe(1);
  });
});

describe('SFTP login', () => {
  it('logs in with a passphrase-protected key, and refuses a wrong passphrase or an unknown key', async () => {
    const p = providerFor({}, { privateKey: sshd.encryptedClientKey, passphrase: sshd.passphrase });
    await p.write!('enc.txt', bodyOf(Buffer.from('enc')));
    expect((await drain(await p.read('enc.txt'))).toString()).toBe('enc');
    await expectKind(() => providerFor({}, { privateKey: sshd.encryptedClientKey, passphrase: 'wrong' }).stat('enc.txt'), 'AuthFailed');
    const stranger = ed25519KeyPair().private;
    const err = await expectKind(() => providerFor({}, { privateKey: stranger }).stat('enc.txt'), 'AuthFailed');
    expect(err.hint).toMatch(/authorized_keys/);
  });

  it('is created by the factory from a key file + passphrase in the secret store', async () => {
    const keyFile = path.join(tmp, 'id_ed25519');
    await writeFile(keyFile, sshd.encryptedClientKey, { mode: 0o600 });
    const secrets = new MemorySecretStore();
    const config = configFor({ auth: 'key-file', privateKeyPath: keyFile });
    await expectKind(() => sftpFactory.create(config, 'storage:s', { secrets, log: nullLogger }).then((p) => p.stat('enc.txt')), 'AuthFailed');
    await secrets.set('storage:s', 'passphrase', sshd.passphrase);
    const p = await sftpFactory.create(config, 'storage:s', { secrets, log: nullLogger });
    expect((await p.stat('enc.txt')).size).toBe(3);
    await p.close();
    await expectKind(() => sftpFactory.create(configFor({ auth: 'password' }), 'storage:none', { secrets, log: nullLogger }), 'AuthFailed');
    expect(sftpFactory.describe(config)).toBe(`sftp://${sshd.username}@127.0.0.1:${sshd.port}${sshd.root}`);
  });

  it('reports writes refused by a read-only server as PermissionDenied, leaving nothing behind', async () => {
    const ro = await startSshd({ readOnly: true });
    try {
      const p = createSftpProvider(
        sftpConfigSchema.parse({ host: ro.host, port: ro.port, username: ro.username, path: ro.root, auth: 'key', hostKeyFingerprint: ro.hostKeyFingerprint }),
        { privateKey: ro.clientKey },
      );
      await writeFile(path.join(ro.root, 'existing.zip'), 'data');
      expect((await drain(await p.read('existing.zip'))).toString()).toBe('data');
      const err = await expectKind(() => p.write!('new.zip', bodyOf(Buffer.from('x'))), 'PermissionDenied');
      expect(err.hint).toMatch(/may read \(and write\)/);
      await expectKind(() => p.remove!('existing.zip'), 'PermissionDenied');
      expect(await readdir(ro.root)).toEqual(['existing.zip']);
      await p.close();
    } finally {
      await ro.stop();
    }
  });

  it('classifies an unreachable server as Transient, naming it', async () => {
    const err = await expectKind(() => providerFor({ port: 9 }).stat('x'), 'Transient');
    expect(err.message).toContain('127.0.0.1');
  });
});

describe('SFTP transfers', () => {
  it('reconnects after the connection was dropped between calls, printing nothing to stdout/stderr', async () => {
    // ssh2-sftp-client's default event callbacks console.log: that would corrupt `list --json`.
    const printed: string[] = [];
    const spies = (['log', 'error', 'warn', 'info'] as const).map((m) => vi.spyOn(console, m).mockImplementation((...a: unknown[]) => void printed.push(a.join(' '))));
    try {
      const p = providerFor();
      await p.write!('re/a.bin', bodyOf(Buffer.from('abc')));
      sshd.dropAll();
      await new Promise((r) => setTimeout(r, 50));
      expect((await p.stat('re/a.bin')).size).toBe(3);
      expect((await collect(p.list('re/'))).map((o) => o.key)).toEqual(['re/a.bin']);
      await p.close();
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      for (const s of spies) s.mockRestore();
    }
    expect(printed).toEqual([]);
  });

  it('leaves no temp file on the server after a cancelled or dropped write, and replaces atomically', async () => {
    const p = providerFor();
    const data = patternBytes(2 * 1024 * 1024, 9);
    const ac = new AbortController();
    let pulled = 0;
    const slow = new Readable({
      read() {
        if (pulled >= data.length) return void this.push(null);
        const next = data.subarray(pulled, pulled + 64 * 1024);
        pulled += next.length;
        if (pulled > data.length / 2) ac.abort();
        setTimeout(() => this.push(next), 1);
      },
    });
    await expectKind(() => p.write!('tmpcheck/x.bin', slow, { signal: ac.signal }), 'Cancelled');
    sshd.interruptNext('write', 512 * 1024);
    await expectKind(() => p.write!('tmpcheck/y.bin', bodyOf(data)), 'Transient');
    await new Promise((r) => setTimeout(r, 100));
    await p.write!('tmpcheck/z.bin', bodyOf(Buffer.from('old')));
    await p.write!('tmpcheck/z.bin', bodyOf(Buffer.from('new!')));
    expect((await filesOnDisk()).filter((f) => f.startsWith('tmpcheck'))).toEqual(['tmpcheck/z.bin']);
    expect(await readFile(path.join(sshd.root, 'tmpcheck/z.bin'), 'utf8')).toBe('new!');
  });

  it('finds the temp file a killed write left (hidden from list) and removes only such files', async () => {
    const p = providerFor();
    const dir = path.join(sshd.root, 'killed', 'sub');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, '.shop.2026-01-02_03-04-05.zip.part-0a1b2c3d'), 'half a backup'); // what a kill -9 mid-write leaves
    await writeFile(path.join(dir, '.notes.part-nothex!'), 'not ours');
    await writeFile(path.join(dir, 'kept.zip'), 'kept');
    expect((await collect(p.list('killed/'))).map((o) => o.key).sort()).toEqual(['killed/sub/.notes.part-nothex!', 'killed/sub/kept.zip']);
    const temps = (await temporariesOf(p)).filter((t) => t.id.startsWith('killed/'));
    expect(temps).toEqual([expect.objectContaining({ id: 'killed/sub/.shop.2026-01-02_03-04-05.zip.part-0a1b2c3d', forKey: 'killed/sub/shop.2026-01-02_03-04-05.zip', size: 13 })]);
    expect(Date.now() - temps[0]!.modified.getTime()).toBeLessThan(60_000);
    await expectKind(() => p.temporaries!.remove({ ...temps[0]!, id: 'killed/sub/kept.zip' }), 'InvalidInput');
    await p.temporaries!.remove(temps[0]!);
    await expectKind(() => p.temporaries!.remove(temps[0]!), 'NotFound');
    expect((await readdir(dir)).sort()).toEqual(['.notes.part-nothex!', 'kept.zip']);
  });

  it('prunes folders emptied by remove, and lists a missing folder as empty', async () => {
    const p = providerFor();
    await p.write!('prune/a/b/c.zip', bodyOf(Buffer.from('c')));
    await p.write!('prune/keep.zip', bodyOf(Buffer.from('k')));
    await p.remove!('prune/a/b/c.zip');
    expect((await filesOnDisk()).filter((f) => f.startsWith('prune'))).toEqual(['prune/keep.zip']);
    expect(await readdir(path.join(sshd.root, 'prune'))).toEqual(['keep.zip']);
    expect(await collect(p.list('nothing/here/'))).toEqual([]);
    await expectKind(() => p.stat('prune'), 'NotFound');
  });
});
