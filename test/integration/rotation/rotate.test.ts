/**
 * Rotation with real files: the built CLI against a local folder (dry run deletes nothing, a
 * real run deletes archive + .info together and nothing else, a second run deletes nothing,
 * the run is in `history`), the stored policy per storage, and the Desk against a real S3
 * server (odoo_backup_sh's `./` keys).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Desk } from '../../../shared/core/desk/open-desk';
import { MemorySecretStore } from '../../../shared/core/secrets/secret-store';
import { startS3Server, type S3TestServer } from '../../helpers/s3-server';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '../../..');
const BIN = join(ROOT, 'bin', 'backup-desk.js');
const BUILT = join(ROOT, 'dist', 'cli', 'main.js');

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const NOW = Date.now();
/** `YYYY-MM-DD_HH-MM-SS` (UTC) of a time `ago` ms before now. */
const ts = (ago: number): string => new Date(Math.floor((NOW - ago) / 1000) * 1000).toISOString().slice(0, 19).replace('T', '_').replace(/:/g, '-');

/** Backups of `prod` one per day for 10 days (odoo_backup_sh pairs), plus what must never be deleted. */
function files(): Record<string, string> {
  const out: Record<string, string> = {};
  for (let d = 0; d < 10; d++) {
    out[`prod.${ts(d * DAY)}.zip`] = `zip ${d}`.padEnd(1000, '.');
    out[`prod.${ts(d * DAY)}.info`] = `[common]\ndatabase = prod\nencrypted = False\n`;
  }
  out[`prod.${ts(20 * DAY)}.zip`] = 'a lone archive'.padEnd(500, '.');
  out[`prod.${ts(21 * DAY)}.info`] = '[common]\ndatabase = prod\n';
  out[`other.${ts(30 * DAY)}.zip`] = 'another database'.padEnd(500, '.');
  out[`other.${ts(30 * DAY)}.info`] = '[common]\ndatabase = other\n';
  out[`prod_${ts(40 * DAY)}.zip`] = 'odoo manager layout'.padEnd(500, '.');
  out['README.txt'] = 'not a backup';
  return out;
}

let tmp: string;

