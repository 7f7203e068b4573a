/**
 * odoo_backup_sh's rotation, against its own worked examples
 * (itpp-labs/misc-addons odoo_backup_sh/tests/test_odoo_backup_sh_auto_rotation.py, quoted in
 * docs/odoo-manager-scheduling-object-storage.md §2.2) and the edge rules of §2.2.
 */
import { describe, expect, it } from 'vitest';
import { gfsKeep, gfsLimits, periodStart, UNLIMITED, type GfsPolicy } from '../../../../shared/core/rotation/gfs';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const dtStart = Date.UTC(2018, 9, 1, 12, 0, 0); // 2018-10-01 12:00, a Monday
/** The test's backups: 0 = dt_start, then −3 h, −1 d, −3 d, −10 d, −21 d, −42 d, −367 d, −734 d. */
const backups = [dtStart, dtStart - 3 * HOUR, dtStart - DAY, dtStart - 3 * DAY, dtStart - 10 * DAY, dtStart - 21 * DAY, dtStart - 42 * DAY, dtStart - 367 * DAY, dtStart - 734 * DAY];

/** Kept indices of `times` for a policy, through the same limits odoo_backup_sh builds. */
function keptIndices(times: readonly number[], policy: GfsPolicy): number[] {
  const kept = gfsKeep(times, gfsLimits(policy) ?? {});
  return times.map((t, i) => (kept.has(t) ? i : -1)).filter((i) => i >= 0);
}

describe('odoo_backup_sh worked examples', () => {
  it.each([
    [{ hourly: 4 }, [0, 1, 2, 3]],
    [{ daily: 3 }, [0, 2, 3]],
    [{ weekly: 10 }, [0, 2, 4, 5, 6, 7, 8]],
    [{ monthly: 3 }, [0, 2, 6]],
    [{ yearly: 2 }, [0, 7]],
    [{ hourly: 2, daily: 2, weekly: 3 }, [0, 1, 2, 4]],
  ] as [GfsPolicy, number[]][])('%o keeps %o', (policy, expected) => {
    expect(keptIndices(backups, policy)).toEqual(expected);
    // The order of the input does not matter.
    expect(keptIndices([...backups].reverse(), policy).map((i) => backups.length - 1 - i).sort((a, b) => a - b)).toEqual(expected);
  });

  it('four backups 1-9 minutes before 12:00 with hourly=1000 keep only the newest (same hour)', () => {
    const four = [1, 3, 6, 9].map((m) => dtStart - m * 60_000);
    expect(keptIndices(four, { hourly: 1000 })).toEqual([0]);
  });
});

describe('the limits built as update_info does', () => {
  it('stops at the first unlimited tier, skips off tiers, and rotates nothing when all are off', () => {
    expect(gfsLimits({ hourly: 'off', daily: 7, weekly: 'unlimited', monthly: 12, yearly: 3 })).toEqual({ daily: 7, weekly: UNLIMITED });
    expect(gfsLimits({ hourly: 'unlimited', daily: 7 })).toEqual({ hourly: UNLIMITED });
    expect(gfsLimits({})).toBeUndefined();
    expect(gfsLimits({ hourly: 'off', daily: 'off', weekly: 'off', monthly: 'off', yearly: 'off' })).toBeUndefined();
  });

  it('a limit of 1 keeps only the newest; unlimited daily keeps the newest backup of every day', () => {
    expect(keptIndices(backups, { daily: 1, weekly: 1 })).toEqual([0]);
    expect(keptIndices(backups, { daily: 'unlimited', yearly: 2 })).toEqual([0, 2, 3, 4, 5, 6, 7, 8]);
  });
});

describe('period boundaries (UTC, weeks from Monday)', () => {
  it('starts hours, days, weeks, months and years in UTC', () => {
    const t = Date.UTC(2024, 1, 29, 23, 59, 59); // Thursday 2024-02-29
    expect(new Date(periodStart('hourly', t)).toISOString()).toBe('2024-02-29T23:00:00.000Z');
    expect(new Date(periodStart('daily', t)).toISOString()).toBe('2024-02-29T00:00:00.000Z');
    expect(new Date(periodStart('weekly', t)).toISOString()).toBe('2024-02-26T00:00:00.000Z');
    expect(new Date(periodStart('monthly', t)).toISOString()).toBe('2024-02-01T00:00:00.000Z');
    expect(new Date(periodStart('yearly', t)).toISOString()).toBe('2024-01-01T00:00:00.000Z');
    // Sunday belongs to the week that started the Monday before; Monday 00:00 starts a new one.
    expect(new Date(periodStart('weekly', Date.UTC(2024, 2, 3, 12))).toISOString()).toBe('2024-02-26T00:00:00.000Z');
    expect(new Date(periodStart('weekly', Date.UTC(2024, 2, 4, 0))).toISOString()).toBe('2024-03-04T00:00:00.000Z');
    // A week across a year end.
    expect(new Date(periodStart('weekly', Date.UTC(2025, 0, 1, 5))).toISOString()).toBe('2024-12-30T00:00:00.000Z');
  });

  it('keeps the newest backup of each period, not the first', () => {
    const day = (d: number, h: number): number => Date.UTC(2024, 4, d, h);
    const times = [day(3, 22), day(3, 1), day(2, 23), day(2, 0), day(1, 12)];
    expect(keptIndices(times, { daily: 3 })).toEqual([0, 2, 4]);
  });

  it('does not count periods without a backup', () => {
    const times = [Date.UTC(2024, 6, 1), Date.UTC(2024, 0, 15), Date.UTC(2020, 3, 3)];
    expect(keptIndices(times, { monthly: 3 })).toEqual([0, 1, 2]);
  });
});
