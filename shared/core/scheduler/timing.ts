/**
 * The scheduler's arithmetic, pure: which slot is due, whether a run is a catch-up, when a
 * failure is retried, when a job counts as overdue.
 */
import type { ScheduledJob } from '../../contract/schedules';
import { parseSchedule, type Schedule } from '../schedule';

/** Why a run started. */
export type Trigger = 'schedule' | 'catch-up' | 'retry' | 'manual' | 'after-backup';

/** Default waits before the 1st, 2nd and 3rd retry of a failed run; after them, an alert. */
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [60_000, 5 * 60_000, 15 * 60_000];

const HOUR = 3_600_000;

/** The job's schedule, read in its zone. */
export function scheduleOf(job: ScheduledJob): Schedule {
  return parseSchedule(job.every, { timeZone: job.tz });
}

/** Milliseconds from `slot` to the slot after it, or undefined when there is none. */
export function intervalAt(schedule: Schedule, slot: Date): number | undefined {
  const after = schedule.next(slot);
  return after === undefined ? undefined : after.getTime() - slot.getTime();
}

/** How late a success may be: the job's own grace, else half the interval (1 s … 6 h). */
export function graceMs(job: ScheduledJob, intervalMs: number | undefined): number {
  if (job.graceSeconds !== undefined) return job.graceSeconds * 1000;
  if (intervalMs === undefined) return HOUR;
  return Math.min(Math.max(intervalMs / 2, 1000), 6 * HOUR);
}

/**
 * Since when the job is overdue at `now`: the first slot after its last success (or after it
 * was created), plus grace, when that has passed; undefined when it is not overdue.
 */
export function overdueSince(job: ScheduledJob, schedule: Schedule, lastSuccessAt: string | null, now: number): Date | undefined {
  const ref = new Date(lastSuccessAt ?? job.createdAt);
  const slot = schedule.next(ref);
  if (slot === undefined) return undefined;
  const since = slot.getTime() + graceMs(job, intervalAt(schedule, slot));
  return since < now ? new Date(since) : undefined;
}

/**
 * Whether a slot fell due in (servedUpTo, now]: then ONE run is due, whatever the number of
 * slots missed; it is a catch-up when the slot is older than `lateMs`.
 */
export function dueRun(schedule: Schedule, servedUpTo: number, now: number, lateMs: number): Trigger | undefined {
  const slot = schedule.next(new Date(servedUpTo));
  if (slot === undefined || slot.getTime() > now) return undefined;
  return now - slot.getTime() > lateMs ? 'catch-up' : 'schedule';
}

/** The retry after failed attempt number `attempt` (0 = the first run), or undefined: alert instead. */
export function retryDelay(attempt: number, delays: readonly number[]): number | undefined {
  return delays[attempt];
}
