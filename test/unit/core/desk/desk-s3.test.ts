/**
 * The Desk against a real S3 server on loopback (s3rver through the S3 provider): an
 * odoo_backup_sh bucket with its `./` key prefix (the storage's folder set to `./`, as its help says) is catalogued, downloaded with the storage's
 * MD5 checked, and a truncated object is refused.
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
let refs: string[] = [];

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'bd-desk-s3-'));
  await writeTinyZip(join(tmp, 'a.zip'), { 'dump.sql': Buffer.alloc(300_000, 7), 'manifest.json': '{"db_name":"acme.prod"}' });
  zip = await readFile(join(tmp, 'a.zip'));
  s3 = await startS3Server('odoo-backups');
  await s3.seedObjects([
    { key: './acme.prod.2021-03-04_05-06-07.zip', data: zip },
    { key: './acme.prod.2021-03-04_05-06-07.info', data: Buffer.from(`[common]\ndatabase = acme.prod\nencrypted = False\nbackup_size = ${zip.length / 1024 / 1024}\n`) },
    { key: './acme.prod.2021-03-05_05-06-07.zip', data: zip.subarray(0, 1000) },
    { key: './lonely.2020-01-01_00-00-00.info', data: Buffer.from('[common]\n') },
  ]);
  desk = await Desk.open({ home: join(tmp, 'home'), secrets: new MemorySecretStore() });
  await desk['storages:add'](s3.storageArgs('bsh', './'));
}, 120_000);

afterAll(async () => {
  await desk?.close();
  await s3?.stop();
  await rm(tmp, { recursive: true, force: true });
});

describe('Desk on S3', () => {
  it('catalogues odoo_backup_sh pairs stored under ./, with the orphan .info as a stray', async () => {
    const cat = await desk['catalog:list']({ includeStrays: true });
    expect(cat.failures).toEqual([]);
    // Whether the provider shows the literal `./` of the keys is its business: refs are whatever it lists.
    const strip = (ref: string) => ref.replace(/^bsh:(\.\/)?/, '');
    expect(cat.backups.map((b) => [strip(b.ref), b.database, b.convention, b.warnings?.length ?? 0])).toEqual([
      ['acme.prod.2021-03-05_05-06-07.zip', 'acme.prod', 'odoo-backup-sh', 1],
      ['acme.prod.2021-03-04_05-06-07.zip', 'acme.prod', 'odoo-backup-sh', 0],
    ]);
    expect(cat.backups[0]!.warnings![0]).toMatch(/\.info file is missing/);
    expect(cat.strays.map((x) => strip(x.ref))).toEqual(['lonely.2020-01-01_00-00-00.info']);
    refs = cat.backups.map((b) => b.ref);
  });

  it('storage test lists, writes, reads back and deletes a probe on S3', async () => {
    const r = await desk['storages:test']({ name: 'bsh' });
    expect(r.checks.filter((c) => !c.ok)).toEqual([]);
    expect(r.ok).toBe(true);
    const after = await desk['catalog:list']({ includeStrays: true });
    expect(after.strays.some((x) => x.key.includes('backup-desk-probe'))).toBe(false);
  });

  it('a mistyped secret key is replaced with storages:set-secrets, which drops the connection made with the old one', async () => {
    const args = s3.storageArgs('typo', './');
    const right = args.secrets.secretAccessKey!;
    await desk['storages:add']({ ...args, secrets: { ...args.secrets, secretAccessKey: `${right}x` } });
    const before = await desk['storages:test']({ name: 'typo' });
    expect(before.ok).toBe(false);
    await expect(desk['storages:set-secrets']({ name: 'typo', secrets: { nope: 'x' } })).rejects.toMatchObject({ kind: 'InvalidInput', message: 'S3-compatible storages have no secret "nope".' });
    const s = await desk['storages:set-secrets']({ name: 'typo', secrets: { secretAccessKey: right } });
    expect(s).toMatchObject({ name: 'typo', kind: 's3', settings: args.settings });
    expect((await desk['storages:test']({ name: 'typo' })).ok).toBe(true);
    // What goes with the secrets (the access key ID) can change with them; nothing else can.
    await expect(desk['storages:set-secrets']({ name: 'typo', secrets: {}, credentials: { bucket: 'other' } })).rejects.toMatchObject({ kind: 'InvalidInput', message: expect.stringContaining('"bucket" cannot be changed with the secrets') });
    const moved = await desk['storages:set-secrets']({ name: 'typo', secrets: {}, credentials: { accessKeyId: 'AKIDNEW' } });
    expect(moved.settings).toMatchObject({ ...args.settings, accessKeyId: 'AKIDNEW' });
    expect((await desk['storages:test']({ name: 'typo' })).ok).toBe(false); // s3rver does not know that key
    await desk['storages:remove']({ name: 'typo' });
  });

  it('downloads with the storage MD5 verified; a truncated object leaves nothing', async () => {
    const out = await mkdtemp(join(tmp, 'out-'));
    const ok = desk.startDownload({ ref: refs[1]!, out });
    const r = await ok.result;
    expect(r.verified).toEqual(['size', 'md5 (storage)', 'zip (2 entries)']);
    expect(createHash('sha256').update(await readFile(r.path)).digest('hex')).toBe(createHash('sha256').update(zip).digest('hex'));
    const bad = desk.startDownload({ ref: refs[0]!, out });
    await expect(bad.result).rejects.toMatchObject({ kind: 'Integrity' });
    expect(await readdir(out)).toEqual(['acme.prod.2021-03-04_05-06-07.zip']);
  });
});
