/**
 * CFB + MDC hash, on the worker thread and inline: the same plaintext as OpenSSL's CFB and the
 * SHA-1 of all but its last 20 bytes, whatever way the ciphertext is cut; concurrent jobs
 * share the worker without mixing.
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openCfbMdc } from '../../../../shared/core/crypto/cfb-mdc-offload';

async function run(inline: boolean, key: Buffer, ct: Buffer, cuts: number[]): Promise<{ plain: Buffer; digest: Buffer }> {
  const dec = openCfbMdc(`aes-${key.length * 8}-cfb`, key, { inline });
  const out: Buffer[] = [];
  try {
    let at = 0;
    for (const c of [...cuts, ct.length]) {
      await dec.push(ct.subarray(at, c));
      out.push(...dec.takeReady());
      at = c;
    }
    const digest = await dec.end();
    out.push(...dec.takeReady());
    return { plain: Buffer.concat(out), digest };
  } finally {
    dec.close();
  }
}

describe('openCfbMdc', () => {
  for (const inline of [false, true]) {
    it(`decrypts and hashes like OpenSSL CFB + SHA-1 (${inline ? 'inline' : 'worker thread'})`, async () => {
      for (const keyLen of [16, 24, 32]) {
        for (const len of [0, 5, 20, 21, 4095, 262_144, 1_100_003]) {
          const key = randomBytes(keyLen);
          const plain = randomBytes(len);
          const ct = createCipheriv(`aes-${keyLen * 8}-cfb`, key, Buffer.alloc(16)).update(plain);
          const cuts = Array.from({ length: 9 }, () => Math.floor(Math.random() * len)).sort((a, b) => a - b);
          const got = await run(inline, key, ct, cuts);
          expect(got.plain.equals(plain), `key ${keyLen} len ${len}`).toBe(true);
          const want = createHash('sha1').update(plain.subarray(0, Math.max(0, len - 20))).digest();
          expect(got.digest.equals(want), `digest, key ${keyLen} len ${len}`).toBe(true);
        }
      }
    });
  }

  it('keeps concurrent jobs apart on the shared worker', async () => {
    const jobs = Array.from({ length: 4 }, () => {
      const key = randomBytes(32);
      const plain = randomBytes(700_000);
      return { key, plain, ct: createCipheriv('aes-256-cfb', key, Buffer.alloc(16)).update(plain) };
    });
    const got = await Promise.all(jobs.map((j) => run(false, j.key, j.ct, [1, 300_000, 300_017])));
    got.forEach((g, i) => expect(g.plain.equals(jobs[i]!.plain)).toBe(true));
  });

  it('refuses a cipher it does not handle', () => {
    expect(() => openCfbMdc('cast5-cfb', randomBytes(16))).toThrow(/Unsupported/);
  });
});
