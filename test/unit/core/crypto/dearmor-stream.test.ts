/**
 * The streaming armor decoder gives the original bytes for any line length, CR LF line ends,
 * trailing spaces, armor headers and any cutting of the input; a bad character or a missing
 * END line throws.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { dearmor } from '../../../../shared/core/crypto/dearmor-stream';

function armor(data: Buffer, lineLen: number, eol: string, extra = ''): string {
  const b64 = data.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += lineLen) lines.push(b64.slice(i, i + lineLen) + extra);
  return ['-----BEGIN PGP MESSAGE-----', 'Comment: test', '', ...lines, '=abcd', '-----END PGP MESSAGE-----', ''].join(eol);
}

async function decode(text: string, piece: number): Promise<Buffer> {
  const src = Buffer.from(text, 'latin1');
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (let o = 0; o < src.length; o += piece) yield src.subarray(o, o + piece);
  }
  const out: Buffer[] = [];
  for await (const b of dearmor(chunks())) out.push(Buffer.from(b)); // copied: the decoder reuses its buffer
  return Buffer.concat(out);
}

describe('dearmor', () => {
  it('decodes any line length, CR LF, trailing spaces, any cutting', async () => {
    for (const len of [0, 1, 2, 3, 100, 200_001]) {
      const data = randomBytes(len);
      for (const [lineLen, eol, extra] of [
        [64, '\n', ''],
        [76, '\r\n', ''],
        [63, '\n', ''],
        [64, '\n', '  '],
      ] as const) {
        for (const piece of [7, 4096, 1 << 20]) {
          const got = await decode(armor(data, lineLen, eol, extra), piece);
          expect(got.equals(data), `len ${len} line ${lineLen} piece ${piece}`).toBe(true);
        }
      }
    }
  });

  it('throws on a character that is not base64, and on a missing END line', async () => {
    const text = armor(randomBytes(100_000), 64, '\n');
    const bad = text.slice(0, 5000) + '*' + text.slice(5001);
    await expect(decode(bad, 65536)).rejects.toThrow(/Misformed/);
    await expect(decode(text.slice(0, 50_000), 65536)).rejects.toThrow(/END line is missing/);
  });
});
