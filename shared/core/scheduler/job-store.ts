/**
 * Scheduled jobs, kept in the home folder's `schedules.json` (no secrets: an encrypted job's
 * passphrase is in the keychain under the job's scope), and each job's run state in
 * `schedules-state/<name>.json`, written only by the process holding the job's lock.
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { followUpDrillName, jobOutcomeSchema, scheduledJobSchema, type ScheduledJob } from '../../contract/schedules';
import { AppError } from '../errors';
import { writeFileAtomic } from '../util/atomic-file';

/** What the scheduler remembers about a job between runs (and across restarts). */
export const jobStateSchema = z.object({
  /** The last slot served, ISO UTC: recorded when its run ends (not when a stop cancelled it), or when the job was replaced. */
  lastSlotAt: z.string().nullable().default(null),
  lastRunAt: z.string().nullable().default(null),
  lastOutcome: jobOutcomeSchema.nullable().default(null),
  lastError: z.string().nullable().default(null),
  lastSuccessAt: z.string().nullable().default(null),
  consecutiveFailures: z.number().int().nonnegative().default(0),
  /** Failures since the last run that was not a retry (the current retry cycle). */
  cycleFailures: z.number().int().nonnegative().default(0),
  retryAt: z.string().nullable().default(null),
  /** Successful backups since the last drill (for "drill after every Nth backup"). */
  backupsSinceDrill: z.number().int().nonnegative().default(0),
});
/** A job's run state. */
export type JobState = z.infer<typeof jobStateSchema>;

/** A fresh job state. */
export function emptyJobState(): JobState {
  return jobStateSchema.parse({});
}

const FILE = 'schedules.json';
const STATE_DIR = 'schedules-state';

/** The jobs and their states in one home folder. */
export class JobStore {
  /** Serializes this process's read-modify-write changes of the jobs file. */
  private writing: Promise<unknown> = Promise.resolve();

  constructor(readonly home: string) {}

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.writing.then(fn, fn);
    this.writing = run.catch(() => undefined);
    return run;
  }

  private get file(): string {
    return join(this.home, FILE);
  }

  /** Every job, in the order they were added. */
  async list(): Promise<ScheduledJob[]> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const parsed = z.object({ jobs: z.array(scheduledJobSchema) }).safeParse(JSON.parse(text));
    if (!parsed.success) {
      throw new AppError('InvalidInput', `${this.file} is not a valid schedules file: ${parsed.error.issues[0]?.message ?? 'unknown'}.`, {
        hint: 'Fix or remove the file; the jobs in it cannot be run until then.',
      });
    }
    return parsed.data.jobs;
  }

  /** One job by name. */
  async get(name: string): Promise<ScheduledJob | undefined> {
    return (await this.list()).find((j) => j.name === name);
  }

  /** Adds a job (or replaces the one of the same name when `replace`, at `at`: its slots before then are not due). */
  save(job: ScheduledJob, replace = false, at: Date = new Date()): Promise<void> {
    return this.serialized(() => this.saveNow(job, replace, at));
  }

  private async saveNow(job: ScheduledJob, replace: boolean, at: Date): Promise<void> {
    const jobs = await this.list();
    const i = jobs.findIndex((j) => j.name === job.name);
    if (i >= 0 && !replace) {
      throw new AppError('Conflict', `A scheduled job named "${job.name}" already exists.`, { hint: 'Pick another name, or edit that job.', details: { cliHint: 'Pick another name, or replace it (--replace).' } });
    }
    if (i >= 0) jobs[i] = job;
    else jobs.push(job);
    await this.write(jobs);
    // A replaced job starts its schedule afresh from the save (no catch-up of the slots before it,
    // nor of those it was off for) but keeps what its last run did (shown, and the basis of
    // "overdue"), as a user editing a job expects.
    if (i >= 0) {
      const { lastRunAt, lastOutcome, lastError, lastSuccessAt } = await this.state(job.name);
      await this.writeState(job.name, { ...emptyJobState(), lastSlotAt: at.toISOString(), lastRunAt, lastOutcome, lastError, lastSuccessAt });
    }
  }

  /** Removes a job and its state; false when there was none. */
  remove(name: string): Promise<boolean> {
    return this.serialized(() => this.removeNow(name));
  }

  private async removeNow(name: string): Promise<boolean> {
    const jobs = await this.list();
    const rest = jobs.filter((j) => j.name !== name);
    if (rest.length === jobs.length) return false;
    await this.write(rest);
    // Its drills' state goes too (unless a job has that name), or a new job of this name would show their outcome.
    const drill = followUpDrillName(name);
    for (const n of rest.some((j) => j.name === drill) ? [name] : [name, drill]) {
      await rm(this.statePath(n), { force: true });
      await rm(this.statePath(n).replace(/\.json$/, '.overdue'), { force: true });
    }
    return true;
  }

  private async write(jobs: readonly ScheduledJob[]): Promise<void> {
    await mkdir(this.home, { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.file, JSON.stringify({ jobs }, null, 2) + '\n');
  }

  private statePath(name: string): string {
    return join(this.home, STATE_DIR, `${name}.json`);
  }

  /** A job's run state (a fresh one when it never ran). */
  async state(name: string): Promise<JobState> {
    try {
      const parsed = jobStateSchema.safeParse(JSON.parse(await readFile(this.statePath(name), 'utf8')));
      return parsed.success ? parsed.data : emptyJobState();
    } catch {
      return emptyJobState();
    }
  }

  /** The overdue episode last notified for a job (its start, ISO UTC); kept apart from the run state. */
  async overdueNotified(name: string): Promise<string | undefined> {
    try {
      return (await readFile(this.statePath(name).replace(/\.json$/, '.overdue'), 'utf8')).trim() || undefined;
    } catch {
      return undefined;
    }
  }

  /** Records that the overdue episode starting at `since` was notified. */
  async setOverdueNotified(name: string, since: string): Promise<void> {
    await mkdir(join(this.home, STATE_DIR), { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.statePath(name).replace(/\.json$/, '.overdue'), since + '\n');
  }

  /** Writes a job's run state. */
  async writeState(name: string, state: JobState): Promise<void> {
    await mkdir(join(this.home, STATE_DIR), { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.statePath(name), JSON.stringify(state, null, 2) + '\n');
  }
}
