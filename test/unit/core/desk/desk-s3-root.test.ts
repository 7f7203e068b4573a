/**
 * The Desk on an S3 storage at the bucket root (prefix ""), where odoo_backup_sh with an empty
 * Path left keys like `./acme.prod.2021-03-04_05-06-07.zip`: the pair is listed as an
 * odoo_backup_sh backup under its literal `./` key, and that ref downloads (s3rver on loopback).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Desk } from '../../../../shared/core/desk/open-desk';
import { MemorySecretStore } from '../../../../shared/core/secrets/secret-store';
import { writeTinyZip } from '../../../helpers/gpg';
import { startS3Server, type S3TestServer } from '../../../helpers/s3-server';

let s3: S3TestServer;
let tmp: string;
let zip: Buffer;
let desk: Desk;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'bd-desk-s3-root-'));
  await writeTinyZip(join(tmp, 'a.zip'), { 'dump.sql': Buffer.alloc(100_000, 7), 'manifest.json': '{"db_name":"acme.prod"}' });
  zip = await readFile(join(tmp, 'a.zip'));
  s3 = await startS3Server('odoo-root');
  await s3.seedObjects([
    { key: './acme.prod.2021-03-04_05-06-07.zip', data: zip },
    { key: './acme.prod.2021-03-04_05-06-07.info', data: Buffer.from(`[common]\ndatabase = acme.prod\nencrypted = False\nbackup_size = ${zip.length / 1024 / 1024}\n`) },
  ]);
  desk = await Desk.open({ home: join(tmp, 'home'), secrets: new MemorySecretStore() });
  await desk['storages:add'](s3.storageArgs('root', ''));
}, 120_000);

afterAll(async () => {
  await desk?.close();
  await s3?.stop();
  await rm(tmp, { recursive: true, force: true });
});

describe('Desk on S3 at the bucket root', () => {
  it('lists the "./" pair as one odoo_backup_sh backup and downloads it by its listed ref', async () => {
    const cat = await desk['catalog:list']({ includeStrays: true });
    expect(cat.failures).toEqual([]);
    expect(cat.strays).toEqual([]);
    expect(cat.backups.map((b) => [b.ref, b.database, b.convention, b.warnings?.length ?? 0])).toEqual([
      ['root:./acme.prod.2021-03-04_05-06-07.zip', 'acme.prod', 'odoo-backup-sh', 0],
    ]);
    const out = await mkdtemp(join(tmp, 'out-'));
    const r = await desk.startDownload({ ref: cat.backups[0]!.ref, out }).result;
    expect(r.verified).toEqual(['size', 'md5 (storage)', 'zip (2 entries)']);
    expect(await readdir(out)).toEqual(['acme.prod.2021-03-04_05-06-07.zip']);
    expect(createHash('sha256').update(await readFile(r.path)).digest('hex')).toBe(createHash('sha256').update(zip).digest('hex'));
  });
});
