/**
 * systemd calendar events (`OnCalendar=`), parsed and normalized as systemd.time(7) defines
 * them: `Thu,Fri 2012-*-1,5 11:12:13`, `Mon..Fri *-*-* 02:00`, `*:0/15`, `*-02~03`,
 * `daily`, `weekly Europe/Berlin`, `@1700000000`, fractional seconds, two-digit years.
 *
 * No npm package parses these (see the scheduling reference notes), so this is our own,
 * written from the man page and checked against `systemd-analyze calendar` in the tests.
 */

import { AppError } from '../errors';
import { isValidZone, UTC_ZONE, utcWall } from './zone-time';

/** One element of a component list: a value, or a range, optionally with a repetition. */
export interface CalendarComponent {
  /** First value (for seconds: microseconds). For `~` days: counted from the month's end. */
  readonly start: number;
  /** Last value of a range, or -1 when not a range. */
  readonly stop: number;
  /** Step (`/n`), or 0 when not repeating. */
  readonly repeat: number;
}

/** A list of components; `null` is `*` (any value). */
export type CalendarChain = readonly CalendarComponent[] | null;

/** A parsed, normalized calendar event. */
export interface CalendarSpec {
  /** Bit i set = weekday i allowed (Monday = bit 0); -1 = any weekday. */
  readonly weekdays: number;
  readonly year: CalendarChain;
  readonly month: CalendarChain;
  readonly day: CalendarChain;
  /** True when the day list counts from the end of the month (`~`). */
  readonly endOfMonth: boolean;
  readonly hour: CalendarChain;
  readonly minute: CalendarChain;
  /** Seconds, in microseconds. */
  readonly second: CalendarChain;
  /** The zone named in the spec (`UTC` for ` UTC`), or undefined: the caller's zone applies. */
  readonly timezone: string | undefined;
}

/** Seconds are kept in microseconds, as systemd does. */
export const USEC_PER_SEC = 1_000_000;
const MIN_YEAR = 1970;
const MAX_YEAR = 2199;
const ALL_WEEKDAYS = 127;
const MAX_COMPONENTS = 240;

/** Raised for text that is not a calendar event; `InvalidInput` with the reason. */
function invalid(text: string, why: string): AppError {
  return new AppError('InvalidInput', `"${text}" is not a valid calendar event: ${why}.`, {
    hint: 'Write it as systemd.time(7) does, e.g. "Mon..Fri *-*-* 02:00", "*:0/15" or "daily", or give a cron expression.',
    details: { spec: text },
  });
}

interface Mutable {
  weekdays: number;
  year: CalendarComponent[] | null;
  month: CalendarComponent[] | null;
  day: CalendarComponent[] | null;
  endOfMonth: boolean;
  hour: CalendarComponent[] | null;
  minute: CalendarComponent[] | null;
  second: CalendarComponent[] | null;
  timezone: string | undefined;
}

/** A cursor over the text being parsed; `fail` raises with the original text. */
class Cursor {
  pos = 0;
  constructor(readonly s: string, readonly original: string) {}
  ch(): string {
    return this.s.charAt(this.pos);
  }
  at(offset: number): string {
    return this.s.charAt(this.pos + offset);
  }
  atEnd(): boolean {
    return this.pos >= this.s.length;
  }
  skipSpaces(): void {
    while (this.ch() === ' ') this.pos++;
  }
  fail(why: string): never {
    throw invalid(this.original, why);
  }
}

const one = (value: number): CalendarComponent => ({ start: value, stop: -1, repeat: 0 });

