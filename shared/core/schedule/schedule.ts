/**
 * One `Schedule` for both kinds of "when": systemd calendar events (our own parser) and cron
 * expressions (croner). The scheduler, the CLI and the UI only see this interface.
 */

import { AppError } from '../errors';
import { formatCalendarSpec, parseCalendarSpec, type CalendarSpec } from './calendar-spec';
import { nextCalendarElapse } from './calendar-next';
import { CronExpression, cronAsCalendar, looksLikeCron } from './cron';
import { describeCalendar } from './describe';
import { assertZone, localZone } from './zone-time';

/** Which syntax a schedule was written in. */
export type ScheduleKind = 'calendar' | 'cron';

/** When a job runs: the next runs after any instant, and a reading of it in words. */
export interface Schedule {
  /** The syntax it was written in. */
  readonly kind: ScheduleKind;
  /** The text as given (trimmed). */
  readonly text: string;
  /** The normalized form (systemd's for calendar events; the cron text itself for cron). */
  readonly normalized: string;
  /** The zone it is evaluated in (the spec's own zone, else the one given, else local). */
  readonly zone: string;
  /** The first run strictly after `after`, or undefined when it never runs again. */
  next(after: Date): Date | undefined;
  /** A plain-words reading, e.g. "Monday to Friday at 02:00 (Europe/Berlin time)". */
  describe(): string;
}

/** Options for `parseSchedule`. */
export interface ParseScheduleOptions {
  /** The zone to evaluate in when the spec names none; default: the machine's zone. */
  readonly timeZone?: string | undefined;
}

class CalendarSchedule implements Schedule {
  readonly kind = 'calendar' as const;
  readonly normalized: string;
  readonly zone: string;

  constructor(readonly text: string, private readonly spec: CalendarSpec, zone: string) {
    this.normalized = formatCalendarSpec(spec);
    this.zone = spec.timezone ?? zone;
  }

  next(after: Date): Date | undefined {
    const us = nextCalendarElapse(this.spec, after.getTime() * 1000 + 999, this.zone);
    return us === undefined ? undefined : new Date(Math.floor(us / 1000));
  }

  describe(): string {
    return describeCalendar(this.spec, this.zone);
  }
}

class CronSchedule implements Schedule {
  readonly kind = 'cron' as const;
  private readonly cron: CronExpression;

  constructor(readonly text: string, readonly zone: string) {
    this.cron = new CronExpression(text, zone);
  }

  get normalized(): string {
    return this.text;
  }

  next(after: Date): Date | undefined {
    return this.cron.next(after);
  }

  describe(): string {
    const spec = cronAsCalendar(this.text);
    return spec === undefined ? `By the cron expression "${this.text}" (${this.zone} time)` : describeCalendar(spec, this.zone);
  }
}

/**
 * Parses a schedule: 5 or 6 fields (or `@daily`…) are cron, anything else a systemd calendar
 * event. Throws `InvalidInput` with what is wrong and an example.
 */
export function parseSchedule(text: string, options: ParseScheduleOptions = {}): Schedule {
  const trimmed = text.trim().replace(/\s+/g, ' ');
  if (trimmed === '') {
    throw new AppError('InvalidInput', 'The schedule is empty.', {
      hint: 'Give a calendar event such as "daily" or "Mon..Fri 02:00", or a cron expression such as "0 2 * * *".',
    });
  }
  const zone = options.timeZone ?? localZone();
  assertZone(zone);
  return looksLikeCron(trimmed) ? new CronSchedule(trimmed, zone) : new CalendarSchedule(trimmed, parseCalendarSpec(trimmed), zone);
}

/** The next `count` runs strictly after `from`, fewer when the schedule ends. */
export function nextRuns(schedule: Schedule, from: Date, count: number): Date[] {
  const out: Date[] = [];
  let at = from;
  while (out.length < count) {
    const n = schedule.next(at);
    if (n === undefined) break;
    out.push(n);
    at = n;
  }
  return out;
}
