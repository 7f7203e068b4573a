/**
 * The leak test: the main commands of the built CLI run with known, unique secret values —
 * an S3 secret key, an SFTP password, an OAuth refresh token (and its access tokens), a legacy
 * Dropbox token, a backup passphrase — with the real Secret Service behind them. Afterwards
 * every file in the home folder, the keyring's HOME and the output folder (binary-safe, also
 * base64/URL-encoded forms), every captured stdout/stderr (including failing commands'), and
 * the argv of the CLI and of every process it started are searched: zero hits.
 *
 * Storage kinds that are not registered yet are skipped, and the test says which.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsyncEntry } from '@napi-rs/keyring';
import * as openpgp from 'openpgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, saveConfig } from '../../../shared/core/config';
import { KEYCHAIN_SERVICE } from '../../../shared/core/secrets/keychain';
import { listFactories } from '../../../shared/core/storage/registry';
import { browserFollow, startFakeOAuthServer, type FakeOAuthServer } from '../../helpers/fake-oauth-server';
import { keyringAvailable, startKeyringSession, type KeyringSession } from '../../helpers/keyring-session';
import { manifestFor, writeZip } from '../../helpers/odoo-shaped-db';
import { buildCli, makeArgvShims, readTree, runCli, type BuiltCli, type CliRun } from './cli-runner';

const hasKeyring = await keyringAvailable();
const registered = (kind: string): boolean => listFactories().some((f) => f.kind === kind);

/** A loopback port nobody listens on (connections are refused at once). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

const SHIMMED_TOOLS = ['sh', 'bash', 'node', 'psql', 'pg_restore', 'pg_dump', 'createdb', 'dropdb', 'pg_ctl', 'initdb', 'gpg', 'gpg2', 'ssh', 'sftp', 'scp', 'xdg-open', 'open', 'curl', 'wget', 'unzip', 'zip', 'tar', 'secret-tool'];

describe.skipIf(!hasKeyring)('no secret leaks from the CLI', () => {
  let session: KeyringSession;
  let cli: BuiltCli;
  let oauth: FakeOAuthServer;
  let work: string;
  let home: string;
  let env: NodeJS.ProcessEnv;
  let shimLog: string;
  const runs: Array<{ args: string[]; run: CliRun }> = [];
  const skipped: string[] = [];

  const secrets = {
    s3: `S3secret-${randomUUID()}`,
    s3stdin: `S3stdin-${randomUUID()}`,
    sftp: `SFTPpw-${randomUUID()}`,
    passphrase: `backup-pp-${randomUUID()}`,
    legacyDropbox: `sl.legacy-${randomUUID()}`,
  };

  const cliRun = async (args: string[], extra: { env?: NodeJS.ProcessEnv; stdin?: string; onStderr?: (t: string) => void } = {}): Promise<CliRun> => {
    const t0 = Date.now();
    const run = await runCli(cli, ['--home', home, ...args], { env: { ...env, ...(extra.env ?? {}) }, ...(extra.stdin !== undefined ? { stdin: extra.stdin } : {}), ...(extra.onStderr ? { onStderr: extra.onStderr } : {}) });
    runs.push({ args, run });
    if (process.env.LEAK_TEST_DEBUG) console.log(`[${Date.now() - t0} ms] exit ${run.code}: ${args.join(' ')}\n${run.stdout}${run.stderr}---`);
    return run;
  };

  beforeAll(async () => {
    [session, cli, oauth] = await Promise.all([startKeyringSession({ applyToProcess: true }), buildCli(), startFakeOAuthServer({ clientIds: ['dbx-app-key'] })]);
    work = await mkdtemp(join(tmpdir(), 'bd-leak-'));
    home = join(work, 'home');
    // Tools the CLI might start are wrapped so their argv is logged even if they live only briefly.
    shimLog = join(work, 'shim-argv.log');
    await writeFile(shimLog, '');
    const shims = join(work, 'shims');
    await makeArgvShims(shims, shimLog, SHIMMED_TOOLS);
    // Secrets are handed over only through these variables (and stdin), as a user would.
    env = {
      ...process.env,
      ...session.env,
      PATH: `${shims}:${process.env.PATH ?? ''}`,
      HTTPS_PROXY: 'http://127.0.0.1:9',
      HTTP_PROXY: 'http://127.0.0.1:9',
      NO_PROXY: '127.0.0.1,localhost',
      LEAK_S3: secrets.s3,
      LEAK_SFTP: secrets.sftp,
      LEAK_PP: secrets.passphrase,
      LEAK_DBX: secrets.legacyDropbox,
    };
    delete env.BACKUP_DESK_HOME;
    delete env.BACKUP_DESK_VAULT_PASSPHRASE_FILE;
  });
  afterAll(async () => {
    await oauth?.close();
    await cli?.dispose();
    await session?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('runs the main commands with real secrets', { timeout: 480_000 }, async () => {
    // A local folder with an odoo_backup_sh-style encrypted backup (armored OpenPGP, symmetric).
    const files = join(work, 'backups');
    await mkdir(files, { recursive: true });
    const zip = join(work, 'plain.zip');
    await writeZip(zip, [
      { name: 'dump.sql', data: Buffer.from('-- PostgreSQL database dump\nSELECT 1;\n') },
      { name: 'manifest.json', data: Buffer.from(manifestFor('acme')) },
    ]);
    const { readFile } = await import('node:fs/promises');
    const message = await openpgp.createMessage({ binary: await readFile(zip) });
    const armored = await openpgp.encrypt({ message, passwords: [secrets.passphrase], format: 'armored' });
    const backupName = 'acme.2024-01-02_03-04-05.zip.enc';
    await writeFile(join(files, backupName), armored as string);
    await rm(zip);

    expect((await cliRun(['storage', 'add', 'files', '--type', 'local', '--path', files])).code).toBe(0);

    // S3: the secret from an env var and (second storage) from stdin; a refused endpoint.
    if (registered('s3')) {
      const endpoint = `http://127.0.0.1:${await closedPort()}`;
      const base = ['--type', 's3', '--endpoint', endpoint, '--bucket', 'leak-bucket', '--region', 'us-east-1', '--access-key-id', 'AKIALEAKTEST', '--force-path-style'];
      expect((await cliRun(['storage', 'add', 's3env', ...base, '--secret-env', 'LEAK_S3'])).code).toBe(0);
      expect((await cliRun(['storage', 'add', 's3stdin', ...base, '--secret-stdin'], { stdin: `${secrets.s3stdin}\n` })).code).toBe(0);
      const cfg = await loadConfig(home);
      const scopeOf = (n: string): string => cfg.storages.find((s) => s.name === n)?.secretScope as string;
      // The secrets really are in the Secret Service.
      expect(await new AsyncEntry(KEYCHAIN_SERVICE, `${scopeOf('s3env')}/secretAccessKey`).getPassword()).toBe(secrets.s3);
      expect(await new AsyncEntry(KEYCHAIN_SERVICE, `${scopeOf('s3stdin')}/secretAccessKey`).getPassword()).toBe(secrets.s3stdin);
      // A failing add (invalid bucket) after the secret was read.
      expect((await cliRun(['storage', 'add', 's3bad', ...base.map((a) => (a === 'leak-bucket' ? 'Not A Bucket!' : a)), '--secret-env', 'LEAK_S3'])).code).not.toBe(0);
      await cliRun(['storage', 'test', 's3env']);
    } else skipped.push('s3 (not registered)');

    if (registered('sftp')) {
      const factory = listFactories().find((f) => f.kind === 'sftp');
      const flags: string[] = [];
      const port = await closedPort();
      const values: Record<string, string> = { host: '127.0.0.1', port: String(port), username: 'leaktest', user: 'leaktest', path: '/backups', root: '/backups' };
      for (const f of factory?.fields ?? []) {
        if (f.secret || !f.required) continue;
        const v = values[f.name] ?? (f.options?.[0] as string | undefined) ?? 'x';
        flags.push(`--${f.name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, v);
      }
      if (factory?.fields.some((f) => f.name === 'port') && !flags.includes('--port')) flags.push('--port', String(port));
      const pwField = factory?.fields.find((f) => f.secret && /pass/i.test(f.name))?.name ?? 'password';
      const add = await cliRun(['storage', 'add', 'sftp1', '--type', 'sftp', ...flags, '--secret-env', `${pwField}=LEAK_SFTP`]);
      if (add.code === 0) await cliRun(['storage', 'test', 'sftp1']);
      else skipped.push(`sftp (storage add failed: ${add.stderr.trim().split('\n')[0]})`);
    } else skipped.push('sftp (not registered)');

    // OAuth: a Dropbox storage signs in through the browser flow (the test plays the browser).
    const cfg = await loadConfig(home);
    const dbxId = randomUUID();
    const legacyId = randomUUID();
    await saveConfig(home, {
      ...cfg,
      storages: [
        ...cfg.storages,
        { id: dbxId, name: 'dbx', kind: 'dropbox', secretScope: `storage:${dbxId}`, settings: { clientId: 'dbx-app-key', authUrl: oauth.authUrl, tokenUrl: oauth.tokenUrl, folderPath: '/Backups', appType: 'full_dropbox' } },
        { id: legacyId, name: 'legacy', kind: 'dropbox', secretScope: `storage:${legacyId}`, settings: { folderPath: '/ProductionBackups' } },
      ],
    });
    let buf = '';
    let followed = false;
    const connect = await cliRun(['storage', 'connect', 'dbx', '--timeout', '60'], {
      onStderr: (t) => {
        buf += t;
        const m = /(http:\/\/127\.0\.0\.1:\d+\/authorize\?\S+)/.exec(buf);
        if (m && !followed) {
          followed = true;
          void browserFollow(m[1] as string);
        }
      },
    });
    expect(connect.code).toBe(0);
    expect(await new AsyncEntry(KEYCHAIN_SERVICE, `storage:${dbxId}/refreshToken`).getPassword()).toBe(oauth.issuedRefreshTokens.at(-1));
    expect((await cliRun(['storage', 'connect', 'legacy', '--dropbox-token-env', 'LEAK_DBX'])).code).toBe(0);
    expect(await new AsyncEntry(KEYCHAIN_SERVICE, `storage:${legacyId}/accessToken`).getPassword()).toBe(secrets.legacyDropbox);
    // A working legacy token would make `list` call api.dropboxapi.com (not loopback): remove it
    // again, which also shows `storage remove` deleting its keychain entry.
    expect((await cliRun(['storage', 'remove', 'legacy'])).code).toBe(0);
    if (registered('dropbox')) expect(await new AsyncEntry(KEYCHAIN_SERVICE, `storage:${legacyId}/accessToken`).getPassword()).toBeNull();
    // Revoked before the listing: the refresh fails with invalid_grant (and no request leaves loopback).
    oauth.revoke();

    const ref = `files:${backupName}`;
    const out = join(work, 'out');
    await mkdir(out);
    const closed = await closedPort();
    // Independent commands, a few at a time (they wait on I/O and back-off more than on CPU).
    const batches: Array<Array<[string[], { env?: NodeJS.ProcessEnv }?]>> = [
      [[['storage', 'list']], [['storage', 'list', '--json']], [['list']], [['list', '--json', '--all']]],
      [[['storage', 'test', 'files']], [['secrets', 'status']], [['inspect', ref, '--passphrase-env', 'LEAK_PP']], [['inspect', ref, '--json', '--passphrase-env', 'LEAK_PP']]],
      [
        [['download', ref, '--decrypt', '--passphrase-env', 'LEAK_PP', '--out', join(out, 'acme.zip')]],
        // A wrong passphrase (error output path): the real one must still not appear anywhere.
        [['download', ref, '--decrypt', '--passphrase-env', 'WRONG_PP', '--out', join(out, 'wrong.zip')], { env: { WRONG_PP: 'not-the-passphrase' } }],
        [['restore', ref, '--db', 'leakdb', '--target', `postgres://leak@127.0.0.1:${closed}/postgres`, '--passphrase-env', 'LEAK_PP']],
      ],
    ];
    for (const batch of batches) {
      const results = await Promise.all(batch.map(([args, o]) => cliRun(args, o ?? {})));
      for (const [i, r] of results.entries()) {
        const args = (batch[i] as [string[]])[0];
        if (args[0] === 'download' && args.includes('LEAK_PP')) expect(r.code, r.stderr).toBe(0);
        if (args[0] === 'inspect') expect(r.code, r.stderr).toBe(0);
      }
    }

    if (registered('s3')) {
      const scope = (await loadConfig(home)).storages.find((s) => s.name === 's3env')?.secretScope as string;
      expect((await cliRun(['storage', 'remove', 's3env'])).code).toBe(0);
      expect(await new AsyncEntry(KEYCHAIN_SERVICE, `${scope}/secretAccessKey`).getPassword()).toBeNull();
    }
    if (registered('dropbox')) {
      expect((await cliRun(['storage', 'remove', 'dbx'])).code).toBe(0);
      expect(await new AsyncEntry(KEYCHAIN_SERVICE, `storage:${dbxId}/refreshToken`).getPassword()).toBeNull();
    } else skipped.push('dropbox (not registered: storage remove of an OAuth storage not checked)');
    if (skipped.length) console.warn(`leak test skipped: ${skipped.join('; ')}`);
  });

  it('finds no secret in files, output or any argv', async () => {
    expect(runs.length).toBeGreaterThan(10);
    const values = [...Object.values(secrets), ...oauth.issuedRefreshTokens, ...oauth.issuedAccessTokens];
    expect(oauth.issuedRefreshTokens.length).toBeGreaterThan(0);
    const needles: Array<{ label: string; bytes: Buffer }> = [];
    for (const v of values) {
      needles.push({ label: v, bytes: Buffer.from(v) });
      needles.push({ label: `base64(${v})`, bytes: Buffer.from(Buffer.from(v).toString('base64').replace(/=+$/, '')) });
      if (encodeURIComponent(v) !== v) needles.push({ label: `urlenc(${v})`, bytes: Buffer.from(encodeURIComponent(v)) });
    }
    const hits: string[] = [];
    const files = [...(await readTree(work)), ...(await readTree(session.home))];
    expect(files.some(([p]) => p.endsWith('config.json'))).toBe(true);
    for (const [path, bytes] of files) {
      for (const n of needles) {
        if (bytes.includes(n.bytes)) hits.push(`file ${path}: ${n.label}`);
        if (path.includes(n.bytes.toString())) hits.push(`file name ${path}: ${n.label}`);
      }
    }
    let argvCount = 0;
    for (const { args, run } of runs) {
      for (const n of needles) {
        if (run.stdout.includes(n.bytes.toString())) hits.push(`stdout of ${args.join(' ')}: ${n.label}`);
        if (run.stderr.includes(n.bytes.toString())) hits.push(`stderr of ${args.join(' ')}: ${n.label}`);
        for (const a of run.argvs) if (a.includes(n.bytes.toString())) hits.push(`argv "${a}": ${n.label}`);
      }
      argvCount += run.argvs.length;
    }
    expect(argvCount).toBeGreaterThanOrEqual(runs.length);
    const { readFile } = await import('node:fs/promises');
    const shimmed = await readFile(shimLog, 'utf8');
    for (const n of needles) if (shimmed.includes(n.bytes.toString())) hits.push(`argv of a started tool (PATH shim): ${n.label}`);
    expect(hits).toEqual([]);
  });
});
