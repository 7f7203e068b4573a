import { describe, expect, it } from 'vitest';
import { AppError } from '../../../../../shared/core/errors';
import { withFaults } from '../../../../../shared/core/storage/memory/faults';
import { createMemoryProvider } from '../../../../../shared/core/storage/memory/memory-provider';
import { Semaphore, withConcurrencyLimit } from '../../../../../shared/core/storage/wrappers/concurrency';
import { resumableRead, writeWithRetry } from '../../../../../shared/core/storage/wrappers/resume';
import { wrapProvider } from '../../../../../shared/core/storage/wrappers/wrap';
import { bodyOf, drain, expectKind, patternBytes } from '../../../../conformance/storage-suite';

const data = patternBytes(1_000_000, 42);

async function setup() {
  const base = createMemoryProvider({ chunkSize: 50_000 });
  await base.write!('obj', bodyOf(data));
  return { base, faulty: withFaults(base) };
}

describe('resumableRead', () => {
  it('resumes from the byte count already delivered, with ranged re-reads', async () => {
    const { faulty } = await setup();
    const ranges: Array<{ offset: number; length?: number }> = [];
    const spy = wrapProvider(faulty.provider, {
      read: (k, o) => {
        if (o?.range) ranges.push(o.range);
        return faulty.provider.read(k, o);
      },
    });
    faulty.interruptNext('read', 300_000);
    const offsets: number[] = [];
    const out = await drain(await resumableRead(spy, 'obj', { baseDelayMs: 1, onResume: (off) => offsets.push(off) }));
    expect(out.equals(data)).toBe(true);
    // The drop cut after 300,000 bytes sent; what the consumer had received is where it resumes.
    expect(offsets).toHaveLength(1);
    const off = offsets[0]!;
    expect(off).toBeGreaterThan(0);
    expect(off).toBeLessThanOrEqual(300_000);
    expect(ranges).toEqual([
      { offset: 0, length: 1_000_000 },
      { offset: off, length: 1_000_000 - off },
    ]);
  });

  it('resumes a range read within the range, and survives repeated drops', async () => {
    const { faulty } = await setup();
    let drops = 0;
    const flaky = wrapProvider(faulty.provider, {
      read: async (k, o) => {
        if (drops++ < 3) faulty.interruptNext('read', 100_000);
        return faulty.provider.read(k, o);
      },
    });
    const out = await drain(await resumableRead(flaky, 'obj', { range: { offset: 10_000, length: 500_000 }, baseDelayMs: 1, size: data.length }));
    expect(out.equals(data.subarray(10_000, 510_000))).toBe(true);
    expect(drops).toBe(4);
  });

  it('re-reads from the start and skips what was delivered when the provider has no range reads', async () => {
    const { faulty } = await setup();
    const noRanges = { ...wrapProvider(faulty.provider, {}), capabilities: { ...faulty.provider.capabilities, rangeReads: false } };
    faulty.interruptNext('read', 250_000);
    expect((await drain(await resumableRead(noRanges, 'obj', { baseDelayMs: 1 }))).equals(data)).toBe(true);
  });

  it('gives up after maxResumes failures without progress, and never resumes other kinds', async () => {
    const { faulty } = await setup();
    const failing = wrapProvider(faulty.provider, {
      read: async (k, o) => {
        if (o?.range?.offset) throw new AppError('Transient', 'still down');
        faulty.interruptNext('read', 100_000);
        return faulty.provider.read(k, o);
      },
    });
    await expectKind(async () => drain(await resumableRead(failing, 'obj', { baseDelayMs: 1, maxResumes: 2 })), 'Transient');
    const denied = wrapProvider(faulty.provider, {
      read: async (k, o) => {
        if (o?.range?.offset) throw new AppError('PermissionDenied', 'no');
        faulty.interruptNext('read', 100_000);
        return faulty.provider.read(k, o);
      },
    });
    await expectKind(async () => drain(await resumableRead(denied, 'obj', { baseDelayMs: 1 })), 'PermissionDenied');
  });

  it('fails with Integrity when the object delivers more than its size', async () => {
    const { base } = await setup();
    // A server that ignores the range and sends the whole (changed, larger) object.
    const ignoresRange = wrapProvider(base, { read: (k, o) => base.read(k, o?.signal ? { signal: o.signal } : {}) });
    await expectKind(async () => drain(await resumableRead(ignoresRange, 'obj', { size: 1000 })), 'Integrity');
  });

  it('refuses to splice two versions: an object replaced before the resume fails with Integrity', async () => {
    const { faulty, base } = await setup();
    // Someone uploads a new version (same size) while the download waits to resume.
    let stats = 0;
    const replacing = wrapProvider(faulty.provider, {
      stat: async (k, o) => {
        if (stats++ === 1) await base.write!('obj', bodyOf(patternBytes(data.length, 7)));
        return faulty.provider.stat(k, o);
      },
    });
    faulty.interruptNext('read', 200_000);
    const err = await expectKind(async () => drain(await resumableRead(replacing, 'obj', { baseDelayMs: 1 })), 'Integrity');
    expect(err.message).toMatch(/changed/);
    // A resume of an unchanged object passes the same check.
    await base.write!('obj', bodyOf(data));
    faulty.interruptNext('read', 200_000);
    expect((await drain(await resumableRead(faulty.provider, 'obj', { baseDelayMs: 1 }))).equals(data)).toBe(true);
  });

  it('reports a missing object as NotFound and an abort as Cancelled', async () => {
    const { faulty } = await setup();
    await expectKind(() => resumableRead(faulty.provider, 'nope'), 'NotFound');
    const ac = new AbortController();
    const s = await resumableRead(faulty.provider, 'obj', { signal: ac.signal });
    await expectKind(async () => {
      for await (const _c of s) ac.abort();
    }, 'Cancelled');
  });
});

