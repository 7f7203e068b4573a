/**
 * `backup-desk schedule add` in-process: what would only fail when the job runs is refused when it
 * is added (a password in the source URL, a storage that does not exist, a schedule that never
 * comes), and a passphrase given means an encrypted job, as it does for `backup`.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySecretStore } from '../../../../shared/core/secrets/secret-store';
import { runCliInProcess } from '../../../helpers/cli-in-process';

let home: string;
const secrets = new MemorySecretStore();
const cli = (args: string[]) => runCliInProcess(home, args, { secrets });
// Port 1 refuses at once: every save warns that the database could not be checked (and saves).
const base = ['--every', 'daily', '--db', 'shop', '--source', 'postgres://odoo@127.0.0.1:1/', '--to', 'nas'];
const UNCHECKED = /^warning: Database "shop" could not be checked now \(.*\): the job will only find out when it runs\.\n$/;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'bd-sched-add-'));
  await mkdir(join(home, 'store'));
  await writeFile(join(home, 'pass'), 'job secret\n');
  expect((await cli(['storage', 'add', 'nas', '--type', 'local', '--path', join(home, 'store')])).code).toBe(0);
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

const saved = async (): Promise<string> => readFile(join(home, 'schedules.json'), 'utf8').catch(() => '');

describe('schedule add', () => {
  it('refuses a password in the source URL before saving anything', async () => {
    const r = await cli(['schedule', 'add', 'pw', ...base.slice(0, 4), '--source', 'postgres://odoo:hunter2@127.0.0.1:5432/', '--to', 'nas']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('The source URL contains a password');
    expect(r.err).toMatch(/hint: .*~\/\.pgpass/);
    expect(await saved()).not.toContain('hunter2');
  });

  it('refuses a new job named like the drills run after a backup job (NAME.drill), and keeps it out of the list', async () => {
    const r = await cli(['schedule', 'add', 'nightly.drill', ...base]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('Names ending in ".drill" are kept for the restore drills run after a backup job; choose another.');
    expect(await saved()).not.toContain('nightly.drill');
  });

  it('refuses a storage that is not configured, naming the ones that are', async () => {
    const r = await cli(['schedule', 'add', 'ghost', ...base, '--to', 'nosuch']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('There is no storage named "nosuch".');
    expect(r.err).toContain('Configured storages: nas.');
    expect(await saved()).not.toContain('ghost');
  });

  it('refuses a source that is neither a postgres:// URL nor odoo:INSTANCE, as a backup would', async () => {
    const r = await cli(['schedule', 'add', 'mysql', ...base.slice(0, 4), '--source', 'mysql://x', '--to', 'nas']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('The source must be a postgres:// URL or odoo:INSTANCE (got "mysql://x").');
    expect(await saved()).not.toContain('"mysql"');
  });

  it('refuses a database-only job through a running Odoo, whose zips always hold the filestore', async () => {
    const r = await cli(['schedule', 'add', 'odoo-db-only', ...base.slice(0, 4), '--source', 'odoo:prod', '--to', 'nas', '--no-filestore']);
    expect(r.code).toBe(2);
    expect(r.err).toContain("A backup through a running Odoo cannot leave the filestore out: Odoo's database manager puts it into every zip it makes.");
    expect(r.err).toMatch(/^hint: Use --format dump for the database only\.$/m);
    expect(await saved()).not.toContain('odoo-db-only');
  });

  it('refuses a cold job through a running Odoo, which it would stop before asking it for the backup', async () => {
    const r = await cli(['schedule', 'add', 'odoo-cold', ...base.slice(0, 4), '--source', 'odoo:prod', '--to', 'nas', '--cold-stop', 'systemctl stop odoo', '--cold-start', 'systemctl start odoo']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('A cold backup stops Odoo, and a backup through a running Odoo needs it running: its database manager makes the backup.');
    expect(await saved()).not.toContain('odoo-cold');
  });

  it('names the argument of a value the contract refuses, in one sentence', async () => {
    const r = await cli(['schedule', 'add', 'bad name', ...base]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error: <name>: Use letters, digits, "_", "\." or "-" \(at most 64\)\.$/m);
  });

  it('refuses an empty value as a usage error (exit 2) naming its flag, before anything is saved', async () => {
    for (const [flag, at] of [['--db', 3], ['--source', 5], ['--to', 7]] as const) {
      const args = ['schedule', 'add', 'empty', ...base];
      args[at + 3] = '';
      const r = await cli(args);
      expect(r.code, flag).toBe(2);
      expect(r.err).toMatch(new RegExp(`^error: ${flag} must not be empty\\.$`, 'm'));
      expect(r.err).toMatch(/^hint: Leave the option out for its default/m);
    }
    expect(await saved()).not.toContain('"empty"');
  });

  it('refuses a schedule that never comes', async () => {
    for (const every of ['0 0 31 2 *', '*-02-30 00:00']) {
      const r = await cli(['schedule', 'add', 'never', ...base.slice(2), '--every', every]);
      expect(r.code, every).toBe(2);
      expect(r.err).toContain('the job would never run');
    }
    expect(await saved()).not.toContain('"never"');
  });

  it('refuses a database name a backup would refuse, and a dump in the odoo_backup_sh layout; a dump alone gets the manager\'s layout when it runs', async () => {
    const short = await cli(['schedule', 'add', 'short', ...base.slice(0, 2), '--db', 'x', ...base.slice(4)]);
    expect(short.code).toBe(2);
    expect(short.err).toContain('"x" is not a valid Odoo database name.');
    const sh = await cli(['schedule', 'add', 'shdump', ...base, '--format', 'dump', '--layout', 'odoo-backup-sh']);
    expect(sh.code).toBe(2);
    expect(sh.err).toContain('The odoo_backup_sh layout holds zip backups only.');
    expect(await saved()).not.toMatch(/"(short|shdump)"/);
    expect((await cli(['schedule', 'add', 'dump', ...base, '--format', 'dump'])).code).toBe(0);
  });

  it('storage remove is refused while a job uses the storage, naming the jobs', async () => {
    await cli(['schedule', 'add', 'uses-nas', ...base]);
    const r = await cli(['storage', 'remove', 'nas']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error: Storage "nas" is used by the scheduled jobs .*"uses-nas"/m);
    expect(r.err).toMatch(/^hint: Remove or change those jobs first \(backup-desk schedule remove /m);
    expect((await cli(['storage', 'list'])).out).toMatch(/^nas /m);
  });

  it('makes a job encrypted when a passphrase is given, as backup does', async () => {
    const r = await cli(['schedule', 'add', 'enc', ...base, '--passphrase-file', join(home, 'pass')]);
    expect(r.err).toMatch(UNCHECKED);
    expect(r.code).toBe(0);
    const jobs = JSON.parse(await saved()) as { jobs: Array<{ name: string; work: { encrypt?: { passphrase?: boolean } } }> };
    expect(jobs.jobs.find((j) => j.name === 'enc')?.work.encrypt).toEqual({ passphrase: true });
    expect(await saved()).not.toContain('job secret');
    // Never run yet: not "ok".
    expect((await cli(['schedule', 'list'])).out).toMatch(/^enc +backup shop → nas \(encrypted\) +daily +\S+ \S+ +- +waiting$/m);
    // Replaced without a passphrase given: the stored one is kept; a new job must be given one.
    const again = await cli(['schedule', 'add', 'enc', ...base, '--encrypt', '--replace', '--every', 'weekly']);
    expect(again.err).toMatch(UNCHECKED);
    expect(await secrets.get('schedule:enc', 'passphrase')).toBe('job secret');
    const fresh = await cli(['schedule', 'add', 'enc2', ...base, '--encrypt']);
    expect(fresh.code).toBe(2);
    expect(fresh.err).toMatch(/^error: This needs the passphrase to encrypt the backups with\.$/m);
    // Replaced without any encryption flag (say, only to change the time): refused, not made plain.
    const plain = await cli(['schedule', 'add', 'enc', ...base, '--replace', '--every', 'hourly']);
    expect(plain.code).toBe(2);
    expect(plain.err).toMatch(/^error: The job "enc" encrypts its backups; replaced with these options, it would write them unencrypted\.$/m);
    expect(plain.err).toMatch(/^hint: Add --encrypt to keep the passphrase kept for it, or --no-encrypt to mean it\.$/m);
    expect(await secrets.get('schedule:enc', 'passphrase')).toBe('job secret');
    expect(JSON.parse(await saved()).jobs.find((j: { name: string }) => j.name === 'enc').work.encrypt).toEqual({ passphrase: true });
    // Meant: no longer encrypted, and its passphrase is not kept.
    expect((await cli(['schedule', 'add', 'enc', ...base, '--replace', '--no-encrypt'])).code).toBe(0);
    expect(await secrets.get('schedule:enc', 'passphrase')).toBeUndefined();
  });

  it('notes when a replace changed the settings (not a save of the same ones, nor switching it off), and lists a failure from before as such', async () => {
    const changedAt = async (): Promise<string | undefined> => (JSON.parse(await saved()) as { jobs: Array<{ name: string; settingsChangedAt?: string }> }).jobs.find((j) => j.name === 'fixme')?.settingsChangedAt;
    expect((await cli(['schedule', 'add', 'fixme', ...base])).code).toBe(0);
    expect(await changedAt()).toBeUndefined();
    expect((await cli(['schedule', 'add', 'fixme', ...base, '--replace'])).code).toBe(0);
    expect(await changedAt()).toBeUndefined();
    const before = new Date().toISOString();
    await mkdir(join(home, 'schedules-state'), { recursive: true });
    await writeFile(join(home, 'schedules-state', 'fixme.json'), JSON.stringify({ lastRunAt: before, lastOutcome: 'failed', lastError: 'No filestore folder' }));
    expect((await cli(['schedule', 'list'])).out).toMatch(/^fixme .* FAILING$/m);
    await new Promise((r) => setTimeout(r, 5));
    expect((await cli(['schedule', 'add', 'fixme', ...base, '--replace', '--data-dir', '/srv/odoo'])).code).toBe(0);
    const changed = await changedAt();
    expect(changed! > before).toBe(true);
    expect((await cli(['schedule', 'list'])).out).toMatch(/^fixme .* failed before the settings changed$/m);
    expect(JSON.parse((await cli(['schedule', 'list', '--json'])).out)).toContainEqual(expect.objectContaining({ name: 'fixme', lastOutcome: 'failed', lastError: 'No filestore folder', settingsChangedAt: changed }));
    expect((await cli(['schedule', 'add', 'fixme', ...base, '--replace', '--data-dir', '/srv/odoo', '--disabled'])).code).toBe(0);
    expect(await changedAt()).toBe(changed);
    // A new passphrase is a change (a job failing for want of it is fixed so); the same one again is not.
    await new Promise((r) => setTimeout(r, 5));
    expect((await cli(['schedule', 'add', 'fixme', ...base, '--replace', '--data-dir', '/srv/odoo', '--passphrase-file', join(home, 'pass')])).code).toBe(0);
    const encrypted = await changedAt();
    expect(encrypted! > changed!).toBe(true);
    expect((await cli(['schedule', 'add', 'fixme', ...base, '--replace', '--data-dir', '/srv/odoo', '--passphrase-file', join(home, 'pass')])).code).toBe(0);
    expect(await changedAt()).toBe(encrypted);
  });

  it('warns of a short new passphrase, as the app does, and takes it', async () => {
    await writeFile(join(home, 'short-pass'), 'abc123\n');
    const r = await cli(['schedule', 'add', 'short', ...base, '--passphrase-file', join(home, 'short-pass')]);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/^warning: A passphrase this short can be guessed by anyone who gets a copy of the backups: use 10 characters or more/m);
    expect(await secrets.get('schedule:short', 'passphrase')).toBe('abc123');
  });

  it('schedule remove deletes the passphrase of an encrypted job (a plain one needs no keychain: test/integration/cli/daemon.test.ts)', async () => {
    expect((await cli(['schedule', 'add', 'gone', ...base, '--passphrase-file', join(home, 'pass')])).code).toBe(0);
    expect(await secrets.get('schedule:gone', 'passphrase')).toBe('job secret');
    expect(await cli(['schedule', 'remove', 'gone'])).toMatchObject({ code: 0, out: 'removed gone\n' });
    expect(await secrets.get('schedule:gone', 'passphrase')).toBeUndefined();
  });

  it('warns that automatic drills of a job encrypted to public keys only will fail', async () => {
    const pub = join(home, 'ops.pub.asc');
    await writeFile(pub, '-----BEGIN PGP PUBLIC KEY BLOCK-----\n');
    const r = await cli(['schedule', 'add', 'keys-only', ...base, '--recipient', pub, '--drill-every', '3']);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/^warning: Its backups are encrypted to public keys only: its automatic drills have no private key to open them, and will fail\./m);
    const withPass = await cli(['schedule', 'add', 'keys-and-pass', ...base, '--recipient', pub, '--drill-every', '3', '--passphrase-file', join(home, 'pass')]);
    expect(withPass.err).not.toMatch(/public keys only/);
  });
});
