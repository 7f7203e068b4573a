import { describe, expect, it } from 'vitest';
import { aborted, onAbort } from '../../../../shared/core/util/abort';

describe('onAbort', () => {
  it('runs once when the signal aborts, not before', async () => {
    const c = new AbortController();
    let calls = 0;
    onAbort(c.signal, () => calls++);
    await Promise.resolve();
    expect(calls).toBe(0);
    c.abort();
    c.abort();
    expect(calls).toBe(1);
  });

  it('runs for a signal that aborted before it listened, after the caller finished its setup', async () => {
    const c = new AbortController();
    c.abort();
    const order: string[] = [];
    onAbort(c.signal, () => order.push('abort'));
    order.push('setup');
    await Promise.resolve();
    expect(order).toEqual(['setup', 'abort']);
  });

  it('does not run once stopped, whether the signal aborts later or had already', async () => {
    const later = new AbortController();
    const before = new AbortController();
    before.abort();
    let calls = 0;
    onAbort(later.signal, () => calls++)();
    onAbort(before.signal, () => calls++)();
    later.abort();
    await Promise.resolve();
    expect(calls).toBe(0);
  });

  it('aborted() settles for a signal that fired already and one that fires later', async () => {
    const before = new AbortController();
    before.abort();
    await aborted(before.signal);
    const later = new AbortController();
    let done = false;
    const p = aborted(later.signal).then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    later.abort();
    await p;
    expect(done).toBe(true);
  });
});
