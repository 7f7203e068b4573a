/** The CLI in-process (fast): argument handling, secrets from env/stdin, exit statuses, output streams. */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PassThrough, Readable } from 'node:stream';
import { CliContext } from '../../../shared/cli/context';
import { Desk } from '../../../shared/core/desk';
import { MemorySecretStore } from '../../../shared/core/secrets/secret-store';
import { runCliInProcess } from '../../helpers/cli-in-process';
import { fixtureDirWith } from '../../helpers/fixtures';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'bd-cli-unit-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function cli(args: string[], opts: { env?: NodeJS.ProcessEnv; stdin?: string; secrets?: MemorySecretStore; home?: string; interrupt?: AbortSignal } = {}) {
  const home = opts.home ?? (await mkdtemp(join(tmp, 'h-')));
  return { ...(await runCliInProcess(home, args, opts)), home };
}

const S3 = ['storage', 'add', 'cloud', '--type', 's3', '--bucket', 'backups', '--region', 'eu-west-1', '--access-key-id', 'AKID'];

describe('storage add secrets', () => {
  it('reads a secret from --secret-env VAR, stores it in the secret store only', async () => {
    const secrets = new MemorySecretStore();
    const r = await cli([...S3, '--secret-env', 'MY_S3_SECRET'], { env: { MY_S3_SECRET: 'sekrit-from-env' }, secrets });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^added storage cloud \(s3: /);
    const cfg = await readFile(join(r.home, 'config.json'), 'utf8');
    expect(cfg).not.toContain('sekrit-from-env');
    const scope = (JSON.parse(cfg) as { storages: { secretScope: string }[] }).storages[0]!.secretScope;
    expect(await secrets.get(scope, 'secretAccessKey')).toBe('sekrit-from-env');
  });

  it('storage set-secret replaces the secret (from the environment), keeping the storage; a storage without secrets says so', async () => {
    const secrets = new MemorySecretStore();
    const r = await cli([...S3, '--secret-env', 'MY_S3_SECRET'], { env: { MY_S3_SECRET: 'mistyped' }, secrets });
    expect(r.code).toBe(0);
    const set = await cli(['storage', 'set-secret', 'cloud', '--secret-env', 'MY_S3_SECRET'], { env: { MY_S3_SECRET: 'the right one' }, secrets, home: r.home });
    expect(set.err).toBe('');
    expect(set.out).toBe('stored the new secretAccessKey of storage cloud; check it with `backup-desk storage test cloud`\n');
    const scope = (JSON.parse(await readFile(join(r.home, 'config.json'), 'utf8')) as { storages: { secretScope: string }[] }).storages[0]!.secretScope;
    expect(await secrets.get(scope, 'secretAccessKey')).toBe('the right one');
    // A rotated key: a new access key ID goes with the new secret; the other settings stay.
    const rotated = await cli(['storage', 'set-secret', 'cloud', '--access-key-id', 'AKNEW', '--secret-env', 'MY_S3_SECRET'], { env: { MY_S3_SECRET: 'rotated' }, secrets, home: r.home });
    expect(rotated.out).toBe('stored the new accessKeyId, secretAccessKey of storage cloud; check it with `backup-desk storage test cloud`\n');
    const settings = (JSON.parse(await readFile(join(r.home, 'config.json'), 'utf8')) as { storages: { settings: Record<string, unknown> }[] }).storages[0]!.settings;
    expect(settings).toMatchObject({ accessKeyId: 'AKNEW', bucket: 'backups', region: 'eu-west-1' });
    expect(await secrets.get(scope, 'secretAccessKey')).toBe('rotated');
    expect((await cli(['storage', 'add', 'l', '--type', 'local', '--path', tmp], { home: r.home, secrets })).code).toBe(0);
    const none = await cli(['storage', 'set-secret', 'l'], { home: r.home, secrets });
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/^error: Storage l \(local\) has no secrets\.$/m);
  });

  it('reads secrets from --secret-stdin, also as FIELD=VALUE lines', async () => {
    const secrets = new MemorySecretStore();
    const r = await cli([...S3, '--secret-stdin'], { stdin: 'from-stdin\n', secrets });
    expect(r.code).toBe(0);
    const scope = (JSON.parse(await readFile(join(r.home, 'config.json'), 'utf8')) as { storages: { secretScope: string }[] }).storages[0]!.secretScope;
    expect(await secrets.get(scope, 'secretAccessKey')).toBe('from-stdin');
    const r2 = await cli([...S3, '--secret-stdin'], { stdin: 'secretAccessKey=line-form\n', secrets });
    expect(r2.code).toBe(0);
    const scope2 = (JSON.parse(await readFile(join(r2.home, 'config.json'), 'utf8')) as { storages: { secretScope: string }[] }).storages[0]!.secretScope;
    expect(await secrets.get(scope2, 'secretAccessKey')).toBe('line-form');
    // A secret that merely looks like WORD=VALUE is the secret, whole.
    const r3 = await cli([...S3, '--secret-stdin'], { stdin: 'wJal=rXUtn/K7MDENG\n', secrets });
    expect(r3.code).toBe(0);
    const scope3 = (JSON.parse(await readFile(join(r3.home, 'config.json'), 'utf8')) as { storages: { secretScope: string }[] }).storages[0]!.secretScope;
    expect(await secrets.get(scope3, 'secretAccessKey')).toBe('wJal=rXUtn/K7MDENG');
  });

  it('--secret-stdin for SFTP is the secret its way of logging in uses: the password, else the private key (all its lines)', async () => {
    const secrets = new MemorySecretStore();
    const sftp = (auth: string) => ['storage', 'add', `sf-${auth}`, '--type', 'sftp', '--host', '127.0.0.1', '--username', 'u', '--path', '/x', '--auth', auth, '--secret-stdin'];
    const scopeOf = async (home: string) => (JSON.parse(await readFile(join(home, 'config.json'), 'utf8')) as { storages: { secretScope: string }[] }).storages[0]!.secretScope;
    const pw = await cli(sftp('password'), { stdin: 'plain=pass\n', secrets });
    expect(pw.code).toBe(0);
    expect(await secrets.get(await scopeOf(pw.home), 'password')).toBe('plain=pass');
    const pem = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE=\n-----END OPENSSH PRIVATE KEY-----';
    const key = await cli(sftp('key'), { stdin: `${pem}\n`, secrets });
    expect(key.code).toBe(0);
    expect(await secrets.get(await scopeOf(key.home), 'privateKey')).toBe(pem);
    expect(await secrets.get(await scopeOf(key.home), 'password')).toBeUndefined();
  });

  it('usage errors exit 2: no terminal and no secret source, unknown field, flags of another type, missing env', async () => {
    const none = await cli(S3);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/^error: The secret "secretAccessKey" is needed and there is no terminal/m);
    expect(none.err).toMatch(/^hint: .*never taken from the command line/m);
    expect((await cli([...S3, '--secret-env', 'token=X'], { env: { X: 'v' } })).code).toBe(2);
    expect((await cli([...S3, '--secret-env', 'UNSET_VAR'])).err).toMatch(/UNSET_VAR .* not set/);
    const wrong = await cli(['storage', 'add', 'l', '--type', 'local', '--path', tmp, '--bucket', 'b']);
    expect(wrong.code).toBe(2);
    expect(wrong.err).toMatch(/--bucket is not a setting of a local storage/);
    expect((await cli(['storage', 'add', 'l', '--type', 'local'])).code).toBe(2);
    // An empty value would mean the folder the command runs in.
    const empty = await cli(['storage', 'add', 'l', '--type', 'local', '--path', '']);
    expect(empty.code).toBe(2);
    expect(empty.err).toMatch(/^error: --path must not be empty\.$/m);
    expect((await cli(S3.filter((a) => a !== '--access-key-id' && a !== 'AKID'))).err).toMatch(/^error: An S3 storage needs --access-key-id\.$/m);
    const badName = await cli(['storage', 'add', 'my/nas', '--type', 'local', '--path', tmp]);
    expect(badName.code).toBe(2);
    expect(badName.err).toMatch(/^error: "my\/nas" is not a valid storage name\.$/m);
  });

  it('settings the storage type refuses are usage errors too (exit 2), told by their flags; nothing is added', async () => {
    const s3 = await cli(['storage', 'add', 'cloud', '--type', 's3', '--bucket', 'b', '--endpoint', 'minio:9000', '--access-key-id', 'AKID', '--secret-stdin'], { stdin: 'sekrit' });
    expect(s3.code).toBe(2);
    expect(s3.err).toMatch(/^error: Invalid S3-compatible storage settings: --endpoint: The endpoint must be an http\(s\):\/\/ URL, or empty for AWS; --bucket: Bucket names are 3-255 /m);
    expect(s3.err).toMatch(/^hint: Its settings are: --endpoint, --region \(required\), --bucket \(required\)/m);
    const swift = await cli(['storage', 'add', 'os', '--type', 'swift', '--auth-url', 'keystone:5000', '--username', 'u', '--container', 'c', '--secret-stdin'], { stdin: 'pw', home: s3.home });
    expect(swift.code).toBe(2);
    expect(swift.err).toMatch(/^error: Invalid OpenStack Swift storage settings: --auth-url: Give the Keystone or tempauth URL, starting with http:\/\/ or https:\/\/\.$/m);
    expect((await cli(['storage', 'list', '--json'], { home: s3.home })).out).toBe('[]\n');
  });

  it('has no option that takes a secret on the command line', async () => {
    const r = await cli(['storage', 'add', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).not.toMatch(/--secret-access-key|--password(?![-\w])|--token(?![-\w])|--passphrase(?![-\w])/);
    expect(r.out).toMatch(/--secret-stdin/);
  });
});

