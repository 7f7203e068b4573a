/**
 * Restore benchmark (`npm run bench:restore`).
 *
 * For `acme_medium_zip.zip` (when ODOO_FIXTURES_DIR is set) and a generated Odoo-shaped backup of
 * at least 500 MB (made once into `.bench/`), measured in the same run on one throwaway cluster:
 *   - ours: restoreBackup() in a child process (wall time, peak RSS);
 *   - Odoo's way: unzip to a temp folder, CREATE DATABASE, `psql -q -f dump.sql`, move the filestore;
 *   - `psql -q -f dump.sql` alone on the already-extracted dump.
 * Prints our time ÷ Odoo's way, our time ÷ psql alone, and our peak RSS.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { psql, startPgCluster, type PgCluster } from '../helpers/pg-cluster';
import { createOdooShapedDb, pgDumpPlain, writeOdooZip } from '../helpers/odoo-shaped-db';

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

/** Makes (once) a generated Odoo-shaped zip of at least 500 MB. */
async function generatedBackup(cluster: PgCluster): Promise<string> {
  const zip = join(CACHE, 'generated-odoo-shaped.zip');
  if (existsSync(zip) && (await stat(zip)).size >= 500 * MB) return zip;
  await mkdir(CACHE, { recursive: true });
  const work = await mkdtemp(join(tmpdir(), 'bd-bench-gen-'));
  try {
    process.stderr.write('Generating the >= 500 MB Odoo-shaped backup (once; cached in .bench/)…\n');
    const fs = join(work, 'filestore');
    await createOdooShapedDb(cluster.url, 'bench_src', { partners: 1_500_000, commentRepeat: 2, blobs: 350, blobBytes: 1 * MB, files: 1500, fileBytes: 80_000 }, fs);
    const dump = join(work, 'dump.sql');
    await pgDumpPlain(cluster.url, 'bench_src', dump, cluster.binDir);
    await writeOdooZip(`${zip}.part`, dump, 'bench_src', fs, { level: 1 });
    await rename(`${zip}.part`, zip);
    await psql(cluster.url, 'DROP DATABASE bench_src');
    return zip;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

interface Row {
  name: string;
  zipMB: number;
  dumpMB: number;
  oursMs: number;
  odooMs: number;
  psqlMs: number;
  rssMB: number;
}

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);

/**
 * Measures ours, Odoo's way and psql alone ROUNDS times, alternating the order (ours first, then
 * ours last) so that a machine whose load changes during the run favours no one; keeps each best.
 */
async function benchOne(cluster: PgCluster, name: string, zip: string, n: number): Promise<Row> {
  let best: Row | undefined;
  for (let round = 0; round < ROUNDS; round++) {
    const r = await benchRound(cluster, name, zip, n * 10 + round, round % 2 === 1);
    best = !best
      ? r
      : { ...best, oursMs: Math.min(best.oursMs, r.oursMs), odooMs: Math.min(best.odooMs, r.odooMs), psqlMs: Math.min(best.psqlMs, r.psqlMs), rssMB: Math.max(best.rssMB, r.rssMB) };
  }
  return best!;
}

async function benchRound(cluster: PgCluster, name: string, zip: string, n: number, oursLast: boolean): Promise<Row> {
  const work = await mkdtemp(join(tmpdir(), 'bd-bench-'));
  try {
    const psqlBin = cluster.binDir ? join(cluster.binDir, 'psql') : 'psql';
    // ours, in a child process for an honest peak RSS
    const runOurs = async (): Promise<{ ms: number; maxRssBytes: number }> => {
      const dataDir = join(work, 'ours-data');
      const child = await sh(process.execPath, ['--import', 'tsx', join(ROOT, 'test/bench/lib/restore-child.ts'), zip, `ours_${n}`, cluster.url, dataDir]);
      await psql(cluster.url, `DROP DATABASE ours_${n}`);
      await rm(dataDir, { recursive: true, force: true });
      return JSON.parse(child.trim().split('\n').pop()!) as { ms: number; maxRssBytes: number };
    };
    let ours = oursLast ? undefined : await runOurs();

    // Odoo's way: extract dump.sql + filestore, createdb, psql -q -f, move the filestore
    const odoo = await timed(async () => {
      const ex = join(work, 'extract');
      await mkdir(ex);
      await run('unzip', ['-q', zip, 'dump.sql', 'filestore/*', '-d', ex], { maxBuffer: 1 << 24 }).catch(async () => {
        await run('unzip', ['-q', zip, 'dump.sql', '-d', ex]);
      });
      await psql(cluster.url, `CREATE DATABASE odoo_${n} ENCODING 'UTF8' LC_COLLATE 'C' TEMPLATE template0`);
      await sh(psqlBin, ['-X', '-q', `--dbname=${cluster.urlFor(`odoo_${n}`)}`, '-f', join(ex, 'dump.sql')]);
      await mkdir(join(work, 'odoo-data', 'filestore'), { recursive: true });
      if (existsSync(join(ex, 'filestore'))) await rename(join(ex, 'filestore'), join(work, 'odoo-data', 'filestore', `odoo_${n}`));
    });
    const dumpBytes = (await stat(join(work, 'extract', 'dump.sql'))).size;
    await psql(cluster.url, `DROP DATABASE odoo_${n}`);

    // psql alone on the extracted dump
    await psql(cluster.url, `CREATE DATABASE psql_${n} ENCODING 'UTF8' LC_COLLATE 'C' TEMPLATE template0`);
    const alone = await timed(() => sh(psqlBin, ['-X', '-q', `--dbname=${cluster.urlFor(`psql_${n}`)}`, '-f', join(work, 'extract', 'dump.sql')]));
    await psql(cluster.url, `DROP DATABASE psql_${n}`);
    if (!ours) ours = await runOurs();
    return {
      name,
      zipMB: (await stat(zip)).size / MB,
      dumpMB: dumpBytes / MB,
      oursMs: ours.ms,
      odooMs: odoo.ms,
      psqlMs: alone.ms,
      rssMB: ours.maxRssBytes / MB,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const cluster = await startPgCluster();
  const rows: Row[] = [];
  try {
    let n = 0;
    const fix = process.env.ODOO_FIXTURES_DIR;
    if (fix && existsSync(join(fix, 'acme_medium_zip.zip'))) rows.push(await benchOne(cluster, 'acme_medium_zip.zip', join(fix, 'acme_medium_zip.zip'), ++n));
    else process.stderr.write('ODOO_FIXTURES_DIR not set: skipping acme_medium_zip.zip\n');
    if (process.env.BENCH_SKIP_GENERATED !== '1') rows.push(await benchOne(cluster, 'generated (Odoo-shaped)', await generatedBackup(cluster), ++n));
  } finally {
    await cluster.stop();
  }
  const f = (x: number, d = 1): string => x.toFixed(d);
  console.log(`\nRestore benchmark (same machine, same throwaway PostgreSQL 15 cluster; best of ${ROUNDS} alternating rounds)\n`);
  console.log('| backup | zip MB | dump.sql MB | ours s | Odoo\'s way s | psql -f alone s | ours ÷ Odoo\'s way | ours ÷ psql alone | our peak RSS MB |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(`| ${r.name} | ${f(r.zipMB)} | ${f(r.dumpMB)} | ${f(r.oursMs / 1000, 2)} | ${f(r.odooMs / 1000, 2)} | ${f(r.psqlMs / 1000, 2)} | ${f(r.oursMs / r.odooMs, 2)} | ${f(r.oursMs / r.psqlMs, 2)} | ${f(r.rssMB, 0)} |`);
  }
  const worst = Math.max(...rows.map((r) => r.oursMs / r.odooMs));
  const rss = Math.max(...rows.map((r) => r.rssMB));
  console.log(`\nTargets: ours ÷ Odoo's way <= 1.0 (worst ${f(worst, 2)}), peak RSS < 300 MB (max ${f(rss, 0)} MB).`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
