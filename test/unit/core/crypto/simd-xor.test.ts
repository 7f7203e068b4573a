/**
 * The XOR space gives byte-exact XORs for any offsets and lengths, with wasm SIMD and with the
 * JS fallback.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { xorSpace } from '../../../../shared/core/crypto/simd-xor';

describe('xorSpace', () => {
  for (const simd of [true, false]) {
    it(`XORs ranges exactly (${simd ? 'wasm SIMD' : 'JS fallback'})`, () => {
      const space = xorSpace(200_000, { simd });
      expect(space.buf.length).toBe(200_000);
      for (const [dst, src, n] of [
        [0, 100_000, 100_000],
        [16, 65_552, 65_536],
        [3, 50_001, 49_997],
        [100_000, 7, 1],
        [64, 0, 0],
        [1_000, 1_000, 31],
      ] as const) {
        const init = randomBytes(200_000);
        space.buf.set(init);
        space.xor(dst, src, n);
        const want = Buffer.from(init);
        for (let i = 0; i < n; i++) want[dst + i] = init[dst + i]! ^ init[src + i]!;
        expect(space.buf.equals(want), `${dst} ${src} ${n}`).toBe(true);
      }
    });
  }
});
