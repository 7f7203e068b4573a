import { describe, expect, it } from 'vitest';
import { systemClock } from '../../../../shared/core/scheduler/clock';

describe('systemClock.sleep', () => {
  it('ends early when its signal aborts, and at once when the signal had aborted before it slept', async () => {
    const later = new AbortController();
    const t0 = Date.now();
    const p = systemClock.sleep(60_000, later.signal);
    setTimeout(() => later.abort(), 20);
    await p;
    const before = new AbortController();
    before.abort();
    await systemClock.sleep(60_000, before.signal);
    expect(Date.now() - t0).toBeLessThan(5_000);
  }, 10_000);
});