describe('exit statuses and streams', () => {
  it('results on stdout, errors as error:/hint: on stderr with status 1', async () => {
    const home = await mkdtemp(join(tmp, 'h-'));
    expect((await cli(['storage', 'add', 'l', '--type', 'local', '--path', tmp], { home })).code).toBe(0);
    const list = await cli(['storage', 'list'], { home });
    expect(list.out).toMatch(/^NAME\s+TYPE\s+WHERE/);
    const missing = await cli(['storage', 'remove', 'nope'], { home });
    expect(missing).toMatchObject({ code: 1, out: '' });
    expect(missing.err).toMatch(/^error: There is no storage named "nope"\.\nhint: Configured storages: l\.\n$/);
    const empty = await cli(['list', '--json'], { home: await mkdtemp(join(tmp, 'h-')) });
    expect(empty).toMatchObject({ code: 0, out: '[]\n' });
    expect((await cli(['--version'])).out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect((await cli([])).code).toBe(2);
  });

  it('asks for a missing argument before a missing required option (commander asks the other way round)', async () => {
    expect(await cli(['restore'])).toMatchObject({ code: 2, err: "error: missing required argument 'ref|file'\n" });
    expect(await cli(['schedule', 'add'])).toMatchObject({ code: 2, err: "error: missing required argument 'name'\n" });
    expect(await cli(['restore', 'nas:x.zip'])).toMatchObject({ code: 2, err: "error: required option '--db <name>' not specified\n" });
    expect(await cli(['backup'])).toMatchObject({ code: 2, err: "error: required option '--db <name>' not specified\n" }); // no arguments: options as before
  });

  it('list prints what it could and exits 1 when a storage could not be listed', async () => {
    const home = await mkdtemp(join(tmp, 'h-'));
    const good = await mkdtemp(join(tmp, 'good-'));
    const gone = await mkdtemp(join(tmp, 'gone-'));
    await writeFile(join(good, 'shop_2024-01-02_03-04-05.zip'), 'PK');
    expect((await cli(['storage', 'add', 'good', '--type', 'local', '--path', good], { home })).code).toBe(0);
    expect((await cli(['storage', 'add', 'gone', '--type', 'local', '--path', gone], { home })).code).toBe(0);
    await rm(gone, { recursive: true });
    const r = await cli(['list'], { home });
    expect(r.out).toMatch(/shop/);
    expect(r.err).toMatch(/storage gone could not be listed/);
    expect(r.code).toBe(1);
    // Nothing to show: not "no backups found", when a storage was never looked into.
    const only = await cli(['list', '--storage', 'gone'], { home });
    expect(only.code).toBe(1);
    expect(only.err).toMatch(/\nno backups listed: the storage could not be listed \(see above\)\n$/);
    expect(only.err).not.toMatch(/no backups found/);
    const both = await cli(['list', '--db', 'nothing'], { home });
    expect(both.err).toMatch(/\nno backups found on the 1 of 2 storages that could be listed\n$/);
  });

  it('download to an existing path is refused before any work, in the CLI\'s words (--out)', async () => {
    const home = await mkdtemp(join(tmp, 'h-'));
    const store = await mkdtemp(join(tmp, 'store-'));
    await writeFile(join(store, 'shop_2024-01-02_03-04-05.dump'), 'PGDMP');
    expect((await cli(['storage', 'add', 'nas', '--type', 'local', '--path', store], { home })).code).toBe(0);
    const out = join(tmp, 'taken.dump');
    await writeFile(out, 'mine');
    const r = await cli(['download', 'nas:shop_2024-01-02_03-04-05.dump', '--out', out], { home });
    expect(r.code).toBe(1);
    expect(r.err).toBe(`error: ${out} already exists.\nhint: Choose another --out path, or remove it first.\n`);
    expect(await readFile(out, 'utf8')).toBe('mine');
    // A mistyped folder is not created.
    const typo = join(tmp, 'no-such-folder', 'sub', 'shop.dump');
    const t = await cli(['download', 'nas:shop_2024-01-02_03-04-05.dump', '--out', typo], { home });
    expect(t.code).toBe(2);
    expect(t.err).toContain(`error: The folder ${join(tmp, 'no-such-folder', 'sub')} does not exist.`);
    expect(existsSync(join(tmp, 'no-such-folder'))).toBe(false);
  });

  it('inspect of a database-only backup (.sql, .dump) says it holds no filestore', async () => {
    const sql = join(tmp, 'shop.sql');
    await writeFile(sql, '-- PostgreSQL database dump\n-- Dumped from database version 15.4\nCREATE TABLE t (a int);\n');
    const r = await cli(['inspect', sql]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^filestore: {4}none: a \.sql backup holds the database only/m);
  });

  it('restore validates its arguments before any work', async () => {
    expect((await cli(['restore', 'x.zip', '--db', 'ok_name', '--copy', '--move'])).code).toBe(2);
    expect((await cli(['restore', 'x.zip', '--db', 'ok_name', '--target', 'mysql://x'])).code).toBe(2);
    expect((await cli(['restore', 'x.zip'])).code).toBe(2);
    const noPw = await cli(['restore', 'x.zip.gpg', '--db', 'ok_name']);
    expect(noPw.code).toBe(2);
    expect(noPw.err).toMatch(/passphrase/);
    // A --passphrase-file that points at nothing is a usage error, like an unset --passphrase-env.
    const badFile = await cli(['restore', 'x.zip.gpg', '--db', 'ok_name', '--passphrase-file', join(tmp, 'none')]);
    expect(badFile.code).toBe(2);
    expect(badFile.err).toMatch(/Passphrase file not found/);
    // An empty one too (a newline alone is empty).
    await writeFile(join(tmp, 'empty-pass'), '\n');
    const empty = await cli(['restore', 'x.zip.gpg', '--db', 'ok_name', '--passphrase-file', join(tmp, 'empty-pass')]);
    expect(empty).toMatchObject({ code: 2, err: expect.stringMatching(/^error: The passphrase file .*empty-pass is empty\.$/m) as unknown as string });
    expect((await cli(['restore', 'x.zip.gpg', '--db', 'ok_name', '--passphrase-env', 'BD_TEST_SURELY_UNSET'])).code).toBe(2);
    expect((await cli(['restore', 'x.zip', '--db', 'a'.repeat(64)])).code).toBe(2);
    // A drill of a REF and of the newest backup of --db at once; a key for a download left encrypted.
    const both = await cli(['drill', 'nas:x.zip', '--storage', 'nas', '--db', 'other']);
    expect(both).toMatchObject({ code: 2, err: expect.stringMatching(/^error: Give a backup REF, or --storage and --db, not both\.$/m) as unknown as string });
    const keyNoDecrypt = await cli(['download', 'nas:x.zip.gpg', '--out', tmp, '--private-key', join(tmp, 'k.asc')]);
    expect(keyNoDecrypt).toMatchObject({ code: 2, err: expect.stringMatching(/^error: --private-key goes with --decrypt\.$/m) as unknown as string });
  });

  it('an encrypted backup without a passphrase (and no terminal) is the same usage error for restore, verify and drill, before any work', async () => {
    const home = await mkdtemp(join(tmp, 'h-'));
    for (const args of [['restore', 'x.zip.gpg', '--db', 'ok_name'], ['verify', 'x.zip.gpg'], ['drill', 'x.zip.gpg']]) {
      const r = await cli(args, { home });
      expect(r, args[0]).toMatchObject({ code: 2, out: '' });
      expect(r.err, args[0]).toBe('error: This needs the passphrase of the encrypted backup.\nhint: Use --passphrase-file FILE or --passphrase-env VAR (or run it in a terminal to be asked); for a backup encrypted to a public key, --private-key FILE.\n');
    }
  });

  it('a storage or scheduled job that does not exist is the work failing (exit 1) for every command that names one', async () => {
    const home = await mkdtemp(join(tmp, 'h-'));
    expect((await cli(['storage', 'add', 'nas', '--type', 'local', '--path', tmp], { home })).code).toBe(0);
    const named = [
      ['list', '--storage', 'nope'],
      ['storage', 'remove', 'nope'],
      ['rotate', '--storage', 'nope', '--db', 'acme'],
      ['cleanup', '--storage', 'nope'],
      ['schedule', 'add', 'nightly', '--db', 'acme', '--source', 'postgres://odoo@127.0.0.1:1/', '--to', 'nope', '--every', 'daily'],
    ];
    for (const args of named) {
      const r = await cli(args, { home });
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err, args.join(' ')).toBe('error: There is no storage named "nope".\nhint: Configured storages: nas.\n');
    }
    for (const args of [['schedule', 'remove', 'nope'], ['schedule', 'run', 'nope']]) {
      const r = await cli(args, { home });
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err, args.join(' ')).toMatch(/^error: No scheduled job named "nope"\.\n/);
    }
  });
});

