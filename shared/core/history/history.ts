/**
 * The run history: every backup, restore, rotation and drill, recorded by whichever process
 * ran it (the app, `serve`, the CLI, the scheduler) into the home folder's `history.jsonl`.
 *
 * A run is recorded as a `start` event when it begins and an `end` event when it ends (or as
 * one `run` event when it is recorded after the fact). Listing merges them by id; a run whose
 * start has no end is `running` while its process is alive, and `failed` ("interrupted") once
 * that process is gone (killed, crashed, power cut).
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { runSchema, type Run, type RunError, type RunFilter, type RunKind } from '../../contract/history';
import { AppError, cancelledError, toAppError } from '../errors';
import { nullLogger, type Logger } from '../util/logger';
import { appendLine, appendLineSync, historyPath, readLines } from './run-log';

/** What is known when a run begins. */
export interface RunStart {
  readonly kind: RunKind;
  readonly db?: string | null;
  readonly destinations?: readonly string[];
  readonly refs?: readonly string[];
  readonly details?: Readonly<Record<string, unknown>>;
  /** Default: now. */
  readonly startedAt?: Date;
}

/** What is known when a run ends. */
export interface RunEnd {
  readonly outcome: 'ok' | 'failed' | 'cancelled';
  readonly bytes?: number | null;
  /** Replaces the refs given at the start when present. */
  readonly refs?: readonly string[];
  /** Replaces the destinations given at the start when present. */
  readonly destinations?: readonly string[];
  /** An `AppError` (or anything thrown), or an already serialised error. */
  readonly error?: unknown;
  /** Merged over the details given at the start. */
  readonly details?: Readonly<Record<string, unknown>>;
  /** Default: now. */
  readonly endedAt?: Date;
}

const VERSION = 1;
const THIS_HOST = hostname();

/** The recorded form of an error: kind, message, hint (never a stack, never secrets). */
export function runErrorOf(err: unknown): RunError {
  if (err && typeof err === 'object' && !(err instanceof Error) && typeof (err as RunError).kind === 'string' && typeof (err as RunError).message === 'string') {
    const e = err as RunError;
    return { kind: e.kind, message: e.message, ...(e.hint ? { hint: e.hint } : {}) };
  }
  const e = toAppError(err);
  return { kind: e.kind, message: e.message, ...(e.hint ? { hint: e.hint } : {}) };
}

/** The `end` fields of an event line. */
function endFields(end: RunEnd): Record<string, unknown> {
  return {
    endedAt: (end.endedAt ?? new Date()).toISOString(),
    outcome: end.outcome,
    ...(end.bytes !== undefined ? { bytes: end.bytes } : {}),
    ...(end.refs ? { refs: [...end.refs] } : {}),
    ...(end.destinations ? { destinations: [...end.destinations] } : {}),
    ...(end.error !== undefined && end.error !== null ? { error: runErrorOf(end.error) } : {}),
    ...(end.details ? { details: end.details } : {}),
  };
}

/** The `start` fields of an event line. */
function startFields(start: RunStart): Record<string, unknown> {
  return {
    kind: start.kind,
    db: start.db ?? null,
    startedAt: (start.startedAt ?? new Date()).toISOString(),
    refs: [...(start.refs ?? [])],
    destinations: [...(start.destinations ?? [])],
    details: start.details ?? {},
    pid: process.pid,
    host: THIS_HOST,
  };
}

/** One run in progress: `finish` records its end (once). */
export class RunRecorder {
  private finished: Promise<Run> | undefined;

  constructor(
    private readonly history: RunHistory,
    /** The run's id. */
    readonly id: string,
    private readonly startLine: Record<string, unknown>,
  ) {}

  /** Records the end of the run; later calls return the first result. */
  finish(end: RunEnd): Promise<Run> {
    this.finished ??= (async () => {
      const endLine = this.endLine(end);
      await appendLine(this.history.file, endLine);
      return this.ended(endLine);
    })();
    return this.finished;
  }

