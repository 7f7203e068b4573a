import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { CreateMultipartUploadCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySecretStore } from '../../../../../shared/core/secrets/secret-store';
import { nullLogger } from '../../../../../shared/core/util/logger';
import { s3Factory } from '../../../../../shared/core/storage/s3';
import { s3ConfigSchema, type S3Config } from '../../../../../shared/core/storage/s3/config';
import { createS3Provider } from '../../../../../shared/core/storage/s3/s3-provider';
import type { StorageProvider, TemporaryObject } from '../../../../../shared/core/storage/provider';
import { rawS3Client, startS3Server, type S3TestServer } from '../../../../helpers/s3-server';
import { bodyOf, collect, drain, expectKind, patternBytes } from '../../../../conformance/storage-suite';

const MIB = 1024 * 1024;
let server: S3TestServer;
let raw: S3Client;
const open: StorageProvider[] = [];

const configFor = (over: Partial<S3Config> = {}): S3Config =>
  s3ConfigSchema.parse({ endpoint: server.endpoint, bucket: server.bucket, forcePathStyle: true, accessKeyId: server.accessKeyId, ...over });
const providerFor = (over: Partial<S3Config> = {}, secret = server.secretAccessKey): StorageProvider => {
  const p = createS3Provider(configFor(over), { accessKeyId: configFor(over).accessKeyId ?? '', secretAccessKey: secret }, { partSize: 5 * MIB, partRetryDelayMs: 10 });
  open.push(p);
  return p;
};

beforeAll(async () => {
  server = await startS3Server();
  raw = rawS3Client(server);
});
afterAll(async () => {
  for (const p of open) await p.close();
  raw?.destroy();
  await server?.stop();
});

