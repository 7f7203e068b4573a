/** An SFTP server whose pinned host key changed: the CLI says which command pins the new one, and that command works. */
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySecretStore } from '../../../shared/core/secrets/secret-store';
import { runCliInProcess } from '../../helpers/cli-in-process';
import { startSshd, type TestSshd } from '../../helpers/sshd';

let sshd: TestSshd;
let tmp: string;
beforeAll(async () => {
  sshd = await startSshd();
  tmp = await mkdtemp(join(tmpdir(), 'bd-sftp-pin-'));
});
afterAll(async () => {
  await sshd?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('an SFTP storage whose pinned host key no longer matches', () => {
  it('names the command that pins the new key, which needs no secret and makes the storage work again', async () => {
    const home = join(tmp, 'home');
    const secrets = new MemorySecretStore();
    const keyFile = join(tmp, 'id_ed25519');
    await writeFile(keyFile, sshd.clientKey, { mode: 0o600 });
    const run = (...args: string[]) => runCliInProcess(home, args, { secrets });
    const old = `SHA256:${'A'.repeat(43)}`;
    const added = await run('storage', 'add', 'nas', '--type', 'sftp', '--host', sshd.host, '--port', String(sshd.port), '--username', sshd.username, '--path', sshd.root, '--auth', 'key-file', '--private-key-path', keyFile, '--host-key-fingerprint', old);
    expect(added.code, added.err).toBe(0);

    const listed = await run('list', '--storage', 'nas');
    expect(listed.code).toBe(1);
    expect(listed.err).toMatch(/HOST KEY CHANGED/);
    const command = `backup-desk storage set-secret nas --host-key-fingerprint ${sshd.hostKeyFingerprint}`;
    expect(listed.err).toContain(command);
    const probed = await run('storage', 'test', 'nas');
    expect(probed.code).toBe(1);
    expect(probed.out).toContain(command);
    expect(probed.out).not.toContain('Change secret');

    const pinned = await run(...command.split(' ').slice(1));
    expect(pinned.err).toBe('');
    expect(pinned.code).toBe(0);
    expect(pinned.out).toBe('stored the new hostKeyFingerprint of storage nas; check it with `backup-desk storage test nas`\n');
    const tested = await run('storage', 'test', 'nas');
    expect(tested.code, tested.out + tested.err).toBe(0);
  });
});