describe('writeWithRetry', () => {
  it('retries a dropped write with a fresh body and stores it once', async () => {
    const { faulty } = await setup();
    faulty.interruptNext('write', 400_000);
    let bodies = 0;
    const retried: string[] = [];
    const info = await writeWithRetry(faulty.provider, 'w', () => (bodies++, bodyOf(data)), { baseDelayMs: 1, onRetry: (_n, e) => retried.push(e.kind) });
    expect(info.size).toBe(data.length);
    expect(bodies).toBe(2);
    expect(retried).toEqual(['Transient']);
    expect((await drain(await faulty.provider.read('w'))).equals(data)).toBe(true);
  });

  it('refuses read-only providers and does not retry other kinds', async () => {
    await expectKind(() => writeWithRetry(createMemoryProvider({ readOnly: true }), 'x', () => bodyOf(Buffer.from('x'))), 'Unsupported');
    const { faulty } = await setup();
    faulty.failNext('write', new AppError('PermissionDenied', 'no'));
    await expectKind(() => writeWithRetry(faulty.provider, 'x', () => bodyOf(Buffer.from('x')), { baseDelayMs: 1 }), 'PermissionDenied');
    expect(faulty.calls.write).toBe(1);
  });
});

describe('resumableRead gives its transfer slot back', () => {
  /** A memory storage behind a concurrency limit whose slots the test watches. */
  async function limited() {
    const { base } = await setup();
    const slots = new Semaphore(2);
    return { provider: withConcurrencyLimit(base, slots), slots };
  }
  const settle = () => new Promise((r) => setTimeout(r, 20));

  it('when destroyed before anything was read from it', async () => {
    const { provider, slots } = await limited();
    for (let i = 0; i < 2; i++) (await resumableRead(provider, 'obj', { size: data.length })).destroy();
    await settle();
    expect(slots.inUse).toBe(0);
  });

  it('when destroyed half way, or read to the end', async () => {
    const { provider, slots } = await limited();
    const half = await resumableRead(provider, 'obj', { size: data.length });
    for await (const _ of half) break;
    expect((await drain(await resumableRead(provider, 'obj', { size: data.length }))).equals(data)).toBe(true);
    await settle();
    expect(slots.inUse).toBe(0);
  });
});
