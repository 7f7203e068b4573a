/** A progress throttle that never drops a phase change nor the last figures a phase reached. */

/** A throttled emitter; `stop` drops what it holds back and cancels its pending emit. */
export interface PhaseThrottle<T> {
  (t: T, force?: boolean): void;
  /** Drops the update held back, if any, and cancels its emit (the work has ended). */
  stop(): void;
}

/**
 * Wraps `emit` so that updates come at most every `everyMs`, except that a phase change (or
 * `force`) always goes out, preceded by the newest update the throttle held back in the phase
 * before it (so "where each phase got to" is never lost). An update held back goes out at the
 * end of the interval when none follows it (a slow step after a quick one would otherwise show
 * the quick one's figures until the next update); `stop` when the work ends.
 */
export function phaseThrottle<T>(emit: (t: T) => void, phaseOf: (t: T) => string | undefined, everyMs: number): PhaseThrottle<T> {
  let last = 0;
  let started = false;
  let phase: string | undefined;
  let held: T | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const cancelTimer = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  const flushLater = (now: number): void => {
    if (timer !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      if (held === undefined) return;
      const h = held;
      held = undefined;
      last = Date.now();
      emit(h);
    }, Math.max(0, last + everyMs - now));
    timer.unref?.();
  };
  const throttled = (t: T, force = false): void => {
    const now = Date.now();
    const changed = !started || phaseOf(t) !== phase;
    if (changed && held !== undefined) emit(held);
    held = undefined;
    started = true;
    phase = phaseOf(t);
    if (force || changed || now - last >= everyMs) {
      cancelTimer();
      last = now;
      emit(t);
    } else {
      held = t;
      flushLater(now);
    }
  };
  return Object.assign(throttled, {
    stop(): void {
      cancelTimer();
      held = undefined;
    },
  });
}
