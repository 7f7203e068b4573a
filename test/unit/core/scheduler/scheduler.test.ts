/**
 * The scheduler on a fake clock, with real files in a temp home: slots, one catch-up for any
 * number of missed slots (at start and after a suspend), no overlap (a job never twice, one
 * source queued, the lock shared by two schedulers as by the app and a daemon), retries with
 * backoff then an alert, overdue raised once, stop aborting a run (caught up at the next start, as
 * a run whose process died), drills after every Nth backup.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ScheduledJob } from '../../../../shared/contract/schedules';
import { AppError, throwIfAborted } from '../../../../shared/core/errors';
import { Scheduler, type JobRunner, type RunEndEvent, type RunSummary } from '../../../../shared/core/scheduler/scheduler';
import type { Trigger } from '../../../../shared/core/scheduler/timing';
import { FakeClock } from '../../../helpers/fake-clock';
import { jsonLogger } from '../../../../shared/core/util/logger';

const T0 = '2026-06-01T00:00:00.000Z';
const MIN = 60_000;
const HOUR = 60 * MIN;

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'bd-scheduler-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

function job(name: string, every: string, over: Partial<ScheduledJob> = {}, source = 'postgres://db1/'): ScheduledJob {
  return { name, every, tz: 'UTC', enabled: true, createdAt: T0, work: { kind: 'backup', db: 'acme', source, to: ['local'], format: 'zip' }, ...over };
}

/** A runner the test steers: each call is recorded; `behave` decides how it ends. */
class TestRunner implements JobRunner {
  readonly calls: { name: string; trigger: Trigger; kind: string }[] = [];
  running = 0;
  maxRunning = 0;
  behave: (job: ScheduledJob, signal: AbortSignal) => Promise<RunSummary> = async () => ({ bytes: 10 });

  async run(j: ScheduledJob, ctx: { signal: AbortSignal; trigger: Trigger }): Promise<RunSummary> {
    this.calls.push({ name: j.name, trigger: ctx.trigger, kind: j.work.kind });
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    try {
      return await this.behave(j, ctx.signal);
    } finally {
      this.running--;
    }
  }
}

function setup(jobs: ScheduledJob[], over: { retryDelaysMs?: number[]; pollMs?: number } = {}) {
  const clock = new FakeClock(T0);
  const runner = new TestRunner();
  const s = new Scheduler({ home, runner, clock, log: process.env.SCHED_DEBUG ? jsonLogger((l) => process.stderr.write(l), 'debug') : undefined, pollMs: over.pollMs ?? 30_000, retryDelaysMs: over.retryDelaysMs ?? [MIN, 5 * MIN], owner: 'test' });
  const ends: RunEndEvent[] = [];
  s.on('run-end', (e) => ends.push(e));
  const idle = (): Promise<void> => s.whenIdle();
  return { clock, runner, s, ends, idle, save: async () => {
      for (const j of jobs) await s.store.save(j);
    } };
}