describe('--json verdicts', () => {
  it.skipIf(!fixtureDirWith('acme_small_zip.zip'))('verify --json prints {ok: false, error} on stdout for a backup too damaged to read (exit 1), as it prints a report for one with problems', async () => {
    const zip = await readFile(join(fixtureDirWith('acme_small_zip.zip')!, 'acme_small_zip.zip'));
    const cut = join(tmp, 'cut.zip');
    await writeFile(cut, zip.subarray(0, Math.floor(zip.length / 2)));
    const r = await cli(['verify', cut, '--json']);
    expect(r.code).toBe(1);
    const verdict = JSON.parse(r.out) as { ok: boolean; source: string; error: { kind: string; message: string } };
    expect(verdict).toMatchObject({ ok: false, source: cut, error: { kind: 'Integrity' } });
    expect(r.err).toContain(`error: ${verdict.error.message}`);
  });
});

describe('cleanup', () => {
  it('with --storage alone searches only the storages, not a PostgreSQL server for restore leftovers', async () => {
    const store = await mkdtemp(join(tmp, 'store-'));
    const home = await mkdtemp(join(tmp, 'h-'));
    expect((await cli(['storage', 'add', 'nas', '--type', 'local', '--path', store], { home })).code).toBe(0);
    const r = await cli(['cleanup', '--storage', 'nas'], { home });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toBe('no temporary files of interrupted backups on nas\n');
  });

  it('--target takes what restore --target takes: a URL, embedded, local-odoo or odoo:NAME', async () => {
    const bad = await cli(['cleanup', '--target', 'mysql://x']);
    expect(bad.code).toBe(2);
    expect(bad.err).toBe('error: --target must be a postgres:// URL, "embedded", "local-odoo" or odoo:NAME (got "mysql://x").\nhint: For example postgres://odoo@localhost:5432/postgres, --target embedded for the private PostgreSQL, or --target odoo:prod for an Odoo instance.\n');
    const home = await mkdtemp(join(tmp, 'h-'));
    // No Odoo on this machine (an odoo.conf that is not there): said, and the storages are still searched.
    const none = await cli(['cleanup', '--target', 'local-odoo', '--data-dir', join(tmp, 'no-data')], { home, env: { ODOO_RC: join(tmp, 'no-such-odoo.conf') } });
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/^could not look for leftovers of interrupted restores: /);
    // --odoo-conf names that Odoo's configuration (as for restore), and goes with no other target.
    const conf = join(tmp, 'missing', 'odoo.conf');
    const missing = await cli(['cleanup', '--odoo-conf', conf], { home });
    expect(missing.code).toBe(1);
    expect(missing.err).toContain(`could not look for leftovers of interrupted restores: The Odoo configuration file ${conf} was not found.`);
    const both = await cli(['cleanup', '--odoo-conf', conf, '--target', 'embedded'], { home });
    expect(both.code).toBe(2);
    expect(both.err).toMatch(/^error: --odoo-conf goes with the Odoo on this machine as the target/);
  });
});

