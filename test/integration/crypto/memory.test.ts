/**
 * Bounded memory: decrypting a 256 MiB gpg-made message (SEIPDv1, the format that makes
 * openpgp buffer everything unless told otherwise) peaks far below the message size,
 * measured in a fresh child process (process.resourceUsage().maxRSS).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measureOurDecrypt } from '../../bench/decrypt.bench';
import { gpgEncryptSymmetric, makeGpgHome, type GpgHome } from '../../helpers/gpg';

const MB = 256;
const PW = 'memory test passphrase';
let home: GpgHome;
let dir: string;
let enc: string;
let small: string;
let sha: string;

beforeAll(async () => {
  home = await makeGpgHome();
  dir = await mkdtemp(join(tmpdir(), 'decmem-'));
  const plain = join(dir, 'plain.bin');
  const h = createHash('sha256');
  const ws = createWriteStream(plain);
  for (let i = 0; i < MB; i++) {
    const c = randomBytes(1 << 20);
    h.update(c);
    if (!ws.write(c)) await new Promise<void>((r) => ws.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => ws.end((e?: Error | null) => (e ? reject(e) : resolve())));
  sha = h.digest('hex');
  enc = join(dir, 'big.gpg');
  await gpgEncryptSymmetric(home, plain, enc, PW);
  await rm(plain);
  // A tiny message, for the baseline RSS of the same child (node + tsx + openpgp).
  small = join(dir, 'small.gpg');
  const tiny = join(dir, 'tiny.bin');
  const tw = createWriteStream(tiny);
  await new Promise<void>((resolve) => tw.end(Buffer.from('tiny'), () => resolve()));
  await gpgEncryptSymmetric(home, tiny, small, PW);
}, 300_000);

afterAll(async () => {
  await home?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('decrypt memory', () => {
  it(`decrypts ${MB} MiB with peak RSS bounded (no growth with the message size)`, async () => {
    const base = await measureOurDecrypt(small, PW);
    const big = await measureOurDecrypt(enc, PW, true);
    expect(big.sha256).toBe(sha);
    expect(big.bytes).toBe(MB << 20);
    console.log(`decrypt ${MB} MiB: ${(MB / (big.ms / 1000)).toFixed(1)} MiB/s, peak RSS ${big.maxRssMB.toFixed(0)} MB (baseline ${base.maxRssMB.toFixed(0)} MB)`);
    expect(big.maxRssMB).toBeLessThan(300);
    // Buffering would add ≥ MB; streaming adds only a few buffers over the baseline.
    expect(big.maxRssMB - base.maxRssMB).toBeLessThan(MB / 2);
  }, 300_000);
});
