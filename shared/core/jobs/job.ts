/**
 * Long work (download, restore, backup, test) is a job: it has an id, reports progress,
 * can be cancelled, and ends once with a result or an error. The same model serves the
 * CLI, the Electron app and `serve`.
 */
import type { SerializedError } from '../errors';

/** A job's life-cycle state. */
export type JobState = 'running' | 'succeeded' | 'failed' | 'cancelled';

/** One progress report; `done`/`total` are in `unit`s. */
export interface JobProgress {
  /** Machine name of the current phase, e.g. `download`, `database`, `filestore`, `finalize`. */
  readonly phase: string;
  /** Human label of the phase. */
  readonly label?: string;
  readonly done?: number;
  readonly total?: number;
  readonly unit?: 'bytes' | 'items';
  /** Short free text, e.g. the table being loaded. */
  readonly message?: string;
}

/** A log line attached to a job (never contains secrets). */
export interface JobLogEntry {
  readonly at: string;
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
}

/** What running code receives: cancellation, progress and log. */
export interface JobContext {
  readonly signal: AbortSignal;
  progress(p: JobProgress): void;
  log(level: JobLogEntry['level'], message: string): void;
}

/** The observable, serializable state of a job. */
export interface JobSnapshot {
  readonly id: string;
  readonly kind: string;
  readonly title: string;
  readonly state: JobState;
  readonly startedAt: string;
  readonly finishedAt?: string;
  readonly progress?: JobProgress;
  readonly result?: unknown;
  readonly error?: SerializedError;
  readonly log: readonly JobLogEntry[];
}

/** A context that ignores progress and logs; for callers that need none. */
export function silentContext(signal: AbortSignal = new AbortController().signal): JobContext {
  return { signal, progress: () => undefined, log: () => undefined };
}
