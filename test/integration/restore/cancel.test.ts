/**
 * A cancel or an error in any stage ends a zip or SQL restore at once: the job settles within a
 * few seconds of the cancel (at 10 %, 50 % and 90 % of the bytes, during the filestore; during
 * the parallel index builds within 2 s, also through the CLI's Ctrl-C), the server-side work is
 * ended, and nothing is left behind.
 */
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localFileSource } from '../../../shared/core/archive';
import { restoreBackup, type RestoreOptions } from '../../../shared/core/restore';
import type { AppError } from '../../../shared/core/errors';
import type { JobContext, JobProgress } from '../../../shared/core/jobs/job';
import { startCli, waitFor } from '../../helpers/cli-process';
import { startPgCluster, type PgCluster } from '../../helpers/pg-cluster';
import { createOdooShapedDb, pgDumpPlain, writeOdooZip } from '../../helpers/odoo-shaped-db';

let cluster: PgCluster;
let work: string;
let dataDir: string;
let srcFs: string;
let dumpSql: string;
let bigZip: string;
let n = 0;

/** How long a restore may take to settle after a cancel or an error (the target is 2 s; the bound allows a loaded machine). */
const SETTLE_MS = 5000;

function opts(path: string, db: string): RestoreOptions {
  return { source: localFileSource(path), db, pgUrl: cluster.url, dataDir, mode: 'move', neutralize: false, replace: false, filestore: true };
}

