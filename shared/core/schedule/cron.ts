/**
 * Cron expressions, through `croner`: zero dependencies, time zones, seconds and `L W #`,
 * and ~19 M downloads a month (chosen over `cron-parser`, which pulls in luxon; see the
 * scheduling reference notes §5.1). We only ask it for the next runs; our scheduler runs them.
 */

import { Cron } from 'croner';
import { AppError } from '../errors';
import { USEC_PER_SEC, type CalendarComponent, type CalendarSpec } from './calendar-spec';

/** True when the text has the shape of a cron expression (5 or 6 fields, or `@daily`…). */
export function looksLikeCron(text: string): boolean {
  const t = text.trim();
  if (/^@(yearly|annually|monthly|weekly|daily|hourly)$/i.test(t)) return true;
  const fields = t.split(/\s+/);
  return (fields.length === 5 || fields.length === 6) && fields.every((f) => /^[0-9A-Za-z*?,/#-]+$/.test(f));
}

/** A parsed cron expression, evaluated in `zone`. */
export class CronExpression {
  private readonly cron: Cron;

  constructor(readonly pattern: string, readonly zone: string) {
    try {
      this.cron = new Cron(pattern.trim(), { timezone: zone, paused: true, legacyMode: true });
    } catch (err) {
      throw new AppError('InvalidInput', `"${pattern}" is not a valid cron expression: ${(err as Error).message.replace(/^CronPattern: /, '')}.`, {
        hint: 'Use five fields "minute hour day-of-month month day-of-week" (a sixth, leading field is seconds), e.g. "0 2 * * *".',
        details: { spec: pattern },
        cause: err,
      });
    }
  }

  /** The first run strictly after `after`, or undefined when there is none. */
  next(after: Date): Date | undefined {
    return this.cron.nextRun(after) ?? undefined;
  }
}

const NICKNAMES: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@hourly': '0 * * * *',
};
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** One cron field as calendar components; null for `*`; undefined for forms we do not read. */
function cronField(field: string, names: readonly string[], firstName: number, scale = 1): CalendarComponent[] | null | undefined {
  if (field === '*' || field === '?') return null;
  const value = (s: string): number | undefined => {
    const i = names.indexOf(s.toLowerCase());
    if (i >= 0) return i + firstName;
    return /^[0-9]+$/.test(s) ? Number(s) : undefined;
  };
  const out: CalendarComponent[] = [];
  for (const item of field.split(',')) {
    const m = /^(\*|[0-9a-z]+)(?:-([0-9a-z]+))?(?:\/([0-9]+))?$/i.exec(item);
    if (!m) return undefined;
    const start = m[1] === '*' ? 0 : value(m[1] as string);
    const stop = m[2] === undefined ? -1 : value(m[2]);
    const step = m[3] === undefined ? undefined : Number(m[3]);
    if (start === undefined || stop === undefined || step === 0) return undefined;
    const repeat = step ?? (stop >= 0 ? 1 : 0);
    out.push({ start: start * scale, stop: stop < 0 ? -1 : stop * scale, repeat: repeat * scale });
  }
  return out;
}

/** Cron day-of-week components as weekday bits (Monday = bit 0), or undefined. */
function cronWeekdays(chain: readonly CalendarComponent[]): number {
  let bits = 0;
  for (const x of chain) {
    const last = x.stop >= 0 ? x.stop : x.repeat > 0 ? 6 : x.start;
    for (let d = x.start; d <= last; d += Math.max(x.repeat, 1)) bits |= 1 << ((d + 6) % 7);
  }
  return bits;
}

/**
 * The calendar spec a simple cron expression means (for reading it in words), or undefined
 * for forms calendar specs cannot say (`L`, `W`, `#`, day-of-month OR day-of-week).
 */
export function cronAsCalendar(pattern: string): CalendarSpec | undefined {
  const t = pattern.trim();
  const fields = (NICKNAMES[t.toLowerCase()] ?? t).split(/\s+/);
  if (fields.length === 5) fields.unshift('0');
  const [sec, min, hour, dom, mon, dow] = fields as [string, string, string, string, string, string];
  const chains = [
    cronField(sec, [], 0, USEC_PER_SEC),
    cronField(min, [], 0),
    cronField(hour, [], 0),
    cronField(dom, [], 0),
    cronField(mon, MONTHS, 1),
    cronField(dow, DAYS, 0),
  ];
  if (chains.some((c) => c === undefined)) return undefined;
  const [second, minute, hr, day, month, weekday] = chains as (CalendarComponent[] | null)[];
  if (day && weekday) return undefined;
  const bits = weekday ? cronWeekdays(weekday) : -1;
  return {
    weekdays: bits === 127 ? -1 : bits,
    year: null,
    month: month ?? null,
    day: day ?? null,
    endOfMonth: false,
    hour: hr ?? null,
    minute: minute ?? null,
    second: second ?? [{ start: 0, stop: -1, repeat: USEC_PER_SEC }],
    timezone: undefined,
  };
}
