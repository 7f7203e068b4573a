import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createMemoryProvider } from '../../../../../shared/core/storage/memory/memory-provider';
import { Semaphore, withConcurrencyLimit } from '../../../../../shared/core/storage/wrappers/concurrency';
import { wrapProvider } from '../../../../../shared/core/storage/wrappers/wrap';
import { nullLogger } from '../../../../../shared/core/util/logger';
import { bodyOf, drain, expectKind } from '../../../../conformance/storage-suite';

describe('withConcurrencyLimit', () => {
  it('runs at most N writes at once', async () => {
    const base = createMemoryProvider();
    let running = 0;
    let peak = 0;
    const slow = wrapProvider(base, {
      async write(key, body, o) {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 20));
        try {
          return await base.write!(key, body, o);
        } finally {
          running--;
        }
      },
    });
    const p = withConcurrencyLimit(slow, 2);
    await Promise.all(Array.from({ length: 7 }, (_, i) => p.write!(`k${i}`, bodyOf(Buffer.from('x')))));
    expect(peak).toBe(2);
  });

  it('holds a read slot until the stream is consumed or destroyed', async () => {
    const base = createMemoryProvider();
    await base.write!('a', bodyOf(Buffer.alloc(200_000)));
    const p = withConcurrencyLimit(base, 1);
    const first = await p.read('a');
    let secondOpened = false;
    const second = p.read('a').then((s) => {
      secondOpened = true;
      return s;
    });
    await new Promise((r) => setTimeout(r, 30));
    expect(secondOpened).toBe(false);
    expect((await drain(first)).length).toBe(200_000);
    const s2 = await second;
    expect(secondOpened).toBe(true);
    s2.destroy();
    await new Promise((r) => setTimeout(r, 10));
    (await p.read('a')).destroy();
  });

  it('releases the slot when a read fails to open, and cancels a wait', async () => {
    const base = createMemoryProvider();
    const p = withConcurrencyLimit(base, 1);
    await expectKind(() => p.read('missing'), 'NotFound');
    await base.write!('a', bodyOf(Buffer.from('abc')));
    const held = await p.read('a');
    const ac = new AbortController();
    const waiting = p.read('a', { signal: ac.signal });
    ac.abort();
    await expectKind(() => waiting, 'Cancelled');
    const body = Readable.from([Buffer.from('z')]);
    const ac2 = new AbortController();
    const w = p.write!('b', body, { signal: ac2.signal });
    ac2.abort();
    await expectKind(() => w, 'Cancelled');
    expect(body.destroyed).toBe(true);
    await drain(held);
  });

  it('Semaphore rejects bad limits and hands slots over in order', async () => {
    expect(() => new Semaphore(0)).toThrow(RangeError);
    const s = new Semaphore(1);
    const order: number[] = [];
    const r1 = await s.acquire();
    const w2 = s.acquire().then((r) => (order.push(2), r));
    const w3 = s.acquire().then((r) => (order.push(3), r));
    r1();
    r1(); // idempotent
    (await w2)();
    (await w3)();
    expect(order).toEqual([2, 3]);
    expect(s.inUse).toBe(0);
  });
});

describe('withConcurrencyLimit: a long wait for a slot', () => {
  it('is logged once, with what waits and how many slots are held', async () => {
    const base = createMemoryProvider();
    await base.write!('k', bodyOf(Buffer.from('x')));
    const lines: Array<{ message: string; fields?: Record<string, unknown> }> = [];
    const log = { ...nullLogger, warn: (message: string, fields?: Record<string, unknown>) => lines.push({ message, ...(fields ? { fields } : {}) }) };
    const p = withConcurrencyLimit(base, 1, { log, slowWaitMs: 30 });
    const held = await p.read('k');
    const waiting = p.read('k');
    await new Promise((r) => setTimeout(r, 80));
    expect(lines).toEqual([{ message: 'Still waiting for a transfer slot of this storage', fields: { op: 'read k', waitedMs: 30, inUse: 1 } }]);
    held.destroy();
    (await waiting).destroy();
    // A wait that ends in time says nothing.
    (await p.read('k')).destroy();
    expect(lines).toHaveLength(1);
  });
});
