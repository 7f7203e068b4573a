import { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanStorage } from '../../../../../shared/core/catalog/catalog';
import { s3ConfigSchema, type S3Config } from '../../../../../shared/core/storage/s3/config';
import { createS3Provider } from '../../../../../shared/core/storage/s3/s3-provider';
import type { StorageProvider } from '../../../../../shared/core/storage/provider';
import { rawS3Client, startS3Server, type S3TestServer } from '../../../../helpers/s3-server';
import { bodyOf, collect, drain, expectKind } from '../../../../conformance/storage-suite';

// odoo_backup_sh builds its keys as `<Path>/<file>`, so a Path set with a trailing slash writes
// `backups//mydb.<ts>.zip`: an ordinary S3 key that must list, stat, read and remove as itself.
let server: S3TestServer;
let raw: S3Client;
const open: StorageProvider[] = [];
const ZIP = 'backups//mydb.2021-01-01_00-00-00.zip';
const INFO = 'backups//mydb.2021-01-01_00-00-00.info';
const INFO_TEXT = '[common]\ndatabase = mydb\nencrypted = False\nupload_datetime = 2021-01-01_00-00-00\nbackup_size = 0.0\nstorage_service = odoo_backup_sh\n';

const providerFor = (prefix: string): StorageProvider => {
  const config: S3Config = s3ConfigSchema.parse({ endpoint: server.endpoint, bucket: server.bucket, forcePathStyle: true, accessKeyId: server.accessKeyId, prefix });
  const p = createS3Provider(config, { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey });
  open.push(p);
  return p;
};
const put = (key: string, body: string): Promise<unknown> => raw.send(new PutObjectCommand({ Bucket: server.bucket, Key: key, Body: body }));
const rawKeys = async (prefix: string): Promise<string[]> =>
  ((await raw.send(new ListObjectsV2Command({ Bucket: server.bucket, Prefix: prefix }))).Contents ?? []).map((o) => o.Key ?? '').sort();

beforeAll(async () => {
  server = await startS3Server();
  raw = rawS3Client(server);
});
afterAll(async () => {
  for (const p of open) await p.close();
  raw?.destroy();
  await server?.stop();
});

describe('S3 keys with empty segments', () => {
  it('the test server stores "a//b" faithfully, apart from "a/b"', async () => {
    await put('faithful/a//b.txt', 'double');
    await put('faithful/a/b.txt', 'single');
    expect(await rawKeys('faithful/')).toEqual(['faithful/a//b.txt', 'faithful/a/b.txt']);
  });

  it('lists, stats, reads (whole and ranged) and removes backups//name.zip as itself', async () => {
    const p = providerFor('bucket-root');
    expect(p.capabilities.keyRules?.emptySegments).toBe(true);
    await put(`bucket-root/${ZIP}`, '0123456789');
    await put(`bucket-root/${INFO}`, INFO_TEXT);
    await put('bucket-root/backups/mydb.2021-01-01_00-00-00.zip', 'other object, single slash');
    const listed = (await collect(p.list(''))).map((o) => o.key).sort();
    expect(listed).toEqual([INFO, ZIP, 'backups/mydb.2021-01-01_00-00-00.zip'].sort());
    expect((await p.stat(ZIP)).size).toBe(10);
    expect((await drain(await p.read(ZIP))).toString()).toBe('0123456789');
    expect((await drain(await p.read(ZIP, { range: { offset: 3, length: 4 } }))).toString()).toBe('3456');
    expect((await drain(await p.read(ZIP, { range: { offset: 8 } }))).toString()).toBe('89');
    expect((await drain(await p.read('backups/mydb.2021-01-01_00-00-00.zip'))).toString()).toBe('other object, single slash');

    // The catalog pairs the archive with its .info and names the database.
    const scan = await scanStorage('s3', p);
    const b = scan.backups.find((x) => x.key === ZIP);
    expect(b).toMatchObject({ database: 'mydb', convention: 'odoo-backup-sh', companions: [INFO], createdAt: '2021-01-01T00:00:00.000Z' });
    expect(b?.warnings).toBeUndefined();

    await p.remove!(ZIP);
    await expectKind(() => p.stat(ZIP), 'NotFound');
    expect(await rawKeys('bucket-root/backups/')).toEqual([`bucket-root/${INFO}`, 'bucket-root/backups/mydb.2021-01-01_00-00-00.zip']);
  });

  it('writes such keys, and addresses a leading "/" below a prefix that ends before it', async () => {
    const w = providerFor('written');
    expect((await w.write!('x//y.zip', bodyOf(Buffer.from('w')))).key).toBe('x//y.zip');
    expect(await rawKeys('written/')).toEqual(['written/x//y.zip']);

    // Storage prefix "pre/backups" + S3 key "pre/backups//mydb…zip" = relative key "/mydb…zip".
    await put('pre/backups//mydb.2021-01-01_00-00-00.zip', 'lead');
    const p = providerFor('pre/backups');
    expect((await collect(p.list(''))).map((o) => o.key)).toEqual(['/mydb.2021-01-01_00-00-00.zip']);
    expect((await drain(await p.read('/mydb.2021-01-01_00-00-00.zip'))).toString()).toBe('lead');
    const scan = await scanStorage('s3', p);
    expect(scan.backups.map((x) => [x.key, x.database])).toEqual([['/mydb.2021-01-01_00-00-00.zip', 'mydb']]);
    await expectKind(() => p.stat('mydb.2021-01-01_00-00-00.zip'), 'NotFound');
    await expectKind(() => p.stat('/mydb/'), 'InvalidInput');
  });

  it('still lists a key it cannot address, and rejects reading it with InvalidInput and a hint', async () => {
    await put('odd/a/../notes.txt', 'dot-dot');
    const p = providerFor('odd');
    expect((await collect(p.list(''))).map((o) => o.key)).toEqual(['a/../notes.txt']);
    const err = await expectKind(() => p.read('a/../notes.txt'), 'InvalidInput');
    expect(err.message).toContain('a/../notes.txt');
    expect(err.hint).toMatch(/console|CLI/);
    await expectKind(() => p.stat('a/../notes.txt'), 'InvalidInput');
    const scan = await scanStorage('s3', p);
    expect([...scan.backups, ...scan.strays].map((x) => x.key)).toContain('a/../notes.txt');
    await raw.send(new DeleteObjectCommand({ Bucket: server.bucket, Key: 'odd/a/../notes.txt' }));
  });
});