const SPECIALS: Readonly<Record<string, Partial<Mutable>>> = {
  minutely: { second: [one(0)] },
  hourly: { minute: [one(0)], second: [one(0)] },
  daily: { hour: [one(0)], minute: [one(0)], second: [one(0)] },
  monthly: { day: [one(1)], hour: [one(0)], minute: [one(0)], second: [one(0)] },
  weekly: { weekdays: 1, hour: [one(0)], minute: [one(0)], second: [one(0)] },
  yearly: { month: [one(1)], day: [one(1)], hour: [one(0)], minute: [one(0)], second: [one(0)] },
  quarterly: {
    month: [one(1), one(4), one(7), one(10)],
    day: [one(1)],
    hour: [one(0)],
    minute: [one(0)],
    second: [one(0)],
  },
  semiannually: { month: [one(1), one(7)], day: [one(1)], hour: [one(0)], minute: [one(0)], second: [one(0)] },
};
const SPECIAL_ALIASES: Readonly<Record<string, string>> = {
  annually: 'yearly',
  anually: 'yearly',
  biannually: 'semiannually',
  'bi-annually': 'semiannually',
  'semi-annually': 'semiannually',
};

const WEEKDAY_NAMES: readonly (readonly [string, number])[] = [
  ['monday', 0], ['mon', 0], ['tuesday', 1], ['tue', 1], ['wednesday', 2], ['wed', 2],
  ['thursday', 3], ['thu', 3], ['friday', 4], ['fri', 4], ['saturday', 5], ['sat', 5],
  ['sunday', 6], ['sun', 6],
];

function matchWeekday(c: Cursor): readonly [string, number] | undefined {
  const rest = c.s.slice(c.pos).toLowerCase();
  return WEEKDAY_NAMES.find(([name]) => rest.startsWith(name));
}

/** Parses the optional weekday list (`Mon,Wed..Fri`), setting bits on `m`. */
function parseWeekdays(c: Cursor, m: Mutable): void {
  let rangeFrom = -1;
  for (let first = true; ; first = false) {
    const hit = matchWeekday(c);
    if (hit === undefined) {
      if (first) return;
      c.fail('a weekday name is expected after "," or ".."');
    }
    const [name, nr] = hit;
    if (!['', '-', '.', ',', ' '].includes(c.at(name.length))) c.fail(`unknown weekday "${c.s.slice(c.pos).split(/[ ,.-]/)[0]}"`);
    m.weekdays = Math.max(m.weekdays, 0) | (1 << nr);
    if (rangeFrom >= 0) {
      if (rangeFrom > nr) c.fail('a weekday range must go forward (Mon..Fri)');
      for (let j = rangeFrom + 1; j < nr; j++) m.weekdays |= 1 << j;
    }
    c.pos += name.length;
    if (c.atEnd()) return;
    if (c.ch() === ' ') return c.skipSpaces();
    if (c.ch() === '.') {
      if (rangeFrom >= 0 || c.at(1) !== '.') c.fail('weekday ranges are written "Mon..Fri"');
      rangeFrom = nr;
      c.pos += 2;
    } else if (c.ch() === '-') {
      if (rangeFrom >= 0) c.fail('weekday ranges are written "Mon..Fri"');
      rangeFrom = nr;
      c.pos += 1;
    } else if (c.ch() === ',') {
      rangeFrom = -1;
      c.pos += 1;
    }
    if (c.atEnd() || c.ch() === ' ') {
      c.skipSpaces();
      if (rangeFrom >= 0) c.fail('a weekday range is left open');
      return;
    }
  }
}

/** Parses a number; for seconds also a fraction rounded to 6 places (value in µs). */
function parseDecimal(c: Cursor, usec: boolean): number {
  const digits = /^[0-9]+/.exec(c.s.slice(c.pos))?.[0];
  if (digits === undefined) c.fail(`a number is expected at "${c.s.slice(c.pos) || 'the end'}"`);
  c.pos += digits.length;
  let value = Number(digits);
  if (usec) {
    value *= USEC_PER_SEC;
    if (c.ch() === '.' && c.at(1) !== '.') {
      c.pos++;
      const frac = /^[0-9]*/.exec(c.s.slice(c.pos))?.[0] ?? '';
      c.pos += frac.length;
      const six = Number(frac.slice(0, 6).padEnd(6, '0'));
      value += six + (Number(frac.charAt(6) || '0') >= 5 ? 1 : 0);
    }
  }
  if (value > 0x7fffffff) c.fail(`the number ${digits} is too large`);
  return value;
}

