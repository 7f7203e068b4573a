/**
 * A plain-words reading of a schedule ("Monday to Friday at 02:00"), for the CLI preview and
 * the UI while a spec is typed. Cron expressions are read through the same words after
 * `cronAsCalendar` turns their simple forms into calendar components.
 */

import type { CalendarChain, CalendarComponent, CalendarSpec } from './calendar-spec';
import { USEC_PER_SEC } from './calendar-spec';

const DAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** "a", "a and b", "a, b and c". */
function joinWords(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** 1 → "1st", 22 → "22nd". */
function ordinal(n: number): string {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  return `${n}${['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** Single values of a chain (no ranges or steps), or undefined. */
function singles(chain: CalendarChain): number[] | undefined {
  if (chain === null || chain.some((x) => x.stop >= 0 || x.repeat > 0)) return undefined;
  return chain.map((x) => x.start);
}

/** One component in words, with `name` turning a value into a word. */
function componentWords(x: CalendarComponent, name: (v: number) => string, unit: string): string {
  if (x.stop >= 0 && x.repeat <= 1) return `${name(x.start)} to ${name(x.stop)}`;
  if (x.repeat > 0) {
    const to = x.stop >= 0 ? ` to ${name(x.stop)}` : '';
    return `every ${x.repeat === 1 ? '' : `${ordinal(x.repeat)} `}${unit} from ${unit === 'day' ? 'the ' : ''}${name(x.start)}${to}`;
  }
  return name(x.start);
}

function chainWords(chain: readonly CalendarComponent[], name: (v: number) => string, unit: string): string {
  return joinWords(chain.map((x) => componentWords(x, name, unit)));
}

function weekdayWords(bits: number): string {
  const days = DAY_NAMES.filter((_, i) => bits & (1 << i));
  if (bits === 0b0011111) return 'Monday to Friday';
  if (bits === 0b1100000) return 'Saturdays and Sundays';
  return joinWords(days.map((d) => `${d}s`));
}

/** The date part ("every day", "on the 1st of every month", "Mondays in March"). */
function dateWords(s: CalendarSpec): string {
  const parts: string[] = [];
  if (s.day !== null) {
    const name = s.endOfMonth
      ? (v: number): string => (v === 1 ? 'last day' : `${ordinal(v)} last day`)
      : (v: number): string => ordinal(v);
    const days = s.day.map((x) => (x.repeat > 0 && x.stop < 0 ? componentWords(x, name, 'day') : `the ${componentWords(x, name, 'day')}`));
    parts.push(`on ${joinWords(days)}`);
    parts.push(s.month === null ? 'of every month' : `of ${chainWords(s.month, (v) => MONTH_NAMES[v - 1] ?? String(v), 'month')}`);
  } else if (s.month !== null) {
    parts.push(`in ${chainWords(s.month, (v) => MONTH_NAMES[v - 1] ?? String(v), 'month')}`);
  }
  if (s.year !== null) parts.push(`in ${chainWords(s.year, String, 'year')}`);
  if (s.weekdays >= 0) {
    const days = weekdayWords(s.weekdays);
    return parts.length === 0 ? days : `${parts.join(' ')}, only ${days}`;
  }
  return parts.length === 0 ? 'every day' : parts.join(' ');
}

const secondName = (v: number): string => (v % USEC_PER_SEC === 0 ? pad2(v / USEC_PER_SEC) : (v / USEC_PER_SEC).toFixed(6));

/** The time part ("at 02:00", "every 15 minutes", "every hour at :30"). */
function timeWords(s: CalendarSpec): string {
  const hours = singles(s.hour);
  const minutes = singles(s.minute);
  const seconds = s.second === null ? undefined : singles(s.second);
  if (hours && minutes && seconds && hours.length * minutes.length * seconds.length <= 8) {
    const showSec = seconds.some((v) => v !== 0);
    const times = hours.flatMap((h) =>
      minutes.flatMap((m) => seconds.map((sec) => `${pad2(h)}:${pad2(m)}${showSec ? `:${secondName(sec)}` : ''}`)),
    );
    return `at ${joinWords(times)}`;
  }
  const step = (chain: CalendarChain): CalendarComponent | undefined => {
    const only = chain?.length === 1 ? chain[0] : undefined;
    return only && only.stop < 0 && only.repeat > 0 ? only : undefined;
  };
  const everySecond = s.second !== null && step(s.second)?.repeat === USEC_PER_SEC && step(s.second)?.start === 0;
  const minuteStep = step(s.minute);
  const zeroSeconds = seconds?.length === 1 && seconds[0] === 0;
  const hourScope = s.hour === null ? '' : ` during ${singles(s.hour)?.length === 1 ? 'hour' : 'hours'} ${chainWords(s.hour, pad2, 'hour')}`;
  if (s.minute === null && everySecond) return `every second${hourScope}`;
  const secondStep = s.second === null ? undefined : step(s.second);
  if (s.minute === null && secondStep?.start === 0 && secondStep.repeat % USEC_PER_SEC === 0) return `every ${secondStep.repeat / USEC_PER_SEC} seconds${hourScope}`;
  if (s.minute === null && zeroSeconds) return `every minute${hourScope}`;
  if (minuteStep !== undefined && zeroSeconds) {
    const from = minuteStep.start === 0 ? '' : ` from :${pad2(minuteStep.start)}`;
    return `every ${minuteStep.repeat === 1 ? 'minute' : `${minuteStep.repeat} minutes`}${from}${hourScope}`;
  }
  if (s.hour === null && minutes && zeroSeconds) return `every hour at ${joinWords(minutes.map((m) => `:${pad2(m)}`))}`;
  const h = s.hour === null ? 'every hour' : `hour ${chainWords(s.hour, pad2, 'hour')}`;
  const m = s.minute === null ? 'every minute' : `minute ${chainWords(s.minute, pad2, 'minute')}`;
  // Seconds are kept in microseconds: a repetition is named in seconds.
  const sec = s.second === null ? 'every second' : `second ${chainWords(s.second.map((x) => ({ ...x, repeat: x.repeat > 0 ? x.repeat / USEC_PER_SEC : x.repeat })), secondName, 'second')}`;
  return `at ${h}, ${m}, ${sec}`;
}

/** A calendar spec in plain words, e.g. "Monday to Friday at 02:00 (Europe/Berlin time)". */
export function describeCalendar(s: CalendarSpec, zone: string | undefined): string {
  const date = dateWords(s);
  const time = timeWords(s);
  const text = date === 'every day' && time.startsWith('every') ? time : `${date} ${time}`;
  const sentence = text.charAt(0).toUpperCase() + text.slice(1);
  const tz = s.timezone ?? zone;
  return tz === undefined ? sentence : `${sentence} (${tz} time)`;
}
