/**
 * `backup-desk backup --cold` as a user runs it (the built CLI) with real stop/start commands
 * (shell commands that leave marker lines in a log): stop runs before the dump, start after the
 * archive is committed; start runs also when the backup fails or is interrupted, and when stop
 * itself fails; `--clean-sessions` removes stale session files from DATA_DIR/sessions while Odoo
 * is down and keeps fresh ones.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli, startCli, waitFor } from '../../helpers/cli-process';
import { createOdooShapedDb } from '../../helpers/odoo-shaped-db';
import { startPgCluster, type PgCluster } from '../../helpers/pg-cluster';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '../../..');
const DAY = 24 * 3600 * 1000;

describe('backup-desk backup --cold (built CLI, real commands)', () => {
  let cluster: PgCluster;
  let tmp: string;
  let home: string;
  let store: string;
  let dataDir: string;
  let log: string;

  /** The log's lines: what the stop and start commands saw when they ran. */
  const logLines = async (): Promise<string[]> => (existsSync(log) ? (await readFile(log, 'utf8')).trim().split('\n') : []);
  // stop: how many archives the storage holds; start: the same, and how many session files remain
  const stopCmd = (): string => `echo "stop archives=$(ls ${store} | grep -c zip)" >> ${log}`;
  const startCmd = (): string => `echo "start archives=$(ls ${store} | grep -c zip) sessions=$(find ${join(dataDir, 'sessions')} -type f | wc -l)" >> ${log}`;
  const coldArgs = (db: string, ...extra: string[]): string[] => [
    'backup', '--db', db, '--source', cluster.url, '--data-dir', dataDir, '--to', 'nas',
    '--cold', '--stop-command', stopCmd(), '--start-command', startCmd(), ...extra,
  ];

  beforeAll(async () => {
    await run(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--quiet', '--if-stale'], { cwd: ROOT });
    cluster = await startPgCluster();
    tmp = await mkdtemp(join(tmpdir(), 'bd-cli-cold-'));
    home = join(tmp, 'home');
    store = join(tmp, 'store');
    dataDir = join(tmp, 'data');
    log = join(tmp, 'commands.log');
    await mkdir(store, { recursive: true });
    // ~25 MB of filestore: time enough to interrupt it half-way
    await createOdooShapedDb(cluster.url, 'shop', { partners: 2000, blobs: 0, blobBytes: 0, files: 50, fileBytes: 500_000 }, join(dataDir, 'filestore', 'shop'));
    const add = await runCli(home, ['storage', 'add', 'nas', '--type', 'local', '--path', store]);
    if (add.code !== 0) throw new Error(add.stderr);
  }, 300_000);
  afterAll(async () => {
    await cluster?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await rm(log, { force: true });
    // Backups are named to the second: each test starts in a second of its own, after the last one's backup.
    await new Promise((r) => setTimeout(r, 1010 - (Date.now() % 1000)));
  });

  it('stops Odoo before the dump and starts it after the archive is written; --clean-sessions removes only stale sessions', async () => {
    const sessions = join(dataDir, 'sessions');
    await mkdir(join(sessions, 'ab'), { recursive: true });
    await mkdir(join(sessions, 'cd'), { recursive: true });
    await writeFile(join(sessions, 'ab', 'stale-session'), 'old');
    await writeFile(join(sessions, 'cd', 'fresh-session'), 'new');
    const old = new Date(Date.now() - 8 * DAY);
    await utimes(join(sessions, 'ab', 'stale-session'), old, old);

    const r = await runCli(home, coldArgs('shop', '--clean-sessions', '--json'));
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ destinations: [expect.objectContaining({ ok: true })] });
    // stop saw no archive yet; start saw it committed, and the stale session already gone
    expect(await logLines()).toEqual(['stop archives=0', 'start archives=1 sessions=1']);
    expect(await readdir(join(sessions, 'ab'))).toEqual([]);
    expect(await readdir(join(sessions, 'cd'))).toEqual(['fresh-session']);
  }, 120_000);

  it('starts Odoo again after a failed backup, and exits non-zero', async () => {
    const before = (await readdir(store)).length;
    // A data dir without the filestore the attachments point to: found once the snapshot is open, after the stop.
    const args = coldArgs('shop').map((a) => (a === dataDir ? join(tmp, 'no-data-dir') : a));
    const r = await runCli(home, args);
    expect(r.code).not.toBe(0);
    expect(r.stderr, r.stderr).toMatch(/There is no filestore folder/);
    expect(await logLines()).toEqual(['stop archives=1', 'start archives=1 sessions=1']);
    expect((await readdir(store)).length).toBe(before);
    const hist = JSON.parse((await runCli(home, ['history', '--json'])).stdout) as Array<{ kind: string; db: string; outcome: string }>;
    expect(hist[0]).toMatchObject({ kind: 'backup', db: 'shop', outcome: 'failed' });
  }, 120_000);

  it('does not stop Odoo for a database that does not exist', async () => {
    const r = await runCli(home, coldArgs('no_such_db'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no_such_db/);
    expect(await logLines()).toEqual([]);
  }, 120_000);

  it('starts Odoo again when the backup is interrupted half-way (Ctrl-C)', async () => {
    const p = startCli(home, coldArgs('shop'));
    await waitFor(() => /Dumping, archiving and uploading/.test(p.stderr()), 60_000);
    p.child.kill('SIGINT');
    const r = await p.done;
    expect(r.code).toBe(130);
    expect(await logLines()).toEqual(['stop archives=1', 'start archives=1 sessions=1']);
  }, 120_000);

  it('runs start also when stop fails, and makes no backup', async () => {
    const before = (await readdir(store)).sort();
    const r = await runCli(home, ['backup', '--db', 'shop', '--source', cluster.url, '--data-dir', dataDir, '--to', 'nas', '--cold', '--stop-command', `echo "stop failed" >> ${log}; echo odoo.service not loaded >&2; exit 5`, '--start-command', startCmd()]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/stop command failed \(exit 5\): odoo\.service not loaded/);
    expect(await logLines()).toEqual(['stop failed', 'start archives=1 sessions=1']);
    expect((await readdir(store)).sort()).toEqual(before);
  }, 120_000);

  it('keeps a backup made while the start command fails, and warns that Odoo is down', async () => {
    const r = await runCli(home, ['backup', '--db', 'shop', '--source', cluster.url, '--data-dir', dataDir, '--to', 'nas', '--cold', '--stop-command', stopCmd(), '--start-command', `echo "start failed" >> ${log}; exit 1`, '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ destinations: [expect.objectContaining({ ok: true })] });
    expect(r.stderr).toMatch(/warning: Odoo was not started again: The start command failed \(exit 1\)/);
    expect(await logLines()).toEqual(['stop archives=1', 'start failed']);
  }, 120_000);
});
