/**
 * Listening to an AbortSignal without missing one that has fired already: a signal aborts once,
 * so a listener added after that never runs, and work started then would go on uncancelled.
 */

/**
 * Runs `fn` once when `signal` aborts — on the next microtask when it already has, so that the
 * caller finishes its setup first. Returns a function that stops listening (idempotent).
 */
export function onAbort(signal: AbortSignal | undefined, fn: () => void): () => void {
  if (!signal) return () => undefined;
  let live = true;
  const run = (): void => {
    if (!live) return;
    live = false;
    fn();
  };
  if (signal.aborted) queueMicrotask(run);
  else signal.addEventListener('abort', run, { once: true });
  return () => {
    live = false;
    signal.removeEventListener('abort', run);
  };
}

/** Settles when `signal` aborts (at once when it has). */
export function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => onAbort(signal, resolve));
}