/** Parses `v`, `a..b`, `v/r`, `a..b/r`, comma-separated. */
function parseComponents(c: Cursor, usec: boolean): CalendarComponent[] {
  const out: CalendarComponent[] = [];
  for (;;) {
    if (out.length > MAX_COMPONENTS) c.fail('too many values in one list');
    const start = parseDecimal(c, usec);
    let stop = -1;
    let repeat = 0;
    if (c.ch() === '.' && c.at(1) === '.') {
      c.pos += 2;
      stop = parseDecimal(c, usec);
      repeat = usec ? USEC_PER_SEC : 1;
    }
    if (c.ch() === '/') {
      c.pos++;
      repeat = parseDecimal(c, usec);
      if (repeat === 0) c.fail('a repetition of 0 never advances');
    }
    if (!['', ' ', ',', '-', '~', ':'].includes(c.ch())) c.fail(`unexpected "${c.ch()}"`);
    out.push({ start, stop, repeat });
    if (c.ch() !== ',') return out;
    c.pos++;
  }
}

/** Parses `*` or a component list. */
function parseChain(c: Cursor, usec: boolean): CalendarComponent[] | null {
  if (c.ch() === '*') {
    c.pos++;
    return usec ? [{ start: 0, stop: -1, repeat: USEC_PER_SEC }] : null;
  }
  return parseComponents(c, usec);
}

/** A spec fixed to one UTC instant (`@SECONDS`). */
function fromEpoch(c: Cursor, m: Mutable): void {
  c.pos++;
  const digits = /^[0-9]+/.exec(c.s.slice(c.pos))?.[0];
  if (digits === undefined) c.fail('"@" must be followed by seconds since 1970');
  c.pos += digits.length;
  const w = utcWall(Number(digits) * 1000);
  Object.assign(m, {
    timezone: UTC_ZONE,
    year: [one(w.year)],
    month: [one(w.month)],
    day: [one(w.day)],
    hour: [one(w.hour)],
    minute: [one(w.minute)],
    second: [one(w.second * USEC_PER_SEC)],
  });
}

/** Parses the date part; returns true when it was `@SECONDS` (no time follows). */
function parseDate(c: Cursor, m: Mutable): boolean {
  if (c.atEnd()) return false;
  if (c.ch() === '@') {
    fromEpoch(c, m);
    return true;
  }
  const mark = c.pos;
  const first = parseChain(c, false);
  if (c.atEnd() || c.ch() === ':') {
    c.pos = mark;
    return false;
  }
  if (c.ch() === '~') m.endOfMonth = true;
  else if (c.ch() !== '-') c.fail('a date is written YYYY-MM-DD or MM-DD');
  c.pos++;
  const second = parseChain(c, false);
  if (c.atEnd() || c.ch() === ' ') {
    c.skipSpaces();
    [m.month, m.day] = [first, second];
    return false;
  }
  if (m.endOfMonth) c.fail('"~" goes between the month and the day');
  if (c.ch() === '~') m.endOfMonth = true;
  else if (c.ch() !== '-') c.fail('a date is written YYYY-MM-DD or MM-DD');
  c.pos++;
  const third = parseChain(c, false);
  if (!(c.atEnd() || c.ch() === ' ')) c.fail('a space is expected after the date');
  c.skipSpaces();
  [m.year, m.month, m.day] = [first, second, third];
  return false;
}

