import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { serializeError, toAppError } from '../errors';
import type { JobContext, JobLogEntry, JobProgress, JobSnapshot, JobState } from './job';
import { phaseThrottle } from './phase-throttle';

/** Events a `JobManager` emits: every change of a job, and its end. */
export interface JobManagerEvents {
  update: [JobSnapshot];
  done: [JobSnapshot];
}

/** A running job as returned by `JobManager.start`. */
export interface JobHandle<T> {
  readonly id: string;
  /** Settles with the job's result; rejects with its `AppError`. */
  readonly result: Promise<T>;
  cancel(): void;
}

const MAX_LOG = 200;
const MAX_HISTORY = 200;

/** Runs jobs, fans out their progress, and cancels them on request. */
export class JobManager extends EventEmitter<JobManagerEvents> {
  private readonly jobs = new Map<string, { snap: JobSnapshot; ctrl: AbortController }>();

  /** Starts `fn` as a job of `kind`; returns at once. */
  start<T>(kind: string, title: string, fn: (ctx: JobContext) => Promise<T>): JobHandle<T> {
    const id = randomUUID();
    const ctrl = new AbortController();
    const log: JobLogEntry[] = [];
    let snap: JobSnapshot = { id, kind, title, state: 'running', startedAt: new Date().toISOString(), log };
    this.jobs.set(id, { snap, ctrl });
    this.trim();
    const set = (patch: Partial<JobSnapshot>): void => {
      snap = { ...snap, ...patch };
      this.jobs.set(id, { snap, ctrl });
      this.emit('update', snap);
    };
    // ~10 updates a second, but never a dropped phase change nor a phase's last figures.
    const emitProgress = phaseThrottle((sn: JobSnapshot) => this.emit('update', sn), (sn) => sn.progress?.phase, 100);
    // Progress reported after the job ended (a stage's own throttle firing late) is dropped: it would undo the final state.
    let ended = false;
    const end = (): void => {
      ended = true;
      emitProgress.stop();
    };
    const ctx: JobContext = {
      signal: ctrl.signal,
      progress: (p: JobProgress) => {
        if (ended) return;
        snap = { ...snap, progress: p };
        this.jobs.set(id, { snap, ctrl });
        emitProgress(snap);
      },
      log: (level, message) => {
        log.push({ at: new Date().toISOString(), level, message });
        if (log.length > MAX_LOG) log.splice(0, log.length - MAX_LOG);
        set({ log: [...log] });
      },
    };
    const result = (async () => {
      try {
        const value = await fn(ctx);
        end();
        set({ state: 'succeeded', finishedAt: new Date().toISOString(), result: value });
        this.emit('done', snap);
        return value;
      } catch (err) {
        const e = toAppError(err);
        const state: JobState = e.kind === 'Cancelled' || ctrl.signal.aborted ? 'cancelled' : 'failed';
        end();
        set({ state, finishedAt: new Date().toISOString(), error: serializeError(e) });
        this.emit('done', snap);
        throw e;
      }
    })();
    // Callers that only watch events must not get unhandled rejections.
    result.catch(() => undefined);
    return { id, result, cancel: () => ctrl.abort() };
  }

  /** Cancels a running job; false when there is no such running job. */
  cancel(id: string): boolean {
    const j = this.jobs.get(id);
    if (!j || j.snap.state !== 'running') return false;
    j.ctrl.abort();
    return true;
  }

  /** The current snapshot of one job. */
  get(id: string): JobSnapshot | undefined {
    return this.jobs.get(id)?.snap;
  }

  /** Every job known, newest first. */
  list(): JobSnapshot[] {
    return [...this.jobs.values()].map((j) => j.snap).reverse();
  }

  private trim(): void {
    if (this.jobs.size <= MAX_HISTORY) return;
    for (const [id, j] of this.jobs) {
      if (this.jobs.size <= MAX_HISTORY) break;
      if (j.snap.state !== 'running') this.jobs.delete(id);
    }
  }
}
