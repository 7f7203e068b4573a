/**
 * Quitting with jobs running: ask first ("Keep running" / "Cancel jobs and quit"); on yes,
 * cancel them, wait (bounded) for them to clean up — a cancelled restore drops its temporary
 * database — then shut the core down and quit. Pure over injected functions (tested).
 */
import type { MessageBoxOptions } from 'electron';
import type { JobSnapshot } from '../../shared/core/jobs/job';
import type { JobEventSource } from './ipc/register';

/** How long quitting waits for cancelled jobs to clean up. */
export const QUIT_WAIT_MS = 15_000;

/** How long quitting waits for the core to shut down before it quits anyway. */
export const SHUTDOWN_WAIT_MS = 10_000;

/** Resolves true when `work` settles within `ms`, false when the time ran out first (never rejects). */
export async function settleWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([work.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The confirmation dialog's contents; button 1 means "cancel the jobs and quit". */
export function quitPrompt(running: readonly JobSnapshot[]): MessageBoxOptions {
  const n = running.length;
  const list = running.slice(0, 5).map((j) => `• ${j.title}`);
  if (n > 5) list.push(`• and ${n - 5} more`);
  return {
    type: 'warning',
    title: 'Jobs are running',
    message: n === 1 ? 'A job is still running.' : `${n} jobs are still running.`,
    detail: `${list.join('\n')}\n\nQuitting cancels them. A cancelled restore leaves no half-restored database behind, and a cancelled download leaves no partial file.`,
    buttons: ['Keep Running', 'Cancel Jobs and Quit'],
    defaultId: 0,
    cancelId: 0,
    noLink: true,
  };
}

/** A job source that can also list jobs (the core's `JobManager` fits). */
export interface JobList extends JobEventSource {
  list(): readonly JobSnapshot[];
}

/** Resolves true once no job is running, or false after `timeoutMs`. */
export function waitForIdle(jobs: JobList, timeoutMs: number): Promise<boolean> {
  const idle = (): boolean => !jobs.list().some((j) => j.state === 'running');
  if (idle()) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onDone = (): void => {
      if (!idle()) return;
      finish(true);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    const finish = (value: boolean): void => {
      clearTimeout(timer);
      jobs.off('done', onDone);
      resolve(value);
    };
    jobs.on('done', onDone);
  });
}

/** What the guard needs. */
export interface QuitGuardDeps {
  readonly jobs: JobList;
  /** Asks the person; resolves true for "cancel jobs and quit". */
  confirm(running: readonly JobSnapshot[]): Promise<boolean>;
  cancel(jobId: string): void;
  /** Closes the core and flushes logs. */
  shutdown(): Promise<void>;
  /** Quits for real (`app.quit()`); the guard lets that one through. */
  quit(): void;
  readonly waitMs?: number;
  /** Longest wait for `shutdown` before quitting anyway (default `SHUTDOWN_WAIT_MS`). */
  readonly shutdownMs?: number;
  /** Reports a problem during shutdown (never stops the quit). */
  onError?(err: unknown): void;
}

/** The guard's state: `open` → (`asking`) → `closing` → `closed`. */
export type QuitState = 'open' | 'asking' | 'closing' | 'closed';

/** Guards `before-quit`: call `onBeforeQuit(event)` from Electron's event. */
export class QuitGuard {
  private stateValue: QuitState = 'open';

  constructor(private readonly deps: QuitGuardDeps) {}

  /** The current state. */
  get state(): QuitState {
    return this.stateValue;
  }

  /** True while quitting is under way or done (windows should then close without asking). */
  get quitting(): boolean {
    return this.stateValue === 'closing' || this.stateValue === 'closed';
  }

  /** Lets the final quit through; otherwise prevents it and runs the ask/cancel/shutdown sequence. */
  onBeforeQuit(event: { preventDefault(): void }): void {
    if (this.stateValue === 'closed') return;
    event.preventDefault();
    if (this.stateValue !== 'open') return;
    void this.run();
  }

  /** Resolves when the sequence has run (for tests and callers that wait). */
  private async run(): Promise<void> {
    const running = this.deps.jobs.list().filter((j) => j.state === 'running');
    if (running.length > 0) {
      this.stateValue = 'asking';
      let ok = false;
      try {
        ok = await this.deps.confirm(running);
      } catch (err) {
        this.deps.onError?.(err);
      }
      if (!ok) {
        this.stateValue = 'open';
        return;
      }
      this.stateValue = 'closing';
      for (const j of running) this.deps.cancel(j.id);
      await waitForIdle(this.deps.jobs, this.deps.waitMs ?? QUIT_WAIT_MS);
    }
    this.stateValue = 'closing';
    const shutdown = this.deps.shutdown().catch((err: unknown) => this.deps.onError?.(err));
    const ms = this.deps.shutdownMs ?? SHUTDOWN_WAIT_MS;
    if (!(await settleWithin(shutdown, ms))) this.deps.onError?.(new Error(`the core did not shut down within ${ms} ms; quitting anyway`));
    this.stateValue = 'closed';
    this.deps.quit();
  }
}