/** Parses the time part `HH:MM[:SS[.ffffff]]`; an empty one means 00:00:00. */
function parseTime(c: Cursor, m: Mutable): void {
  if (c.atEnd()) {
    [m.hour, m.minute, m.second] = [[one(0)], [one(0)], [one(0)]];
    return;
  }
  m.hour = parseChain(c, false);
  if (c.ch() !== ':') c.fail('a time is written HH:MM or HH:MM:SS');
  c.pos++;
  m.minute = parseChain(c, false);
  if (c.atEnd()) {
    m.second = [one(0)];
    return;
  }
  if (c.ch() !== ':') c.fail('a time is written HH:MM or HH:MM:SS');
  c.pos++;
  m.second = parseChain(c, true);
  if (!c.atEnd()) c.fail(`unexpected "${c.s.slice(c.pos)}" after the time`);
}

/** Splits a trailing ` UTC` or ` <IANA zone>` off the text. */
function splitZone(text: string): { body: string; zone: string | undefined } {
  if (/ utc$/i.test(text)) return { body: text.slice(0, -4), zone: UTC_ZONE };
  const space = text.lastIndexOf(' ');
  const last = space >= 0 ? text.slice(space + 1) : '';
  if (space >= 0 && isValidZone(last)) return { body: text.slice(0, space), zone: last };
  // An Area/Location word that is no zone this machine knows: say that, not that a number was expected there.
  if (/^[A-Za-z]+(?:\/[A-Za-z0-9_+-]+)+$/.test(last)) throw invalid(text, `"${last}" is not a time zone this machine knows (IANA names such as Europe/Berlin)`);
  return { body: text, zone: undefined };
}

/** Parses a calendar event; throws `InvalidInput` saying what is wrong. */
export function parseCalendarSpec(text: string): CalendarSpec {
  const { body, zone } = splitZone(text);
  if (body === '') throw invalid(text, 'it is empty');
  const m: Mutable = {
    weekdays: -1,
    year: null,
    month: null,
    day: null,
    endOfMonth: false,
    hour: null,
    minute: null,
    second: null,
    timezone: zone,
  };
  const lower = body.toLowerCase();
  const special = SPECIALS[SPECIAL_ALIASES[lower] ?? lower];
  if (special !== undefined) {
    Object.assign(m, structuredClone(special));
  } else {
    const c = new Cursor(body, text);
    parseWeekdays(c, m);
    if (!parseDate(c, m)) parseTime(c, m);
    if (!c.atEnd()) c.fail(`unexpected "${c.s.slice(c.pos)}"`);
  }
  const spec = normalize(m);
  const problem = invalidReason(spec);
  if (problem !== undefined) throw invalid(text, problem);
  return spec;
}

function compareComponents(a: CalendarComponent, b: CalendarComponent): number {
  return a.start - b.start || a.stop - b.stop || a.repeat - b.repeat;
}

/** Sorts and de-duplicates a chain; trims a stepped range's end onto the last step. */
function normalizeChain(chain: CalendarComponent[] | null): CalendarComponent[] | null {
  if (chain === null) return null;
  const trimmed = chain.map((x) =>
    x.stop > x.start && x.repeat > 0 ? { ...x, stop: x.stop - ((x.stop - x.start) % x.repeat) } : x,
  );
  trimmed.sort(compareComponents);
  return trimmed.filter((x, i) => i === 0 || compareComponents(trimmed[i - 1] as CalendarComponent, x) !== 0);
}

/** 12 → 2012, 89 → 1989, as systemd reads two-digit years. */
function fixYear(v: number): number {
  if (v >= 0 && v < 70) return v + 2000;
  if (v >= 70 && v < 100) return v + 1900;
  return v;
}

function normalize(m: Mutable): CalendarSpec {
  const year =
    m.year === null ? null : m.year.map((x) => ({ ...x, start: fixYear(x.start), stop: fixYear(x.stop) }));
  return {
    weekdays: m.weekdays <= 0 || m.weekdays >= ALL_WEEKDAYS ? -1 : m.weekdays,
    year: normalizeChain(year),
    month: normalizeChain(m.month),
    day: normalizeChain(m.day),
    endOfMonth: m.endOfMonth && m.day !== null,
    hour: normalizeChain(m.hour),
    minute: normalizeChain(m.minute),
    second: normalizeChain(m.second),
    timezone: m.timezone,
  };
}

