/**
 * Read-ahead keeps the chunks and their order, stays within its byte budget, passes the
 * source's error on, and stops reading when its consumer stops.
 */
import { describe, expect, it } from 'vitest';
import { readAhead } from '../../../../shared/core/crypto/read-ahead';

const chunk = (i: number, n = 10): Uint8Array => new Uint8Array(n).fill(i);

describe('readAhead', () => {
  it('yields every chunk in order', async () => {
    async function* src(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 50; i++) yield chunk(i, i % 7);
    }
    const got: number[] = [];
    for await (const c of readAhead(src(), 25)) got.push(c.length);
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => i % 7));
  });

  it('reads ahead no further than its budget (plus one chunk)', async () => {
    let produced = 0;
    async function* src(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 100; i++) {
        produced++;
        yield chunk(i);
      }
    }
    const it = readAhead(src(), 35)[Symbol.asyncIterator]();
    await it.next();
    await new Promise((r) => setTimeout(r, 20));
    expect(produced).toBeGreaterThan(1);
    expect(produced).toBeLessThanOrEqual(6);
    await it.return(undefined);
  });

  it("passes the source's error on after the chunks before it", async () => {
    async function* src(): AsyncGenerator<Uint8Array> {
      yield chunk(1);
      yield chunk(2);
      throw new Error('disk gone');
    }
    const got: number[] = [];
    await expect(
      (async () => {
        for await (const c of readAhead(src(), 1000)) got.push(c[0]!);
      })(),
    ).rejects.toThrow('disk gone');
    expect(got).toEqual([1, 2]);
  });

  it('stops the source when the consumer stops', async () => {
    let finished = false;
    async function* src(): AsyncGenerator<Uint8Array> {
      try {
        for (let i = 0; ; i++) yield chunk(i);
      } finally {
        finished = true;
      }
    }
    for await (const c of readAhead(src(), 50)) if (c[0] === 3) break;
    await new Promise((r) => setTimeout(r, 20));
    expect(finished).toBe(true);
  });
});
