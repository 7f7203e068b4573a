/** The test S3 server's dropped connection: what a client gets before the drop is exactly the object's first bytes. */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { patternBytes } from '../../conformance/storage-suite';
import { startS3Server, type S3TestServer } from '../../helpers/s3-server';

let server: S3TestServer;
let client: S3Client;
beforeAll(async () => {
  server = await startS3Server();
  client = new S3Client({
    region: 'us-east-1',
    endpoint: server.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    maxAttempts: 1,
  });
});
afterAll(async () => {
  client?.destroy();
  await server?.stop();
});

/** Reads `body` slowly (as a download that hashes and writes to disk does) until it ends or drops. */
async function slowRead(body: Readable): Promise<Buffer> {
  const got: Buffer[] = [];
  try {
    for await (const c of body) {
      got.push(c as Buffer);
      await new Promise((r) => setTimeout(r, 1));
    }
  } catch {
    // the planted drop
  }
  return Buffer.concat(got);
}

describe('test S3 server: interruptNext("read")', () => {
  it('cuts a slowly read GET after the bytes asked, with nothing after a gap', async () => {
    // Far past the loopback's socket buffers, so that the server is still sending when it cuts.
    const data = patternBytes(48 * 1024 * 1024, 9);
    await server.seedObjects([{ key: 'cut/big.bin', data }]);
    server.interruptNext('read', 24_000_000);
    const out = await client.send(new GetObjectCommand({ Bucket: server.bucket, Key: 'cut/big.bin' }));
    const got = await slowRead(out.Body as Readable);
    expect(got.length).toBeGreaterThan(0);
    expect(got.length).toBeLessThanOrEqual(24_000_000);
    expect(got.equals(data.subarray(0, got.length))).toBe(true);
  }, 60_000);
});
