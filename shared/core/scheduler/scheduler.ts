/**
 * The scheduler: runs the home folder's jobs when their schedules say, in the app's main
 * process or the headless daemon alike.
 *
 * - Missed slots (asleep, off) become ONE catch-up run at start or wake, never a burst: a
 *   check runs at least every `pollMs` on the wall clock, and all slots up to now are served
 *   by one run (like systemd's `Persistent=`, Vorta, Kopia).
 * - No overlap: a job never runs twice at once (a lock in the home folder, shared with other
 *   processes); jobs on the same source queue one behind the other.
 * - A failed run is retried after `retryDelaysMs` (a slot that comes first counts as the retry),
 *   then an `alert` is raised; so is the drill run after every Nth backup (`drillEvery`), under
 *   its own name (`followUpDrillName`).
 * - A job whose last success is older than a slot plus grace raises `overdue` once.
 */
import { EventEmitter } from 'node:events';
import { followUpDrillName, type FollowUpDrill, type ScheduledJob, type ScheduleStatus } from '../../contract/schedules';
import { AppError, toAppError } from '../errors';
import type { JobContext, JobProgress } from '../jobs/job';
import { nullLogger, type Logger } from '../util/logger';
import { systemClock, type Clock, type TimerHandle } from './clock';
import { HomeLocks, type HeldLock } from './home-lock';
import { JobStore, type JobState } from './job-store';
import { DEFAULT_RETRY_DELAYS_MS, dueRun, overdueSince, scheduleOf, type Trigger } from './timing';
import { onAbort } from '../util/abort';

/** What a run produced, for the history. */
export interface RunSummary {
  readonly bytes?: number | null;
  readonly refs?: readonly string[];
  readonly destinations?: readonly string[];
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * Does a job's work (a backup or a drill) and records it in the run history (the backups
 * service and drills do); throws a classified error when it fails.
 */
export interface JobRunner {
  run(job: ScheduledJob, ctx: JobContext & { readonly trigger: Trigger }): Promise<RunSummary>;
}

/** The end of one run. */
export interface RunEndEvent {
  readonly name: string;
  readonly trigger: Trigger;
  readonly outcome: 'ok' | 'failed' | 'cancelled' | 'skipped';
  readonly error?: string;
  readonly at: string;
  /** What an ok run made (`storage:key` of each backup written, or the drilled backup). */
  readonly refs?: readonly string[];
  /** `runNow` of a backup after which a drill was due: how that drill ended. */
  readonly drill?: RunEndEvent;
}

/** A caller waiting for a run it asked for: its cancel and where its progress goes. */
export interface CallerContext {
  readonly signal?: AbortSignal;
  progress?(p: JobProgress): void;
}

/** The scheduler's events. */
export interface SchedulerEvents {
  'run-start': [{ name: string; trigger: Trigger; at: string }];
  'run-progress': [{ name: string; progress: JobProgress }];
  'run-end': [RunEndEvent];
  /** A run failed and will not be retried any more. */
  alert: [{ name: string; message: string; failures: number; at: string }];
  /** A job became overdue (raised once per episode). */
  overdue: [{ name: string; since: string }];
  /** The next run of a job changed (ISO UTC, or null). */
  'next-run': [{ name: string; at: string | null }];
}

/** Options of the scheduler. */
export interface SchedulerOptions {
  readonly home: string;
  readonly runner: JobRunner;
  readonly clock?: Clock;
  readonly log?: Logger;
  readonly retryDelaysMs?: readonly number[];
  /** Longest wait between checks; bounds how late a wake from sleep is noticed. Default 30 s. */
  readonly pollMs?: number;
  /** Who runs it, for lock files and logs (`app`, `daemon`, `cli`). */
  readonly owner?: string;
}

/** What a run that ended records of when it ran: the slot it served and its start (ISO UTC). */
type RunServed = Pick<JobState, 'lastSlotAt' | 'lastRunAt'>;

interface Plan {
  /** Slots up to this instant are served (ms). */
  servedUpTo: number;
  nextAt: number | undefined;
}

const sourceKeyOf = (job: ScheduledJob): string =>
  job.work.kind === 'backup' ? `source-${job.work.source}-${job.work.db}` : `drill-${job.work.storage}-${job.work.db}`;

