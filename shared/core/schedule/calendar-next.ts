/**
 * When a calendar event elapses next, after a given instant, in a given time zone.
 *
 * The search walks wall-clock fields from the largest (year) to the smallest (second),
 * moving a field forward to its next allowed value and resetting the smaller ones, the way
 * systemd's own search does, so that the results agree with `systemd-analyze calendar`:
 * - a wall time inside a DST gap does not exist and is skipped (the search resumes at the
 *   wall time the gap pushes it to);
 * - a wall time that occurs twice (DST overlap) elapses once, at its first occurrence after
 *   the starting instant; wall time never runs backwards, so the repeated hour is skipped.
 */

import type { CalendarChain, CalendarSpec } from './calendar-spec';
import { USEC_PER_SEC } from './calendar-spec';
import { daysInMonth, normalizeWall, resolveWall, wallAt, wallAsUtcMs, weekdayOf, type WallTime } from './zone-time';

const MAX_YEAR = 2199;

/** The wall time the search is at, plus the microseconds within its second. */
interface Cursor extends WallTime {
  usec: number;
}

/** The wall time that actually exists at `w` in `zone`: itself, or pushed forward past a DST gap. */
function existingWall(w: WallTime, zone: string): WallTime {
  const n = normalizeWall(w);
  const r = resolveWall(n, zone);
  return r.gapInstant === undefined ? n : wallAt(r.gapInstant, zone);
}

const sameWall = (a: WallTime, b: WallTime): boolean =>
  a.year === b.year && a.month === b.month && a.day === b.day && a.hour === b.hour && a.minute === b.minute && a.second === b.second;

/**
 * Is `c` a real wall time? 1: yes; 0: no, and `c` now holds the normalized one to retry
 * from; -1: beyond the last year anything elapses in.
 */
function withinBounds(c: Cursor, zone: string): -1 | 0 | 1 {
  if (c.year > MAX_YEAR) return -1;
  const t = existingWall(c, zone);
  if (sameWall(t, c)) return 1;
  Object.assign(c, t);
  return 0;
}

/** The `~day`-th last day of the cursor's month, or -1 when the month is shorter than that. */
function endOfMonthDay(c: Cursor, fromEnd: number): number {
  const last = daysInMonth(c.year, c.month);
  const day = last + 1 - fromEnd;
  return day >= 1 && day <= last ? day : -1;
}

/**
 * The smallest value ≥ `val` the chain allows: undefined when none; `changed` says whether it
 * differs from `val`.
 */
function nextMatching(chain: CalendarChain, val: number, eom: Cursor | undefined): { value: number; changed: boolean } | undefined {
  if (chain === null) return { value: val, changed: false };
  let best: number | undefined;
  for (const x of chain) {
    let { start, stop } = x;
    if (eom !== undefined) {
      start = endOfMonthDay(eom, start);
      stop = endOfMonthDay(eom, stop);
      if (stop > 0) [start, stop] = [stop, start];
    }
    let candidate: number | undefined;
    if (start >= val) candidate = start;
    else if (x.repeat > 0) {
      const k = start + x.repeat * Math.ceil((val - start) / x.repeat);
      if (stop < 0 || k <= stop) candidate = k;
    }
    if (candidate !== undefined && (best === undefined || candidate < best)) best = candidate;
  }
  return best === undefined ? undefined : { value: best, changed: best !== val };
}

type Field = 'year' | 'month' | 'day' | 'hour' | 'minute';
const SMALLER: Readonly<Record<Field, readonly (keyof Cursor)[]>> = {
  year: ['month', 'day', 'hour', 'minute', 'second', 'usec'],
  month: ['day', 'hour', 'minute', 'second', 'usec'],
  day: ['hour', 'minute', 'second', 'usec'],
  hour: ['minute', 'second', 'usec'],
  minute: ['second', 'usec'],
};

/** Resets every field smaller than `field` to its first value. */
function resetBelow(c: Cursor, field: Field): void {
  for (const k of SMALLER[field]) c[k] = k === 'month' || k === 'day' ? 1 : 0;
}

