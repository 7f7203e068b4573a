/**
 * A clock for scheduler tests: `advance` moves time and fires the timers due in order;
 * `sleep` moves only the wall clock, as a suspended laptop does (timers run late, not early).
 */
import type { Clock, TimerHandle } from '../../shared/core/scheduler/clock';

interface Timer {
  due: number;
  seq: number;
  fn: () => void;
}

export class FakeClock implements Clock {
  private wall: number;
  private mono = 0;
  private seq = 0;
  private timers: Timer[] = [];

  constructor(start: string | number) {
    this.wall = typeof start === 'number' ? start : Date.parse(start);
  }

  now(): number {
    return this.wall;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const t: Timer = { due: this.mono + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(t);
    return { cancel: () => void (this.timers = this.timers.filter((x) => x !== t)) };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const h = this.setTimer(ms, resolve);
      signal?.addEventListener('abort', () => (h.cancel(), resolve()), { once: true });
    });
  }

  /** The machine is suspended for `ms`: the wall clock jumps, timers do not fire. */
  suspend(ms: number): void {
    this.wall += ms;
  }

  /** Moves time by `ms`, firing due timers in order; after each, awaits `settle` (e.g. the scheduler going idle). */
  async advance(ms: number, settle: () => Promise<void> = flush): Promise<void> {
    const target = this.mono + ms;
    for (;;) {
      const next = this.timers.filter((t) => t.due <= target).sort((a, b) => a.due - b.due || a.seq - b.seq)[0];
      if (!next) break;
      this.wall += next.due - this.mono;
      this.mono = next.due;
      this.timers = this.timers.filter((t) => t !== next);
      next.fn();
      await settle();
    }
    this.wall += target - this.mono;
    this.mono = target;
    await settle();
  }
}

async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}
