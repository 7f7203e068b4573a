/** Cross-cutting storage behaviour as wrappers around any provider, plus shared provider helpers. */
export { composeProvider, type ComposeOptions } from './compose';
export { withRetry, retrying, type RetryOptions } from './retry';
export { withConcurrencyLimit, Semaphore } from './concurrency';
export { withLogging } from './logging';
export { resumableRead, writeWithRetry, type ResumableReadOptions, type WriteWithRetryOptions } from './resume';
export { backoffDelay, type BackoffOptions } from './backoff';
export { wrapProvider, type ProviderOverrides } from './wrap';
export { guardReadStream, readAll, sleep, isTransientNetworkError, errorCode, type ErrorClassifier } from './streams';
export { assertValidKey, assertValidPrefix, assertValidRange, isValidKey, keyProblem } from './keys';
