import { describe, expect, it } from 'vitest';
import { AppError } from '../../../../../shared/core/errors';
import { withFaults } from '../../../../../shared/core/storage/memory/faults';
import { createMemoryProvider } from '../../../../../shared/core/storage/memory/memory-provider';
import { withRetry } from '../../../../../shared/core/storage/wrappers/retry';
import { bodyOf, collect, drain, expectKind } from '../../../../conformance/storage-suite';

const transient = (retryAfterMs?: number): AppError =>
  new AppError('Transient', 'busy', retryAfterMs !== undefined ? { retryAfterMs } : {});

async function setup() {
  const base = createMemoryProvider({ pageSize: 2 });
  for (const k of ['a', 'b', 'c', 'd', 'e']) await base.write!(k, bodyOf(Buffer.from(k)));
  const faulty = withFaults(base);
  const delays: number[] = [];
  const sleep = async (ms: number): Promise<void> => {
    delays.push(ms);
  };
  return { faulty, delays, sleep };
}

describe('withRetry', () => {
  it('retries Transient failures with growing, jittered backoff and then succeeds', async () => {
    const { faulty, delays, sleep } = await setup();
    const p = withRetry(faulty.provider, { retries: 4, baseDelayMs: 100, maxDelayMs: 1000, sleep, random: () => 1 });
    faulty.failNext('stat', transient(), 3);
    expect((await p.stat('a')).size).toBe(1);
    expect(faulty.calls.stat).toBe(4);
    expect(delays).toEqual([100, 200, 400]);
    const low = withRetry(faulty.provider, { baseDelayMs: 100, sleep, random: () => 0 });
    delays.length = 0;
    faulty.failNext('stat', transient());
    await low.stat('a');
    expect(delays).toEqual([50]);
  });

  it('gives up after the configured retries with the last error', async () => {
    const { faulty, sleep } = await setup();
    const p = withRetry(faulty.provider, { retries: 2, sleep });
    faulty.failNext('stat', transient(), 5);
    await expectKind(() => p.stat('a'), 'Transient');
    expect(faulty.calls.stat).toBe(3);
  });

  it('never retries other kinds', async () => {
    const { faulty, sleep } = await setup();
    const p = withRetry(faulty.provider, { sleep });
    await expectKind(() => p.stat('missing'), 'NotFound');
    faulty.failNext('read', new AppError('PermissionDenied', 'no'));
    await expectKind(() => p.read('a'), 'PermissionDenied');
    expect(faulty.calls.stat + faulty.calls.read).toBe(2);
  });

  it('honours Retry-After, and passes on a wait longer than allowed', async () => {
    const { faulty, delays, sleep } = await setup();
    const p = withRetry(faulty.provider, { baseDelayMs: 10, sleep, maxRetryAfterMs: 5000 });
    faulty.failNext('stat', transient(3000));
    await p.stat('a');
    expect(delays).toEqual([3000]);
    faulty.failNext('stat', transient(120_000));
    const err = await expectKind(() => p.stat('a'), 'Transient');
    expect(err.retryAfterMs).toBe(120_000);
  });

  it('retries opening a read but not a stream that broke half way', async () => {
    const { faulty, sleep } = await setup();
    const big = Buffer.alloc(300_000, 7);
    await faulty.provider.write!('big', bodyOf(big));
    const p = withRetry(faulty.provider, { sleep });
    faulty.failNext('read', transient());
    expect((await drain(await p.read('big'))).equals(big)).toBe(true);
    expect(faulty.calls.read).toBe(2);
    faulty.interruptNext('read', 100_000);
    await expectKind(async () => drain(await p.read('big')), 'Transient');
    expect(faulty.calls.read).toBe(3);
  });

  it('does not retry writes (a consumed body cannot be replayed)', async () => {
    const { faulty, sleep } = await setup();
    const p = withRetry(faulty.provider, { sleep });
    faulty.failNext('write', transient());
    await expectKind(() => p.write!('x', bodyOf(Buffer.from('x'))), 'Transient');
    expect(faulty.calls.write).toBe(1);
  });

  it('restarts a failed listing without yielding any object twice', async () => {
    const { faulty, sleep } = await setup();
    let failures = 1;
    const flaky = {
      ...faulty.provider,
      list: (prefix: string, o?: { pageSize?: number }) =>
        (async function* () {
          let n = 0;
          for await (const x of faulty.provider.list(prefix, o)) {
            if (n++ === 3 && failures-- > 0) throw transient();
            yield x;
          }
        })(),
    };
    const keys = (await collect(withRetry(flaky, { sleep }).list(''))).map((o) => o.key);
    expect(keys.sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(faulty.calls.list).toBe(2);
  });

  it('treats NotFound on a retried remove as done, keeps optional methods optional', async () => {
    const { faulty, sleep } = await setup();
    const p = withRetry(faulty.provider, { sleep });
    faulty.failNext('remove', transient());
    await p.remove!('a');
    await expectKind(() => p.remove!('a'), 'NotFound');
    const ro = withRetry(createMemoryProvider({ readOnly: true }));
    expect(ro.write).toBeUndefined();
    expect(ro.remove).toBeUndefined();
  });

  it('stops waiting when cancelled', async () => {
    const { faulty } = await setup();
    const p = withRetry(faulty.provider, { baseDelayMs: 10_000 });
    faulty.failNext('stat', transient());
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 20);
    const started = Date.now();
    await expectKind(() => p.stat('a', { signal: ac.signal }), 'Cancelled');
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
