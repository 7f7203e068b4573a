/** phaseThrottle: throttled updates, but every phase change and every phase's last figures go out, in order. */
import { describe, expect, it } from 'vitest';
import { phaseThrottle } from '../../../../shared/core/jobs/phase-throttle';

interface P {
  readonly phase: string;
  readonly done?: number;
}

const collect = (everyMs: number) => {
  const out: string[] = [];
  const t = phaseThrottle((p: P) => out.push(`${p.phase}:${p.done ?? '-'}`), (p) => p.phase, everyMs);
  return { out, t };
};

describe('phaseThrottle', () => {
  it('holds back updates inside the interval and emits the newest one before the next phase', () => {
    const { out, t } = collect(10_000);
    t({ phase: 'load' });
    for (let done = 1; done <= 4; done++) t({ phase: 'load', done });
    t({ phase: 'files', done: 0 });
    t({ phase: 'files', done: 1 });
    t({ phase: 'files', done: 2 }, true);
    expect(out).toEqual(['load:-', 'load:4', 'files:0', 'files:2']);
  });

  it('emits a held-back update at the end of its interval when none follows; stop drops it', async () => {
    const { out, t } = collect(20);
    t({ phase: 'load', done: 1 });
    t({ phase: 'load', done: 2 });
    expect(out).toEqual(['load:1']);
    await new Promise((r) => setTimeout(r, 60));
    expect(out).toEqual(['load:1', 'load:2']);
    t({ phase: 'load', done: 3 });
    t({ phase: 'load', done: 4 });
    t.stop();
    await new Promise((r) => setTimeout(r, 60));
    expect(out).toEqual(['load:1', 'load:2', 'load:3']);
  });

  it('emits every update once the interval has passed', async () => {
    const { out, t } = collect(5);
    t({ phase: 'load', done: 1 });
    await new Promise((r) => setTimeout(r, 15));
    t({ phase: 'load', done: 2 });
    expect(out).toEqual(['load:1', 'load:2']);
  });
});
