/**
 * Which backups a rotation keeps and deletes: pure, from one storage's parsed listing.
 *
 * Only complete backups of the asked database in the asked layout are candidates (the same
 * rule as odoo_backup_sh's `update_info`, extended to the other layouts):
 * - `odoo-backup-sh`: `<db>.<ts>.zip[.enc]` + its `.info`, at the storage root (or `./`);
 * - `odoo-manager`:   `<db>_<ts>.zip|.dump`, at the storage root, + its `.sha256` when it has one;
 * - `backup-desk`:    `<db>/<db>_<ts>.zip[.gpg]` + its `.json` sidecar.
 * Everything else is never deleted: strays (a lone `.info` or sidecar among them), other
 * databases, other layouts and folders, a lone archive, a name whose timestamp cannot be
 * parsed, a backup the catalog has doubts about (warnings), and two archives that share one
 * timestamp. This database's backups among them are reported as `skipped`, with the reason.
 *
 * Among the candidates: the union of the GFS tiers (`gfs.ts`) and keep-last-N is kept (all
 * candidates when neither is set), minus those older than the maximum age; the newest is
 * always kept.
 */
import type { BackupEntry } from '../../contract/api';
import type { RotationLayout, RotationPolicy } from '../../contract/rotation';
import { classifyName } from '../catalog';
import { gfsKeep, gfsLimits } from './gfs';

/** A backup rotation may delete: the archive and the companions that go with it. */
export interface RotationCandidate {
  readonly ref: string;
  readonly key: string;
  /** Keys of its companions (`.info`, sidecar), deleted with it. */
  readonly companions: readonly string[];
  /** Its time from the name (ms, UTC). */
  readonly time: number;
  readonly size: number;
}

/** What `planRotation` decides. */
export interface RotationPlan {
  /** Newest first. */
  readonly keep: RotationCandidate[];
  /** Newest first. */
  readonly delete: RotationCandidate[];
  readonly skipped: { ref: string; reason: string }[];
}

const DAY_MS = 24 * 3600_000;

/** `./a/b` -> `a/b`; `a` -> ``(dir) `a`(base). */
function splitKey(key: string): { dir: string; base: string } {
  let k = key;
  while (k.startsWith('./')) k = k.slice(2);
  const i = k.lastIndexOf('/');
  return i < 0 ? { dir: '', base: k } : { dir: k.slice(0, i), base: k.slice(i + 1) };
}

/** The folder a layout keeps `db`'s backups in (`''` = the storage root). */
function layoutDir(layout: RotationLayout, db: string): string {
  return layout === 'backup-desk' ? db : '';
}

/** The companion a backup of `layout` has (optional in the odoo-manager layout), from its name's pair stem. */
function expectedCompanion(layout: RotationLayout, stem: string | undefined): { name: string; optional: boolean } {
  if (layout === 'odoo-backup-sh') return { name: `${stem}.info`, optional: false };
  if (layout === 'backup-desk') return { name: `${stem}.json`, optional: false };
  return { name: `${stem}.sha256`, optional: true };
}

/** Why `b` (a backup of `db`) is no candidate, or its candidate form. */
function candidateOf(b: BackupEntry, db: string, layout: RotationLayout, sharedStems: ReadonlySet<string>): RotationCandidate | string {
  if (b.convention !== layout) return `another layout (${b.convention})`;
  const { dir, base } = splitKey(b.key);
  if (dir !== layoutDir(layout, db)) return `outside the ${layout} layout's folder (${dir === '' ? 'the storage root' : `${dir}/`})`;
  const n = classifyName(base);
  if (n.role !== 'backup' || n.convention !== layout || n.database !== db || !n.time) return 'its name cannot be parsed as a backup of this database with a valid timestamp';
  if (n.time.toISOString() !== b.createdAt) return 'its time does not come from its name';
  if (n.pairStem !== undefined && sharedStems.has(`${dir}/${n.pairStem}`)) return 'another archive has the same timestamp (which one the companion belongs to is unclear)';
  const want = expectedCompanion(layout, n.pairStem);
  const companions = b.companions ?? [];
  if (companions.length === 0 && !want.optional) return `a lone archive: its ${layout === 'odoo-backup-sh' ? '.info' : 'sidecar'} is missing`;
  if (companions.length > 1 || (companions.length === 1 && splitKey(companions[0]!).base !== want.name)) return 'it has companions this layout does not have';
  if (b.warnings?.length) return `the catalog has doubts: ${b.warnings.join(' ')}`;
  return { ref: b.ref, key: b.key, companions, time: n.time.getTime(), size: b.size };
}

/** Pair stems (`dir/stem`) that more than one archive of `layout` on the storage claims. */
function sharedPairStems(backups: readonly BackupEntry[], layout: RotationLayout): Set<string> {
  const seen = new Set<string>();
  const shared = new Set<string>();
  for (const b of backups) {
    if (b.convention !== layout) continue;
    const { dir, base } = splitKey(b.key);
    const n = classifyName(base);
    if (n.role !== 'backup' || n.pairStem === undefined) continue;
    const k = `${dir}/${n.pairStem}`;
    if (seen.has(k)) shared.add(k);
    seen.add(k);
  }
  return shared;
}

/** True when the policy has any rule (a GFS tier that is not off, keep-last, or a max age). */
export function policyHasRules(policy: RotationPolicy): boolean {
  return gfsLimits(policy) !== undefined || policy.keepLast !== undefined || policy.maxAgeDays !== undefined;
}

/** The refs of `sorted` (newest first) the policy keeps. */
function keptRefs(sorted: readonly RotationCandidate[], policy: RotationPolicy, now: number): Set<string> {
  const limits = gfsLimits(policy);
  const base = new Set<string>();
  if (limits) {
    const times = gfsKeep(sorted.map((c) => c.time), limits);
    for (const c of sorted) if (times.has(c.time)) base.add(c.ref);
  }
  if (policy.keepLast !== undefined) for (const c of sorted.slice(0, policy.keepLast)) base.add(c.ref);
  if (!limits && policy.keepLast === undefined) for (const c of sorted) base.add(c.ref);
  if (policy.maxAgeDays !== undefined) {
    const cutoff = now - policy.maxAgeDays * DAY_MS;
    for (const c of sorted) if (c.time < cutoff) base.delete(c.ref);
  }
  const newest = sorted[0]?.time;
  for (const c of sorted) if (c.time === newest) base.add(c.ref);
  return base;
}

/** Plans the rotation of `db`'s backups among `backups` (one storage's catalog entries). */
export function planRotation(backups: readonly BackupEntry[], db: string, layout: RotationLayout, policy: RotationPolicy, now: number = Date.now()): RotationPlan {
  const shared = sharedPairStems(backups, layout);
  const candidates: RotationCandidate[] = [];
  const skipped: { ref: string; reason: string }[] = [];
  for (const b of backups) {
    if (b.database !== db) continue;
    const c = candidateOf(b, db, layout, shared);
    if (typeof c === 'string') skipped.push({ ref: b.ref, reason: c });
    else candidates.push(c);
  }
  candidates.sort((a, b) => b.time - a.time || (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0));
  const kept = policyHasRules(policy) ? keptRefs(candidates, policy, now) : new Set(candidates.map((c) => c.ref));
  return {
    keep: candidates.filter((c) => kept.has(c.ref)),
    delete: candidates.filter((c) => !kept.has(c.ref)),
    skipped: skipped.sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0)),
  };
}
