/**
 * `--remember-passphrase` through the built CLI, with a real vault as the secret store (no
 * session bus, so no OS keychain) and a gpg-encrypted backup on a local storage: a wrong
 * passphrase is never remembered, a right one is, later runs need none, `storage
 * forget-passphrase` drops it, and the passphrase never reaches argv or a plain-text file.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../shared/core/config';
import { SECRET_NAMES } from '../../../shared/core/secrets/names';
import { VaultSecretStore } from '../../../shared/core/secrets/vault';
import { gpgEncryptSymmetric, makeGpgHome, writeTinyZip, type GpgHome } from '../../helpers/gpg';
import { buildCli, readTree, runCli, type BuiltCli } from '../accounts/cli-runner';

const NAME = 'acme_2024-01-01_00-00-00.zip';

describe('backup-desk download --remember-passphrase (built CLI, vault)', () => {
  let cli: BuiltCli;
  let gpg: GpgHome;
  let work: string;
  let home: string;
  let env: NodeJS.ProcessEnv;
  let plain: Buffer;
  const vaultPass = `vault pass ${randomUUID()}`;
  const backupPass = `backup pass ${randomUUID()}`;

  beforeAll(async () => {
    cli = await buildCli();
    gpg = await makeGpgHome();
    work = await mkdtemp(join(tmpdir(), 'bd-cli-remember-'));
    home = join(work, 'home');
    const data = join(work, 'data');
    await mkdir(data);
    await writeTinyZip(join(work, NAME), { 'dump.sql': '-- x\n', 'manifest.json': '{"db_name":"acme","version":"16.0"}' });
    plain = await readFile(join(work, NAME));
    await gpgEncryptSymmetric(gpg, join(work, NAME), join(data, `${NAME}.gpg`), backupPass);
    await writeFile(join(work, 'vault-pass'), `${vaultPass}\n`, { mode: 0o600 });
    env = { ...process.env, HOME: work, DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(work, 'no-bus')}`, BACKUP_DESK_VAULT_PASSPHRASE_FILE: join(work, 'vault-pass') };
    delete env.BD_PW;
    const init = await runCli(cli, ['--home', home, 'secrets', 'vault', 'init', '--cost', '15'], { env });
    expect(init.code, init.stderr).toBe(0);
    const add = await runCli(cli, ['--home', home, 'storage', 'add', 'nas', '--type', 'local', '--path', data], { env });
    expect(add.code, add.stderr).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await cli?.dispose();
    await gpg?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const download = (out: string, extra: string[], pw?: string) =>
    runCli(cli, ['--home', home, 'download', `nas:${NAME}.gpg`, '--out', join(work, out), '--decrypt', ...extra], { env: pw === undefined ? env : { ...env, BD_PW: pw } });
  const remembered = async (): Promise<string | undefined> => {
    const scope = (await loadConfig(home)).storages[0]!.secretScope;
    return (await VaultSecretStore.open(home, vaultPass)).get(scope, SECRET_NAMES.backupPassphrase);
  };

  it('documents the flag and the forget command in --help', async () => {
    for (const cmd of ['download', 'restore', 'inspect']) {
      const help = await runCli(cli, [cmd, '--help'], { env });
      expect(help.stdout).toMatch(/--remember-passphrase\s+remember the passphrase/);
    }
    expect((await runCli(cli, ['storage', '--help'], { env })).stdout).toMatch(/forget-passphrase/);
  }, 60_000);

  it('--decrypt of a backup that is not encrypted asks for nothing and saves it as it is', async () => {
    await writeFile(join(home, '..', 'data', NAME), plain);
    const r = await runCli(cli, ['--home', home, 'download', `nas:${NAME}`, '--out', join(work, 'as-is.zip'), '--decrypt'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/it is not encrypted: saved as it is$/m);
    expect((await readFile(join(work, 'as-is.zip'))).equals(plain)).toBe(true);
    await rm(join(home, '..', 'data', NAME));
  }, 60_000);

  it('remembers only a passphrase that opened the backup, then needs none until it is forgotten', async () => {
    const wrong = await download('w.zip', ['--passphrase-env', 'BD_PW', '--remember-passphrase'], 'not it');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/Wrong passphrase/);
    expect(await remembered()).toBeUndefined();
    const none = await download('n.zip', []);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/needs the passphrase/);

    const right = await download('r.zip', ['--passphrase-env', 'BD_PW', '--remember-passphrase'], backupPass);
    expect(right.code, right.stderr).toBe(0);
    expect((await readFile(join(work, 'r.zip'))).equals(plain)).toBe(true);
    expect(await remembered()).toBe(backupPass);

    const again = await download('a.zip', []);
    expect(again.code, again.stderr).toBe(0);
    expect((await readFile(join(work, 'a.zip'))).equals(plain)).toBe(true);
    const inspect = await runCli(cli, ['--home', home, 'inspect', `nas:${NAME}.gpg`, '--json'], { env });
    expect(inspect.code, inspect.stderr).toBe(0);
    expect(JSON.parse(inspect.stdout)).toMatchObject({ encrypted: true, database: 'acme' });

    for (const run of [wrong, right, again, inspect]) for (const argv of run.argvs) expect(argv).not.toContain(backupPass);
    for (const [path, bytes] of await readTree(work)) expect(bytes.includes(Buffer.from(backupPass)), path).toBe(false);

    const forget = await runCli(cli, ['--home', home, 'storage', 'forget-passphrase', 'nas'], { env });
    expect(forget.code, forget.stderr).toBe(0);
    expect(forget.stdout).toMatch(/forgot the passphrase remembered for storage nas/);
    expect(await remembered()).toBeUndefined();
    const after = await download('f.zip', []);
    expect(after.code).toBe(2);
  }, 120_000);
});
