/**
 * Restores to a running Odoo (the upload source over a storage) give the storage's transfer
 * slots back: a zip sent as it is or decrypted on the way (or not: a wrong passphrase), a folder
 * backup packed into a zip on the way (dump through pg_restore, filestore files read one by one),
 * an upload Odoo refuses half way (nginx's 413), an upload cut by Odoo's limit_time_real, and one
 * cancelled mid-upload: in the dump (while pg_restore runs) or in the filestore (8 MB of
 * incompressible files after a small dump).
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Desk } from '../../../../shared/core/desk/open-desk';
import { MemorySecretStore } from '../../../../shared/core/secrets/secret-store';
import { fixtureDirWith } from '../../../helpers/fixtures';
import { gpgEncryptSymmetric, makeGpgHome } from '../../../helpers/gpg';
import { startFakeOdoo, type FakeOdoo } from '../../../helpers/fake-services/odoo-manager';
import { jobEnd } from '../../../helpers/job-end';
import { ownPath, transferSlots, type TransferSlots } from '../../../helpers/transfer-slots';

const FIX = fixtureDirWith('acme_medium_zip.zip');
const ZIP = 'acme_2024-01-01_00-00-00.zip';
const FOLDER = 'acme_folder/';
const BIG_DUMP = 'acme_big/';
const ENC = 'acme_2024-01-02_00-00-00.zip.gpg';
let tmp: string;
let data: string;
let slots: TransferSlots;
let desk: Desk;
let fake: FakeOdoo;
let n = 0;

beforeAll(async () => {
  if (!FIX) return;
  tmp = await mkdtemp(join(tmpdir(), 'bd-slots-odoo-'));
  data = join(tmp, 'data');
  await mkdir(join(data, FOLDER, 'filestore', 'ab'), { recursive: true });
  await copyFile(join(FIX, 'acme_medium_zip.zip'), join(data, ZIP));
  await copyFile(join(FIX, 'acme_small_dump.dump'), join(data, FOLDER, 'db.dump'));
  await writeFile(join(data, FOLDER, 'manifest.json'), '{"db_name":"acme","version":"16.0"}');
  await mkdir(join(data, BIG_DUMP));
  await copyFile(join(FIX, 'acme_medium_dump.dump'), join(data, BIG_DUMP, 'db.dump'));
  await writeFile(join(data, BIG_DUMP, 'manifest.json'), '{"db_name":"acme","version":"16.0"}');
  for (let i = 0; i < 40; i++) await writeFile(join(data, FOLDER, 'filestore', 'ab', `ab${i}`), randomBytes(200_000));
  const gpg = await makeGpgHome();
  try {
    await gpgEncryptSymmetric(gpg, join(FIX, 'acme_small_zip.zip'), join(data, ENC), 'correct horse');
  } finally {
    await gpg.close();
  }
  fake = await startFakeOdoo({ version: '16.0', masterPassword: 'master' });
  slots = transferSlots();
  desk = await Desk.open({ home: join(tmp, 'home'), secrets: new MemorySecretStore(), wrapStorage: slots.wrap });
  await desk['odoo:add']({ name: 'prod', url: fake.url, masterPassword: 'master' });
}, 120_000);
afterEach(() => fake?.set({ proxyMaxBodySize: undefined, limitTimeRealMs: undefined, uploadBytesPerSecond: undefined }));
afterAll(async () => {
  await desk?.close();
  await fake?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** Restores `key` from a fresh storage to the fake Odoo (cancelling once `cancelWhen` holds); expects `state` and every slot back. */
async function givesSlotsBack(key: string, state: string, cancelWhen?: () => boolean, passphrase?: string): Promise<void> {
  const s = `nas${++n}`;
  await desk['storages:add']({ name: s, kind: 'local', settings: { path: await ownPath(tmp, data, s) } });
  const { jobId } = await desk['restore:start']({ source: `${s}:${key}`, db: `slots${n}`, target: { type: 'odoo', instance: 'prod' }, ...(passphrase !== undefined ? { passphrase } : {}) });
  if (cancelWhen) {
    await jobEnd(desk, jobId, cancelWhen);
    await desk['jobs:cancel']({ jobId });
  }
  expect(await jobEnd(desk, jobId)).toBe(state);
  expect(await slots.settled(s)).toBe(0);
}

describe.skipIf(!FIX)('transfer slots after a restore to a running Odoo', () => {
  it('zip, complete', () => givesSlotsBack(ZIP, 'succeeded'));
  it('folder backup packed into a zip, complete', () => givesSlotsBack(FOLDER, 'succeeded'));
  it('encrypted zip, decrypted on the way', () => givesSlotsBack(ENC, 'succeeded', undefined, 'correct horse'));
  it('encrypted zip, wrong passphrase', () => givesSlotsBack(ENC, 'failed', undefined, 'wrong'));
  it('zip refused half way (413)', async () => {
    fake.set({ proxyMaxBodySize: 100_000 });
    await givesSlotsBack(ZIP, 'failed');
  });
  it('folder backup refused half way (413)', async () => {
    fake.set({ proxyMaxBodySize: 3_000_000 });
    await givesSlotsBack(FOLDER, 'failed');
  });
  it('folder backup cut by limit_time_real', async () => {
    fake.set({ limitTimeRealMs: 300, uploadBytesPerSecond: 4_000_000 });
    await givesSlotsBack(FOLDER, 'failed');
  });
  it('folder backup cancelled mid-upload', async () => {
    fake.set({ uploadBytesPerSecond: 4_000_000 });
    await givesSlotsBack(FOLDER, 'cancelled', () => fake.bodyBytesSeen > 2_000_000);
  });
  it('folder backup cancelled while pg_restore turns its dump into SQL (the cancel used to kill pg_restore unheard, ending the process)', async () => {
    fake.set({ uploadBytesPerSecond: 1_000_000 });
    await givesSlotsBack(BIG_DUMP, 'cancelled', () => fake.bodyBytesSeen > 200_000);
  });
});
