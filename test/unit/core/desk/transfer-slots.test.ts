/**
 * Every flow gives its storage's transfer slots back: a read holds one until its stream closes,
 * so a read dropped without being consumed or destroyed would leave a long-lived app (serve, the
 * Electron app, the daemon) hanging on that storage for good. Each flow runs against a local
 * folder of real fixtures (its own storage name, so one leak shows in one test) and the slots in
 * use must be back to 0 once it has settled.
 */
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Desk } from '../../../../shared/core/desk/open-desk';
import { MemorySecretStore } from '../../../../shared/core/secrets/secret-store';
import { fixtureDirWith } from '../../../helpers/fixtures';
import { gpgEncryptSymmetric, makeGpgHome, type GpgHome } from '../../../helpers/gpg';
import { jobEnd } from '../../../helpers/job-end';
import { ownPath, transferSlots, type TransferSlots } from '../../../helpers/transfer-slots';

const FIX = fixtureDirWith('acme_small_zip.zip');
const ZIP = 'acme_2024-01-01_00-00-00.zip';
const DUMP = 'acme_2024-01-02_00-00-00.dump';
const ENC = 'acme_2024-01-03_00-00-00.zip.gpg';
const BAD_SUM = 'acme_2024-01-04_00-00-00.dump';
let tmp: string;
let data: string;
let gpg: GpgHome;
let slots: TransferSlots;
let desk: Desk;
let n = 0;