  /** Records the end at once, synchronously (the process is about to exit); nothing once an end was recorded. */
  finishNow(end: RunEnd): void {
    if (this.finished) return;
    const endLine = this.endLine(end);
    appendLineSync(this.history.file, endLine);
    this.finished = Promise.resolve().then(() => this.ended(endLine));
  }

  private endLine(end: RunEnd): Record<string, unknown> {
    return { v: VERSION, e: 'end', id: this.id, ...endFields(end) };
  }

  /** The run as its start and `endLine` make it. */
  private ended(endLine: Record<string, unknown>): Run {
    return checkedRun(mergeEvents([this.startLine, endLine]).get(this.id));
  }
}

/** The runs this process has started and not yet ended. */
const openRuns = new Set<RunRecorder>();

/**
 * Records every run this process still has open as cancelled, synchronously: for a process that
 * quits at once (a second Ctrl-C), whose runs would otherwise be shown as failed ("interrupted").
 */
export function cancelOpenRunsNow(): void {
  for (const run of openRuns) run.finishNow({ outcome: 'cancelled', error: cancelledError('The run') });
  openRuns.clear();
}

/** A merged record that must be a valid run (we just wrote it). */
function checkedRun(raw: Record<string, unknown> | undefined): Run {
  const run = raw ? toRun(raw, () => true) : undefined;
  if (!run) throw new AppError('InvalidInput', `Not a valid run: ${JSON.stringify(raw)}`);
  return run;
}

/** The run history of one home folder. */
export class RunHistory {
  constructor(
    /** The history file. */
    readonly file: string,
  ) {}

  /** The history kept in `home`. */
  static forHome(home: string): RunHistory {
    return new RunHistory(historyPath(home));
  }

  /** Records the start of a run; call `finish` on the result when it ends. */
  async start(start: RunStart): Promise<RunRecorder> {
    const id = randomUUID();
    const line = { v: VERSION, e: 'start', id, ...startFields(start) };
    await appendLine(this.file, line);
    return new RunRecorder(this, id, line);
  }

  /** Records a whole run at once (start and end known). */
  async record(run: RunStart & RunEnd): Promise<Run> {
    const id = randomUUID();
    const line = { v: VERSION, e: 'run', id, ...startFields(run), ...endFields(run) };
    await appendLine(this.file, line);
    return checkedRun(mergeEvents([line]).get(id));
  }

  /** Runs matching `filter`, newest first. */
  async list(filter: RunFilter = {}): Promise<Run[]> {
    const merged = mergeEvents(await readLines(this.file));
    const runs: Run[] = [];
    for (const raw of merged.values()) {
      const run = toRun(raw, isAlive);
      if (run && matches(run, filter)) runs.push(run);
    }
    runs.sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0));
    return filter.limit !== undefined ? runs.slice(0, filter.limit) : runs;
  }

  /** One run by id. */
  async get(id: string): Promise<Run | undefined> {
    const raw = mergeEvents(await readLines(this.file)).get(id);
    return raw ? toRun(raw, isAlive) : undefined;
  }
}

/** True when `run` passes `filter`. */
function matches(run: Run, f: RunFilter): boolean {
  return (
    (f.db === undefined || run.db === f.db) &&
    (f.kind === undefined || run.kind === f.kind) &&
    (f.outcome === undefined || run.outcome === f.outcome) &&
    (f.since === undefined || Date.parse(run.startedAt) >= Date.parse(f.since))
  );
}

/** Folds start/end/run events into one raw record per run id (file order; later wins). */
function mergeEvents(lines: readonly Record<string, unknown>[]): Map<string, Record<string, unknown>> {
  const runs = new Map<string, Record<string, unknown>>();
  for (const l of lines) {
    if (l.v !== VERSION || typeof l.id !== 'string') continue;
    const prev = runs.get(l.id);
    if (l.e === 'start' || l.e === 'run') runs.set(l.id, { ...l, ...(prev ?? {}), details: { ...asRecord(l.details), ...asRecord(prev?.details) } });
    else if (l.e === 'end') runs.set(l.id, { ...(prev ?? {}), ...l, details: { ...asRecord(prev?.details), ...asRecord(l.details) } });
  }
  return runs;
}