/** Runs scheduled jobs; see the module comment for the rules. */
export class Scheduler extends EventEmitter<SchedulerEvents> {
  /** The drill each backup job queued after its last run, while it runs (`runNow` waits for it). */
  private readonly followUps = new Map<string, Promise<RunEndEvent>>();
  readonly store: JobStore;
  private readonly locks: HomeLocks;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly retryDelays: readonly number[];
  private readonly pollMs: number;
  private readonly plans = new Map<string, Plan>();
  /** Jobs queued or running in this process. */
  private readonly active = new Map<string, Promise<RunEndEvent>>();
  private readonly controllers = new Map<string, AbortController>();
  private readonly sourceChains = new Map<string, Promise<unknown>>();
  private timer: TimerHandle | undefined;
  private started = false;
  /** Set by `stop`: queued runs that have not started yet are dropped. */
  private stopping = false;
  private ticking: Promise<void> | undefined;

  constructor(private readonly opts: SchedulerOptions) {
    super();
    this.store = new JobStore(opts.home);
    this.locks = HomeLocks.forHome(opts.home);
    this.clock = opts.clock ?? systemClock;
    this.log = opts.log ?? nullLogger;
    this.retryDelays = opts.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    this.pollMs = opts.pollMs ?? 30_000;
  }

