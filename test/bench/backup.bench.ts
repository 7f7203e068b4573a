/**
 * Backup benchmark (`npm run bench:backup`).
 *
 * On one throwaway PostgreSQL cluster, for the `acme_medium` database (the fixture restored once,
 * when ODOO_FIXTURES_DIR is set) and a generated Odoo-shaped database with a >= 500 MB filestore:
 *   - ours: runBackup() to one local storage, in a child process bundled as the app is
 *     (lib/bundle-child.ts; wall time, peak RSS);
 *   - the baseline: `pg_dump -Fp` to a file, then `zip -r` of dump.sql + filestore/;
 *   - ours to three local storages at once (one read of the source).
 * Prints ours ÷ baseline, three ÷ one and our peak RSS; best of BENCH_ROUNDS alternating rounds.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { localFileSource } from '../../shared/core/archive';
import { silentContext } from '../../shared/core/jobs/job';
import { restoreBackup } from '../../shared/core/restore';
import { createOdooShapedDb } from '../helpers/odoo-shaped-db';
import { startPgCluster, type PgCluster } from '../helpers/pg-cluster';
import { bundleChild } from './lib/bundle-child';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..', '..');
const MB = 1024 * 1024;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);

function sh(cmd: string, args: string[], opts: { cwd?: string } = {}): Promise<string> {
  return new Promise((res, rej) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', rej);
    p.on('close', (code) => (code === 0 ? res(out) : rej(new Error(`${cmd} exited ${code}: ${err.slice(-2000)}`))));
  });
}

interface Case {
  readonly name: string;
  readonly db: string;
  readonly dataDir: string;
}

interface Row {
  name: string;
  filestoreMB: number;
  zipMB: number;
  oursMs: number;
  baseMs: number;
  threeMs: number;
  rssMB: number;
  threeRssMB: number;
}

async function dirBytes(dir: string): Promise<number> {
  const out = await run('du', ['-sb', dir]);
  return Number(out.stdout.split('\t')[0]);
}

/** pg_dump -Fp to a file, then zip -r of dump.sql + filestore/ (zip's default deflate level 6). */
async function baseline(cluster: PgCluster, c: Case, work: string): Promise<number> {
  const dir = join(work, 'base');
  await mkdir(dir);
  await symlink(join(c.dataDir, 'filestore', c.db), join(dir, 'filestore'));
  const pgDump = cluster.binDir ? join(cluster.binDir, 'pg_dump') : 'pg_dump';
  const t0 = performance.now();
  await sh(pgDump, ['-Fp', '--no-owner', '-f', join(dir, 'dump.sql'), cluster.urlFor(c.db)]);
  await sh('zip', ['-q', '-r', join(work, 'base.zip'), 'dump.sql', 'filestore'], { cwd: dir });
  return performance.now() - t0;
}

/** The bundled measuring child (bundle-child.ts: plain node, as users run it). */
let backupChild: Promise<string> | undefined;

async function ours(cluster: PgCluster, c: Case, work: string, count: number): Promise<{ ms: number; maxRssBytes: number; size: number }> {
  const dests = Array.from({ length: count }, (_, i) => join(work, `dest${count}-${i}`));
  for (const d of dests) await mkdir(d);
  backupChild ??= bundleChild(join(ROOT, 'test/bench/lib/backup-child.ts'));
  const out = await sh(process.execPath, [await backupChild, JSON.stringify({ db: c.db, pgUrl: cluster.url, dataDir: c.dataDir, dests })]);
  return JSON.parse(out.trim().split('\n').pop()!) as { ms: number; maxRssBytes: number; size: number };
}

