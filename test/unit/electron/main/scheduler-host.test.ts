/**
 * The desktop host of the real scheduler (fake clock, real job files in a temp home): the tray's
 * schedule lines follow the runs, an overdue job and a job that fails for good each raise one
 * notification, an already-overdue job is announced once at start, and quitting stops it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ScheduledJob } from '../../../../shared/contract/schedules';
import { AppError } from '../../../../shared/core/errors';
import { Scheduler, type JobRunner, type RunSummary } from '../../../../shared/core/scheduler/scheduler';
import { nullLogger } from '../../../../shared/core/util/logger';
import { hostScheduler } from '../../../../electron/main/scheduler-host';
import type { JobNotice } from '../../../../electron/main/notifications';
import type { TraySchedules } from '../../../../electron/main/tray';
import { FakeClock } from '../../../helpers/fake-clock';

const T0 = '2026-06-01T00:00:00.000Z';
const MIN = 60_000;
const HOUR = 60 * MIN;

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'bd-sched-host-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

function job(name: string, every: string, over: Partial<ScheduledJob> = {}): ScheduledJob {
  return { name, every, tz: 'UTC', enabled: true, createdAt: T0, work: { kind: 'backup', db: name, source: `postgres://db/${name}`, to: ['local'], format: 'zip' }, ...over };
}

async function setup(jobs: ScheduledJob[], behave: (j: ScheduledJob, signal: AbortSignal) => Promise<RunSummary>) {
  const clock = new FakeClock(T0);
  const runner: JobRunner = { run: (j, ctx) => behave(j, ctx.signal) };
  const scheduler = new Scheduler({ home, runner, clock, pollMs: 30_000, retryDelaysMs: [MIN], owner: 'app' });
  for (const j of jobs) await scheduler.store.save(j);
  const notices: JobNotice[] = [];
  const trays: TraySchedules[] = [];
  return { clock, scheduler, notices, trays, host: () => hostScheduler({ scheduler, setTraySchedules: (s) => trays.push(s), notify: (n) => notices.push(n), log: nullLogger }) };
}

describe('hostScheduler', () => {
  it('keeps the tray current with the next run and the last result', async () => {
    const t = await setup([job('nightly', 'hourly')], async () => ({ bytes: 1 }));
    const h = await t.host();
    expect(t.trays.at(-1)).toMatchObject({ jobs: ['nightly'], next: { name: 'nightly', at: '2026-06-01T01:00:00.000Z' }, overdue: [] });
    await t.clock.advance(HOUR, () => t.scheduler.whenIdle());
    await new Promise((r) => setTimeout(r, 50));
    expect(t.trays.at(-1)).toMatchObject({ next: { at: '2026-06-01T02:00:00.000Z' }, last: { name: 'nightly', outcome: 'ok' } });
    expect(t.notices).toEqual([]);
    await h.stop();
  });

  it('notifies once when a job fails for good, and once per overdue episode', async () => {
    const t = await setup([job('flaky', 'hourly', { graceSeconds: 600 })], async () => {
      throw new AppError('Transient', 'The storage did not answer.');
    });
    const h = await t.host();
    await t.clock.advance(HOUR, () => t.scheduler.whenIdle());
    await t.clock.advance(2 * MIN, () => t.scheduler.whenIdle());
    await t.clock.advance(20 * MIN, () => t.scheduler.whenIdle());
    await new Promise((r) => setTimeout(r, 50));
    const titles = t.notices.map((n) => n.title);
    expect(titles.filter((x) => /failed/.test(x))).toHaveLength(1);
    expect(titles.filter((x) => /overdue/.test(x))).toEqual(['flaky is overdue']);
    expect(t.trays.at(-1)?.overdue).toEqual(['flaky']);
    await h.stop();
  });

  it('announces a job that is already overdue at start once, not again when the engine reports it', async () => {
    const t = await setup([job('old', 'hourly', { createdAt: '2026-05-01T00:00:00.000Z' })], (_j, signal) =>
      new Promise<RunSummary>((_r, reject) => signal.addEventListener('abort', () => reject(new AppError('Cancelled', 'stopped')))),
    );
    await t.clock.advance(10 * HOUR);
    const h = await t.host();
    await t.clock.advance(MIN, () => Promise.resolve());
    await new Promise((r) => setTimeout(r, 50));
    expect(t.notices.filter((n) => /overdue/.test(n.title))).toHaveLength(1);
    await h.stop();
  });
});
