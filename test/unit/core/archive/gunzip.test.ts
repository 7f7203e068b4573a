import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { gunzipped } from '../../../../shared/core/archive/gunzip';

async function read(it: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of it) parts.push(c);
  return Buffer.concat(parts);
}

describe('gunzipped', () => {
  it('yields the bytes of a gzip stream', async () => {
    const sql = Buffer.from('SELECT 1;\n'.repeat(50_000));
    expect((await read(gunzipped(Readable.from([gzipSync(sql)]), 'dump.sql.gz'))).equals(sql)).toBe(true);
  });

  it('fails a truncated stream as Integrity, naming the file', async () => {
    const gz = gzipSync(Buffer.from('SELECT 1;\n'.repeat(50_000)));
    await expect(read(gunzipped(Readable.from([gz.subarray(0, gz.length - 20)]), 'shop.sql.gz'))).rejects.toMatchObject({
      kind: 'Integrity',
      message: expect.stringMatching(/^shop\.sql\.gz is corrupt or truncated \(gzip: /),
    });
  });
});
