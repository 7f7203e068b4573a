import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { fanOut, type FanOutSink } from '../../../../shared/core/backup/fan-out';

const chunks = (n: number, size: number): Buffer[] => Array.from({ length: n }, (_, i) => Buffer.alloc(size, i));

/** A sink that waits `delayMs` (a storage's own set-up: a folder made, an upload opened) before it reads its stream. */
function sink(name: string, delayMs = 0, failAfter?: number): FanOutSink<Buffer> & { got: Buffer[] } {
  const got: Buffer[] = [];
  return {
    name,
    got,
    async write(body) {
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      let seen = 0;
      await pipeline(
        body,
        new Writable({
          write(c: Buffer, _e, cb) {
            seen += c.length;
            if (failAfter !== undefined && seen > failAfter) return cb(new Error(`${name} is full`));
            got.push(c);
            cb();
          },
        }),
      );
      return Buffer.concat(got);
    },
  };
}

describe('fanOut', () => {
  it('sends the same bytes to every sink, with their size and sha256', async () => {
    const data = chunks(20, 100_000);
    const all = Buffer.concat(data);
    const a = sink('a');
    const b = sink('b', 20);
    const r = await fanOut(Readable.from(data), [a, b]);
    expect(r.sourceError).toBeUndefined();
    expect(r.bytes).toBe(all.length);
    expect(r.sha256).toBe(createHash('sha256').update(all).digest('hex'));
    expect(r.outcomes.map((o) => o.ok)).toEqual([true, true]);
    expect(Buffer.concat(a.got).equals(all)).toBe(true);
    expect(Buffer.concat(b.got).equals(all)).toBe(true);
  });

  it('drops a sink that fails and goes on with the others', async () => {
    const data = chunks(20, 100_000);
    const r = await fanOut(Readable.from(data), [sink('full', 0, 500_000), sink('ok')]);
    expect(r.outcomes[0]).toMatchObject({ ok: false, error: { message: 'full is full' } });
    expect(r.outcomes[1]?.ok).toBe(true);
    expect(r.bytes).toBe(2_000_000);
  });

  it('fails every sink when the source fails before a sink began to read, without an unhandled stream error', async () => {
    const source = new Readable({ read() {} });
    setImmediate(() => source.destroy(new Error('pg_dump failed')));
    const r = await fanOut(source, [sink('slow', 50), sink('fast')]);
    expect(r.sourceError?.message).toBe('pg_dump failed');
    expect(r.outcomes.every((o) => !o.ok)).toBe(true);
    // an 'error' emitted on a stream nobody listened to yet would surface here as an uncaught exception
    await new Promise((r) => setTimeout(r, 80));
  });

  it('is cancelled when the signal has fired before the first chunk, while a sink is still setting up', async () => {
    const ac = new AbortController();
    ac.abort();
    const r = await fanOut(Readable.from(chunks(3, 10)), [sink('slow', 50)], ac.signal);
    expect(r.sourceError?.kind).toBe('Cancelled');
    expect(r.outcomes).toMatchObject([{ ok: false, error: { kind: 'Cancelled' } }]);
    await new Promise((r) => setTimeout(r, 80));
  });

  it('hands every sink the totals before its stream ends, and a rejection when the source fails', async () => {
    const data = chunks(5, 100_000);
    const all = Buffer.concat(data);
    const seen: Array<{ endedFirst: boolean; bytes: number; sha256: string }> = [];
    const waiting: FanOutSink<void> = {
      name: 'waits',
      async write(body, totals) {
        let ended = false;
        body.on('end', () => (ended = true));
        body.resume();
        const t = await totals;
        seen.push({ endedFirst: ended, ...t });
        await new Promise((r) => body.once('end', r));
      },
    };
    const r = await fanOut(Readable.from(data), [waiting]);
    expect(r.outcomes[0]?.ok).toBe(true);
    expect(seen).toEqual([{ endedFirst: false, bytes: all.length, sha256: createHash('sha256').update(all).digest('hex') }]);

    const failing = new Readable({ read() {} });
    failing.push(Buffer.alloc(10));
    setImmediate(() => failing.destroy(new Error('pg_dump failed')));
    let told: unknown;
    await fanOut(failing, [{ name: 'asks', write: async (body, totals) => { body.resume(); told = await totals.catch((e: unknown) => e); } }]);
    expect((told as Error).message).toBe('pg_dump failed');
  });
});
