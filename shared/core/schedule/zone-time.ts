/**
 * Wall-clock fields in an IANA time zone, and the way back to instants.
 *
 * Built on `Intl.DateTimeFormat` (the ICU time-zone data that ships with Node), so no zone
 * database of our own is needed. Times are whole seconds here; callers carry sub-second parts.
 */

import { AppError } from '../errors';

/** A wall-clock date and time (month 1–12), as a clock on the wall in some zone shows it. */
export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** The zone name for UTC, handled without ICU. */
export const UTC_ZONE = 'UTC';

const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The machine's own time zone (what "local time" means when no zone is given). */
export function localZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || UTC_ZONE;
}

/**
 * True when `name` is a time zone ICU knows, spelled as the zone database spells it
 * (systemd reads zone files, so `europe/berlin` is not the same as `Europe/Berlin`).
 */
export function isValidZone(name: string): boolean {
  if (name === UTC_ZONE) return true;
  if (!/^[A-Za-z0-9_+\-/]+$/.test(name)) return false;
  try {
    const resolved = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
    return resolved === name || resolved.toLowerCase() !== name.toLowerCase();
  } catch {
    return false;
  }
}

/** Throws `InvalidInput` unless `name` is a known time zone. */
export function assertZone(name: string): void {
  if (!isValidZone(name)) {
    throw new AppError('InvalidInput', `Unknown time zone "${name}".`, {
      hint: 'Use an IANA zone name such as Europe/Berlin, America/New_York or UTC.',
    });
  }
}

/** Milliseconds since the epoch of a wall time read as if it were UTC (fields may overflow). */
export function wallAsUtcMs(w: WallTime): number {
  const d = new Date(0);
  d.setUTCFullYear(w.year, w.month - 1, w.day);
  d.setUTCHours(w.hour, w.minute, w.second, 0);
  return d.getTime();
}

/** The wall time of a UTC instant read as UTC (the inverse of `wallAsUtcMs`). */
export function utcWall(ms: number): WallTime {
  const d = new Date(ms);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

/** The wall time in `zone` at `ms`, read from ICU (slow: callers go through `offsetAt`'s cache). */
function icuWallAt(ms: number, zone: string): WallTime {
  const parts = formatterFor(zone).formatToParts(new Date(ms));
  const get = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value);
  const era = parts.find((p) => p.type === 'era')?.value;
  const year = era === 'BC' ? 1 - get('year') : get('year');
  return { year, month: get('month'), day: get('day'), hour: get('hour'), minute: get('minute'), second: get('second') };
}

const MINUTE_MS = 60_000;

/** The offsets of one UTC day: constant, or changing once at `change` (a minute boundary). */
interface DayOffsets {
  readonly before: number;
  readonly after: number;
  readonly change: number;
}

const dayCache = new Map<string, Map<number, DayOffsets>>();

function icuOffset(ms: number, zone: string): number {
  return wallAsUtcMs(icuWallAt(ms, zone)) - ms;
}

/** A day's offsets; a change within it is found by bisection on whole minutes. */
function dayOffsets(day: number, zone: string): DayOffsets {
  const start = day * DAY_MS;
  const before = icuOffset(start, zone);
  const after = icuOffset(start + DAY_MS - MINUTE_MS, zone);
  if (before === after) return { before, after, change: start + DAY_MS };
  let lo = 0;
  let hi = DAY_MS / MINUTE_MS - 1;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (icuOffset(start + mid * MINUTE_MS, zone) === before) lo = mid;
    else hi = mid;
  }
  return { before, after, change: start + hi * MINUTE_MS };
}

/**
 * The zone's offset from UTC at the instant `ms`, in milliseconds (east positive). Cached per
 * UTC day: zones change offset at most once a day, on a whole minute.
 */
export function offsetAt(ms: number, zone: string): number {
  if (zone === UTC_ZONE) return 0;
  const day = Math.floor(ms / DAY_MS);
  let cache = dayCache.get(zone);
  if (cache === undefined || cache.size > 100_000) {
    cache = new Map();
    dayCache.set(zone, cache);
  }
  let d = cache.get(day);
  if (d === undefined) {
    d = dayOffsets(day, zone);
    cache.set(day, d);
  }
  return ms < d.change ? d.before : d.after;
}

/** What the clock on the wall in `zone` shows at the instant `ms` (seconds truncated). */
export function wallAt(ms: number, zone: string): WallTime {
  const whole = Math.floor(ms / 1000) * 1000;
  return utcWall(whole + offsetAt(whole, zone));
}

/** How a wall time maps to instants: none (a DST gap), one, or two (a DST overlap). */
export interface WallResolution {
  /** The instants showing exactly this wall time, earliest first (empty inside a gap). */
  readonly instants: readonly number[];
  /** Inside a gap: the instant the wall time names under the offset from before the gap. */
  readonly gapInstant?: number;
}

/** Finds the instants at which the clock in `zone` shows the (normalized) wall time `w`. */
export function resolveWall(w: WallTime, zone: string): WallResolution {
  const asUtc = wallAsUtcMs(w);
  if (zone === UTC_ZONE) return { instants: [asUtc] };
  const before = offsetAt(asUtc - DAY_MS, zone);
  const after = offsetAt(asUtc + DAY_MS, zone);
  const instants = [...new Set([before, after])]
    .map((off) => asUtc - off)
    .filter((ms) => offsetAt(ms, zone) === asUtc - ms)
    .sort((a, b) => a - b);
  if (instants.length > 0) return { instants };
  return { instants, gapInstant: asUtc - before };
}

/** The same wall time, with overflowing fields carried over (like `timegm`). */
export function normalizeWall(w: WallTime): WallTime {
  return utcWall(wallAsUtcMs(w));
}

/** Day of the week of a wall date, Monday = 0 … Sunday = 6. */
export function weekdayOf(w: WallTime): number {
  const d = new Date(0);
  d.setUTCFullYear(w.year, w.month - 1, w.day);
  return (d.getUTCDay() + 6) % 7;
}

/** The number of days in a month (1–12) of a year. */
export function daysInMonth(year: number, month: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month, 0);
  return d.getUTCDate();
}

const labelFormatters = new Map<string, Intl.DateTimeFormat>();

/** An instant as the wall clock in `zone` shows it, systemd-style: "Mon 2026-12-07 02:00:00 CET". */
export function formatInZone(at: Date, zone: string): string {
  let f = labelFormatters.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, weekday: 'short', timeZoneName: 'short' });
    labelFormatters.set(zone, f);
  }
  const weekday = f.formatToParts(at).find((p) => p.type === 'weekday')?.value ?? '';
  const abbr = f.formatToParts(at).find((p) => p.type === 'timeZoneName')?.value ?? zone;
  const w = wallAt(at.getTime(), zone);
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return `${weekday} ${w.year}-${p2(w.month)}-${p2(w.day)} ${p2(w.hour)}:${p2(w.minute)}:${p2(w.second)} ${abbr}`;
}
