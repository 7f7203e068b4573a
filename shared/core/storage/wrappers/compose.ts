/** `composeProvider`: the standard stack of wrappers around a raw provider, in one place. */
import type { Logger } from '../../util/logger';
import type { StorageProvider } from '../provider';
import { withConcurrencyLimit, type Semaphore } from './concurrency';
import { withLogging } from './logging';
import { withRetry, type RetryOptions } from './retry';

/** Which wrappers to apply; each can be switched off with `false`. */
export interface ComposeOptions {
  /** Log every call (omit for none). */
  readonly log?: Logger;
  /** Retry settings (default on, with `RetryOptions` defaults). */
  readonly retry?: RetryOptions | false;
  /** Transfer limit (default the provider's `capabilities.maxConcurrency`). */
  readonly concurrency?: number | false;
  /** The transfer slots to use instead of new ones of `concurrency` (lets a test watch `inUse`). */
  readonly slots?: Semaphore;
}

/**
 * Wraps `provider` as retry → logging → concurrency limit → provider: each attempt is logged
 * and holds a transfer slot, and pauses between attempts hold none.
 */
export function composeProvider(provider: StorageProvider, options: ComposeOptions = {}): StorageProvider {
  let p = provider;
  if (options.concurrency !== false) {
    p = withConcurrencyLimit(p, options.slots ?? options.concurrency ?? provider.capabilities.maxConcurrency, options.log ? { log: options.log } : {});
  }
  if (options.log !== undefined) p = withLogging(p, options.log);
  if (options.retry !== false) p = withRetry(p, { ...(options.log ? { log: options.log } : {}), ...(options.retry ?? {}) });
  return p;
}
