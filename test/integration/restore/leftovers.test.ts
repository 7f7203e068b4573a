/**
 * Leftovers of hard-killed restores: the restore preflight warns about them, and the built CLI's
 * `backup-desk cleanup` lists them and (with --yes) removes exactly those — temporary databases
 * and folders matching our patterns, never anything else, never one in use.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localFileSource } from '../../../shared/core/archive';
import { silentContext } from '../../../shared/core/jobs/job';
import { findLeftovers, removeLeftovers, restoreBackup } from '../../../shared/core/restore';
import { Desk } from '../../../shared/core/desk';
import { MemorySecretStore } from '../../../shared/core/secrets/secret-store';
import { psql, startPgCluster, type PgCluster } from '../../helpers/pg-cluster';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '../../..');
const BIN = join(ROOT, 'bin', 'backup-desk.js');
const BUILT = join(ROOT, 'dist', 'cli', 'main.js');

let cluster: PgCluster;
let work: string;
let dataDir: string;
let busy: pg.Client;

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res, rej) => {
    const p = spawn(process.execPath, [BIN, '--home', join(work, 'home'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', rej);
    p.on('close', (code) => res({ code, stdout, stderr }));
  });
}

const databases = async (): Promise<string[]> => (await psql(cluster.url, "SELECT datname FROM pg_database WHERE datname NOT IN ('postgres', 'template0', 'template1') ORDER BY 1")).trim().split('\n');

beforeAll(async () => {
  const build = run(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--quiet', '--if-stale'], { cwd: ROOT });
  cluster = await startPgCluster();
  work = await mkdtemp(join(tmpdir(), 'bd-left-'));
  dataDir = join(work, 'data');
  const fs = join(dataDir, 'filestore');
  // Leftovers as a kill -9 leaves them, plus look-alikes that are not ours and must stay.
  await psql(cluster.url, 'CREATE DATABASE bd_tmp_deadbeef_shop; CREATE DATABASE bd_old_0123abcd_shop; CREATE DATABASE shop; CREATE DATABASE bd_tmp_keepme; CREATE DATABASE bd_tmp_cafebabe_busy;');
  busy = new pg.Client({ connectionString: cluster.urlFor('bd_tmp_cafebabe_busy') });
  await busy.connect();
  const hourAgo = new Date(Date.now() - 3600_000);
  for (const d of ['.bd-tmp-deadbeef-shop/ab', '.bd-old-0123abcd-shop', 'shop/ab', '.bd-tmp-notes', '.bd-tmp-cafebabe-busy']) await mkdir(join(fs, d), { recursive: true });
  await writeFile(join(fs, '.bd-tmp-deadbeef-shop', 'ab', 'abcdef'), 'x');
  await writeFile(join(fs, 'shop', 'ab', 'abcdef'), 'x');
  for (const d of ['.bd-tmp-deadbeef-shop', '.bd-old-0123abcd-shop', 'shop', '.bd-tmp-notes', '.bd-tmp-cafebabe-busy']) await utimes(join(fs, d), hourAgo, hourAgo);
  await build;
}, 120_000);

afterAll(async () => {
  await busy?.end().catch(() => undefined);
  await cluster?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('leftovers of interrupted restores', () => {
  it('the restore preflight warns about old, unused leftovers (a fresh temp database may be a running restore: not named)', async () => {
    const sql = join(work, 'tiny.sql');
    await writeFile(sql, '-- Dumped from database version 15.4\nCREATE TABLE t (a int);\nINSERT INTO t VALUES (1);\n');
    const r = await restoreBackup(
      { source: await localFileSource(sql), db: 'restored', pgUrl: cluster.url, dataDir, mode: 'move', neutralize: false, replace: false, filestore: false },
      silentContext(),
    );
    const w = r.warnings.find((x) => x.startsWith('Leftovers of an interrupted restore'));
    expect(w).toBeDefined();
    expect(w).toContain('.bd-tmp-deadbeef-shop');
    expect(w).toContain('.bd-old-0123abcd-shop');
    // How to remove them is each face's to say (the CLI's cleanup command, the app's Settings).
    expect(r.leftoversFound).toBe(true);
    expect(w).not.toContain('backup-desk');
    expect(w).not.toContain('bd_tmp_deadbeef_shop');
    expect(w).not.toContain('busy');
    expect(w).not.toContain('notes');
    // The CLI says how to remove them there: cleanup with this restore's own --target and --data-dir.
    for (let i = 0; i < 300 && !existsSync(BUILT); i++) await new Promise((res) => setTimeout(res, 200));
    const viaCli = await cli(['restore', sql, '--db', 'restored_cli', '--target', cluster.url, '--data-dir', dataDir, '--no-filestore']);
    expect(viaCli.code).toBe(0);
    expect(viaCli.stderr).toMatch(/^warning: Leftovers of an interrupted restore found: .*\.bd-tmp-deadbeef-shop.* They are not in use and only take space\.$/m);
    expect(viaCli.stderr).toContain(`hint: \`backup-desk cleanup --target ${cluster.url} --data-dir ${dataDir}\` lists the leftovers; with --yes it removes them.`);
    await psql(cluster.url, 'DROP DATABASE restored_cli');
  }, 60_000);

  it('backup-desk cleanup lists, then with --yes removes only our unused temp databases and folders', async () => {
    for (let i = 0; i < 300 && !existsSync(BUILT); i++) await new Promise((r) => setTimeout(r, 200));
    const target = cluster.url;
    const byDefault = await cli(['cleanup', '--target', target, '--data-dir', dataDir]);
    expect(byDefault.code).toBe(0);
    expect(byDefault.stdout).toContain('.bd-tmp-deadbeef-shop');
    expect(byDefault.stdout).not.toContain('bd_tmp_deadbeef_shop'); // younger than 10 minutes
    expect(byDefault.stderr).toMatch(/^2 leftovers younger than 10 min not shown: they may belong to a restore still running \(--older-than 0 includes them\)\.$/m);

    const listed = await cli(['cleanup', '--target', target, '--data-dir', dataDir, '--older-than', '0']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/would remove 4 leftover/);
    for (const n of ['bd_tmp_deadbeef_shop', 'bd_old_0123abcd_shop', '.bd-tmp-deadbeef-shop', '.bd-old-0123abcd-shop']) expect(listed.stdout).toContain(n);
    for (const n of ['keepme', 'busy', 'notes', 'database shop']) expect(listed.stdout).not.toContain(n);
    expect(await databases()).toContain('bd_tmp_deadbeef_shop'); // listing removes nothing

    const removed = await cli(['cleanup', '--target', target, '--data-dir', dataDir, '--older-than', '0', '--yes']);
    expect(removed.stderr).toBe('');
    expect(removed.code).toBe(0);
    expect(removed.stdout.match(/^removed /gm)).toHaveLength(4);
    expect(await databases()).toEqual(['bd_tmp_cafebabe_busy', 'bd_tmp_keepme', 'restored', 'shop']);
    expect((await readdir(join(dataDir, 'filestore'))).sort()).toEqual(['.bd-tmp-cafebabe-busy', '.bd-tmp-notes', 'shop']);
    expect(await readdir(join(dataDir, 'filestore', 'shop', 'ab'))).toEqual(['abcdef']);

    const again = await cli(['cleanup', '--target', target, '--data-dir', dataDir, '--older-than', '0']);
    expect(again.stdout).toContain('no leftovers');
  }, 60_000);

  it('the Desk\'s cleanup:find and cleanup:remove jobs (the app\'s Clean up) remove only what a search finds again', async () => {
    await psql(cluster.url, 'CREATE DATABASE bd_tmp_feedface_desk');
    const hourAgo = new Date(Date.now() - 3600_000);
    const folder = join(dataDir, 'filestore', '.bd-tmp-feedface-desk');
    await mkdir(folder, { recursive: true });
    await utimes(folder, hourAgo, hourAgo);
    const store = join(work, 'store');
    await mkdir(join(store, 'acme'), { recursive: true });
    const temp = join(store, 'acme', '.acme_2026-12-01.zip.backup-desk-tmp-0b0e4f3a-6d3c-4a55-9f0e-2f6c1b8f7e11');
    await writeFile(temp, 'half a backup');
    await utimes(temp, hourAgo, hourAgo);
    await writeFile(join(store, 'acme', 'acme_2026-11-30.zip'), 'a complete backup');
    const desk = await Desk.open({ home: join(work, 'desk-home'), secrets: new MemorySecretStore() });
    try {
      await desk['storages:add']({ name: 'nas', kind: 'local', settings: { path: store }, secrets: {} });
      const target = { type: 'postgres' as const, url: cluster.url, dataDir };
      const byDefault = await desk.cleanup.startFind({ target }).result;
      // The database was made a moment ago: it may be a restore still running.
      expect(byDefault.restores.leftovers.map((l) => l.name)).not.toContain('bd_tmp_feedface_desk');
      expect(byDefault.restores.young).toBeGreaterThanOrEqual(1);
      expect(byDefault.restores.leftovers.map((l) => l.name)).toContain(folder);
      expect(byDefault.backups).toMatchObject({ storages: ['nas'], young: 0, failed: [] });
      expect(byDefault.backups.temporaries).toEqual([expect.objectContaining({ storage: 'nas', id: 'acme/.acme_2026-12-01.zip.backup-desk-tmp-0b0e4f3a-6d3c-4a55-9f0e-2f6c1b8f7e11', forKey: 'acme/acme_2026-12-01.zip', size: 13 })]);

      const found = await desk.cleanup.startFind({ target, minAgeMinutes: 0 }).result;
      expect(found.restores.leftovers.map((l) => l.name)).toContain('bd_tmp_feedface_desk');
      expect(found.restores.leftovers.map((l) => l.name)).not.toContain('bd_tmp_cafebabe_busy'); // in use
      // A face's list is not trusted: what a search does not find again stays, and says why.
      const r = await desk.cleanup.startRemove({
        target,
        minAgeMinutes: 0,
        leftovers: [{ kind: 'database', name: 'bd_tmp_feedface_desk' }, { kind: 'folder', name: folder }, { kind: 'database', name: 'shop' }, { kind: 'database', name: 'bd_tmp_cafebabe_busy' }],
        temporaries: [{ storage: 'nas', id: byDefault.backups.temporaries[0]!.id }, { storage: 'nas', id: 'acme/acme_2026-11-30.zip' }],
      }).result;
      expect(r.removed).toBe(3);
      expect(r.failed.map((f) => f.what).sort()).toEqual(['database bd_tmp_cafebabe_busy', 'database shop', 'nas: acme/acme_2026-11-30.zip']);
      expect(r.failed[0]!.message).toMatch(/not found again/);
      expect(await databases()).not.toContain('bd_tmp_feedface_desk');
      expect(await databases()).toEqual(expect.arrayContaining(['shop', 'bd_tmp_cafebabe_busy']));
      expect(existsSync(folder)).toBe(false);
      expect(await readdir(join(store, 'acme'))).toEqual(['acme_2026-11-30.zip']);
      // An unreachable server is reported in the result; the storages are still searched.
      const down = await desk.cleanup.startFind({ target: { type: 'postgres', url: 'postgres://postgres@127.0.0.1:1/postgres', dataDir } }).result;
      expect(down.restores).toMatchObject({ server: '127.0.0.1:1', leftovers: [] });
      expect(down.restores.error).toMatch(/127\.0\.0\.1:1/);
      expect(down.backups.storages).toEqual(['nas']);
      // An Odoo instance is searched for the temporary databases of replacing restores (cleanup-odoo.test.ts); one not configured is said so.
      const noInstance = await desk.cleanup.startFind({ target: { type: 'odoo', instance: 'prod' } }).result;
      expect(noInstance.restores).toMatchObject({ server: 'Odoo instance prod', leftovers: [], error: expect.stringMatching(/^There is no Odoo instance named "prod"/) });
      // A private PostgreSQL not made yet holds nothing, and looking does not make it.
      // A search is a job: cancelled, it ends as such and removes nothing.
      const cancelled = desk.cleanup.startFind({ target });
      await desk['jobs:cancel']({ jobId: cancelled.jobId });
      await expect(cancelled.result).rejects.toMatchObject({ kind: 'Cancelled' });
      expect((await desk['jobs:get']({ jobId: cancelled.jobId })).state).toBe('cancelled');
      const embedded = await desk.cleanup.startFind({ target: { type: 'embedded' } }).result;
      expect(embedded.restores).toMatchObject({ server: 'the private PostgreSQL (not created yet)', leftovers: [], young: 0 });
      expect(existsSync(join(work, 'desk-home', 'embedded-pg'))).toBe(false);
    } finally {
      await desk.close();
    }
  }, 60_000);

  it('refuses a --target with a password (exit 2)', async () => {
    const r = await cli(['cleanup', '--target', `postgres://postgres:s3cret@127.0.0.1:${cluster.port}/postgres`, '--data-dir', dataDir, '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/must not contain a password/);
    expect(r.stdout + r.stderr).not.toContain('s3cret');
  }, 30_000);

  it('keeps a database or filestore put aside by a replace whose new one never took the name: the only copy left, to be renamed back', async () => {
    await psql(cluster.url, 'CREATE DATABASE bd_old_1111aaaa_gone');
    const aside = join(dataDir, 'filestore', '.bd-old-1111aaaa-gone');
    await mkdir(join(aside, 'ab'), { recursive: true });
    const found = (await findLeftovers(cluster.url, dataDir, { minAgeMs: 0 })).filter((l) => l.name.includes('1111aaaa'));
    expect(found.map((l) => l.kind).sort()).toEqual(['database', 'folder']);
    const r = await removeLeftovers(cluster.url, found);
    expect(r.removed).toEqual([]);
    expect(r.failed.map((f) => f.error).sort()).toEqual([
      `kept: it is the previous "gone", put aside by a restore that was stopped, and no database "gone" exists; rename it back: ALTER DATABASE "bd_old_1111aaaa_gone" RENAME TO "gone"`,
      `kept: it is the previous filestore of "gone", put aside by a restore that was stopped, and ${join(dataDir, 'filestore', 'gone')} does not exist; rename it back to ${join(dataDir, 'filestore', 'gone')}`,
    ]);
    expect(await databases()).toContain('bd_old_1111aaaa_gone');
    expect(existsSync(join(aside, 'ab'))).toBe(true);
    await psql(cluster.url, 'DROP DATABASE bd_old_1111aaaa_gone');
    await rm(aside, { recursive: true });
  });
});