describe('S3 provider against s3rver', () => {
  it('lists all of 1,050 keys (past the 1,000-key page that odoo_backup_sh stops at)', async () => {
    const p = providerFor({ prefix: 'many' });
    const keys = Array.from({ length: 1050 }, (_, i) => `db.2024-01-01_00-00-${String(i).padStart(4, '0')}.zip`);
    // Seeded straight into s3rver's store (1,050 PUTs through s3rver take half a minute here);
    // the listing under test goes through the S3 protocol.
    await server.seedObjects(keys.map((k) => ({ key: `many/${k}`, data: Buffer.from(k) })));
    const before = server.requests.filter((r) => r.method === 'GET' && r.url.includes('list-type=2')).length;
    const listed = await collect(p.list(''));
    const pages = server.requests.filter((r) => r.method === 'GET' && r.url.includes('list-type=2')).length - before;
    expect(listed).toHaveLength(1050);
    expect(new Set(listed.map((o) => o.key))).toEqual(new Set(keys));
    expect(pages).toBe(2);
  }, 60_000);

  it('stores keys under the literal "./" prefix of odoo_backup_sh and lists them back relative', async () => {
    const p = providerFor({ prefix: './' });
    await p.write!('mydb.2021-01-01_00-00-00.zip', bodyOf(Buffer.from('zip')));
    const rawList = await raw.send(new ListObjectsV2Command({ Bucket: server.bucket, Prefix: './' }));
    expect(rawList.Contents?.map((o) => o.Key)).toContain('./mydb.2021-01-01_00-00-00.zip');
    expect((await collect(p.list(''))).map((o) => o.key)).toEqual(['mydb.2021-01-01_00-00-00.zip']);
    expect((await drain(await p.read('mydb.2021-01-01_00-00-00.zip'))).toString()).toBe('zip');
  });

  it('reports a single-part object\'s ETag as its md5 checksum', async () => {
    const p = providerFor({ prefix: 'md5' });
    const data = patternBytes(4096, 3);
    await p.write!('a.bin', bodyOf(data));
    const st = await p.stat('a.bin');
    expect(st.checksum).toEqual({ algorithm: 'md5', value: createHash('md5').update(data).digest('hex') });
  });

  it('reports a multipart upload a killed write left open (below its prefix only) as a temporary with the bytes of its parts, and aborts it', async () => {
    const p = providerFor({ prefix: 'killed' });
    const { AbortMultipartUploadCommand, UploadPartCommand } = await import('@aws-sdk/client-s3');
    const left = await raw.send(new CreateMultipartUploadCommand({ Bucket: server.bucket, Key: 'killed/shop.2024-05-01_02-03-04.zip' }));
    await raw.send(new UploadPartCommand({ Bucket: server.bucket, Key: 'killed/shop.2024-05-01_02-03-04.zip', UploadId: left.UploadId, PartNumber: 1, Body: patternBytes(5 * MIB, 3) }));
    await raw.send(new UploadPartCommand({ Bucket: server.bucket, Key: 'killed/shop.2024-05-01_02-03-04.zip', UploadId: left.UploadId, PartNumber: 2, Body: patternBytes(1000, 4) }));
    const elsewhere = await raw.send(new CreateMultipartUploadCommand({ Bucket: server.bucket, Key: 'other/x.zip' }));
    const temps: TemporaryObject[] = [];
    for await (const t of p.temporaries!.list()) temps.push(t);
    expect(temps).toEqual([expect.objectContaining({ forKey: 'shop.2024-05-01_02-03-04.zip', size: 5 * MIB + 1000, handle: left.UploadId })]);
    expect(Date.now() - temps[0]!.modified.getTime()).toBeLessThan(60_000);
    expect(await collect(p.list(''))).toEqual([]);
    await p.temporaries!.remove(temps[0]!);
    await expectKind(() => p.temporaries!.remove(temps[0]!), 'NotFound');
    expect((await server.incompleteUploads()).map((u) => u.uploadId)).toEqual([elsewhere.UploadId]);
    await raw.send(new AbortMultipartUploadCommand({ Bucket: server.bucket, Key: 'other/x.zip', UploadId: elsewhere.UploadId }));
  }, 60_000);

  it('aborts the multipart upload when a part fails, leaving no incomplete upload and no object', async () => {
    const p = providerFor({ prefix: 'mpu' });
    // Control: an upload left open is visible to the check, so the check can fail.
    const left = await raw.send(new CreateMultipartUploadCommand({ Bucket: server.bucket, Key: 'mpu/left-open.bin' }));
    expect((await server.incompleteUploads()).map((u) => u.uploadId)).toContain(left.UploadId);
    await raw.send(new (await import('@aws-sdk/client-s3')).AbortMultipartUploadCommand({ Bucket: server.bucket, Key: 'mpu/left-open.bin', UploadId: left.UploadId }));
    expect(await server.incompleteUploads()).toEqual([]);

    // Every attempt at part 2 fails: the first and the 4 times a part is sent again.
    server.failNext({ status: 500, code: 'InternalError' }, 5, (m, url) => m === 'PUT' && url.includes('mpu/big.bin?partNumber=2'));
    const data = patternBytes(11 * MIB, 5);
    const err = await expectKind(() => p.write!('big.bin', bodyOf(data), { size: data.length }), 'Transient');
    expect(err.message).toMatch(/InternalError/);
    expect(await server.incompleteUploads()).toEqual([]);
    await expectKind(() => p.stat('big.bin'), 'NotFound');
    expect(server.requests.some((r) => r.method === 'DELETE' && r.url.includes('uploadId='))).toBe(true);
  }, 60_000);

  it('sends a part again after a dropped connection or a 503 SlowDown, and stores the object whole', async () => {
    const p = providerFor({ prefix: 'flaky' });
    const data = patternBytes(11 * MIB, 6);
    server.interruptNext('write', 6 * MIB); // part 2 is cut off half-way
    server.failNext({ status: 503, code: 'SlowDown' }, 2, (m, url) => m === 'PUT' && url.includes('flaky/big.bin?partNumber=3'));
    const info = await p.write!('big.bin', bodyOf(data), { size: data.length });
    expect(info.size).toBe(data.length);
    expect(createHash('sha256').update(await drain(await p.read('big.bin'))).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
    expect(server.requests.filter((r) => r.method === 'PUT' && r.url.includes('flaky/big.bin?partNumber=3')).length).toBe(3);
    expect(await server.incompleteUploads()).toEqual([]);
    // A small object goes as one PUT, sent again the same way.
    server.failNext({ status: 503, code: 'SlowDown' }, 1, (m, url) => m === 'PUT' && url.includes('flaky/small.bin'));
    await p.write!('small.bin', bodyOf(Buffer.from('small')));
    expect((await drain(await p.read('small.bin'))).toString()).toBe('small');
  }, 60_000);

  it('classifies wrong credentials, a missing bucket, throttling and an unreachable endpoint', async () => {
    await expectKind(() => collect(providerFor({}, 'wrong-secret').list('')), 'AuthFailed');
    await expectKind(() => collect(providerFor({ accessKeyId: 'NOPE' }).list('')), 'AuthFailed');
    const nb = await expectKind(() => collect(providerFor({ bucket: 'no-such-bucket' }).list('')), 'NotFound');
    expect(nb.hint).toContain('no-such-bucket');
    server.failNext({ status: 503, code: 'SlowDown', retryAfterSeconds: 2 });
    const slow = await expectKind(() => collect(providerFor().list('')), 'Transient');
    expect(slow.retryAfterMs).toBe(2000);
    const closed = await expectKind(() => collect(providerFor({ endpoint: 'http://127.0.0.1:9' }).list('')), 'Transient');
    expect(closed.hint).toContain('http://127.0.0.1:9');
  });

  it('tells a missing bucket from a missing object on stat (the 404 of a HEAD says neither)', async () => {
    const nb = await expectKind(() => providerFor({ bucket: 'no-such-bucket' }).stat('x.zip'), 'NotFound');
    expect(nb.message).toBe(`The bucket "no-such-bucket" does not exist at ${server.endpoint}.`);
    expect(nb.details?.code).toBe('NoSuchBucket');
    const missing = await expectKind(() => providerFor({ prefix: 'nb' }).stat('x.zip'), 'NotFound');
    expect(missing.message).toMatch(/^No object "x\.zip"/);
  });

  it('treats reading from exactly the end as empty and past the end as invalid input', async () => {
    const p = providerFor({ prefix: 'range' });
    await p.write!('ten.bin', bodyOf(Buffer.from('0123456789')));
    expect((await drain(await p.read('ten.bin', { range: { offset: 10 } }))).length).toBe(0);
    await expectKind(() => p.read('ten.bin', { range: { offset: 11 } }), 'InvalidInput');
    await expectKind(() => p.read('../x', {}), 'InvalidInput');
  });

  it('is created by the factory from config + secret store, and describes itself without secrets', async () => {
    const secrets = new MemorySecretStore();
    const config = configFor({ prefix: 'factory' });
    await expectKind(() => s3Factory.create(config, 'storage:s3test', { secrets, log: nullLogger }), 'AuthFailed');
    await secrets.set('storage:s3test', 'secretAccessKey', server.secretAccessKey);
    const p = await s3Factory.create(config, 'storage:s3test', { secrets, log: nullLogger });
    open.push(p);
    await p.write!('x.txt', Readable.from([Buffer.from('hi')]));
    expect((await p.stat('x.txt')).size).toBe(2);
    const d = s3Factory.describe(config);
    expect(d).toBe(`s3:${server.endpoint}/${server.bucket}/factory/`);
    expect(d).not.toContain(server.secretAccessKey);
  });
});

describe('S3 provider at the bucket root (prefix "")', () => {
  let rootServer: S3TestServer;
  beforeAll(async () => {
    rootServer = await startS3Server('root-bucket');
  });
  afterAll(async () => {
    await rootServer?.stop();
  });

  it('lists odoo_backup_sh "./" keys as they are, and stats, reads and removes exactly those keys', async () => {
    const warnings: Array<Record<string, unknown> | undefined> = [];
    const log = { ...nullLogger, warn: (_m: string, f?: Record<string, unknown>) => void warnings.push(f), child: () => log };
    const config = s3ConfigSchema.parse({ endpoint: rootServer.endpoint, bucket: rootServer.bucket, forcePathStyle: true, accessKeyId: rootServer.accessKeyId, prefix: '' });
    const p = createS3Provider(config, { accessKeyId: rootServer.accessKeyId, secretAccessKey: rootServer.secretAccessKey }, { log });
    open.push(p);
    expect(p.capabilities.keyRules?.leadingDotSegment).toBe(true);
    await rootServer.seedObjects([
      { key: './acme.2021-01-01_00-00-00.zip', data: Buffer.from('zip bytes') },
      { key: './acme.2021-01-01_00-00-00.info', data: Buffer.from('[common]\n') },
      { key: 'plain/db.zip', data: Buffer.from('plain') },
      // Keys no provider call can address: still listed (so they show up instead of vanishing),
      // with a warning; stat/read reject them with InvalidInput.
      { key: '../escape.zip', data: Buffer.from('x') },
      { key: 'x/./y.zip', data: Buffer.from('y') },
    ]);
    const listed = (await collect(p.list(''))).map((o) => o.key).sort();
    expect(listed).toEqual(['../escape.zip', './acme.2021-01-01_00-00-00.info', './acme.2021-01-01_00-00-00.zip', 'plain/db.zip', 'x/./y.zip']);
    expect(warnings.map((w) => w?.key).sort()).toEqual(['../escape.zip', 'x/./y.zip']);
    for (const key of ['../escape.zip', 'x/./y.zip']) await expectKind(() => p.read(key), 'InvalidInput');
    // Every other listed key is addressable by the same provider.
    for (const key of listed.filter((x) => !x.startsWith('../') && !x.startsWith('x/'))) expect((await p.stat(key)).key).toBe(key);
    expect((await drain(await p.read('./acme.2021-01-01_00-00-00.zip'))).toString()).toBe('zip bytes');
    expect((await drain(await p.read('./acme.2021-01-01_00-00-00.zip', { range: { offset: 4, length: 5 } }))).toString()).toBe('bytes');
    expect((await collect(p.list('./'))).map((o) => o.key).sort()).toEqual(['./acme.2021-01-01_00-00-00.info', './acme.2021-01-01_00-00-00.zip']);
    // "./x" is the literal key, not "x": the same name without "./" is another (missing) object.
    await expectKind(() => p.stat('acme.2021-01-01_00-00-00.zip'), 'NotFound');
    await p.remove!('./acme.2021-01-01_00-00-00.info');
    await expectKind(() => p.stat('./acme.2021-01-01_00-00-00.info'), 'NotFound');
    // Written through the provider, a "./" key is stored as that literal key, as odoo_backup_sh's are.
    await p.write!('./new.2022-02-02_00-00-00.zip', bodyOf(Buffer.from('new')));
    expect((await drain(await p.read('./new.2022-02-02_00-00-00.zip'))).toString()).toBe('new');
    expect((await collect(p.list('./'))).map((o) => o.key).sort()).toEqual(['./acme.2021-01-01_00-00-00.zip', './new.2022-02-02_00-00-00.zip']);
    // The rules stay strict everywhere else.
    for (const bad of ['././a.zip', 'a/./b.zip', '../a.zip', '.']) await expectKind(() => p.stat(bad), 'InvalidInput');
  });

  it('a storage with prefix "./" sees the same objects without the "./"', async () => {
    const config = s3ConfigSchema.parse({ endpoint: rootServer.endpoint, bucket: rootServer.bucket, forcePathStyle: true, accessKeyId: rootServer.accessKeyId, prefix: './' });
    const p = createS3Provider(config, { accessKeyId: rootServer.accessKeyId, secretAccessKey: rootServer.secretAccessKey });
    open.push(p);
    expect((await collect(p.list(''))).map((o) => o.key).sort()).toEqual(['acme.2021-01-01_00-00-00.zip', 'new.2022-02-02_00-00-00.zip']);
  });
});