/** The field above each field, which moves on when a field has no value left. */
const PARENT: Readonly<Record<Exclude<Field, 'year'> | 'second', Field>> = {
  month: 'year',
  day: 'month',
  hour: 'day',
  minute: 'hour',
  second: 'minute',
};

type Step = 'ok' | 'retry' | 'never';

/** Moves one field to its next allowed value; on none, moves its parent on and retries. */
function matchField(spec: CalendarSpec, c: Cursor, field: Exclude<Field, 'year'>, zone: string): Step {
  const chain = spec[field];
  const hit = nextMatching(chain, c[field], field === 'day' && spec.endOfMonth ? c : undefined);
  if (hit !== undefined) {
    c[field] = hit.value;
    if (hit.changed) resetBelow(c, field);
    const r = withinBounds(c, zone);
    if (r === 1) return 'ok';
    if (r === 0) return 'retry';
  }
  const parent = PARENT[field];
  c[parent] += 1;
  resetBelow(c, parent);
  return 'retry';
}

/** Matches the seconds (with microseconds) field. */
function matchSecond(spec: CalendarSpec, c: Cursor, zone: string): Step {
  const hit = nextMatching(spec.second, c.second * USEC_PER_SEC + c.usec, undefined);
  if (hit !== undefined) {
    c.second = Math.floor(hit.value / USEC_PER_SEC);
    c.usec = hit.value % USEC_PER_SEC;
    const r = withinBounds(c, zone);
    if (r === 1) return 'ok';
    if (r === 0) return 'retry';
  }
  c.minute += 1;
  resetBelow(c, 'minute');
  return 'retry';
}

/** One pass over the fields; 'ok' when `c` now names an elapse. */
function pass(spec: CalendarSpec, c: Cursor, zone: string): Step {
  Object.assign(c, existingWall(c, zone));
  const year = nextMatching(spec.year, c.year, undefined);
  if (year === undefined) return 'never';
  c.year = year.value;
  if (year.changed) resetBelow(c, 'year');
  if (withinBounds(c, zone) !== 1) return 'never';
  for (const field of ['month', 'day'] as const) {
    const r = matchField(spec, c, field, zone);
    if (r !== 'ok') return r;
  }
  if (spec.weekdays >= 0 && !(spec.weekdays & (1 << weekdayOf(c)))) {
    c.day += 1;
    resetBelow(c, 'day');
    return 'retry';
  }
  for (const field of ['hour', 'minute'] as const) {
    const r = matchField(spec, c, field, zone);
    if (r !== 'ok') return r;
  }
  return matchSecond(spec, c, zone);
}

/**
 * The first elapse strictly after `afterUs` (microseconds since the epoch), or undefined when
 * the event never elapses again (before the year 2200). `zone` applies unless the spec names one.
 */
export function nextCalendarElapse(spec: CalendarSpec, afterUs: number, zone: string): number | undefined {
  const tz = spec.timezone ?? zone;
  const fromUs = afterUs + 1;
  const fromMs = Math.floor(fromUs / 1000);
  const c: Cursor = { ...wallAt(fromMs, tz), usec: ((fromUs % USEC_PER_SEC) + USEC_PER_SEC) % USEC_PER_SEC };
  for (let guard = 0; guard < 1_000_000; guard++) {
    const r = pass(spec, c, tz);
    if (r === 'never') return undefined;
    if (r === 'ok') return toInstantUs(c, tz, fromUs);
  }
  return undefined;
}

/** The instant (µs) the found wall time names: its first occurrence at or after `fromUs`. */
function toInstantUs(c: Cursor, zone: string, fromUs: number): number {
  const r = resolveWall(c, zone);
  const candidates = r.instants.length > 0 ? r.instants : [r.gapInstant ?? wallAsUtcMs(c)];
  const us = candidates.map((ms) => ms * 1000 + c.usec);
  return us.find((v) => v >= fromUs) ?? (us[us.length - 1] as number);
}