async function round(cluster: PgCluster, c: Case, oursFirst: boolean): Promise<Row> {
  const work = await mkdtemp(join(tmpdir(), 'bd-bench-backup-'));
  try {
    let one = oursFirst ? await ours(cluster, c, work, 1) : undefined;
    const baseMs = await baseline(cluster, c, work);
    one ??= await ours(cluster, c, work, 1);
    const three = await ours(cluster, c, work, 3);
    return {
      name: c.name,
      filestoreMB: (await dirBytes(join(c.dataDir, 'filestore', c.db))) / MB,
      zipMB: one.size / MB,
      oursMs: one.ms,
      baseMs,
      threeMs: three.ms,
      rssMB: one.maxRssBytes / MB,
      threeRssMB: three.maxRssBytes / MB,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function bench(cluster: PgCluster, c: Case): Promise<Row> {
  let best: Row | undefined;
  for (let i = 0; i < ROUNDS; i++) {
    const r = await round(cluster, c, i % 2 === 0);
    best = !best
      ? r
      : { ...best, oursMs: Math.min(best.oursMs, r.oursMs), baseMs: Math.min(best.baseMs, r.baseMs), threeMs: Math.min(best.threeMs, r.threeMs), rssMB: Math.max(best.rssMB, r.rssMB), threeRssMB: Math.max(best.threeRssMB, r.threeRssMB) };
  }
  return best!;
}

async function main(): Promise<void> {
  const cluster = await startPgCluster();
  const data = await mkdtemp(join(tmpdir(), 'bd-bench-backup-data-'));
  const rows: Row[] = [];
  try {
    const fix = process.env.ODOO_FIXTURES_DIR;
    if (fix && existsSync(join(fix, 'acme_medium_zip.zip'))) {
      process.stderr.write('Restoring acme_medium into the throwaway cluster…\n');
      await restoreBackup({ source: localFileSource(join(fix, 'acme_medium_zip.zip')), db: 'acme_medium', pgUrl: cluster.url, dataDir: data, mode: 'move', neutralize: false, replace: false, filestore: true }, silentContext());
      rows.push(await bench(cluster, { name: 'acme_medium', db: 'acme_medium', dataDir: data }));
    } else process.stderr.write('ODOO_FIXTURES_DIR not set: skipping acme_medium\n');
    if (process.env.BENCH_SKIP_GENERATED !== '1') {
      process.stderr.write('Generating an Odoo-shaped database with a >= 500 MB filestore…\n');
      await createOdooShapedDb(cluster.url, 'generated', { partners: 200_000, blobs: 20, blobBytes: MB, files: 2000, fileBytes: 270_000 }, join(data, 'filestore', 'generated'));
      rows.push(await bench(cluster, { name: 'generated (Odoo-shaped)', db: 'generated', dataDir: data }));
    }
  } finally {
    await cluster.stop();
    await rm(data, { recursive: true, force: true });
  }
  const f = (x: number, d = 1): string => x.toFixed(d);
  console.log(`\nBackup benchmark (same machine, same throwaway PostgreSQL cluster; best of ${ROUNDS} alternating rounds)\n`);
  console.log('| database | filestore MB | zip MB | ours s | pg_dump + zip -r s | ours ÷ baseline | 3 storages s | 3 ÷ 1 | peak RSS MB (1 / 3) |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(`| ${r.name} | ${f(r.filestoreMB)} | ${f(r.zipMB)} | ${f(r.oursMs / 1000, 2)} | ${f(r.baseMs / 1000, 2)} | ${f(r.oursMs / r.baseMs, 2)} | ${f(r.threeMs / 1000, 2)} | ${f(r.threeMs / r.oursMs, 2)} | ${f(r.rssMB, 0)} / ${f(r.threeRssMB, 0)} |`);
  }
  const worst = Math.max(...rows.map((r) => r.oursMs / r.baseMs));
  const fan = Math.max(...rows.map((r) => r.threeMs / r.oursMs));
  const rss = Math.max(...rows.map((r) => Math.max(r.rssMB, r.threeRssMB)));
  console.log(`\nTargets: ours ÷ baseline <= 0.8 (worst ${f(worst, 2)}), 3 storages ÷ 1 <= 1.3 (worst ${f(fan, 2)}), peak RSS < 300 MB (max ${f(rss, 0)} MB).`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
