/**
 * The ECB+XOR CFB decryptor gives exactly what OpenSSL's CFB gives, whatever way the
 * ciphertext is cut (runs, partial blocks, a final partial block).
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CfbDecryptor } from '../../../../shared/core/crypto/cfb-decryptor';

function decryptInPieces(cipher: string, key: Buffer, ct: Buffer, cuts: number[], run: number): Buffer {
  const d = new CfbDecryptor(cipher, key, run);
  const out: Buffer[] = [];
  let at = 0;
  for (const c of [...cuts, ct.length]) {
    d.push(ct.subarray(at, c), out);
    at = c;
  }
  d.finish(out);
  return Buffer.concat(out);
}

describe('CfbDecryptor', () => {
  for (const [cipher, keyLen] of [
    ['aes-128-cfb', 16],
    ['aes-192-cfb', 24],
    ['aes-256-cfb', 32],
  ] as const) {
    it(`${cipher}: same plaintext as OpenSSL CFB for any cutting`, () => {
      const key = randomBytes(keyLen);
      for (const len of [0, 1, 15, 16, 17, 4095, 100_003]) {
        const plain = randomBytes(len);
        const ct = createCipheriv(cipher, key, Buffer.alloc(16)).update(plain);
        const cuts = Array.from({ length: 7 }, () => Math.floor(Math.random() * len)).sort((a, b) => a - b);
        for (const run of [16, 64, 4096, 1 << 20]) {
          expect(decryptInPieces(cipher, key, ct, cuts, run).equals(plain), `len ${len} run ${run}`).toBe(true);
        }
      }
    });
  }

  it('refuses a cipher it does not handle', () => {
    expect(() => new CfbDecryptor('cast5-cfb', randomBytes(16))).toThrow(/Unsupported/);
  });
});
