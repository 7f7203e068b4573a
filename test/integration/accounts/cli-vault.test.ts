/**
 * A machine without an OS keychain (no session bus): the CLI says so and offers the vault,
 * never falling back to plain text; `secrets vault init` creates the vault and secrets then
 * go into it, encrypted.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VaultSecretStore } from '../../../shared/core/secrets/vault';
import { loadConfig } from '../../../shared/core/config';
import { listFactories } from '../../../shared/core/storage/registry';
import { buildCli, readTree, runCli, type BuiltCli } from './cli-runner';

const hasS3 = listFactories().some((f) => f.kind === 's3');

describe.skipIf(!hasS3)('secrets without a keychain (built CLI)', () => {
  let cli: BuiltCli;
  let work: string;
  let home: string;
  let env: NodeJS.ProcessEnv;
  const secret = `vault-s3-${randomUUID()}`;
  const passphrase = `vault pass ${randomUUID()}`;
  const s3 = ['--type', 's3', '--endpoint', 'http://127.0.0.1:9', '--bucket', 'b-vault', '--region', 'us-east-1', '--access-key-id', 'AKIAVAULT', '--force-path-style', '--secret-env', 'S3_SECRET'];

  beforeAll(async () => {
    cli = await buildCli();
    work = await mkdtemp(join(tmpdir(), 'bd-cli-vault-'));
    home = join(work, 'home');
    const ppFile = join(work, 'vault-pass');
    await writeFile(ppFile, `${passphrase}\n`, { mode: 0o600 });
    env = { ...process.env, HOME: work, DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(work, 'no-bus')}`, S3_SECRET: secret, BACKUP_DESK_VAULT_PASSPHRASE_FILE: ppFile };
  });
  afterAll(async () => {
    await cli?.dispose();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('refuses to store a secret with no keychain and no vault, explaining both options', async () => {
    const run = await runCli(cli, ['--home', home, 'storage', 'add', 's3a', ...s3], { env });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/No OS keychain is available/);
    expect(run.stderr).toMatch(/secrets vault init/);
    expect((await loadConfig(home)).storages).toEqual([]);
    const status = await runCli(cli, ['--home', home, 'secrets', 'status'], { env });
    expect(status.stdout).toMatch(/unavailable/);
  });

  it('stores secrets in the vault after `secrets vault init`, encrypted', async () => {
    const init = await runCli(cli, ['--home', home, 'secrets', 'vault', 'init', '--cost', '15'], { env });
    expect(init.code, init.stderr).toBe(0);
    const add = await runCli(cli, ['--home', home, 'storage', 'add', 's3a', ...s3], { env });
    expect(add.code, add.stderr).toBe(0);
    expect((await runCli(cli, ['--home', home, 'secrets', 'status'], { env })).stdout).toMatch(/^vault/);
    const scope = (await loadConfig(home)).storages[0]?.secretScope as string;
    const vault = await VaultSecretStore.open(home, passphrase);
    expect(await vault.get(scope, 'secretAccessKey')).toBe(secret);
    for (const [path, bytes] of await readTree(work)) {
      if (path.endsWith('vault-pass')) continue;
      expect(bytes.includes(Buffer.from(secret)), path).toBe(false);
    }
    // A wrong vault passphrase is a clear error.
    await writeFile(join(work, 'wrong'), 'wrong passphrase\n');
    const wrong = await runCli(cli, ['--home', home, 'storage', 'add', 's3b', ...s3], { env: { ...env, BACKUP_DESK_VAULT_PASSPHRASE_FILE: join(work, 'wrong') } });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/Wrong passphrase for the vault/);
  });
});
