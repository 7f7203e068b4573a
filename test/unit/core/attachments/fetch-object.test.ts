/**
 * fetchObjectTo against the S3 test server: an object that is not there is `missing` (listed, the
 * restore goes on), but a bucket the storage does not reach is an error naming the storage, not
 * every one of its objects "does not exist".
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchObjectTo, storageResolver } from '../../../../shared/core/attachments';
import { parseStoreFname } from '../../../../shared/core/attachments/store-fname';
import { MemorySecretStore } from '../../../../shared/core/secrets/secret-store';
import { openStorage, type OpenableStorage } from '../../../../shared/core/storage/registry';
import { nullLogger } from '../../../../shared/core/util/logger';
import { caught } from '../../../helpers/assertions';
import { startS3Server, type S3TestServer } from '../../../helpers/s3-server';

const SHA = 'd'.repeat(40);
let server: S3TestServer;
let tmp: string;
const secrets = new MemorySecretStore();
beforeAll(async () => {
  server = await startS3Server('odoo-attach');
  tmp = await mkdtemp(join(tmpdir(), 'bd-fetch-object-'));
  await secrets.set('s', 'secretAccessKey', server.secretAccessKey);
});
afterAll(async () => {
  await server?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** A resolver over one S3 storage on the test server, named `prod-s3`. */
function resolver() {
  const entry: OpenableStorage = { name: 'prod-s3', kind: 's3', secretScope: 's', settings: { endpoint: server.endpoint, bucket: 'odoo-attach', forcePathStyle: true, accessKeyId: server.accessKeyId } };
  return storageResolver({ storages: [entry], open: (e) => openStorage(e, { secrets, log: nullLogger }), named: 'prod-s3' });
}

describe('fetchObjectTo', () => {
  it('says an object that is not in its bucket is missing', async () => {
    const r = resolver();
    const handle = await r.handleFor(parseStoreFname(`s3://odoo-attach/${SHA}`));
    expect(await fetchObjectTo(handle, SHA, join(tmp, 'a', SHA))).toEqual({ status: 'missing', message: `s3://odoo-attach/${SHA} does not exist.` });
    await r.close();
  });

  it('fails, naming the storage, when the bucket itself is not where the storage looks', async () => {
    const r = resolver();
    const handle = await r.handleFor(parseStoreFname(`s3://gone-bucket/${SHA}`));
    const e = await caught(fetchObjectTo(handle, SHA, join(tmp, 'b', SHA)));
    expect(e.kind).toBe('NotFound');
    expect(e.message).toBe(`s3://gone-bucket cannot be read through storage "prod-s3": The bucket "gone-bucket" does not exist at ${server.endpoint}.`);
    expect(e.details?.cliHint).toMatch(/--attachments-storage NAME/);
    expect(await readdir(tmp)).not.toContain('b');
    await r.close();
  });
});
