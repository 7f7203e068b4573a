/**
 * `backup … --rotate` end to end, through the built CLI: a real PostgreSQL database backed up
 * to a local storage that already holds older odoo_backup_sh backups of it; the storage's
 * stored policy (keep-last 3) then deletes the oldest pairs, never the new backup, the lone
 * archive or another database's backups; the backup and the rotation are both in `history`.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOdooShapedDb } from '../../helpers/odoo-shaped-db';
import { startPgCluster, type PgCluster } from '../../helpers/pg-cluster';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '../../..');
const BIN = join(ROOT, 'bin', 'backup-desk.js');
const BUILT = join(ROOT, 'dist', 'cli', 'main.js');
const DAY = 24 * 3600_000;
const NOW = Date.now();
const ts = (ago: number): string => new Date(NOW - ago).toISOString().slice(0, 19).replace('T', '_').replace(/:/g, '-');

let tmp: string;
let cluster: PgCluster;

async function cli(home: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  for (let i = 0; i < 300 && !existsSync(BUILT); i++) await new Promise((r) => setTimeout(r, 200));
  if (!existsSync(BUILT)) await run(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--quiet', '--if-stale'], { cwd: ROOT });
  try {
    const r = await run(process.execPath, [BIN, '--home', home, ...args], { cwd: ROOT, env: { ...process.env, PGPASSWORD: '' } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'bd-backup-rotate-'));
  cluster = await startPgCluster();
  await createOdooShapedDb(cluster.url, 'shop', { partners: 200, blobs: 1, blobBytes: 10_000, files: 3, fileBytes: 5_000 }, join(tmp, 'data', 'filestore', 'shop'));
}, 180_000);
afterAll(async () => {
  await cluster?.stop();
  await rm(tmp, { recursive: true, force: true });
});

describe('backup --rotate', () => {
  it('applies the stored policy after the backup and records both runs', async () => {
    const store = join(tmp, 'store');
    await mkdir(store);
    const old = [1, 2, 3, 4, 5].map((d) => `shop.${ts(d * DAY)}`);
    for (const stem of old) {
      await writeFile(join(store, `${stem}.zip`), 'an older backup');
      await writeFile(join(store, `${stem}.info`), '[common]\ndatabase = shop\nencrypted = False\n');
    }
    await writeFile(join(store, `shop.${ts(9 * DAY)}.zip`), 'a lone archive');
    await writeFile(join(store, `other.${ts(9 * DAY)}.zip`), 'another database');
    await writeFile(join(store, `other.${ts(9 * DAY)}.info`), '[common]\ndatabase = other\n');
    const home = join(tmp, 'home');
    expect((await cli(home, ['storage', 'add', 'nas', '--type', 'local', '--path', store])).code).toBe(0);
    expect((await cli(home, ['storage', 'rotation', 'nas', '--keep-last', '3'])).stdout).toMatch(/nas: keep-last=3/);

    const b = await cli(home, ['backup', '--db', 'shop', '--source', cluster.url, '--data-dir', join(tmp, 'data'), '--to', 'nas', '--rotate', '--json']);
    expect(b.stderr).not.toMatch(/^(error|warning)/m);
    expect(b.code).toBe(0);
    const files = (await readdir(store)).sort();
    const fresh = files.filter((f) => f.endsWith('.zip') && !old.some((o) => f.startsWith(o)) && f.startsWith('shop.') && f !== `shop.${ts(9 * DAY)}.zip`);
    expect(fresh).toHaveLength(1);
    const freshStem = fresh[0]!.slice(0, -'.zip'.length);
    // Kept: the new backup and the two newest older ones (keep-last 3); the rest untouched.
    expect(files).toEqual(
      [
        `${freshStem}.zip`,
        `${freshStem}.info`,
        ...old.slice(0, 2).flatMap((s) => [`${s}.zip`, `${s}.info`]),
        `shop.${ts(9 * DAY)}.zip`,
        `other.${ts(9 * DAY)}.zip`,
        `other.${ts(9 * DAY)}.info`,
      ].sort(),
    );

    const hist = JSON.parse((await cli(home, ['history', '--db', 'shop', '--json'])).stdout) as { kind: string; outcome: string; refs: string[]; bytes: number | null }[];
    const byKind = Object.fromEntries(hist.map((r) => [r.kind, r]));
    expect(byKind.backup).toMatchObject({ outcome: 'ok', refs: [`nas:${freshStem}.zip`] });
    expect(byKind.backup!.bytes).toBeGreaterThan(0);
    expect(byKind.rotation).toMatchObject({ outcome: 'ok', refs: old.slice(2).map((s) => `nas:${s}.zip`) });
    // The result says what the rotation did, as `rotate` would.
    const rotation = (JSON.parse(b.stdout) as { rotation: Array<{ bytes: number }> }).rotation;
    expect(rotation).toEqual([{ storage: 'nas', policy: true, kept: 3, deleted: old.slice(2).map((s) => `nas:${s}.zip`), bytes: expect.any(Number), failed: [] }]);
    expect(rotation[0]!.bytes).toBeGreaterThan(0);
    // In words: the next backup deletes the oldest kept one; a storage without a policy says so.
    await mkdir(join(tmp, 'plain-store'));
    expect((await cli(home, ['storage', 'add', 'plain', '--type', 'local', '--path', join(tmp, 'plain-store')])).code).toBe(0);
    await new Promise((r) => setTimeout(r, 1010 - (Date.now() % 1000)));
    const t = await cli(home, ['backup', '--db', 'shop', '--source', cluster.url, '--data-dir', join(tmp, 'data'), '--to', 'nas', '--to', 'plain', '--rotate']);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toContain(`rotation on nas: kept 3, deleted 1 (`);
    expect(t.stdout).toContain(`): ${old[1]}.zip`);
    expect(t.stdout).toMatch(/^rotation on plain: no rotation policy is stored for it, nothing deleted/m);
  });
});
