/** Exponential backoff with jitter, shared by the retry wrapper and resumable transfers. */

/** Backoff settings. */
export interface BackoffOptions {
  /** First delay, before jitter (default 200 ms). */
  readonly baseDelayMs?: number;
  /** Upper bound of a computed delay (default 10 s). */
  readonly maxDelayMs?: number;
}

/**
 * The delay before retry number `attempt` (0-based): `base * 2^attempt`, capped at `max`, with
 * "equal jitter" (between half and all of it). A server's `retryAfterMs` wins when longer.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, retryAfterMs?: number, random: () => number = Math.random): number {
  const base = options.baseDelayMs ?? 200;
  const max = options.maxDelayMs ?? 10_000;
  const exp = Math.min(max, base * 2 ** Math.min(attempt, 30));
  const jittered = exp / 2 + (random() * exp) / 2;
  return Math.max(jittered, retryAfterMs ?? 0);
}