  /** Starts checking the jobs (at once: a missed slot runs now, as one catch-up). */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.stopping = false;
    await this.tick();
  }

  /**
   * Stops scheduling. Running jobs finish, unless `abort`: then they are cancelled (each
   * removes what it half-wrote). Resolves when none runs any more.
   */
  async stop(options: { abort?: boolean } = {}): Promise<void> {
    this.started = false;
    this.stopping = true;
    this.timer?.cancel();
    this.timer = undefined;
    if (options.abort) for (const c of this.controllers.values()) c.abort();
    await this.ticking;
    await Promise.allSettled([...this.active.values()]);
  }

  /** Resolves once no check is in progress and no run is queued or running (for tests and shutdown). */
  async whenIdle(): Promise<void> {
    while (this.ticking || this.active.size > 0) {
      await this.ticking;
      await Promise.allSettled([...this.active.values()]);
    }
  }

  /** Resolves once no check is in progress (runs it queued may still be going). */
  async whenChecked(): Promise<void> {
    while (this.ticking) await this.ticking;
  }

  /** True while `start` is in effect. */
  get isRunning(): boolean {
    return this.started;
  }

  /** Re-reads the jobs now (after one was added, changed or removed). */
  async reload(): Promise<void> {
    if (this.started) await this.tick();
  }

  /** Runs a job now (queued behind a job on the same source); `Conflict` when it is already queued or running. */
  async runNow(name: string, caller?: CallerContext): Promise<RunEndEvent> {
    const job = await this.store.get(name);
    if (!job) throw new AppError('NotFound', `No scheduled job named "${name}".`, { hint: 'See `backup-desk schedule list`.' });
    const queued = this.enqueue(job, 'manual', this.clock.now(), caller);
    if (!queued) throw new AppError('Conflict', `"${name}" is already running or queued.`, { hint: 'Wait for it to finish.' });
    const end = await queued;
    // A drill due after this backup ends before the caller hears of it: `schedule run` must not
    // exit under it (which cancelled it and lost its turn), and it says how the drill went.
    const drill = await this.followUps.get(name)?.catch(() => undefined);
    return drill ? { ...end, drill } : end;
  }

  /** One check: queue what is due, notice what is overdue, plan the next check. */
  private tick(): Promise<void> {
    this.ticking ??= this.checkAll().finally(() => {
      this.ticking = undefined;
      this.planNextTick();
    });
    return this.ticking;
  }

  private async checkAll(): Promise<void> {
    let jobs: ScheduledJob[];
    try {
      jobs = await this.store.list();
    } catch (err) {
      this.log.error('cannot read the scheduled jobs', { error: toAppError(err).message });
      return;
    }
    for (const name of this.plans.keys()) if (!jobs.some((j) => j.name === name)) this.plans.delete(name);
    for (const job of jobs) {
      try {
        await this.check(job);
      } catch (err) {
        this.log.error('cannot check a scheduled job', { job: job.name, error: toAppError(err).message });
      }
    }
  }

  /** Checks one job: due slot or retry → queue it; overdue → notify once; plan its next run. */
  private async check(job: ScheduledJob): Promise<void> {
    const now = this.clock.now();
    const schedule = scheduleOf(job);
    const state = await this.store.state(job.name);
    const plan = this.plans.get(job.name) ?? { servedUpTo: 0, nextAt: undefined };
    plan.servedUpTo = Math.max(plan.servedUpTo, Date.parse(state.lastSlotAt ?? job.createdAt));
    this.plans.set(job.name, plan);
    // A run in another process (the app, another daemon) records its slot when it ends.
    if (job.enabled && this.started && !(await this.jobRunning(job.name))) {
      const trigger = dueRun(schedule, plan.servedUpTo, now, this.lateMs());
      const retryDue = state.retryAt !== null && Date.parse(state.retryAt) <= now;
      if (trigger !== undefined) plan.servedUpTo = now;
      if (trigger !== undefined || retryDue) void this.enqueue(job, trigger ?? 'retry', now);
      await this.retryFollowUpDrill(job, now);
    }
    if (job.enabled) await this.checkOverdue(job, state, now);
    // A job that is off has no next run (nor a wake-up for it).
    const next = job.enabled ? schedule.next(new Date(Math.max(now, plan.servedUpTo)))?.getTime() : undefined;
    const retry = !job.enabled || state.retryAt === null ? undefined : Date.parse(state.retryAt);
    const nextAt = [next, retry].filter((t): t is number => t !== undefined).reduce<number | undefined>((a, b) => (a === undefined ? b : Math.min(a, b)), undefined);
    if (nextAt !== plan.nextAt) this.emit('next-run', { name: job.name, at: nextAt === undefined ? null : new Date(nextAt).toISOString() });
    plan.nextAt = nextAt;
  }

  /** Queues the retry of a backup job's failed drill once it is due (a drill after a backup fails and is retried like any run). */
  private async retryFollowUpDrill(job: ScheduledJob, now: number): Promise<void> {
    if (job.work.kind !== 'backup' || job.work.drillEvery === undefined) return;
    const drill = drillAfter(job);
    if (this.active.has(drill.name)) return;
    const { retryAt } = await this.store.state(drill.name);
    if (retryAt !== null && Date.parse(retryAt) <= now) void this.enqueue(drill, 'retry', now);
  }

  private async checkOverdue(job: ScheduledJob, state: JobState, now: number): Promise<void> {
    const since = overdueSince(job, scheduleOf(job), state.lastSuccessAt, now)?.toISOString();
    if (since === undefined || (await this.store.overdueNotified(job.name)) === since) return;
    const lock = await this.locks.tryAcquire(`notice-${job.name}`, `${this.opts.owner ?? 'scheduler'}: overdue notice`);
    if (!lock) return; // another process is notifying it right now
    try {
      if ((await this.store.overdueNotified(job.name)) === since) return;
      await this.store.setOverdueNotified(job.name, since);
      this.log.warn('scheduled job is overdue', { job: job.name, since });
      this.emit('overdue', { name: job.name, since });
    } finally {
      await lock.release();
    }
  }

  private planNextTick(): void {
    if (!this.started) return;
    const now = this.clock.now();
    const nexts = [...this.plans.values()].map((p) => p.nextAt).filter((t): t is number => t !== undefined);
    const wait = Math.min(this.pollMs, ...nexts.map((t) => Math.max(0, t - now)));
    this.timer?.cancel();
    this.timer = this.clock.setTimer(wait, () => void this.tick());
  }

  /** Queues a run behind the runs on the same source; undefined when it is already queued or running. */
  private enqueue(job: ScheduledJob, trigger: Trigger, slotAt = this.clock.now(), caller?: CallerContext): Promise<RunEndEvent> | undefined {
    if (this.active.has(job.name)) return undefined;
    const key = sourceKeyOf(job);
    const run = (this.sourceChains.get(key) ?? Promise.resolve()).then(() => this.execute(job, trigger, slotAt, caller));
    const tracked = run.finally(() => {
      this.active.delete(job.name);
      if (this.sourceChains.get(key) === settled) this.sourceChains.delete(key);
      if (this.started) void this.tick();
    });
    const settled = tracked.catch(() => undefined);
    this.sourceChains.set(key, settled);
    this.active.set(job.name, tracked);
    return tracked;
  }

  /** Runs one job under its lock (and its source's): records the run and the job's state. */
  private async execute(job: ScheduledJob, trigger: Trigger, slotAt: number, caller?: CallerContext): Promise<RunEndEvent> {
    if (this.stopping) return this.ended(job, trigger, 'cancelled', 'The scheduler stopped before the run could start.');
    const owner = `${this.opts.owner ?? 'scheduler'} pid ${process.pid}`;
    const lock = await this.locks.tryAcquire(`job-${job.name}`, owner);
    if (!lock) return this.ended(job, trigger, 'skipped', 'It is running in another process (the app, the daemon or another `schedule run`).');
    const controller = new AbortController();
    onAbort(caller?.signal, () => controller.abort());
    this.controllers.set(job.name, controller);
    let sourceLock: HeldLock | undefined;
    try {
      sourceLock = await this.waitForLock(sourceKeyOf(job), owner, controller.signal);
      if (!sourceLock) return this.ended(job, trigger, 'cancelled', 'The scheduler stopped before the run could start.');
      return await this.runLocked(job, trigger, slotAt, controller, caller);
    } finally {
      this.controllers.delete(job.name);
      await sourceLock?.release();
      await lock.release();
    }
  }

  /** Waits for a lock held by another process (jobs on one source queue across processes too). */
  private async waitForLock(name: string, owner: string, signal: AbortSignal): Promise<HeldLock | undefined> {
    for (;;) {
      const held = await this.locks.tryAcquire(name, owner);
      if (held || signal.aborted) return held;
      await this.clock.sleep(1000, signal);
    }
  }

  private async runLocked(job: ScheduledJob, trigger: Trigger, slotAt: number, controller: AbortController, caller?: CallerContext): Promise<RunEndEvent> {
    const startedAt = new Date(this.clock.now()).toISOString();
    const before = await this.store.state(job.name);
    // Recorded when the run ends: a run whose process dies leaves its slot due and the last outcome as it was.
    const served: RunServed = { lastSlotAt: new Date(Math.max(slotAt, Date.parse(before.lastSlotAt ?? job.createdAt))).toISOString(), lastRunAt: startedAt };
    this.emit('run-start', { name: job.name, trigger, at: startedAt });
    this.log.info('scheduled job started', { job: job.name, trigger });
    const ctx = {
      signal: controller.signal,
      trigger,
      progress: (progress: JobProgress) => {
        caller?.progress?.(progress);
        this.emit('run-progress', { name: job.name, progress });
      },
      log: (level: 'info' | 'warn' | 'error', message: string) => this.log[level](message, { job: job.name }),
    };
    try {
      const summary = await this.opts.runner.run(job, ctx);
      return await this.succeeded(job, trigger, summary, served);
    } catch (err) {
      return await this.failed(job, trigger, err, served);
    }
  }

  private async succeeded(job: ScheduledJob, trigger: Trigger, summary: RunSummary, served: RunServed): Promise<RunEndEvent> {
    const st = await this.store.state(job.name);
    const at = new Date(this.clock.now()).toISOString();
    const drills = job.work.kind === 'backup' && job.work.drillEvery !== undefined;
    const count = drills ? st.backupsSinceDrill + 1 : 0;
    const drillDue = job.work.kind === 'backup' && job.work.drillEvery !== undefined && count >= job.work.drillEvery;
    await this.store.writeState(job.name, {
      ...st,
      ...served,
      lastOutcome: 'ok',
      lastError: null,
      lastSuccessAt: at,
      consecutiveFailures: 0,
      cycleFailures: 0,
      retryAt: null,
      backupsSinceDrill: drillDue ? 0 : count,
    });
    if (drillDue && job.work.kind === 'backup') {
      const drill = this.enqueue(drillAfter(job), 'after-backup');
      if (drill) this.followUps.set(job.name, drill.finally(() => this.followUps.delete(job.name)));
    }
    return this.ended(job, trigger, 'ok', undefined, summary.refs);
  }

  private async failed(job: ScheduledJob, trigger: Trigger, err: unknown, served: RunServed): Promise<RunEndEvent> {
    const e = toAppError(err);
    const st = await this.store.state(job.name);
    const now = this.clock.now();
    const cancelled = e.kind === 'Cancelled';
    // Cancelled because the scheduler stopped (daemon stopped, app quit): its slot and retry stay due, caught up at the next start.
    const stopped = cancelled && this.stopping;
    if (stopped) this.plans.delete(job.name);
    // A run while a retry is pending (a slot that came first) is that retry: restarting the cycle, slots closer than the retries never alerted.
    const continues = trigger === 'retry' || st.retryAt !== null;
    const cycle = cancelled ? st.cycleFailures : (continues ? st.cycleFailures : 0) + 1;
    const delay = cancelled ? undefined : this.retryDelays[cycle - 1];
    await this.store.writeState(job.name, {
      ...st,
      ...(stopped ? { lastRunAt: served.lastRunAt } : served),
      lastOutcome: cancelled ? 'cancelled' : 'failed',
      lastError: e.message,
      consecutiveFailures: cancelled ? st.consecutiveFailures : st.consecutiveFailures + 1,
      cycleFailures: cycle,
      retryAt: delay !== undefined ? new Date(now + delay).toISOString() : stopped ? st.retryAt : null,
    });
    if (!cancelled && delay === undefined) {
      this.log.error('scheduled job failed; no retries left', { job: job.name, error: e.message });
      this.emit('alert', { name: job.name, message: e.message, failures: st.consecutiveFailures + 1, at: new Date(now).toISOString() });
    }
    return this.ended(job, trigger, cancelled ? 'cancelled' : 'failed', e.message);
  }

  private ended(job: ScheduledJob, trigger: Trigger, outcome: RunEndEvent['outcome'], error?: string, refs?: readonly string[]): RunEndEvent {
    const ev: RunEndEvent = { name: job.name, trigger, outcome, at: new Date(this.clock.now()).toISOString(), ...(error ? { error } : {}), ...(refs?.length ? { refs } : {}) };
    this.log[outcome === 'failed' ? 'warn' : 'info']('scheduled job ended', { job: job.name, trigger, outcome, ...(error ? { error } : {}) });
    this.emit('run-end', ev);
    return ev;
  }

  /** Every job with its state, next run and overdue status. */
  async status(): Promise<ScheduleStatus[]> {
    const now = this.clock.now();
    const jobs = await this.store.list();
    return Promise.all(jobs.map((job) => this.statusOf(job, now)));
  }

  private async statusOf(job: ScheduledJob, now: number): Promise<ScheduleStatus> {
    const schedule = scheduleOf(job);
    const st = await this.store.state(job.name);
    const servedUpTo = Math.max(Date.parse(st.lastSlotAt ?? job.createdAt), this.plans.get(job.name)?.servedUpTo ?? 0);
    const next = job.enabled ? schedule.next(new Date(Math.max(now, servedUpTo))) : undefined;
    const running = await this.jobRunning(job.name);
    // The slot a scheduler's check would run as a catch-up (`dueRun`): the first one after the last served, once late.
    const missed = job.enabled && !running ? schedule.next(new Date(servedUpTo)) : undefined;
    const late = missed !== undefined && now - missed.getTime() > this.lateMs();
    return {
      ...job,
      description: schedule.describe(),
      nextRunAt: next?.toISOString() ?? null,
      lastRunAt: st.lastRunAt,
      lastOutcome: st.lastOutcome,
      lastError: st.lastError,
      lastSuccessAt: st.lastSuccessAt,
      running,
      overdueSince: job.enabled ? (overdueSince(job, schedule, st.lastSuccessAt, now)?.toISOString() ?? null) : null,
      retryAt: st.retryAt,
      ...(late ? { dueSince: missed.toISOString() } : {}),
      consecutiveFailures: st.consecutiveFailures,
      ...(await this.lastDrillOf(job)),
    };
  }

  /** How late a slot must be to count as missed (a catch-up run, `dueSince`): later than a check or two would have run it. */
  private lateMs(): number {
    return Math.max(2 * this.pollMs, 60_000);
  }

  /** True when job `name` runs in this process or another one holds its lock (the app, a daemon, `schedule run`). */
  private async jobRunning(name: string): Promise<boolean> {
    return this.active.has(name) || (await this.locks.holder(`job-${name}`)) !== undefined;
  }

  /** A backup job with automatic drills: how its latest drill went, from the state that drill's runs keep. */
  private async lastDrillOf(job: ScheduledJob): Promise<{ lastDrill?: FollowUpDrill }> {
    if (job.work.kind !== 'backup' || job.work.drillEvery === undefined) return {};
    const name = followUpDrillName(job.name);
    const st = await this.store.state(name);
    if (st.lastRunAt === null || st.lastOutcome === null) return {};
    const running = await this.jobRunning(name);
    return { lastDrill: { at: st.lastRunAt, outcome: st.lastOutcome, error: st.lastError, retryAt: st.retryAt, running } };
  }
}

/** The drill run after every Nth backup of `job`: the newest backup on its first destination. */
export function drillAfter(job: ScheduledJob): ScheduledJob {
  if (job.work.kind !== 'backup') return job;
  return { ...job, name: followUpDrillName(job.name), work: { kind: 'drill', storage: job.work.to[0] as string, db: job.work.db } };
}
