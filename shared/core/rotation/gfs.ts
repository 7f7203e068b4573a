/**
 * odoo_backup_sh's grandfather-father-son rotation, with its exact semantics
 * (`compute_auto_rotation_backup_dts` and the limits built in `update_info`; see
 * docs/odoo-manager-scheduling-object-storage.md §2.2):
 *
 * - the newest backup is always kept; every tier starts counting from it, and the result is
 *   the union of the tiers;
 * - a tier with limit N (N > 1) keeps N-1 more: each step takes the newest backup strictly
 *   older than the start of the period (hour, day, week, month, year) that holds the backup
 *   kept by the previous step; so periods without a backup do not use up the count, and the
 *   newest backup of each period is kept; a limit of 1 keeps only the newest;
 * - periods are UTC, weeks start on Monday 00:00;
 * - tiers are evaluated hourly → yearly; `unlimited` becomes 1,000,000 and ends the
 *   evaluation (coarser tiers are ignored); `off` tiers are skipped.
 */

/** The GFS tiers, finest first (the order odoo_backup_sh evaluates them in). */
export const GFS_TIERS = ['hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const;
/** One GFS tier. */
export type GfsTier = (typeof GFS_TIERS)[number];

/** A tier's setting: a limit (≥ 1), `unlimited`, or `off` (odoo_backup_sh's limited/unlimited/disabled). */
export type TierSetting = number | 'unlimited' | 'off';

/** The GFS part of a rotation policy; a tier left out is `off`. */
export type GfsPolicy = Partial<Record<GfsTier, TierSetting>>;

/** The number odoo_backup_sh uses for an `unlimited` tier. */
export const UNLIMITED = 1_000_000;

/**
 * The limits odoo_backup_sh derives from the tier settings (`update_info`): limited tiers
 * as given, the first unlimited one as 1,000,000 and nothing coarser; `undefined` when every
 * tier is off (then odoo_backup_sh rotates nothing).
 */
export function gfsLimits(policy: GfsPolicy): Partial<Record<GfsTier, number>> | undefined {
  const limits: Partial<Record<GfsTier, number>> = {};
  let any = false;
  for (const tier of GFS_TIERS) {
    const s = policy[tier] ?? 'off';
    if (s === 'off') continue;
    any = true;
    if (s === 'unlimited') {
      limits[tier] = UNLIMITED;
      break;
    }
    limits[tier] = s;
  }
  return any ? limits : undefined;
}

/** The start (UTC) of the `tier` period that holds the instant `t` (ms since the epoch). */
export function periodStart(tier: GfsTier, t: number): number {
  const d = new Date(t);
  const y = d.getUTCFullYear();
  const mo = d.getUTCMonth();
  const day = d.getUTCDate();
  switch (tier) {
    case 'hourly':
      return Date.UTC(y, mo, day, d.getUTCHours());
    case 'daily':
      return Date.UTC(y, mo, day);
    case 'weekly': {
      const mondayBased = (d.getUTCDay() + 6) % 7; // Python's weekday(): Monday = 0
      return Date.UTC(y, mo, day - mondayBased);
    }
    case 'monthly':
      return Date.UTC(y, mo, 1);
    case 'yearly':
      return Date.UTC(y, 0, 1);
  }
}

/**
 * The timestamps (ms) odoo_backup_sh keeps among `times`, for the given limits: the newest,
 * plus for each tier with limit > 1 up to limit-1 more (see the module comment). Returns a
 * set of the kept values; `times` may hold duplicates and be in any order.
 */
export function gfsKeep(times: readonly number[], limits: Partial<Record<GfsTier, number>>): Set<number> {
  const sorted = [...times].sort((a, b) => b - a);
  const kept = new Set<number>();
  if (sorted.length === 0) return kept;
  const newest = sorted[0]!;
  kept.add(newest);
  for (const tier of GFS_TIERS) {
    const limit = limits[tier] ?? 0;
    let cursor = newest;
    for (let step = 0; step < limit - 1; step++) {
      const edge = periodStart(tier, cursor);
      const next = sorted.find((t) => t < edge);
      // odoo_backup_sh goes on looping without finding one; nothing can change after that.
      if (next === undefined) break;
      kept.add(next);
      cursor = next;
    }
  }
  return kept;
}
