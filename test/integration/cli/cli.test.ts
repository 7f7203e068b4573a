/**
 * The built `backup-desk` CLI, run as a user runs it: `node bin/backup-desk.js --home <tmp> …`.
 */
import { execFile, spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { psql, startPgCluster, type PgCluster } from '../../helpers/pg-cluster';
import { fixtureDirWith } from '../../helpers/fixtures';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '../../..');
const BIN = join(ROOT, 'bin', 'backup-desk.js');
const FIXTURES = fixtureDirWith('acme_small_zip.zip');

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

const BUILT = join(ROOT, 'dist', 'cli', 'main.js');

/**
 * Other test files may run scripts/build.mjs at the same time, which empties dist/ for a
 * moment: wait for the CLI to be there again (or build it) before spawning it.
 */
async function ensureBuilt(): Promise<void> {
  for (let i = 0; i < 300 && !existsSync(BUILT); i++) await new Promise((r) => setTimeout(r, 200));
  if (!existsSync(BUILT)) await run(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--quiet', '--if-stale'], { cwd: ROOT });
}

async function cli(home: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<Result> {
  for (let attempt = 0; ; attempt++) {
    await ensureBuilt();
    const r = await cliOnce(home, args, opts);
    if (attempt < 3 && r.code === 1 && r.stderr.includes('is not built yet')) continue;
    return r;
  }
}

function cliOnce(home: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string }): Promise<Result> {
  return new Promise((res, rej) => {
    const p = spawn(process.execPath, [BIN, '--home', home, ...args], { cwd: ROOT, env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', rej);
    p.on('close', (code) => res({ code, stdout, stderr }));
    p.stdin.end(opts.input ?? '');
  });
}

let tmp: string;
let home: string;
let data: string;

beforeAll(async () => {
  await run(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--quiet', '--if-stale'], { cwd: ROOT });
  tmp = await mkdtemp(join(tmpdir(), 'bd-cli-'));
  home = join(tmp, 'home');
  data = join(tmp, 'data');
  await mkdir(join(data, 'prod'), { recursive: true });
  await writeFile(join(data, 'my.shop.2021-03-04_05-06-07.zip'), 'PK\x03\x04 not really');
  await writeFile(join(data, 'my.shop.2021-03-04_05-06-07.info'), '[common]\ndatabase = my.shop\nencrypted = False\n');
  await writeFile(join(data, 'lost.2020-01-01_00-00-00.info'), '[common]\n');
  await writeFile(join(data, 'prod', '2023_05_06_07_08_09.dump.zip'), 'PK\x03\x04');
  await writeFile(join(data, 'notes.txt'), 'hello');
  if (FIXTURES) {
    await symlink(join(FIXTURES, 'acme_small_zip.zip'), join(data, 'acme_small_2024-05-01_10-00-00.zip'));
    await copyFile(join(FIXTURES, 'acme_small_zip.zip'), join(data, 'cut_2024-05-02_10-00-00.zip'));
    await truncate(join(data, 'cut_2024-05-02_10-00-00.zip'), 1_000_000);
  }
  const add = await cli(home, ['storage', 'add', 'nas', '--type', 'local', '--path', data]);
  if (add.code !== 0) throw new Error(`storage add failed: ${add.stderr}`);
  expect(add.stdout).toMatch(/added storage nas \(local: folder /);
}, 180_000);

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('backup-desk storage', () => {
  it('adds, lists and removes a local storage; config holds no surprises', async () => {
    const again = await cli(home, ['storage', 'add', 'nas', '--type', 'local', '--path', data]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^error: A storage named "nas" already exists\.\nhint: /m);
    const missing = await cli(home, ['storage', 'add', 'gone', '--type', 'local', '--path', join(tmp, 'nope')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/does not exist/);
    const list = await cli(home, ['storage', 'list', '--json']);
    expect(JSON.parse(list.stdout)).toEqual([{ name: 'nas', kind: 'local', description: `folder ${data}`, settings: { path: data } }]);
    const cfg = JSON.parse(await readFile(join(home, 'config.json'), 'utf8')) as { storages: { secretScope: string }[] };
    expect(cfg.storages[0]!.secretScope).toMatch(/^storage:[0-9a-f-]{36}$/);
    await cli(home, ['storage', 'add', 'tmp2', '--type', 'local', '--path', tmp]);
    expect((await cli(home, ['storage', 'remove', 'tmp2'])).code).toBe(0);
    expect((await cli(home, ['storage', 'remove', 'tmp2'])).code).toBe(1);
    expect(JSON.parse((await cli(home, ['storage', 'list', '--json'])).stdout).map((s: { name: string }) => s.name)).toEqual(['nas']);
  });

  it('storage test checks list, write, read back and delete, and says what fails', async () => {
    const ok = await cli(home, ['storage', 'test', 'nas']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/ok\s+write\s+wrote \.backup-desk-probe-/);
    expect(ok.stdout).toMatch(/ok\s+delete/);
    expect((await readdir(data)).some((n) => n.includes('probe'))).toBe(false);
    const ro = join(tmp, 'ro');
    await mkdir(ro);
    const h2 = join(tmp, 'home-ro');
    await cli(h2, ['storage', 'add', 'ro', '--type', 'local', '--path', ro]);
    await rm(ro, { recursive: true });
    const bad = await cli(h2, ['storage', 'test', 'ro']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/FAIL\s+list\s+The storage folder .* does not exist/);
    // A storage that is not configured is one NotFound, in the CLI's words, not a row of failed checks.
    const unknown = await cli(h2, ['storage', 'test', 't2']);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toMatch(/^error: There is no storage named "t2"\.\nhint: Configured storages: ro\.\n$/);
  });

  it('usage errors exit 2', async () => {
    expect((await cli(home, ['storage', 'add', 'x'])).code).toBe(2);
    expect((await cli(home, ['storage', 'add', 'x', '--type', 'martian'])).code).toBe(2);
    expect((await cli(home, ['frobnicate'])).code).toBe(2);
    expect((await cli(home, ['list', '--bogus'])).code).toBe(2);
    const noTty = await cli(home, ['storage', 'add', 'x', '--type', 'local', '--path', data, '--secret-env', 'X']);
    expect(noTty.code).toBe(2);
    expect(noTty.stderr).toMatch(/^error: A local storage has no secrets/m);
    const db = await cli(home, ['restore', 'nas:whatever.zip', '--db', '-bad']);
    expect(db.code).toBe(2);
    const help = await cli(home, ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/storage/);
    expect(help.stdout).toMatch(/download/);
  });
});

const HAS_SCRIPT = existsSync('/usr/bin/script');

describe.skipIf(!HAS_SCRIPT)('storage add on a terminal', () => {
  it('asks for the secret without echoing it and keeps it out of config.json (vault home)', async () => {
    const h = join(tmp, 'home-tty');
    const pw = join(tmp, 'vault-pw');
    await writeFile(pw, 'vault passphrase 123\n');
    const env = { BACKUP_DESK_VAULT_PASSPHRASE_FILE: pw };
    const init = await cli(h, ['secrets', 'vault', 'init'], { env });
    expect(init.stderr).not.toMatch(/^error/m);
    expect(init.code).toBe(0);
    // `script` gives the CLI a pseudo-terminal, as a person at a shell would have.
    await ensureBuilt();
    const p = spawn('script', ['-q', '-e', '-c', `${process.execPath} ${BIN} --home ${h} storage add c --type s3 --bucket backups --region eu-west-1 --access-key-id AKID`, '/dev/null'], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let sent = false;
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!sent && out.includes('Secret access key:')) {
        sent = true;
        setTimeout(() => p.stdin.write('typed-secret-value\r'), 200);
      }
    });
    const code = await new Promise<number | null>((res) => p.on('close', res));
    expect(out).toMatch(/added storage c \(s3: /);
    expect(out).not.toContain('typed-secret-value');
    expect(code).toBe(0);
    expect(await readFile(join(h, 'config.json'), 'utf8')).not.toContain('typed-secret-value');
    const list = JSON.parse((await cli(h, ['storage', 'list', '--json'], { env })).stdout) as { status?: string }[];
    expect(list[0]!.status).toBe('ok');
  });
});

describe('backup-desk list', () => {
  it('prints the catalog as JSON, newest first, and strays with --all', async () => {
    const r = await cli(home, ['list', '--json']);
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout) as Record<string, unknown>[];
    for (const b of list) {
      for (const k of ['ref', 'storage', 'key', 'database', 'createdAt', 'format', 'encrypted', 'size', 'convention']) expect(b).toHaveProperty(k);
      expect(String(b.createdAt)).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(b).not.toHaveProperty('stray');
    }
    const shop = list.find((b) => b.key === 'my.shop.2021-03-04_05-06-07.zip');
    expect(shop).toMatchObject({ ref: 'nas:my.shop.2021-03-04_05-06-07.zip', database: 'my.shop', convention: 'odoo-backup-sh', createdAt: '2021-03-04T05:06:07.000Z', companions: ['my.shop.2021-03-04_05-06-07.info'] });
    expect(list.find((b) => b.key === 'prod/2023_05_06_07_08_09.dump.zip')).toMatchObject({ database: 'prod', convention: 'oca-auto-backup', timeIsLocal: true });
    if (FIXTURES) {
      expect(list.find((b) => b.database === 'acme_small')).toMatchObject({ format: 'zip', convention: 'odoo-manager', size: (await stat(join(FIXTURES, 'acme_small_zip.zip'))).size });
    }
    const dates = list.map((b) => String(b.createdAt));
    expect([...dates].sort().reverse()).toEqual(dates);

    const all = JSON.parse((await cli(home, ['list', '--all', '--json'])).stdout) as Record<string, unknown>[];
    const strays = all.filter((x) => 'stray' in x);
    expect(strays.map((s) => [s.ref, s.stray])).toEqual([
      ['nas:lost.2020-01-01_00-00-00.info', 'an odoo_backup_sh .info file without its backup'],
      ['nas:notes.txt', 'not a backup (unknown file type)'],
    ]);
    const db = JSON.parse((await cli(home, ['list', '--db', 'prod', '--json'])).stdout) as unknown[];
    expect(db).toHaveLength(1);
    const human = await cli(home, ['list', '--storage', 'nas']);
    expect(human.stdout).toMatch(/CREATED\s+DATABASE\s+FORMAT\s+SIZE\s+CONVENTION\s+REF/);
    const unknown = await cli(home, ['list', '--storage', 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/There is no storage named "nope"/);
  });
});

describe.skipIf(!FIXTURES)('backup-desk download and restore (ODOO_FIXTURES_DIR)', () => {
  let pg: PgCluster;
  beforeAll(async () => {
    pg = await startPgCluster();
  }, 120_000);
  afterAll(async () => {
    await pg?.stop();
  });

  it('inspects a backup by ref and by path', async () => {
    const r = await cli(home, ['inspect', 'nas:acme_small_2024-05-01_10-00-00.zip', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ format: 'zip', encrypted: false, database: 'acme_small', odooVersion: '16.0', filestoreFiles: 134 });
    const byPath = await cli(home, ['inspect', join(FIXTURES!, 'acme_small_dump.dump')]);
    expect(byPath.code).toBe(0);
    expect(byPath.stdout).toMatch(/^format:\s+dump$/m);
    expect(byPath.stdout).toMatch(/^dump archive:\s+1\.14$/m);
  });

  it('downloads with verification; a truncated backup leaves no file behind', async () => {
    const out = join(tmp, 'dl');
    await mkdir(out);
    const ok = await cli(home, ['download', 'nas:acme_small_2024-05-01_10-00-00.zip', '--out', out]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/verified: size, zip \(\d+ entries\)/);
    expect((await stat(join(out, 'acme_small_2024-05-01_10-00-00.zip'))).size).toBe((await stat(join(FIXTURES!, 'acme_small_zip.zip'))).size);
    const bad = await cli(home, ['download', 'nas:cut_2024-05-02_10-00-00.zip', '--out', join(out, 'cut.zip')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/error: .*not a complete zip archive/);
    expect(await readdir(out)).toEqual(['acme_small_2024-05-01_10-00-00.zip']);
  });

  it('restores acme_small_zip.zip from a local storage into PostgreSQL and the filestore', async () => {
    const dataDir = join(tmp, 'odoo-data');
    const r = await cli(home, ['restore', 'nas:acme_small_2024-05-01_10-00-00.zip', '--db', 'acme_restored', '--target', pg.url, '--data-dir', dataDir]);
    expect(r.stderr).not.toMatch(/^error/m);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/restored database acme_restored/);
    const expected = JSON.parse(await readFile(join(FIXTURES!, 'acme_small_zip.expected.json'), 'utf8')) as { tables: Record<string, number> };
    expect(Number((await psql(pg.urlFor('acme_restored'), 'SELECT count(*) FROM res_partner')).trim())).toBe(expected.tables.res_partner);
    expect((await readdir(join(dataDir, 'filestore', 'acme_restored'))).length).toBeGreaterThan(0);
    const again = await cli(home, ['restore', 'nas:acme_small_2024-05-01_10-00-00.zip', '--db', 'acme_restored', '--target', pg.url, '--data-dir', dataDir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^error: /m);
    // Both restores are in the history: the failed one first (newest), with its error.
    const hist = await cli(home, ['history', '--kind', 'restore', '--db', 'acme_restored', '--json']);
    expect(hist.code).toBe(0);
    const runs = JSON.parse(hist.stdout) as { outcome: string; refs: string[]; bytes: number | null; error: { message: string } | null; startedAt: string; endedAt: string }[];
    expect(runs.map((x) => x.outcome)).toEqual(['failed', 'ok']);
    expect(runs[1]).toMatchObject({ refs: ['nas:acme_small_2024-05-01_10-00-00.zip'], error: null });
    expect(runs[1]!.bytes).toBeGreaterThan(0);
    expect(runs[0]!.error!.message).toMatch(/exists/);
    expect(Date.parse(runs[0]!.endedAt)).toBeGreaterThanOrEqual(Date.parse(runs[0]!.startedAt));
  });
});

describe('Ctrl-C', () => {
  it('cancels a running download, removes the .part file and exits 130', async () => {
    const big = join(tmp, 'big');
    await mkdir(big);
    await writeFile(join(big, 'huge_2024-01-01_00-00-00.dump'), '');
    await truncate(join(big, 'huge_2024-01-01_00-00-00.dump'), 4 * 1024 ** 3); // sparse: no disk used
    const h = join(tmp, 'home-big');
    await cli(h, ['storage', 'add', 'big', '--type', 'local', '--path', big]);
    const out = join(tmp, 'dl-big');
    await mkdir(out);
    await ensureBuilt();
    const p = spawn(process.execPath, [BIN, '--home', h, 'download', 'big:huge_2024-01-01_00-00-00.dump', '--out', out], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const started = new Promise<void>((res) =>
      p.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('Downloading')) res();
      }),
    );
    await started;
    await new Promise((r) => setTimeout(r, 300));
    p.kill('SIGINT');
    const code = await new Promise<number | null>((res) => p.on('close', res));
    expect(code).toBe(130);
    expect(stderr).toMatch(/cancelled/);
    expect(await readdir(out)).toEqual([]);
  });
});
