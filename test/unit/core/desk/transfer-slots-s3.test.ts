/**
 * Flows on an S3 storage give its transfer slots back: ranged reads over HTTP (a zip's central
 * directory and manifest read by yauzl, a dump's header), the catalog, the storage test, and
 * downloads (complete, resumed after a dropped connection, cancelled half way).
 */
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Desk } from '../../../../shared/core/desk/open-desk';
import { MemorySecretStore } from '../../../../shared/core/secrets/secret-store';
import { fixtureDirWith } from '../../../helpers/fixtures';
import { startS3Server, type S3TestServer } from '../../../helpers/s3-server';
import { jobEnd } from '../../../helpers/job-end';
import { transferSlots, type TransferSlots } from '../../../helpers/transfer-slots';

const FIX = fixtureDirWith('acme_medium_zip.zip');
const ZIP = 'acme_2024-01-01_00-00-00.zip';
const DUMP = 'acme_2024-01-02_00-00-00.dump';
let s3: S3TestServer;
let tmp: string;
let slots: TransferSlots;
let desk: Desk;
let n = 0;

beforeAll(async () => {
  if (!FIX) return;
  tmp = await mkdtemp(join(tmpdir(), 'bd-slots-s3-'));
  s3 = await startS3Server('slots');
  await s3.seedObjects([
    { key: `backups/${ZIP}`, data: await readFile(join(FIX, 'acme_medium_zip.zip')) },
    { key: `backups/${DUMP}`, data: await readFile(join(FIX, 'acme_medium_dump.dump')) },
  ]);
  slots = transferSlots();
  desk = await Desk.open({ home: join(tmp, 'home'), secrets: new MemorySecretStore(), wrapStorage: slots.wrap });
}, 120_000);
afterAll(async () => {
  await desk?.close();
  await s3?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** Runs `flow` on a fresh storage over the bucket, then expects every slot of it back. */
async function givesSlotsBack(flow: (s: string) => Promise<unknown>): Promise<void> {
  const s = `s3n${++n}`;
  await desk['storages:add'](s3.storageArgs(s, 'backups/'));
  await flow(s);
  expect(await slots.settled(s)).toBe(0);
}

describe.skipIf(!FIX)('transfer slots after each flow (S3)', () => {
  it('inspect: zip through ranged reads, several times', () =>
    givesSlotsBack(async (s) => {
      for (let i = 0; i < 2; i++) expect(await desk['backups:inspect']({ source: `${s}:${ZIP}` })).toMatchObject({ format: 'zip', filestoreFiles: 612 });
    }));
  it('inspect: dump', () => givesSlotsBack(async (s) => expect(await desk['backups:inspect']({ source: `${s}:${DUMP}` })).toMatchObject({ format: 'dump' })));
  it('catalog listing', () => givesSlotsBack((s) => desk['catalog:list']({ storages: [s] })));
  it('storage test', () => givesSlotsBack(async (s) => expect((await desk['storages:test']({ name: s })).ok).toBe(true)));
  it('download: complete', () =>
    givesSlotsBack(async (s) => expect(await jobEnd(desk, (await desk['download:start']({ ref: `${s}:${ZIP}`, out: join(tmp, `${s}.zip`) })).jobId)).toBe('succeeded')));
  it('download: resumed after a dropped connection', () =>
    givesSlotsBack(async (s) => {
      s3.interruptNext('read', 2_000_000);
      expect(await jobEnd(desk, (await desk['download:start']({ ref: `${s}:${ZIP}`, out: join(tmp, `${s}.zip`) })).jobId)).toBe('succeeded');
    }));
  it('download: cancelled half way', () =>
    givesSlotsBack(async (s) => {
      const { jobId } = await desk['download:start']({ ref: `${s}:${DUMP}`, out: join(tmp, `${s}.dump`) });
      await jobEnd(desk, jobId, (job) => (job.progress?.done ?? 0) > 0);
      await desk['jobs:cancel']({ jobId });
      expect(await jobEnd(desk, jobId)).toBe('cancelled');
    }));
});