/** `v` when it is a plain object, else `{}`. */
function asRecord(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** A raw merged record as a `Run` (validated); `undefined` when it is not one (e.g. an end without its start). */
function toRun(raw: Record<string, unknown>, alive: (pid: unknown, host: unknown) => boolean): Run | undefined {
  const ended = typeof raw.outcome === 'string';
  const interrupted = !ended && !alive(raw.pid, raw.host);
  const startedAt = typeof raw.startedAt === 'string' ? raw.startedAt : undefined;
  const endedAt = ended && typeof raw.endedAt === 'string' ? raw.endedAt : null;
  const candidate = {
    id: raw.id,
    kind: raw.kind,
    db: raw.db ?? null,
    startedAt,
    endedAt,
    outcome: ended ? raw.outcome : interrupted ? 'failed' : 'running',
    bytes: typeof raw.bytes === 'number' ? raw.bytes : null,
    refs: Array.isArray(raw.refs) ? raw.refs : [],
    destinations: Array.isArray(raw.destinations) ? raw.destinations : [],
    error: raw.error ?? (interrupted ? { kind: 'Fatal', message: 'Interrupted: the process running it ended before the run finished.' } : null),
    durationMs: startedAt && endedAt ? Math.max(0, Date.parse(endedAt) - Date.parse(startedAt)) : null,
    details: asRecord(raw.details),
  };
  const parsed = runSchema.safeParse(candidate);
  return parsed.success ? parsed.data : undefined;
}

/** True while the process that started a run may still be running it. */
function isAlive(pid: unknown, host: unknown): boolean {
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return false;
  if (host !== THIS_HOST) return true; // another machine's run: cannot tell, so not "interrupted"
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Options of `trackRun`. */
export interface TrackOptions<T> {
  /** The run's end facts from the work's result (outcome `ok` is set for you). */
  readonly summarize?: (value: T) => Omit<RunEnd, 'outcome' | 'error'>;
  /** Where history write failures are reported; they never fail the work itself. */
  readonly log?: Logger;
  /** A result that is still a failure of the run (a backup that some of its storages did not get): recorded `failed` with this error. */
  readonly shortfall?: (value: T) => AppError | undefined;
}

/**
 * Runs `fn` as a recorded run: records the start, then `ok` with `summarize(result)`, or
 * `cancelled`/`failed` with the error (rethrown). A history that cannot be written is logged
 * as a warning and does not stop the work.
 */
export async function trackRun<T>(history: RunHistory, start: RunStart, fn: (run: RunRecorder | undefined) => Promise<T>, opts: TrackOptions<T> = {}): Promise<T> {
  const log = opts.log ?? nullLogger;
  const warn = (err: unknown): void => log.warn('could not write the run history', { error: toAppError(err).message });
  const recorder = await history.start(start).catch((err: unknown) => void warn(err));
  if (recorder) openRuns.add(recorder);
  let value: T;
  try {
    value = await fn(recorder ?? undefined);
  } catch (err) {
    const e = toAppError(err);
    await recorder?.finish({ outcome: e.kind === 'Cancelled' ? 'cancelled' : 'failed', error: e }).catch(warn);
    throw err;
  } finally {
    if (recorder) openRuns.delete(recorder);
  }
  const shortfall = opts.shortfall?.(value);
  await recorder?.finish({ outcome: shortfall ? 'failed' : 'ok', ...(shortfall ? { error: shortfall } : {}), ...(opts.summarize ? opts.summarize(value) : {}) }).catch(warn);
  return value;
}
