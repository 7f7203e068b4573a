/** `withConcurrencyLimit`: at most N transfers (reads until their stream closes, writes) at once. */
import { finished } from 'node:stream';
import { cancelledError } from '../../errors';
import { onAbort } from '../../util/abort';
import type { Logger } from '../../util/logger';
import type { StorageProvider } from '../provider';
import { wrapProvider } from './wrap';

/** A counting semaphore whose waits can be cancelled. */
export class Semaphore {
  private active = 0;
  private readonly waiting: Array<{ grant: () => void; reject: (e: Error) => void }> = [];

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`Semaphore limit must be a positive integer, got ${limit}`);
  }

  /** Transfers running now. */
  get inUse(): number {
    return this.active;
  }

  /** Waits for a slot; returns its release function (idempotent). */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) throw cancelledError('Waiting for a transfer slot');
    if (this.active < this.limit) {
      this.active++;
      return this.releaser();
    }
    await new Promise<void>((resolve, reject) => {
      const entry = {
        grant: () => {
          stopListening();
          resolve();
        },
        reject,
      };
      const stopListening = onAbort(signal, () => {
        const i = this.waiting.indexOf(entry);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(cancelledError('Waiting for a transfer slot'));
      });
      this.waiting.push(entry);
    });
    return this.releaser();
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.waiting.shift();
      if (next !== undefined) next.grant();
      else this.active--;
    };
  }
}

/** Options of `withConcurrencyLimit`. */
export interface ConcurrencyLimitOptions {
  /** Where a long wait for a slot is reported (the storage's logger, which names it). */
  readonly log?: Logger;
  /** How long a wait is before it is reported (default 60 s). */
  readonly slowWaitMs?: number;
}

/**
 * Waits for a slot of `sem`; a wait longer than `slowWaitMs` is logged once, with what waits and
 * how many slots are held: every slot held that long is either heavy traffic or a read that was
 * never given back, and a silent hang is much harder to tell apart.
 */
async function acquireNoting(sem: Semaphore, op: string, signal: AbortSignal | undefined, o: ConcurrencyLimitOptions): Promise<() => void> {
  const { log } = o;
  const waitMs = o.slowWaitMs ?? 60_000;
  const timer = log ? setTimeout(() => log.warn('Still waiting for a transfer slot of this storage', { op, waitedMs: waitMs, inUse: sem.inUse }), waitMs) : undefined;
  timer?.unref();
  try {
    return await sem.acquire(signal);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Wraps `provider` so that at most `limit` reads/writes run at once (default: its `maxConcurrency`);
 * a `Semaphore` given instead of a number is used as the slots (shared, or watched by a test).
 */
export function withConcurrencyLimit(provider: StorageProvider, limit: number | Semaphore = provider.capabilities.maxConcurrency, o: ConcurrencyLimitOptions = {}): StorageProvider {
  const sem = typeof limit === 'number' ? new Semaphore(limit) : limit;
  return wrapProvider(provider, {
    async read(key, opts) {
      const release = await acquireNoting(sem, `read ${key}`, opts?.signal, o);
      try {
        const stream = await provider.read(key, opts);
        // The slot is held until the stream is done: consumed, destroyed or failed.
        finished(stream, () => release());
        stream.once('close', release);
        return stream;
      } catch (err) {
        release();
        throw err;
      }
    },
    ...(provider.write !== undefined
      ? {
          async write(key: string, body: Parameters<NonNullable<StorageProvider['write']>>[1], opts?: Parameters<NonNullable<StorageProvider['write']>>[2]) {
            const release = await acquireNoting(sem, `write ${key}`, opts?.signal, o).catch((err: unknown) => {
              body.destroy();
              throw err;
            });
            try {
              return await provider.write!(key, body, opts);
            } finally {
              release();
            }
          },
        }
      : {}),
  });
}