beforeAll(async () => {
  if (!FIX) return;
  tmp = await mkdtemp(join(tmpdir(), 'bd-slots-'));
  data = join(tmp, 'data');
  await mkdir(data);
  await copyFile(join(FIX, 'acme_small_zip.zip'), join(data, ZIP));
  await copyFile(join(FIX, 'acme_small_dump.dump'), join(data, DUMP));
  await copyFile(join(FIX, 'acme_small_dump.dump'), join(data, BAD_SUM));
  await writeFile(join(data, `${BAD_SUM}.sha256`), `${'0'.repeat(64)}  ${BAD_SUM}\n`);
  // For the catalog: a generic name whose head is read, an odoo_backup_sh pair (.info read), a folder backup (manifest read).
  await copyFile(join(FIX, 'acme_small_dump.dump'), join(data, 'nightly.backup'));
  await copyFile(join(FIX, 'acme_small_zip.zip'), join(data, 'shop.2024-05-01_10-00-00.zip'));
  await writeFile(join(data, 'shop.2024-05-01_10-00-00.info'), '[common]\ndatabase = shop\nencrypted = False\n');
  await mkdir(join(data, 'acme_folder'));
  await copyFile(join(FIX, 'acme_small_dump.dump'), join(data, 'acme_folder', 'db.dump'));
  await writeFile(join(data, 'acme_folder', 'manifest.json'), '{"db_name":"acme","version":"16.0"}');
  gpg = await makeGpgHome();
  await gpgEncryptSymmetric(gpg, join(FIX, 'acme_small_zip.zip'), join(data, ENC), 'correct horse');
  slots = transferSlots();
  desk = await Desk.open({ home: join(tmp, 'home'), secrets: new MemorySecretStore(), wrapStorage: slots.wrap });
}, 60_000);
afterAll(async () => {
  await desk?.close();
  await gpg?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** A storage of its own over the fixtures folder. */
async function storage(): Promise<string> {
  const name = `nas${++n}`;
  await desk['storages:add']({ name, kind: 'local', settings: { path: await ownPath(tmp, data, name) } });
  return name;
}

/** Runs `flow` on a fresh storage, then expects every slot of it back. */
async function givesSlotsBack(flow: (s: string) => Promise<unknown>): Promise<void> {
  const s = await storage();
  await flow(s);
  expect(await slots.settled(s)).toBe(0);
}

/** Files this process has open (Linux), or undefined elsewhere. */
async function openFiles(): Promise<number | undefined> {
  await new Promise((r) => setTimeout(r, 50));
  return (await readdir('/proc/self/fd').catch(() => undefined))?.length;
}

/** Starts a download and waits for it. */
async function download(args: Parameters<Desk['download:start']>[0]): Promise<string> {
  return jobEnd(desk, (await desk['download:start'](args)).jobId);
}

describe.skipIf(!FIX)('transfer slots after each flow (local folder)', () => {
  it('inspect: zip', () => givesSlotsBack((s) => desk['backups:inspect']({ source: `${s}:${ZIP}` })));
  it('inspect: dump', () => givesSlotsBack((s) => desk['backups:inspect']({ source: `${s}:${DUMP}` })));
  it('inspect: encrypted zip, right passphrase', () => givesSlotsBack((s) => desk['backups:inspect']({ source: `${s}:${ENC}`, passphrase: 'correct horse' })));
  it('inspect: encrypted zip, wrong passphrase', () => givesSlotsBack((s) => expect(desk['backups:inspect']({ source: `${s}:${ENC}`, passphrase: 'wrong' })).rejects.toMatchObject({ kind: 'AuthFailed' })));
  it('inspect: encrypted zip, no passphrase', () => givesSlotsBack(async (s) => expect(await desk['backups:inspect']({ source: `${s}:${ENC}` })).toMatchObject({ encrypted: true, contentsRead: false })));
  it('catalog listing (heads, .info, .sha256 and manifest read)', () =>
    givesSlotsBack(async (s) => {
      const cat = await desk['catalog:list']({ storages: [s], includeStrays: true });
      expect(cat.backups.map((b) => b.ref)).toEqual(expect.arrayContaining([`${s}:nightly.backup`, `${s}:shop.2024-05-01_10-00-00.zip`, `${s}:acme_folder/`]));
    }));
  it('rotation (a dry run over a catalog that reads .info files)', () =>
    givesSlotsBack(async (s) => expect(await desk['rotation:run']({ storage: s, db: 'shop', policy: { keepLast: 1 }, dryRun: true })).toBeDefined()));
  it('inspect: folder backup, and a backup found through its .info companion', () =>
    givesSlotsBack(async (s) => {
      expect(await desk['backups:inspect']({ source: `${s}:acme_folder/` })).toMatchObject({ format: 'folder', odooVersion: '16.0' });
      expect(await desk['backups:inspect']({ source: `${s}:shop.2024-05-01_10-00-00.zip` })).toMatchObject({ format: 'zip' });
    }));

  it('download: complete', () => givesSlotsBack((s) => download({ ref: `${s}:${ZIP}`, out: join(tmp, `dl-${s}.zip`) })));
  it('download: failed verification', () =>
    givesSlotsBack(async (s) => expect(await download({ ref: `${s}:${BAD_SUM}`, out: join(tmp, `dl-${s}.dump`) })).toBe('failed')));
  it('download: decrypted', () =>
    givesSlotsBack(async (s) => expect(await download({ ref: `${s}:${ENC}`, out: join(tmp, `dl-${s}.zip`), decrypt: true, passphrase: 'correct horse' })).toBe('succeeded')));
  it('download: wrong passphrase (and no file left open)', () =>
    givesSlotsBack(async (s) => {
      const before = await openFiles();
      for (let i = 0; i < 3; i++) expect(await download({ ref: `${s}:${ENC}`, out: join(tmp, `dl-${s}.zip`), decrypt: true, passphrase: 'wrong' })).toBe('failed');
      if (before !== undefined) expect(await openFiles()).toBeLessThan(before + 3);
    }));
  it('download: cancelled half way', () =>
    givesSlotsBack(async (s) => {
      const { jobId } = await desk['download:start']({ ref: `${s}:${ZIP}`, out: join(tmp, `dl-${s}.zip`) });
      while ((desk.jobs.get(jobId)?.progress?.done ?? 0) === 0 && desk.jobs.get(jobId)?.state === 'running') await new Promise((r) => setTimeout(r, 1));
      await desk['jobs:cancel']({ jobId });
      expect(await jobEnd(desk, jobId)).toBe('cancelled');
    }));
});