async function ensureBuilt(): Promise<void> {
  for (let i = 0; i < 300 && !existsSync(BUILT); i++) await new Promise((r) => setTimeout(r, 200));
  if (!existsSync(BUILT)) await run(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--quiet', '--if-stale'], { cwd: ROOT });
}

async function cli(home: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  await ensureBuilt();
  try {
    const r = await run(process.execPath, [BIN, '--home', home, ...args], { cwd: ROOT });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'bd-rotate-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('backup-desk rotate on a local storage', () => {
  it('dry run deletes nothing; the run deletes archive + .info together and nothing else; it is idempotent and in the history', async () => {
    const dir = join(tmp, 'local');
    await mkdir(dir);
    for (const [name, body] of Object.entries(files())) await writeFile(join(dir, name), body);
    const before = (await readdir(dir)).sort();
    const home = join(tmp, 'home-local');
    expect((await cli(home, ['storage', 'add', 'nas', '--type', 'local', '--path', dir])).code).toBe(0);

    const dry = await cli(home, ['rotate', '--storage', 'nas', '--db', 'prod', '--daily', '3', '--keep-last', '1', '--dry-run', '--json']);
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    const plan = JSON.parse(dry.stdout) as { keep: string[]; delete: string[]; skipped: { ref: string }[]; dryRun: boolean; bytes: number };
    expect(plan.keep).toEqual([0, 1, 2].map((d) => `nas:prod.${ts(d * DAY)}.zip`));
    expect(plan.delete).toEqual([3, 4, 5, 6, 7, 8, 9].map((d) => `nas:prod.${ts(d * DAY)}.zip`));
    expect(plan.skipped.map((s) => s.ref)).toEqual([`nas:prod.${ts(20 * DAY)}.zip`, `nas:prod_${ts(40 * DAY)}.zip`]);
    expect(plan.bytes).toBeGreaterThan(7 * 1000);
    expect((await readdir(dir)).sort()).toEqual(before);
    expect(JSON.parse((await cli(home, ['history', '--json'])).stdout)).toEqual([]); // a dry run is no rotation

    const real = await cli(home, ['rotate', '--storage', 'nas', '--db', 'prod', '--daily', '3', '--keep-last', '1', '--json']);
    expect(real.code).toBe(0);
    const done = JSON.parse(real.stdout) as { keep: string[]; delete: string[]; failed: unknown[] };
    expect(done).toMatchObject({ keep: plan.keep, delete: plan.delete, failed: [] });
    const gone = new Set([3, 4, 5, 6, 7, 8, 9].flatMap((d) => [`prod.${ts(d * DAY)}.zip`, `prod.${ts(d * DAY)}.info`]));
    expect((await readdir(dir)).sort()).toEqual(before.filter((f) => !gone.has(f)));

    const again = await cli(home, ['rotate', '--storage', 'nas', '--db', 'prod', '--daily', '3', '--keep-last', '1', '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ keep: plan.keep, delete: [] });

    const hist = JSON.parse((await cli(home, ['history', '--kind', 'rotation', '--json'])).stdout) as { outcome: string; db: string; refs: string[]; destinations: string[]; bytes: number }[];
    expect(hist).toHaveLength(2);
    expect(hist[1]).toMatchObject({ outcome: 'ok', db: 'prod', refs: plan.delete, destinations: ['nas'], bytes: plan.bytes });
    expect(hist[0]).toMatchObject({ outcome: 'ok', refs: [], bytes: 0 });
  });

  it('uses the stored policy, refuses a call without any, and prints people-readable lines', async () => {
    const dir = join(tmp, 'local2');
    await mkdir(dir);
    for (const [name, body] of Object.entries(files())) await writeFile(join(dir, name), body);
    const home = join(tmp, 'home-local2');
    await cli(home, ['storage', 'add', 'nas', '--type', 'local', '--path', dir]);
    const none = await cli(home, ['rotate', '--storage', 'nas', '--db', 'prod', '--dry-run']);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/No rotation policy is given and none is stored for storage "nas"/);
    expect((await cli(home, ['storage', 'rotation', 'nas'])).stdout.trim()).toBe('nas: no rotation policy');
    const set = await cli(home, ['storage', 'rotation', 'nas', '--daily', '2', '--weekly', 'unlimited', '--max-age', '90']);
    expect(set.stdout.trim()).toBe('nas: daily=2 weekly=unlimited max-age=90d');
    expect(JSON.parse((await cli(home, ['storage', 'rotation', 'nas', '--json'])).stdout)).toEqual({ daily: 2, weekly: 'unlimited', maxAgeDays: 90 });
    const dry = await cli(home, ['rotate', '--storage', 'nas', '--db', 'prod', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(new RegExp(`^keep    nas:prod\\.${ts(0)}\\.zip$`, 'm'));
    expect(dry.stdout).toMatch(/^would delete nas:prod\./m);
    expect(dry.stderr).toMatch(/left alone: nas:prod\..*\.zip \(a lone archive: its \.info is missing\)/);
    expect(dry.stderr).toMatch(/dry run, nothing deleted/);
    const bad = await cli(home, ['rotate', '--storage', 'nas', '--db', 'prod', '--daily', 'seven']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--daily must be a whole number ≥ 1, "unlimited" or "off"/);
    expect((await cli(home, ['storage', 'rotation', 'nas', '--clear'])).stdout.trim()).toBe('nas: no rotation policy');
  });
});

describe('rotation on S3 (odoo_backup_sh keys under ./)', () => {
  let s3: S3TestServer;
  let desk: Desk;
  beforeAll(async () => {
    s3 = await startS3Server('odoo-backups');
    await s3.seedObjects(Object.entries(files()).map(([name, body]) => ({ key: `./${name}`, data: Buffer.from(body) })));
    desk = await Desk.open({ home: join(tmp, 'home-s3'), secrets: new MemorySecretStore() });
    await desk['storages:add'](s3.storageArgs('bsh', './'));
  }, 120_000);
  afterAll(async () => {
    await desk?.close();
    await s3?.stop();
  });

  async function keys(): Promise<string[]> {
    const out: string[] = [];
    for await (const o of (await desk.provider('bsh')).list('')) out.push(o.key.replace(/^\.\//, ''));
    return out.sort();
  }

  it('a dry run deletes nothing; the stored policy after a backup deletes the pairs it rotates out', async () => {
    const before = await keys();
    expect(before).toHaveLength(Object.keys(files()).length);
    const dry = await desk['rotation:run']({ storage: 'bsh', db: 'prod', policy: { weekly: 2 }, dryRun: true });
    expect(dry.delete.length).toBeGreaterThan(0);
    expect(await keys()).toEqual(before);

    expect(await desk.rotation.rotateAfterBackup({ storage: 'bsh', db: 'prod', layout: 'odoo-backup-sh' })).toBeUndefined();
    await desk['rotation:set-policy']({ storage: 'bsh', policy: { keepLast: 2 } });
    const r = await desk.rotation.rotateAfterBackup({ storage: 'bsh', db: 'prod', layout: 'odoo-backup-sh' });
    expect(r).toMatchObject({ keep: [0, 1].map((d) => expect.stringContaining(`prod.${ts(d * DAY)}.zip`)), failed: [] });
    expect(r!.delete).toHaveLength(8);
    const kept = new Set([0, 1].flatMap((d) => [`prod.${ts(d * DAY)}.zip`, `prod.${ts(d * DAY)}.info`]));
    expect(await keys()).toEqual(before.filter((k) => !k.startsWith('prod.') || kept.has(k) || k === `prod.${ts(20 * DAY)}.zip` || k === `prod.${ts(21 * DAY)}.info`));
    const hist = await desk['history:list']({ kind: 'rotation' });
    expect(hist).toMatchObject([{ outcome: 'ok', db: 'prod', destinations: ['bsh'], refs: r!.delete }]);
  });
});
