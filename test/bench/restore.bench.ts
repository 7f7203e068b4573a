/**
 * Restore benchmark (`npm run bench:restore`), on one throwaway PostgreSQL cluster with the
 * server's DEFAULT durability (fsync, synchronous_commit and full_page_writes on), as users have:
 *   - real Odoo zips (`acme_medium_zip.zip`, `acme17_zip.zip` from the fixture folders) and a
 *     generated Odoo-shaped zip of ≥ 500 MB (made once into `.bench/`, deflated at Odoo's level 6): ours, end to end from the
 *     zip (database + filestore, restoreBackup() in a child process: wall time, peak RSS), against
 *     `psql -X -q -f dump.sql` alone on the already-extracted dump (no filestore, no unzip);
 *   - a local custom-format dump (`acme_medium_dump.dump`): ours against `pg_restore -j2`.
 * Each best of ≥ 3 rounds alternating who goes first, every run started on a settled server (a
 * CHECKPOINT and a `sync` first, untimed: the previous run's data must not be written back
 * during the next one; our filestores stay until the end, see runOurs); ours runs
 * bundled, on plain node (lib/bundle-child.ts); prints ours, the baseline, the ratio of the bests and of the
 * medians, and the target. `BENCH_ONLY=acme_medium_zip,dump` picks rows; `BENCH_SKIP_GENERATED=1` skips the big one.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { fixtureDirWith } from '../helpers/fixtures';
import { psql, startPgCluster, type PgCluster } from '../helpers/pg-cluster';
import { createOdooShapedDb, pgDumpPlain, writeOdooZip } from '../helpers/odoo-shaped-db';
import { bundleChild } from './lib/bundle-child';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..', '..');
const CACHE = join(ROOT, '.bench');
const MB = 1024 * 1024;

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((res, rej) => {
    const p = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', rej);
    p.on('close', (code) => (code === 0 ? res(out) : rej(new Error(`${cmd} exited ${code}: ${err.slice(-2000)}`))));
  });
}

/**
 * Deflate level of the generated zip: 6, zlib's default, which Odoo's `zip_dir` (Python's
 * `zipfile` with ZIP_DEFLATED) writes — the fixtures' dump.sql recompressed at 6 gives their
 * stored sizes to the byte. `BENCH_GENERATED_LEVEL=1` makes the level-1 zip measured until
 * 2026-12-08 (hex bytea at level 1 inflates markedly slower than at 6).
 */
const GENERATED_LEVEL = Number(process.env.BENCH_GENERATED_LEVEL ?? 6);