describe('Scheduler', () => {
  it('runs a job at each slot and not before', async () => {
    const t = setup([job('q', '*:0/15')]);
    await t.save();
    await t.s.start();
    await t.clock.advance(14 * MIN, t.idle);
    expect(t.runner.calls).toEqual([]);
    await t.clock.advance(MIN, t.idle);
    expect(t.runner.calls).toEqual([{ name: 'q', trigger: 'schedule', kind: 'backup' }]);
    await t.clock.advance(30 * MIN, t.idle);
    expect(t.runner.calls.map((c) => c.trigger)).toEqual(['schedule', 'schedule', 'schedule']);
    const [st] = await t.s.status();
    expect(st?.lastOutcome).toBe('ok');
    expect(st?.nextRunAt).toBe('2026-06-01T01:00:00.000Z');
    await t.s.stop();
  });

  it('runs ONE catch-up at start for any number of missed slots, then keeps the grid', async () => {
    const t = setup([job('d', 'daily', { createdAt: '2026-05-20T12:00:00.000Z' })]);
    await t.save();
    await t.clock.advance(3 * HOUR); // 03:00: eleven daily slots were missed while "off"
    await t.s.start();
    await t.idle();
    expect(t.runner.calls).toEqual([{ name: 'd', trigger: 'catch-up', kind: 'backup' }]);
    await t.clock.advance(20 * HOUR, t.idle);
    expect(t.runner.calls).toHaveLength(1);
    await t.clock.advance(2 * HOUR, t.idle); // past midnight
    expect(t.runner.calls.map((c) => c.trigger)).toEqual(['catch-up', 'schedule']);
    await t.s.stop();
  });

  it('runs ONE catch-up after a suspend, noticed within the poll interval', async () => {
    const t = setup([job('h', 'hourly')]);
    await t.save();
    await t.s.start();
    await t.clock.advance(HOUR, t.idle);
    expect(t.runner.calls).toHaveLength(1);
    t.clock.suspend(10 * HOUR); // asleep over ten slots; no timer fired
    await t.clock.advance(30_000, t.idle);
    expect(t.runner.calls.map((c) => c.trigger)).toEqual(['schedule', 'catch-up']);
    await t.clock.advance(20 * MIN, t.idle);
    expect(t.runner.calls).toHaveLength(2);
  });

  it('a job that is off announces no next run (the daemon logged one at every slot it skipped)', async () => {
    const t = setup([job('off', '*:0/15', { enabled: false }), job('on', 'hourly')]);
    await t.save();
    const nexts: { name: string; at: string | null }[] = [];
    t.s.on('next-run', (e) => nexts.push(e));
    await t.s.start();
    await t.clock.advance(HOUR, t.idle);
    expect(nexts).toEqual([
      { name: 'on', at: '2026-06-01T01:00:00.000Z' },
      { name: 'on', at: '2026-06-01T02:00:00.000Z' },
    ]);
    expect(t.runner.calls.map((c) => c.name)).toEqual(['on']);
    await t.s.stop();
  });

  it('never runs a job twice at once, and queues jobs on the same source', async () => {
    const a = job('a', 'minutely');
    const b = job('b', 'minutely');
    const other = job('c', 'minutely', {}, 'postgres://db2/');
    const t = setup([a, b, other]);
    await t.save();
    const release = new Map<string, () => void>();
    t.runner.behave = (j) => new Promise((r) => release.set(j.name, () => r({})));
    await t.s.start();
    const pause = (): Promise<void> => t.s.whenChecked();
    await t.clock.advance(MIN, pause);
    // a and c run (different sources); b waits behind a.
    await vi.waitFor(() => expect(t.runner.calls.map((c) => c.name).sort()).toEqual(['a', 'c']), { timeout: 30_000 });
    await t.clock.advance(5 * MIN, pause);
    expect(t.runner.calls.map((c) => c.name).sort()).toEqual(['a', 'c']);
    release.get('a')?.(); // a ends → b starts
    await vi.waitFor(() => expect(t.runner.calls.map((c) => c.name).sort()).toEqual(['a', 'b', 'c']), { timeout: 30_000 });
    expect(t.runner.maxRunning).toBe(2);
    const stopping = t.s.stop();
    release.get('b')?.();
    release.get('c')?.();
    await stopping;
  });

  it('shares the lock with another scheduler on the same home: one runs, the other skips', async () => {
    const t = setup([job('x', 'hourly')]);
    await t.save();
    const runner2 = new TestRunner();
    const other = new Scheduler({ home, runner: runner2, clock: t.clock, owner: 'daemon' });
    const release: (() => void)[] = [];
    const block = (): Promise<RunSummary> => new Promise((r) => release.push(() => r({})));
    t.runner.behave = block;
    runner2.behave = block;
    const skipped: RunEndEvent[] = [];
    other.on('run-end', (e) => skipped.push(e));
    t.clock.suspend(HOUR + MIN);
    await t.s.start();
    await vi.waitFor(() => expect(t.runner.calls).toHaveLength(1), { timeout: 30_000 });
    await other.start(); // sees the slot served by the first one
    await new Promise((r) => setTimeout(r, 300));
    expect(runner2.calls).toHaveLength(0);
    expect((await other.runNow('x')).outcome).toBe('skipped'); // the lock is held by the first one
    expect(skipped.map((e) => e.outcome)).toEqual(['skipped']);
    expect(runner2.calls).toHaveLength(0);
    expect((await other.status())[0]?.running).toBe(true);
    while (release.length) release.shift()?.();
    await t.s.stop();
    await other.stop();
  });

  it('retries a failure with backoff, then alerts once', async () => {
    const t = setup([job('f', 'daily')], { retryDelaysMs: [MIN, 5 * MIN] });
    await t.save();
    t.runner.behave = async () => {
      throw new AppError('Transient', 'The storage did not answer.');
    };
    const alerts: string[] = [];
    t.s.on('alert', (a) => alerts.push(a.message));
    await t.s.start();
    await t.clock.advance(24 * HOUR, t.idle);
    expect(t.runner.calls.map((c) => c.trigger)).toEqual(['schedule']);
    await t.clock.advance(MIN, t.idle);
    expect(t.runner.calls.map((c) => c.trigger)).toEqual(['schedule', 'retry']);
    expect(alerts).toEqual([]);
    await t.clock.advance(4 * MIN, t.idle);
    expect(t.runner.calls).toHaveLength(2);
    await t.clock.advance(MIN, t.idle);
    expect(t.runner.calls.map((c) => c.trigger)).toEqual(['schedule', 'retry', 'retry']);
    expect(alerts).toEqual(['The storage did not answer.']);
    await t.clock.advance(12 * HOUR, t.idle);
    expect(t.runner.calls).toHaveLength(3);
    const [st] = await t.s.status();
    expect(st).toMatchObject({ lastOutcome: 'failed', consecutiveFailures: 3, retryAt: null, lastError: 'The storage did not answer.' });
    await t.s.stop();
  });

  it('alerts a job that fails at every run though its slots come before its retries are through (every 15 minutes)', async () => {
    const t = setup([job('q', '*:0/15')], { retryDelaysMs: [MIN, 5 * MIN, 15 * MIN] });
    await t.save();
    t.runner.behave = async () => {
      throw new AppError('Fatal', 'pg_dump: connection refused');
    };
    const alerts: string[] = [];
    t.s.on('alert', (a) => alerts.push(a.at));
    await t.s.start();
    await t.clock.advance(45 * MIN, t.idle);
    // 00:15 fails, retried at 00:16 and 00:21; the 00:30 slot is the third retry, and fails too
    expect(t.runner.calls.map((c) => c.trigger)).toEqual(['schedule', 'retry', 'retry', 'schedule', 'schedule']);
    expect(alerts).toEqual(['2026-06-01T00:30:00.000Z']);
    expect((await t.s.status())[0]).toMatchObject({ consecutiveFailures: 5, retryAt: '2026-06-01T00:46:00.000Z' });
    await t.s.stop();
  });

  it('raises overdue once per episode and clears it on success', async () => {
    const t = setup([job('o', 'hourly', { graceSeconds: 600 })], { retryDelaysMs: [] });
    await t.save();
    let fail = true;
    t.runner.behave = async () => {
      if (fail) throw new AppError('Fatal', 'pg_dump failed');
      return {};
    };
    const overdue: string[] = [];
    t.s.on('overdue', (o) => overdue.push(o.since));
    await t.s.start();
    await t.clock.advance(HOUR, t.idle);
    expect(overdue).toEqual([]);
    await t.clock.advance(11 * MIN, t.idle);
    expect(overdue).toEqual(['2026-06-01T01:10:00.000Z']);
    expect((await t.s.status())[0]?.overdueSince).toBe('2026-06-01T01:10:00.000Z');
    await t.clock.advance(3 * HOUR, t.idle);
    expect(overdue).toHaveLength(1);
    fail = false;
    await t.clock.advance(HOUR, t.idle);
    expect((await t.s.status())[0]?.overdueSince).toBeNull();
    fail = true;
    await t.clock.advance(2 * HOUR, t.idle);
    expect(overdue).toEqual(['2026-06-01T01:10:00.000Z', '2026-06-01T06:10:00.000Z']);
    await t.s.stop();
  });

  it('stop({abort}) cancels the running job; it is recorded as cancelled and not retried', async () => {
    const t = setup([job('c', 'hourly')]);
    await t.save();
    let cleaned = false;
    t.runner.behave = (_j, signal) =>
      new Promise((_resolve, reject) => {
        signal.addEventListener('abort', () => {
          cleaned = true;
          try {
            throwIfAborted(signal, 'The backup');
          } catch (err) {
            reject(err);
          }
        });
      });
    await t.s.start();
    await t.clock.advance(HOUR, () => t.s.whenChecked());
    await vi.waitFor(() => expect(t.runner.running).toBe(1), { timeout: 30_000 });
    await t.s.stop({ abort: true });
    expect(cleaned).toBe(true);
    expect(t.ends.map((e) => e.outcome)).toEqual(['cancelled']);
    const [st] = await t.s.status();
    expect(st).toMatchObject({ lastOutcome: 'cancelled', retryAt: null, running: false });
  });

  it('a run that stop({abort}) cancelled leaves its slot due: the next start (a new process) catches it up', async () => {
    const t = setup([job('d', 'daily')]);
    await t.save();
    t.runner.behave = (_j, signal) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new AppError('Cancelled', 'The backup was cancelled.'))));
    await t.s.start();
    await t.clock.advance(24 * HOUR, () => t.s.whenChecked());
    await vi.waitFor(() => expect(t.runner.running).toBe(1), { timeout: 30_000 });
    await t.s.stop({ abort: true }); // the daemon is stopped (or restarted) in the middle of the nightly backup
    t.runner.behave = async () => ({});
    const restarted = new Scheduler({ home, runner: t.runner, clock: new FakeClock(t.clock.now() + 5 * MIN), owner: 'test' });
    expect((await restarted.status())[0]).toMatchObject({ lastOutcome: 'cancelled', lastRunAt: '2026-06-02T00:00:00.000Z' });
    await restarted.start();
    await restarted.whenIdle();
    expect(t.runner.calls.map((c) => c.trigger)).toEqual(['schedule', 'catch-up']);
    expect((await restarted.status())[0]).toMatchObject({ lastOutcome: 'ok', nextRunAt: '2026-06-03T00:00:00.000Z' });
    await restarted.stop();
  });

  it('a run whose process died shows the last run that ended, and its slot is caught up at the next start', async () => {
    const t = setup([job('d', 'daily')]);
    await t.save();
    await t.s.start();
    await t.clock.advance(24 * HOUR, t.idle); // day 1: ok
    t.runner.behave = () => new Promise(() => undefined); // day 2: the process is killed (kill -9, power cut) in the middle
    await t.clock.advance(24 * HOUR, () => t.s.whenChecked());
    await vi.waitFor(() => expect(t.runner.running).toBe(1), { timeout: 30_000 });
    await rm(join(home, 'locks'), { recursive: true, force: true }); // its locks are stale: their process is gone
    const runner = new TestRunner();
    const restarted = new Scheduler({ home, runner, clock: new FakeClock(t.clock.now() + HOUR), owner: 'test' });
    expect((await restarted.status())[0]).toMatchObject({ lastOutcome: 'ok', lastRunAt: '2026-06-02T00:00:00.000Z', running: false });
    await restarted.start();
    await restarted.whenIdle();
    expect(runner.calls.map((c) => c.trigger)).toEqual(['catch-up']);
    expect((await restarted.status())[0]).toMatchObject({ lastOutcome: 'ok', lastRunAt: '2026-06-03T01:00:00.000Z' });
    await restarted.stop();
  });

  it('a job replaced while no scheduler runs (schedule add --replace, switched on again) starts at the save: no catch-up of the slots before it', async () => {
    const t = setup([job('d', 'daily')]);
    await t.save();
    await t.s.start();
    await t.clock.advance(24 * HOUR, t.idle); // its 06-02 slot ran
    await t.s.stop();
    await t.clock.advance(10 * HOUR);
    const saved = (await t.s.store.get('d'))!;
    await t.s.store.save({ ...saved, enabled: false }, true, new Date(t.clock.now()));
    await t.clock.advance(3 * 24 * HOUR); // off for three days
    await t.s.store.save({ ...saved, every: '*-*-* 00/12:00' }, true, new Date(t.clock.now())); // on again, twice a day
    await t.clock.advance(MIN);
    const restarted = new Scheduler({ home, runner: t.runner, clock: t.clock, owner: 'test' });
    await restarted.start();
    await restarted.whenIdle();
    expect(t.runner.calls.map((c) => c.trigger)).toEqual(['schedule']);
    expect((await restarted.status())[0]?.nextRunAt).toBe('2026-06-05T12:00:00.000Z');
    await restarted.stop();
  });

  it('runs a drill after every Nth successful backup', async () => {
    const t = setup([job('b', 'hourly', { work: { kind: 'backup', db: 'acme', source: 'postgres://db1/', to: ['local'], format: 'zip', drillEvery: 2 } })]);
    await t.save();
    await t.s.start();
    await t.clock.advance(5 * HOUR, t.idle);
    expect(t.runner.calls.map((c) => `${c.name}:${c.kind}`)).toEqual(['b:backup', 'b:backup', 'b.drill:drill', 'b:backup', 'b:backup', 'b.drill:drill', 'b:backup']);
    await t.s.stop();
  });

  it("a failed drill after a backup is the job's lastDrill, retried, then alerted; the next drill that passes clears it", async () => {
    const t = setup([job('b', 'daily', { work: { kind: 'backup', db: 'acme', source: 'postgres://db1/', to: ['local'], format: 'zip', drillEvery: 1 } })], { retryDelaysMs: [MIN] });
    await t.save();
    let drillFails = true;
    t.runner.behave = async (j) => {
      if (j.work.kind === 'drill' && drillFails) throw new AppError('Fatal', 'The restore drill of local:acme.zip failed: the filestore misses 2 files');
      return {};
    };
    const alerts: string[] = [];
    t.s.on('alert', (a) => alerts.push(`${a.name}: ${a.message}`));
    await t.s.start();
    await t.clock.advance(24 * HOUR, t.idle);
    expect(t.runner.calls.map((c) => `${c.name}:${c.trigger}`)).toEqual(['b:schedule', 'b.drill:after-backup']);
    const [st] = await t.s.status();
    expect(st).toMatchObject({ lastOutcome: 'ok', lastError: null, lastDrill: { at: '2026-06-02T00:00:00.000Z', outcome: 'failed', error: 'The restore drill of local:acme.zip failed: the filestore misses 2 files', retryAt: '2026-06-02T00:01:00.000Z', running: false } });
    await t.clock.advance(MIN, t.idle);
    expect(t.runner.calls.map((c) => `${c.name}:${c.trigger}`)).toEqual(['b:schedule', 'b.drill:after-backup', 'b.drill:retry']);
    expect(alerts).toEqual(['b.drill: The restore drill of local:acme.zip failed: the filestore misses 2 files']);
    expect((await t.s.status())[0]?.lastDrill).toMatchObject({ outcome: 'failed', retryAt: null });
    drillFails = false;
    await t.clock.advance(24 * HOUR, t.idle);
    expect((await t.s.status())[0]?.lastDrill).toEqual({ at: '2026-06-03T00:00:00.000Z', outcome: 'ok', error: null, retryAt: null, running: false });
    await t.s.stop();
  });

  it('a job without automatic drills has no lastDrill', async () => {
    const t = setup([job('p', 'daily')]);
    await t.save();
    await t.s.start();
    await t.clock.advance(24 * HOUR, t.idle);
    const [st] = await t.s.status();
    expect(st?.lastOutcome).toBe('ok');
    expect(st).not.toHaveProperty('lastDrill');
    await t.s.stop();
  });

  it('runNow of a backup whose drill is due ends only once that drill has run', async () => {
    const t = setup([job('d', 'yearly', { work: { kind: 'backup', db: 'acme', source: 'postgres://db1/', to: ['local'], format: 'zip', drillEvery: 1 } })]);
    await t.save();
    await t.s.start();
    let drillDone = false;
    t.runner.behave = async (j) => {
      if (j.work.kind === 'drill') {
        await new Promise((r) => setTimeout(r, 50));
        drillDone = true;
      }
      return {};
    };
    const end = await t.s.runNow('d');
    expect(end.outcome).toBe('ok');
    expect(end.drill).toMatchObject({ name: 'd.drill', outcome: 'ok', trigger: 'after-backup' });
    expect(drillDone).toBe(true);
    expect(t.runner.calls.map((c) => `${c.name}:${c.kind}`)).toEqual(['d:backup', 'd.drill:drill']);
    await t.s.stop();
  });

  it("runNow of a backup says when the drill after it failed; a backup without a drill due carries none", async () => {
    const t = setup([job('d', 'yearly', { work: { kind: 'backup', db: 'acme', source: 'postgres://db1/', to: ['local'], format: 'zip', drillEvery: 2 } })]);
    await t.save();
    await t.s.start();
    t.runner.behave = async (j) => {
      if (j.work.kind === 'drill') throw new AppError('Fatal', 'The restore drill of local:acme.zip failed: the admin user is missing');
      return {};
    };
    expect((await t.s.runNow('d')).drill).toBeUndefined();
    const end = await t.s.runNow('d');
    expect(end).toMatchObject({ outcome: 'ok', drill: { name: 'd.drill', outcome: 'failed', error: 'The restore drill of local:acme.zip failed: the admin user is missing' } });
    await t.s.stop();
  });

  it('runNow runs at once and refuses a second one while the first runs', async () => {
    const t = setup([job('n', 'yearly')]);
    await t.save();
    await t.s.start();
    let release: () => void = () => undefined;
    t.runner.behave = () => new Promise((r) => (release = () => r({})));
    const first = t.s.runNow('n');
    await vi.waitFor(() => expect(t.runner.calls).toHaveLength(1), { timeout: 30_000 });
    await expect(t.s.runNow('n')).rejects.toMatchObject({ kind: 'Conflict' });
    release();
    expect((await first).outcome).toBe('ok');
    await expect(t.s.runNow('nope')).rejects.toMatchObject({ kind: 'NotFound' });
    await t.s.stop();
  });
});
