import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { peekInput, stallGuard } from '../../../../shared/core/crypto/streams';

describe('stallGuard', () => {
  it('fails an operation whose decoder stopped reading its input', async () => {
    const never = new Promise<string>(() => undefined);
    const started = Date.now();
    await expect(stallGuard(never, { idleMs: 10_000 }, () => new Error('stuck'), 50)).rejects.toThrow('stuck');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('leaves an operation alone while its input is being read (a slow network is not a stall)', async () => {
    const done = new Promise<string>((r) => setTimeout(() => r('ok'), 300));
    await expect(stallGuard(done, { idleMs: 0 }, () => new Error('stuck'), 50)).resolves.toBe('ok');
  });

  it('passes errors through', async () => {
    await expect(stallGuard(Promise.reject(new Error('boom')), { idleMs: 0 }, () => new Error('stuck'), 50)).rejects.toThrow('boom');
  });

  it('peekInput reports idleness: 0 while a read waits, then time since the last read', async () => {
    let release: (() => void) | undefined;
    const input = new Readable({
      read() {
        if (release) return;
        release = () => this.push(null);
      },
    });
    input.push(Buffer.from('head'));
    const p = await peekInput(input, 4);
    const it = p.iterate();
    expect((await it.next()).value).toEqual(new Uint8Array(Buffer.from('head')));
    const pending = it.next();
    await new Promise((r) => setTimeout(r, 60));
    expect(p.idleMs).toBe(0);
    release!();
    await pending;
    await new Promise((r) => setTimeout(r, 60));
    expect(p.idleMs).toBeGreaterThanOrEqual(50);
  });
});
