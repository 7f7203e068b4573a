/**
 * `backup-desk odoo …` and `restore --target odoo:NAME` through the built CLI, against the
 * local Odoo database manager (fake-services/odoo-manager.ts), with a real vault as the
 * secret store: the master password goes in from the environment and is never on a command
 * line nor in a plain-text file; a real Odoo backup is uploaded; Ctrl-C mid-upload leaves
 * nothing on the server.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeZip } from '../../../shared/core/backup/zip-writer';
import { fixtureDirWith } from '../../helpers/fixtures';
import { startFakeOdoo, type FakeOdoo } from '../../helpers/fake-services/odoo-manager';
import { buildCli, runCli, startCli, type BuiltCli } from '../accounts/cli-runner';

const MASTER = `master ${randomUUID()}`;

async function odooZip(version: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  const entries = [
    { name: 'dump.sql', deflate: true, data: { kind: 'buffer' as const, buffer: Buffer.from('CREATE TABLE t (id int);\n') } },
    { name: 'manifest.json', deflate: true, data: { kind: 'buffer' as const, buffer: Buffer.from(JSON.stringify({ version, db_name: 'acme' })) } },
  ];
  for await (const c of writeZip((async function* () { yield* entries; })())) parts.push(c);
  return Buffer.concat(parts);
}

describe('backup-desk odoo and restore --target odoo:NAME (built CLI, vault, fake Odoo 17)', () => {
  let cli: BuiltCli;
  let fake: FakeOdoo;
  let work: string;
  let home: string;
  let env: NodeJS.ProcessEnv;
  let backup: string;
  const run = (args: string[], extra: NodeJS.ProcessEnv = {}) => runCli(cli, ['--home', home, ...args], { env: { ...env, ...extra }, timeoutMs: 90_000 });

  beforeAll(async () => {
    cli = await buildCli();
    fake = await startFakeOdoo({ version: '17.0', masterPassword: MASTER, databases: [{ name: 'prod' }] });
    work = await mkdtemp(join(tmpdir(), 'bd-cli-odoo-'));
    home = join(work, 'home');
    await writeFile(join(work, 'vault-pass'), `vault ${randomUUID()}\n`, { mode: 0o600 });
    env = { ...process.env, HOME: work, DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(work, 'no-bus')}`, BACKUP_DESK_VAULT_PASSPHRASE_FILE: join(work, 'vault-pass') };
    const dir = fixtureDirWith('acme17_zip.zip');
    backup = dir ? join(dir, 'acme17_zip.zip') : join(work, 'acme17.zip');
    if (!dir) await writeFile(backup, await odooZip('17.0'));
    expect((await run(['secrets', 'vault', 'init', '--cost', '15'])).code).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await cli?.dispose();
    await fake?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('adds an instance (wrong master password refused), lists, tests and lists its databases', async () => {
    const wrong = await run(['odoo', 'add', 'prod', '--url', fake.url, '--secret-env', 'ODOO_PW'], { ODOO_PW: 'not it' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/refused the master password/);
    expect(wrong.stderr).toMatch(/^hint: .*add the instance again; it was not added\.$/m);
    const add = await run(['odoo', 'add', 'prod', '--url', `${fake.url}/web/database/manager`, '--secret-env', 'ODOO_PW'], { ODOO_PW: MASTER });
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout).toContain(`added Odoo instance prod (${fake.url})`);
    const list = JSON.parse((await run(['odoo', 'list', '--json'])).stdout) as Array<{ name: string; url: string }>;
    expect(list.map((i) => [i.name, i.url])).toEqual([['prod', fake.url]]);
    const test = await run(['odoo', 'test', 'prod']);
    expect(test.code, test.stdout + test.stderr).toBe(0);
    expect(test.stdout).toMatch(/ok\s+server\s+Odoo 17\.0 answers/);
    expect(test.stdout).toMatch(/ok\s+password/);
    const dbs = JSON.parse((await run(['odoo', 'dbs', 'prod', '--json'])).stdout) as { version: string; databases: Array<{ name: string }> };
    expect(dbs.version).toBe('17.0');
    expect(dbs.databases.map((d) => d.name)).toEqual(['prod']);
    // A wrong stored password: the hint names the instance to set it on.
    expect((await run(['odoo', 'set-password', 'prod', '--no-check', '--secret-env', 'ODOO_PW'], { ODOO_PW: 'stale' })).code).toBe(0);
    const stale = await run(['odoo', 'duplicate', 'prod', 'prod', 'prod_copy']);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/^hint: .*`backup-desk odoo set-password prod`\.$/m);
    expect((await run(['odoo', 'set-password', 'prod', '--secret-env', 'ODOO_PW'], { ODOO_PW: MASTER })).code).toBe(0);
    for (const r of [add, test]) expect(r.argvs.join('\n')).not.toContain(MASTER);
    expect(await readFile(join(home, 'odoo-instances.json'), 'utf8')).not.toContain(MASTER);
  }, 120_000);

  it('restores a backup into the instance, refuses a taken name, duplicates and drops with a typed confirmation', async () => {
    const r = await run(['restore', backup, '--db', 'acme17', '--target', 'odoo:prod']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/restored database acme17 on prod \(Odoo 17\.0/);
    // Sizes in the one unit system of every face (decimal MB, as `list` shows them).
    expect(r.stdout).toMatch(/: 5\.1 MB uploaded and loaded by Odoo in \d+\.\d s \(all sent after \d+\.\d s\)/);
    // As what (the app's result says so too), and where to open it.
    expect(r.stdout).toContain(`(Odoo 17.0, ${fake.url}) as a copy (new uuid and secret): `);
    expect(r.stdout).toMatch(new RegExp(`^open: ${fake.url}/web\\?db=acme17$`, 'm'));
    const up = fake.uploads.at(-1)!;
    expect(up.sha256).toBe(createHash('sha256').update(await readFile(backup)).digest('hex'));
    expect('neutralize_database' in up.fields).toBe(false);
    expect(fake.databases.get('acme17')?.halfBuilt).toBe(false);

    const again = await run(['restore', backup, '--db', 'acme17', '--target', 'odoo:prod']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists/);
    // the CLI prints the hint in its own words (the flag), the app the same hint without it
    expect(again.stderr).toMatch(/^hint: Choose another name, or replace it \(--replace; the old one is dropped only once the new one is complete\)\.$/m);

    const dup = await run(['odoo', 'duplicate', 'prod', 'acme17', 'acme17-test', '--neutralize']);
    expect(dup.code, dup.stderr).toBe(0);
    expect(fake.databases.get('acme17-test')?.neutralized).toBe(true);
    const mismatch = await run(['odoo', 'drop', 'prod', 'acme17-test', '--confirm', 'acme17']);
    expect(mismatch.code).toBe(2);
    expect(fake.databases.has('acme17-test')).toBe(true);
    const drop = await run(['odoo', 'drop', 'prod', 'acme17-test', '--confirm', 'acme17-test']);
    expect(drop.code, drop.stderr).toBe(0);
    expect(fake.databases.has('acme17-test')).toBe(false);
  }, 120_000);

  it('a restore Odoo fails half-way prints the command that drops the half-built database, and it does', async () => {
    fake.set({ failRestore: true });
    try {
      const r = await run(['restore', backup, '--db', 'acme_half', '--target', 'odoo:prod']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/left a half-built database "acme_half" on prod/);
      expect(r.stderr).toMatch(/Drop it when it is not wanted\./);
      const cmd = /run: backup-desk (odoo drop prod acme_half --confirm acme_half)$/m.exec(r.stderr);
      expect(cmd, r.stderr).not.toBeNull();
      expect(fake.databases.get('acme_half')?.halfBuilt).toBe(true);
      const drop = await run(cmd![1]!.split(' '));
      expect(drop.code, drop.stderr).toBe(0);
      expect(fake.databases.has('acme_half')).toBe(false);
    } finally {
      fake.set({ failRestore: false });
    }
  }, 120_000);

  it('Ctrl-C half-way through the upload: exit 130, nothing created on the server', async () => {
    const big = join(work, 'big.dump');
    await writeFile(big, Buffer.concat([Buffer.from('PGDMP'), Buffer.alloc(24 * 1024 * 1024, 5)]));
    fake.set({ uploadBytesPerSecond: 4 * 1024 * 1024 });
    const before = fake.uploads.length;
    const requestsBefore = fake.requests.length;
    const uploading = (): boolean => fake.requests.slice(requestsBefore).some((r) => r.path === '/web/database/restore') && fake.bodyBytesSeen > 2 * 1024 * 1024;
    const running = startCli(cli, ['--home', home, 'restore', big, '--db', 'halfway', '--target', 'odoo:prod'], { env });
    for (let i = 0; i < 300 && !uploading(); i++) await new Promise((r) => setTimeout(r, 100));
    expect(uploading()).toBe(true);
    const res = await running.stop();
    fake.set({ uploadBytesPerSecond: undefined });
    expect(res.code, `${res.stderr} seen=${fake.bodyBytesSeen}`).toBe(130);
    await new Promise((r) => setTimeout(r, 300));
    expect(fake.databases.has('halfway')).toBe(false);
    expect(fake.uploads.length).toBe(before);
  }, 120_000);

  it('Ctrl-C once the whole backup is sent: exit 130, and it says that Odoo may go on restoring it, and how to look', async () => {
    fake.set({ restoreWorkMs: 4000 });
    const before = fake.uploads.length;
    const running = startCli(cli, ['--home', home, 'restore', backup, '--db', 'after_upload', '--target', 'odoo:prod'], { env });
    for (let i = 0; i < 300 && fake.uploads.length === before; i++) await new Promise((r) => setTimeout(r, 100));
    expect(fake.uploads.length).toBe(before + 1);
    const res = await running.stop();
    fake.set({ restoreWorkMs: 0 });
    expect(res.code, res.stderr).toBe(130);
    expect(res.stderr).toMatch(/^cancelled\nCancelled after the upload: Odoo may go on restoring "after_upload" on prod\.$/m);
    expect(res.stderr).toMatch(/^hint: Look at prod's databases once it is done, and drop "after_upload" if it is not wanted\.$/m);
    expect(res.stderr).toMatch(/^ {2}run: backup-desk odoo dbs prod$/m);
    await new Promise((r) => setTimeout(r, 4500));
    expect(fake.databases.get('after_upload')?.halfBuilt).toBe(false); // Odoo did go on
  }, 120_000);

  it('removes the instance and its master password', async () => {
    const r = await run(['odoo', 'remove', 'prod']);
    expect(r.code, r.stderr).toBe(0);
    expect((await run(['odoo', 'list'])).stderr).toMatch(/no Odoo instances/);
    expect((await run(['odoo', 'dbs', 'prod'])).code).toBe(1);
  }, 60_000);
});
