/**
 * `withRetry`: retries `Transient` failures with exponential backoff and jitter, honouring a
 * server's Retry-After. It never replays a partly consumed stream: `read` retries opening
 * only (use `resumableRead` to survive a drop mid-stream) and `write` is not retried (use
 * `writeWithRetry` with a body factory). A listing that fails half way is restarted and the
 * keys already yielded are skipped, so each object is still yielded exactly once.
 */
import { AppError, cancelledError, toAppError } from '../../errors';
import type { Logger } from '../../util/logger';
import type { StorageProvider } from '../provider';
import { backoffDelay, type BackoffOptions } from './backoff';
import { sleep as defaultSleep } from './streams';
import { wrapProvider } from './wrap';

/** The longest Retry-After a retry waits for by default; a server asking for more gets its error passed on. */
export const MAX_RETRY_AFTER_MS = 60_000;

/** Retry settings. */
export interface RetryOptions extends BackoffOptions {
  /** Retries after the first attempt (default 4). */
  readonly retries?: number;
  /** A server asking to wait longer than this (default 60 s) gets its error passed on instead. */
  readonly maxRetryAfterMs?: number;
  /** Where retries are reported (warn level). */
  readonly log?: Logger;
  /** Injected for tests. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random?: () => number;
}

/**
 * Runs `fn` until it succeeds, fails with a non-`Transient` error, or the retries are used up.
 * `onRetry` sees each retried error before the pause.
 */
export async function retrying<T>(
  what: string,
  fn: (attempt: number) => Promise<T>,
  options: RetryOptions & { signal?: AbortSignal } = {},
): Promise<T> {
  const retries = options.retries ?? 4;
  const maxRetryAfter = options.maxRetryAfterMs ?? MAX_RETRY_AFTER_MS;
  const pause = options.sleep ?? defaultSleep;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (options.signal?.aborted) throw cancelledError(what);
      const err = toAppError(e);
      if (err.kind !== 'Transient' || attempt >= retries) throw err;
      if (err.retryAfterMs !== undefined && err.retryAfterMs > maxRetryAfter) throw err;
      const delay = backoffDelay(attempt, options, err.retryAfterMs, options.random);
      options.log?.warn('Retrying after a transient error', { op: what, attempt: attempt + 1, delayMs: Math.round(delay), error: err.message });
      await pause(delay, options.signal);
    }
  }
}

/** Wraps `provider` so that `Transient` failures are retried (see the module comment for what is retried). */
export function withRetry(provider: StorageProvider, options: RetryOptions = {}): StorageProvider {
  return wrapProvider(provider, {
    list(prefix, opts) {
      return (async function* () {
        const seen = new Set<string>();
        for (let attempt = 0; ; attempt++) {
          try {
            for await (const o of provider.list(prefix, opts)) {
              if (seen.has(o.key)) continue;
              seen.add(o.key);
              yield o;
            }
            return;
          } catch (e) {
            if (opts?.signal?.aborted) throw cancelledError('Listing');
            const err = toAppError(e);
            const retries = options.retries ?? 4;
            if (err.kind !== 'Transient' || attempt >= retries) throw err;
            if (err.retryAfterMs !== undefined && err.retryAfterMs > (options.maxRetryAfterMs ?? MAX_RETRY_AFTER_MS)) throw err;
            const delay = backoffDelay(attempt, options, err.retryAfterMs, options.random);
            options.log?.warn('Restarting a listing after a transient error', { prefix, attempt: attempt + 1, yielded: seen.size, error: err.message });
            await (options.sleep ?? defaultSleep)(delay, opts?.signal);
          }
        }
      })();
    },
    stat: (key, opts) => retrying(`stat ${key}`, () => provider.stat(key, opts), { ...options, ...(opts?.signal ? { signal: opts.signal } : {}) }),
    read: (key, opts) => retrying(`read ${key}`, () => provider.read(key, opts), { ...options, ...(opts?.signal ? { signal: opts.signal } : {}) }),
    ...(provider.remove !== undefined
      ? {
          remove: (key: string, opts?: { signal?: AbortSignal }) =>
            retrying(
              `remove ${key}`,
              async (attempt) => {
                try {
                  await provider.remove!(key, opts);
                } catch (e) {
                  // A retried delete whose first attempt reached the server finds nothing: done.
                  if (attempt > 0 && e instanceof AppError && e.kind === 'NotFound') return;
                  throw e;
                }
              },
              { ...options, ...(opts?.signal ? { signal: opts.signal } : {}) },
            ),
        }
      : {}),
  });
}
