/** Time for the scheduler, injectable so tests can move it (and jump it, like a laptop waking). */
import { onAbort } from '../util/abort';

/** A cancellable timer. */
export interface TimerHandle {
  cancel(): void;
}

/** Where the scheduler gets the time and its timers from. */
export interface Clock {
  /** Milliseconds since the epoch (wall clock: jumps after sleep). */
  now(): number;
  /** Calls `fn` after about `ms` milliseconds; the handle cancels it. */
  setTimer(ms: number, fn: () => void): TimerHandle;
  /** Resolves after about `ms` milliseconds (or at once when `signal` fires). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The real clock; its timers never keep the process alive on their own. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
  sleep(ms, signal) {
    return new Promise((resolve) => {
      const t = setTimeout(done, Math.max(0, ms));
      const stopListening = onAbort(signal, done);
      function done(): void {
        clearTimeout(t);
        stopListening();
        resolve();
      }
    });
  },
};