/** Makes (once) a generated Odoo-shaped zip of at least 500 MB. */
async function generatedBackup(cluster: PgCluster): Promise<string> {
  const zip = join(CACHE, GENERATED_LEVEL === 1 ? 'generated-odoo-shaped.zip' : `generated-odoo-shaped-level${GENERATED_LEVEL}.zip`);
  if (existsSync(zip) && (await stat(zip)).size >= 500 * MB) return zip;
  await mkdir(CACHE, { recursive: true });
  const work = await mkdtemp(join(tmpdir(), 'bd-bench-gen-'));
  try {
    process.stderr.write('Generating the >= 500 MB Odoo-shaped backup (once; cached in .bench/)…\n');
    const fs = join(work, 'filestore');
    await createOdooShapedDb(cluster.url, 'bench_src', { partners: 1_500_000, commentRepeat: 2, blobs: 350, blobBytes: 1 * MB, files: 1500, fileBytes: 80_000 }, fs);
    const dump = join(work, 'dump.sql');
    await pgDumpPlain(cluster.url, 'bench_src', dump, cluster.binDir);
    await writeOdooZip(`${zip}.part`, dump, 'bench_src', fs, { level: GENERATED_LEVEL });
    await rename(`${zip}.part`, zip);
    await psql(cluster.url, 'DROP DATABASE bench_src');
    return zip;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

interface Row {
  name: string;
  baseline: string;
  inMB: number;
  /** Every round's time (the best and the median are taken from them). */
  oursAll: number[];
  baseAll: number[];
  rssMB: number;
  target: number;
}

const ROUNDS = Math.max(3, Number(process.env.BENCH_ROUNDS ?? 3));

/** The bundled measuring child (bundle-child.ts: plain node, as users run it). */
let restoreChild: Promise<string> | undefined;

/**
 * Ours: restoreBackup() of `file` in a child process; drops its database. Its filestore stays
 * until the benchmark ends (`later`): on this VM's ext4 without a journal, files created within
 * 35 s of as many being deleted cost the kernel a scan past every recently freed inode (1.5-2 s
 * of CPU for the generated backup's 3,000 files), which the baseline, writing no filestore,
 * never pays. (Both sides create the database's files after a drop, so those are even.)
 */
async function runOurs(cluster: PgCluster, file: string, db: string, work: string): Promise<{ ms: number; maxRssBytes: number }> {
  restoreChild ??= bundleChild(join(ROOT, 'test/bench/lib/restore-child.ts'));
  const child = await sh(process.execPath, [await restoreChild, file, db, cluster.url, join(work, `data-${db}`)]);
  await psql(cluster.url, `DROP DATABASE ${db}`);
  return JSON.parse(child.trim().split('\n').pop()!) as { ms: number; maxRssBytes: number };
}

/** Work folders (restored filestores, extracted dumps) removed when the benchmark ends. */
const later: string[] = [];

/** Untimed, before every run: the server's dirty buffers and the kernel's dirty pages written out. */
async function settle(cluster: PgCluster): Promise<void> {
  await psql(cluster.url, 'CHECKPOINT');
  await run('sync', []);
}

/** The median of `xs`. */
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Best of ROUNDS rounds of ours and a baseline, alternating which goes first. */
async function bestOf(cluster: PgCluster, name: string, baseline: string, inMB: number, target: number, ours: (n: number) => Promise<{ ms: number; maxRssBytes: number }>, base: (n: number) => Promise<number>): Promise<Row> {
  const row: Row = { name, baseline, inMB, oursAll: [], baseAll: [], rssMB: 0, target };
  for (let r = 0; r < ROUNDS; r++) {
    const o = async (): Promise<void> => {
      await settle(cluster);
      const x = await ours(r);
      row.oursAll.push(x.ms);
      row.rssMB = Math.max(row.rssMB, x.maxRssBytes / MB);
      process.stderr.write(`  [${name}] round ${r + 1}: ours ${(x.ms / 1000).toFixed(2)} s\n`);
    };
    const b = async (): Promise<void> => {
      await settle(cluster);
      const ms = await base(r);
      row.baseAll.push(ms);
      process.stderr.write(`  [${name}] round ${r + 1}: ${baseline} ${(ms / 1000).toFixed(2)} s\n`);
    };
    if (r % 2 === 0) await o().then(b);
    else await b().then(o);
  }
  return row;
}

/** A zip backup: ours from the zip against `psql -q -f dump.sql` alone on the extracted dump. */
async function benchZip(cluster: PgCluster, name: string, zip: string, tag: string, target: number): Promise<Row> {
  const work = await mkdtemp(join(tmpdir(), 'bd-bench-'));
  try {
    const psqlBin = cluster.binDir ? join(cluster.binDir, 'psql') : 'psql';
    await run('unzip', ['-q', zip, 'dump.sql', '-d', work], { maxBuffer: 1 << 24 });
    const dump = join(work, 'dump.sql');
    const psqlAlone = async (n: number): Promise<number> => {
      const db = `psql_${tag}_${n}`;
      await psql(cluster.url, `CREATE DATABASE ${db} ENCODING 'UTF8' LC_COLLATE 'C' TEMPLATE template0`);
      const t = await timed(() => sh(psqlBin, ['-X', '-q', `--dbname=${cluster.urlFor(db)}`, '-f', dump]));
      await psql(cluster.url, `DROP DATABASE ${db}`);
      return t.ms;
    };
    return await bestOf(cluster, name, 'psql -q -f dump.sql', (await stat(dump)).size / MB, target, (n) => runOurs(cluster, zip, `ours_${tag}_${n}`, work), psqlAlone);
  } finally {
    later.push(work);
  }
}

/** A custom-format dump on disk: ours against `pg_restore -j2`. */
async function benchDump(cluster: PgCluster, name: string, file: string, tag: string): Promise<Row> {
  const work = await mkdtemp(join(tmpdir(), 'bd-bench-'));
  try {
    const pgRestore = cluster.binDir ? join(cluster.binDir, 'pg_restore') : 'pg_restore';
    const base = async (n: number): Promise<number> => {
      const db = `pgr_${tag}_${n}`;
      await psql(cluster.url, `CREATE DATABASE ${db} ENCODING 'UTF8' LC_COLLATE 'C' TEMPLATE template0`);
      const t = await timed(() => sh(pgRestore, ['-j2', '--no-owner', `--dbname=${cluster.urlFor(db)}`, file]));
      await psql(cluster.url, `DROP DATABASE ${db}`);
      return t.ms;
    };
    return await bestOf(cluster, name, 'pg_restore -j2', (await stat(file)).size / MB, 1.05, (n) => runOurs(cluster, file, `ours_${tag}_${n}`, work), base);
  } finally {
    later.push(work);
  }
}

async function main(): Promise<void> {
  const cluster = await startPgCluster({ durable: true });
  const rows: Row[] = [];
  const only = process.env.BENCH_ONLY?.split(',');
  const want = (tag: string): boolean => !only || only.includes(tag);
  try {
    const medium = fixtureDirWith('acme_medium_zip.zip');
    const v17 = fixtureDirWith('acme17_zip.zip');
    if (medium && want('acme_medium_zip')) rows.push(await benchZip(cluster, 'acme_medium_zip.zip (Odoo 16)', join(medium, 'acme_medium_zip.zip'), 'm', 0.75));
    if (v17 && want('acme17_zip')) rows.push(await benchZip(cluster, 'acme17_zip.zip (Odoo 17)', join(v17, 'acme17_zip.zip'), 'v17', 0.75));
    if (medium && want('dump')) rows.push(await benchDump(cluster, 'acme_medium_dump.dump (custom format, local)', join(medium, 'acme_medium_dump.dump'), 'd'));
    if (process.env.BENCH_SKIP_GENERATED !== '1' && want('generated')) rows.push(await benchZip(cluster, `generated Odoo-shaped zip (deflate level ${GENERATED_LEVEL})`, await generatedBackup(cluster), 'g', 1.0));
  } finally {
    await cluster.stop();
    for (const dir of later) await rm(dir, { recursive: true, force: true });
  }
  const f = (x: number, d = 1): string => x.toFixed(d);
  console.log(`\nRestore benchmark (PostgreSQL 15, default durability: fsync/synchronous_commit/full_page_writes on; best of ${ROUNDS} alternating rounds)\n`);
  console.log('| backup | input MB | ours s | baseline | baseline s | ours ÷ baseline | target | medians: ours s / baseline s = ratio | our peak RSS MB |');
  console.log('|---|---:|---:|---|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const [bo, bb] = [Math.min(...r.oursAll), Math.min(...r.baseAll)];
    const ratio = bo / bb;
    const [mo, mb] = [median(r.oursAll), median(r.baseAll)];
    const medians = `${f(mo / 1000, 2)} / ${f(mb / 1000, 2)} = ${f(mo / mb, 2)}`;
    console.log(`| ${r.name} | ${f(r.inMB)} | ${f(bo / 1000, 2)} | \`${r.baseline}\` | ${f(bb / 1000, 2)} | **${f(ratio, 2)}** | ≤ ${f(r.target, 2)}${ratio <= r.target ? ' met' : ' NOT met'} | ${medians} | ${f(r.rssMB, 0)} |`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