async function leftovers(): Promise<string[]> {
  const c = new pg.Client({ connectionString: cluster.urlFor('postgres') });
  await c.connect();
  try {
    const dbs = (await c.query<{ d: string }>("SELECT datname AS d FROM pg_database WHERE datname LIKE 'bd_%'")).rows.map((r) => r.d);
    const busy = (await c.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname LIKE 'bd_%'")).rows[0]!.n;
    const folders = (await readdir(join(dataDir, 'filestore')).catch(() => [] as string[])).filter((e) => e.startsWith('.bd-'));
    return [...dbs, ...folders, ...(busy > 0 ? [`${busy} session(s) on temporary databases`] : [])];
  } finally {
    await c.end();
  }
}

/**
 * Runs a restore and cancels it when `when` says so; resolves with the error and how long the
 * restore took to settle after the cancel. A restore that does not settle fails the test (no hang).
 */
async function cancelWhen(path: string, when: (p: JobProgress) => boolean, before?: () => Promise<void>, db = `c${++n}_db`): Promise<{ err: AppError; settleMs: number }> {
  const ctrl = new AbortController();
  let cancelledAt = 0;
  let armed = false;
  const cancel = (): void => {
    cancelledAt = Date.now();
    ctrl.abort();
  };
  const ctx: JobContext = {
    signal: ctrl.signal,
    log: () => undefined,
    progress: (p) => {
      if (armed || !when(p)) return;
      armed = true;
      // Synchronously at the report, or once `before` says the moment has come.
      if (before) void before().then(cancel);
      else cancel();
    },
  };
  const run = restoreBackup(opts(path, db), ctx).then(
    () => undefined,
    (e: unknown) => e as AppError,
  );
  const hang = new Promise<'hang'>((r) => setTimeout(() => r('hang'), 120_000).unref());
  const err = await Promise.race([run, hang]);
  expect(err, 'the restore hung after the cancel').not.toBe('hang');
  expect(err, 'the restore finished instead of being cancelled').toBeDefined();
  expect(cancelledAt, 'the cancel point was never reached').toBeGreaterThan(0);
  return { err: err as AppError, settleMs: Date.now() - cancelledAt };
}

/** Resolves once an index or key build runs on a temporary database of the server (polled every 10 ms, for at most 30 s). */
async function buildRunning(): Promise<void> {
  const c = new pg.Client({ connectionString: cluster.urlFor('postgres') });
  await c.connect();
  try {
    for (const until = Date.now() + 30_000; Date.now() < until; await new Promise((r) => setTimeout(r, 10))) {
      const r = await c.query("SELECT 1 FROM pg_stat_activity WHERE datname LIKE 'bd_tmp_%' AND state = 'active' AND (query ILIKE 'CREATE%INDEX%' OR query ILIKE 'ALTER TABLE%ADD CONSTRAINT%')");
      if ((r.rowCount ?? 0) > 0) return;
    }
    throw new Error('no index build was seen running');
  } finally {
    await c.end();
  }
}

/** The settle bound of the index-phase cancels: the target itself. */
const INDEX_SETTLE_MS = 2000;

const fraction = (f: number) => (p: JobProgress): boolean => p.phase === 'database' && p.unit === 'bytes' && !!p.total && (p.done ?? 0) >= f * p.total;

beforeAll(async () => {
  cluster = await startPgCluster();
  work = await mkdtemp(join(tmpdir(), 'bd-cancel-'));
  dataDir = join(work, 'data');
  srcFs = join(work, 'src-filestore');
  await createOdooShapedDb(cluster.url, 'src', { partners: 150_000, commentRepeat: 6, blobs: 4, blobBytes: 40_000, files: 300, fileBytes: 20_000 }, srcFs);
  dumpSql = join(work, 'dump.sql');
  await pgDumpPlain(cluster.url, 'src', dumpSql, cluster.binDir);
  bigZip = join(work, 'big.zip');
  await writeOdooZip(bigZip, dumpSql, 'src', srcFs);
}, 300_000);

afterAll(async () => {
  await cluster?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('cancel stops a zip or SQL restore at once, at any phase', () => {
  for (const f of [0.1, 0.5, 0.9]) {
    it(`zip, cancelled at ${f * 100} % of dump.sql`, async () => {
      const { err, settleMs } = await cancelWhen(bigZip, fraction(f));
      expect(err.kind).toBe('Cancelled');
      expect(settleMs).toBeLessThan(SETTLE_MS);
      expect(await leftovers()).toEqual([]);
    });
  }

  it('plain SQL, cancelled at 50 %', async () => {
    const { err, settleMs } = await cancelWhen(dumpSql, fraction(0.5));
    expect(err.kind).toBe('Cancelled');
    expect(settleMs).toBeLessThan(SETTLE_MS);
    expect(await leftovers()).toEqual([]);
  });

  it('zip, cancelled during the index builds: settles within 2 s, nothing left (no bd_tmp_*, no filestore folder)', async () => {
    const db = `c${++n}_db`;
    const { err, settleMs } = await cancelWhen(bigZip, (p) => p.phase === 'indexes', buildRunning, db);
    expect(err.kind).toBe('Cancelled');
    expect(settleMs).toBeLessThan(INDEX_SETTLE_MS);
    expect(await leftovers()).toEqual([]);
    await expect(stat(join(dataDir, 'filestore', db))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('the CLI, Ctrl-C during the index builds: exit 130 within 2 s, nothing left', async () => {
    const db = `c${++n}_db`;
    const p = startCli(await mkdtemp(join(work, 'home-')), ['restore', bigZip, '--db', db, '--target', cluster.url, '--data-dir', dataDir]);
    try {
      await waitFor(() => p.stderr().includes('Building indexes and constraints'), 120_000);
      await buildRunning();
      const at = Date.now();
      p.child.kill('SIGINT');
      const r = await p.done;
      expect(r.code, r.stderr).toBe(130);
      expect(Date.now() - at).toBeLessThan(INDEX_SETTLE_MS);
    } finally {
      p.child.kill('SIGKILL');
    }
    expect(await leftovers()).toEqual([]);
    await expect(stat(join(dataDir, 'filestore', db))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('zip, cancelled in the filestore', async () => {
    const { err, settleMs } = await cancelWhen(bigZip, (p) => p.phase === 'filestore' && (p.done ?? 0) >= 50);
    expect(err.kind).toBe('Cancelled');
    expect(settleMs).toBeLessThan(SETTLE_MS);
    expect(await leftovers()).toEqual([]);
  });
});

describe('an error in any stage ends the restore at once', () => {
  it('an SQL error half-way through a zip ends it, with nothing left', async () => {
    const text = await readFile(dumpSql);
    const at = text.indexOf(Buffer.from('\n\\.\n', 'latin1'), Math.floor(text.length / 2)) + 4;
    const bad = join(work, 'bad.sql');
    await writeFile(bad, Buffer.concat([text.subarray(0, at), Buffer.from('\nSELECT * FROM no_such_table_xyz;\n'), text.subarray(at)]));
    const z = join(work, 'bad.zip');
    await writeOdooZip(z, bad, 'src', srcFs);
    const started = Date.now();
    const err = await restoreBackup(opts(z, `e${++n}_db`), { signal: new AbortController().signal, log: () => undefined, progress: () => undefined }).then(
      () => undefined,
      (e: unknown) => e as AppError,
    );
    expect(err?.kind).toBe('Fatal');
    expect(err?.message).toContain('no_such_table_xyz');
    expect(Date.now() - started).toBeLessThan(120_000);
    expect(await leftovers()).toEqual([]);
  });

  it('a corrupt dump.sql (CRC mismatch) is reported as a corrupt archive, not as an SQL error', async () => {
    const z = join(work, 'flipped-stored.zip');
    await writeOdooZip(z, dumpSql, 'src', undefined, { store: true });
    const buf = Buffer.from(await readFile(z));
    // Turn a statement early in the stored dump.sql into an SQL error; its CRC no longer matches.
    const at = buf.indexOf(Buffer.from('CREATE TABLE public.'));
    expect(at).toBeGreaterThan(0);
    buf.write('CREATE TABLX', at, 'latin1');
    await writeFile(z, buf);
    const err = await restoreBackup(opts(z, `e${++n}_db`), { signal: new AbortController().signal, log: () => undefined, progress: () => undefined }).then(
      () => undefined,
      (e: unknown) => e as AppError,
    );
    expect(err?.kind).toBe('Integrity');
    expect(err?.message).toMatch(/CRC-32 mismatch in "dump.sql"/);
    expect(await leftovers()).toEqual([]);
  });
});