describe('Ctrl-C', () => {
  it('pressed before the job has started cancels it: the download leaves no file and exits 130', async () => {
    const store = await mkdtemp(join(tmp, 'store-'));
    await writeFile(join(store, 'acme_2024-05-01_10-00-00.dump'), randomBytes(4 * 1024 * 1024));
    const home = await mkdtemp(join(tmp, 'h-'));
    expect((await cli(['storage', 'add', 'nas', '--type', 'local', '--path', store], { home })).code).toBe(0);
    const out = join(tmp, 'early-ctrl-c.dump');
    const interrupt = new AbortController();
    interrupt.abort();
    const r = await cli(['download', 'nas:acme_2024-05-01_10-00-00.dump', '--out', out], { home, interrupt: interrupt.signal });
    expect(r.code).toBe(130);
    expect(r.err).toMatch(/^cancelled$/m);
    expect(existsSync(out)).toBe(false);
    expect(await readdir(tmp).then((names) => names.filter((n) => n.startsWith('early-ctrl-c')))).toEqual([]);
  });

  it('stops cleanup\'s walk of the storages (exit 130), reporting no search as done and removing nothing', async () => {
    const store = await mkdtemp(join(tmp, 'store-'));
    const temp = join(store, '.acme.zip.backup-desk-tmp-0b0e4f3a-6d3c-4a55-9f0e-2f6c1b8f7e11');
    await writeFile(temp, 'half');
    const home = await mkdtemp(join(tmp, 'h-'));
    expect((await cli(['storage', 'add', 'nas', '--type', 'local', '--path', store], { home })).code).toBe(0);
    const interrupt = new AbortController();
    interrupt.abort();
    const r = await cli(['cleanup', '--storage', 'nas', '--older-than', '0', '--yes'], { home, interrupt: interrupt.signal });
    expect(r).toMatchObject({ code: 130, out: '' });
    expect(r.err).toMatch(/^cancelled$/m);
    expect(r.err).not.toMatch(/could not look/);
    expect(existsSync(temp)).toBe(true);
  });

  it('pressed after a job could still stop: its result stands, and the CLI says so instead of "cancelled"', async () => {
    const desk = await Desk.open({ home: await mkdtemp(join(tmp, 'h-')), secrets: new MemorySecretStore() });
    const stderr = new PassThrough();
    let err = '';
    stderr.on('data', (d: Buffer) => (err += d.toString()));
    const ctx = new CliContext({ stdin: Readable.from(['']), stdout: new PassThrough(), stderr, env: {} });
    let release!: () => void;
    const past = new Promise<void>((r) => (release = r));
    // A job past its point of no return (a restore after its swap): it finishes whatever happens.
    const h = desk.jobs.start('restore', 'Restore', async () => {
      await past;
      return 'restored';
    });
    const running = ctx.runJob(desk, { jobId: h.id, result: h.result });
    ctx.interrupt.abort();
    release();
    expect(await running).toBe('restored');
    expect(ctx.interruptTooLate).toBe(true);
    expect(err).toContain('Ctrl-C came too late to cancel: the work had already been done, and it stands.');
    await desk.close();
  });
});