/** Why a component list is out of range for its field, or undefined when it fits. */
function chainProblem(chain: CalendarChain, from: number, to0: number, endOfMonth: boolean): boolean {
  if (chain === null) return false;
  const to = endOfMonth ? to0 - 3 : to0;
  return chain.some((x) => {
    if (x.start < from || x.start > to || x.repeat > to - from) return true;
    if (x.stop >= 0) return x.stop < from || x.stop > to || x.start + x.repeat > x.stop;
    return endOfMonth ? x.start - x.repeat < from : x.start + x.repeat > to;
  });
}

function invalidReason(s: CalendarSpec): string | undefined {
  const checks: readonly [string, CalendarChain, number, number, boolean][] = [
    ['year', s.year, MIN_YEAR, MAX_YEAR, false],
    ['month', s.month, 1, 12, false],
    ['day', s.day, 1, 31, s.endOfMonth],
    ['hour', s.hour, 0, 23, false],
    ['minute', s.minute, 0, 59, false],
    ['second', s.second, 0, 60 * USEC_PER_SEC - 1, false],
  ];
  const bad = checks.find(([, chain, from, to, eom]) => chainProblem(chain, from, to, eom));
  if (bad === undefined) return undefined;
  const [field, , from, to] = bad;
  if (field === 'day' && s.endOfMonth) return 'with "~" the day counts back from the month\'s end, 1 to 28';
  if (field === 'second') return 'seconds go from 0 to 59, and a repetition must fit in the minute';
  return `${field === 'hour' ? 'an' : 'a'} ${field} goes from ${from} to ${to}, and a repetition must fit in that range`;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function formatChain(chain: CalendarChain, width: number, usec: boolean): string {
  if (chain === null) return '*';
  const d = usec ? USEC_PER_SEC : 1;
  const only = chain[0];
  if (usec && chain.length === 1 && only !== undefined && only.start === 0 && only.repeat === USEC_PER_SEC) return '*';
  const frac = (v: number): string => (v % d > 0 ? `.${pad(v % d, 6)}` : '');
  return chain
    .map((x) => {
      let out = pad(Math.floor(x.start / d), width) + frac(x.start);
      if (x.stop > 0) out += `..${pad(Math.floor(x.stop / d), width)}${frac(x.stop)}`;
      if (x.repeat > 0 && !(x.stop > 0 && x.repeat === d)) out += `/${Math.floor(x.repeat / d)}${frac(x.repeat)}`;
      return out;
    })
    .join(',');
}

function formatWeekdays(bits: number): string {
  const names = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
  const runs: string[] = [];
  for (let x = 0; x < 7; x++) {
    if (!(bits & (1 << x))) continue;
    let end = x;
    while (end + 1 < 7 && bits & (1 << (end + 1))) end++;
    if (end === x) runs.push(names[x] as string);
    else if (end === x + 1) runs.push(names[x] as string, names[end] as string);
    else runs.push(`${names[x]}..${names[end]}`);
    x = end;
  }
  return runs.join(',');
}

/** The normalized form, exactly as `systemd-analyze calendar` prints it. */
export function formatCalendarSpec(s: CalendarSpec): string {
  const weekdays = s.weekdays > 0 ? `${formatWeekdays(s.weekdays)} ` : '';
  const date = `${formatChain(s.year, 4, false)}-${formatChain(s.month, 2, false)}${s.endOfMonth ? '~' : '-'}${formatChain(s.day, 2, false)}`;
  const time = `${formatChain(s.hour, 2, false)}:${formatChain(s.minute, 2, false)}:${formatChain(s.second, 2, true)}`;
  const zone = s.timezone === undefined ? '' : ` ${s.timezone}`;
  return `${weekdays}${date} ${time}${zone}`;
}
