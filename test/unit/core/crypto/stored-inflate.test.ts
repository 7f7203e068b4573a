/**
 * Stored-first inflate gives zlib's bytes for all-stored, all-compressed and mixed streams,
 * raw (ZIP) and ZLIB-wrapped, whatever way the input is cut; a cut-off stream fails.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { createInflate, createInflateRaw, deflateRawSync, deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { inflateStoredFirst, type ZlibInflate } from '../../../../shared/core/crypto/stored-inflate';

const zlib: ZlibInflate = (src, raw, dictionary) => {
  const opts = dictionary ? { dictionary } : {};
  return Readable.from(src, { objectMode: false }).pipe(raw ? createInflateRaw(opts) : createInflate(opts));
};

async function* pieces(b: Buffer, cuts: number[]): AsyncGenerator<Buffer> {
  let at = 0;
  for (const c of [...cuts, b.length]) {
    yield Buffer.from(b.subarray(at, c));
    at = c;
  }
}

async function inflate(b: Buffer, wrapped: boolean, cuts: number[]): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of inflateStoredFirst(pieces(b, cuts), wrapped, zlib)) out.push(Buffer.from(c));
  return Buffer.concat(out);
}

const text = Buffer.from('INSERT INTO res_partner VALUES (1, "Acme");\n'.repeat(5000));
const contents: Record<string, Buffer> = {
  stored: randomBytes(300_000),
  compressed: text,
  'stored, then compressed': Buffer.concat([randomBytes(200_000), text]),
  'compressed, stored, compressed': Buffer.concat([text, randomBytes(150_000), text]),
  empty: Buffer.alloc(0),
};

describe('inflateStoredFirst', () => {
  for (const [name, plain] of Object.entries(contents)) {
    for (const wrapped of [true, false]) {
      it(`${name}, ${wrapped ? 'ZLIB' : 'raw deflate'}: the original bytes for any cutting`, async () => {
        const z = wrapped ? deflateSync(plain) : deflateRawSync(plain);
        for (let round = 0; round < 4; round++) {
          const cuts = Array.from({ length: round * 6 }, () => Math.floor(Math.random() * z.length)).sort((a, b) => a - b);
          expect((await inflate(z, wrapped, cuts)).equals(plain), `cuts ${cuts.join(',')}`).toBe(true);
        }
        expect((await inflate(z, wrapped, Array.from({ length: Math.min(z.length, 40) }, (_, i) => i))).equals(plain)).toBe(true);
      });
    }
  }

  it('fails on a stream cut off inside its stored blocks', async () => {
    const z = deflateSync(randomBytes(200_000));
    await expect(inflate(z.subarray(0, 100_000), true, [])).rejects.toThrow(/truncated/);
    await expect(inflate(z.subarray(0, z.length - 2), true, [])).rejects.toThrow(/truncated/);
  });

  it('refuses a bad ZLIB header', async () => {
    const z = Buffer.from(deflateSync(randomBytes(1000)));
    z[0] = 0x79;
    await expect(inflate(z, true, [])).rejects.toThrow(/ZLIB header/);
  });
});
