/**
 * Reads a chunk source ahead of its consumer, up to a byte budget, so that the source's I/O
 * (a file read on libuv's pool, a download) overlaps the decryption instead of alternating
 * with it. Every wait for the next chunk is a thread handoff; on a busy machine each one costs
 * a scheduling delay, and a file stream reads only one chunk ahead by itself.
 */

/** A wake-up slot: the waiting side parks a resolver, the other side calls it. */
class Signal {
  private resolve: (() => void) | undefined;

  /** Resolves at the next `fire`. */
  wait(): Promise<void> {
    return new Promise<void>((r) => (this.resolve = r));
  }

  /** Wakes the waiter, if any. */
  fire(): void {
    const r = this.resolve;
    this.resolve = undefined;
    r?.();
  }
}

/** The chunks of `source`, in order, read ahead while fewer than `maxBytes` are queued. */
export async function* readAhead(source: AsyncIterable<Uint8Array>, maxBytes: number): AsyncGenerator<Uint8Array> {
  const it = source[Symbol.asyncIterator]();
  const queue: Uint8Array[] = [];
  const state = { queued: 0, ended: false, stopped: false, error: undefined as { err: unknown } | undefined };
  const arrived = new Signal();
  const drained = new Signal();
  void (async () => {
    try {
      while (!state.stopped) {
        if (state.queued >= maxBytes) {
          await drained.wait();
          continue;
        }
        const r = await it.next();
        if (r.done) break;
        queue.push(r.value);
        state.queued += r.value.length;
        arrived.fire();
      }
    } catch (err) {
      state.error = { err };
    }
    state.ended = true;
    arrived.fire();
  })();
  try {
    for (;;) {
      const c = queue.shift();
      if (c) {
        state.queued -= c.length;
        drained.fire();
        yield c;
      } else if (state.error) {
        throw state.error.err;
      } else if (state.ended) {
        return;
      } else {
        await arrived.wait();
      }
    }
  } finally {
    state.stopped = true;
    drained.fire();
    // Not awaited: a read in flight ends when the owner destroys the input.
    if (!state.ended) it.return?.(undefined).catch(() => undefined);
  }
}
