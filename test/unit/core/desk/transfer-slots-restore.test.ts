/**
 * Restores give their storage's transfer slots back, whatever their end: complete (zip, dump,
 * folder backup, encrypted zip), cancelled in preflight or while loading, failed on an SQL error,
 * a corrupt zip entry or gzip stream, or a wrong passphrase; and restore drills (into the private PostgreSQL),
 * passed and failed. Real fixtures on a local folder storage, a throwaway PostgreSQL.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Desk } from '../../../../shared/core/desk/open-desk';
import { EmbeddedPg, findServerBinaries } from '../../../../shared/core/pg/embedded';
import { MemorySecretStore } from '../../../../shared/core/secrets/secret-store';
import { fixtureDirWith } from '../../../helpers/fixtures';
import { gpgEncryptSymmetric, makeGpgHome, writeTinyZip } from '../../../helpers/gpg';
import { startPgCluster, type PgCluster } from '../../../helpers/pg-cluster';
import { jobEnd } from '../../../helpers/job-end';
import { ownPath, transferSlots, type TransferSlots } from '../../../helpers/transfer-slots';

const FIX = fixtureDirWith('acme_medium_zip.zip');
const hasServer = (await findServerBinaries()) !== undefined;
const ZIP = 'acme_2024-01-01_00-00-00.zip';
const MEDIUM = 'acme_2024-01-05_00-00-00.zip';
const DUMP = 'acme_2024-01-02_00-00-00.dump';
const BAD_SQL = 'acme_2024-01-03_00-00-00.zip';
const CORRUPT = 'acme_2024-01-04_00-00-00.zip';
const FOLDER = 'acme_folder/';
const ENC = 'acme_2024-01-06_00-00-00.zip.gpg';
const BAD_GZ = 'broken.sql.gz';
let tmp: string;
let data: string;
let cluster: PgCluster;
let slots: TransferSlots;
let desk: Desk;
let n = 0;

beforeAll(async () => {
  if (!FIX) return;
  cluster = await startPgCluster();
  tmp = await mkdtemp(join(tmpdir(), 'bd-slots-restore-'));
  data = join(tmp, 'data');
  await mkdir(join(data, FOLDER, 'filestore', 'ab'), { recursive: true });
  await copyFile(join(FIX, 'acme_small_zip.zip'), join(data, ZIP));
  await copyFile(join(FIX, 'acme_medium_zip.zip'), join(data, MEDIUM));
  await copyFile(join(FIX, 'acme_small_dump.dump'), join(data, DUMP));
  await writeTinyZip(join(data, BAD_SQL), { 'dump.sql': 'CREATE TABLE t (a int);\nSELECT no_such_function();\n', 'manifest.json': '{"db_name":"acme","version":"16.0"}' });
  const zip = await readFile(join(FIX, 'acme_small_zip.zip'));
  zip.fill(0x55, Math.floor(zip.length / 2), Math.floor(zip.length / 2) + 4096);
  await writeFile(join(data, CORRUPT), zip);
  await copyFile(join(FIX, 'acme_small_dump.dump'), join(data, FOLDER, 'db.dump'));
  await writeFile(join(data, FOLDER, 'manifest.json'), '{"db_name":"acme","version":"16.0"}');
  for (const f of ['ab0001', 'ab0002', 'ab0003']) await writeFile(join(data, FOLDER, 'filestore', 'ab', f), f.repeat(1000));
  const gz = gzipSync(Buffer.from(`CREATE TABLE t (a text);\nCOPY t (a) FROM stdin;\n${randomBytes(400_000).toString('hex')}\n\\.\n`));
  gz.fill(0x55, gz.length >> 1, (gz.length >> 1) + 4096);
  await writeFile(join(data, BAD_GZ), gz);
  const gpg = await makeGpgHome();
  try {
    await gpgEncryptSymmetric(gpg, join(FIX, 'acme_small_zip.zip'), join(data, ENC), 'correct horse');
  } finally {
    await gpg.close();
  }
  slots = transferSlots();
  desk = await Desk.open({ home: join(tmp, 'home'), secrets: new MemorySecretStore(), wrapStorage: slots.wrap });
}, 120_000);
afterAll(async () => {
  await desk?.close();
  if (tmp) await new EmbeddedPg({ home: join(tmp, 'home') }).destroy().catch(() => undefined);
  await cluster?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** Starts a restore of `key` from a fresh storage; its storage and job. */
async function restore(key: string, passphrase?: string): Promise<{ s: string; jobId: string }> {
  const s = `nas${++n}`;
  await desk['storages:add']({ name: s, kind: 'local', settings: { path: await ownPath(tmp, data, s) } });
  const target = { type: 'postgres' as const, url: cluster.url, dataDir: join(tmp, 'odoo') };
  const { jobId } = await desk['restore:start']({ source: `${s}:${key}`, db: `slots${n}`, target, ...(passphrase !== undefined ? { passphrase } : {}) });
  return { s, jobId };
}

/** Restores `key`, optionally cancelling once `cancelAt` says so; expects `state` and every slot back; the job's error message. */
async function givesSlotsBack(key: string, state: string, cancelAt?: (phase: string | undefined) => boolean, passphrase?: string): Promise<string | undefined> {
  const { s, jobId } = await restore(key, passphrase);
  if (cancelAt) {
    await jobEnd(desk, jobId, (job) => cancelAt(job.progress?.phase));
    await desk['jobs:cancel']({ jobId });
  }
  expect(await jobEnd(desk, jobId)).toBe(state);
  expect(await slots.settled(s)).toBe(0);
  return desk.jobs.get(jobId)?.error?.message;
}

describe.skipIf(!FIX)('transfer slots after a restore from a storage', () => {
  it('zip, complete', () => givesSlotsBack(ZIP, 'succeeded'));
  it('dump, complete', () => givesSlotsBack(DUMP, 'succeeded'));
  it('folder backup, complete', () => givesSlotsBack(FOLDER, 'succeeded'));
  it('cancelled in preflight', () => givesSlotsBack(MEDIUM, 'cancelled', (p) => p === 'preflight'));
  it('cancelled while loading', () => givesSlotsBack(MEDIUM, 'cancelled', (p) => p === 'database' || p === 'filestore'));
  it('failed on a corrupt zip entry', () => givesSlotsBack(CORRUPT, 'failed'));
  it('failed on a corrupt gzipped SQL dump', async () => expect(await givesSlotsBack(BAD_GZ, 'failed')).toMatch(/gzip/));
  it('failed on an SQL error (the error is the SQL one)', async () => expect(await givesSlotsBack(BAD_SQL, 'failed')).toMatch(/no_such_function/));
  it('encrypted zip, complete', () => givesSlotsBack(ENC, 'succeeded', undefined, 'correct horse'));
  it('encrypted zip, wrong passphrase', () => givesSlotsBack(ENC, 'failed', undefined, 'wrong'));
});

describe.skipIf(!FIX || !hasServer)('transfer slots after a restore drill', () => {
  /** Drills `key` from a fresh storage; expects `state` and every slot back. */
  async function drill(key: string, state: string): Promise<void> {
    const s = `nas${++n}`;
    await desk['storages:add']({ name: s, kind: 'local', settings: { path: await ownPath(tmp, data, s) } });
    const { jobId } = await desk['drills:run']({ ref: `${s}:${key}` });
    expect(await jobEnd(desk, jobId)).toBe(state);
    expect(await slots.settled(s)).toBe(0);
  }
  it('passed', () => drill(ZIP, 'succeeded'));
  it('failed (a corrupt entry)', () => drill(CORRUPT, 'failed'));
});
