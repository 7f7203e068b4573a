/** A progress throttle that never drops a phase change nor the last figures a phase reached. */

/**
 * Wraps `emit` so that updates come at most every `everyMs`, except that a phase change (or
 * `force`) always goes out, preceded by the newest update the throttle held back in the phase
 * before it (so "where each phase got to" is never lost).
 */
export function phaseThrottle<T>(emit: (t: T) => void, phaseOf: (t: T) => string | undefined, everyMs: number): (t: T, force?: boolean) => void {
  let last = 0;
  let started = false;
  let phase: string | undefined;
  let held: T | undefined;
  return (t, force = false) => {
    const now = Date.now();
    const changed = !started || phaseOf(t) !== phase;
    if (changed && held !== undefined) emit(held);
    held = undefined;
    started = true;
    phase = phaseOf(t);
    if (force || changed || now - last >= everyMs) {
      last = now;
      emit(t);
    } else {
      held = t;
    }
  };
}
