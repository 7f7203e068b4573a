/**
 * The rotation planner on real catalog parses of storage listings: what it never deletes
 * (the newest, strays, lone archives and `.info`s, other databases, layouts and folders,
 * unparseable names), archive + companion together, keep-last-N and max age; then property
 * tests on seeded random listings (never the newest, never a non-candidate, keep ⊎ delete =
 * the candidates, idempotent).
 */
import { describe, expect, it } from 'vitest';
import type { RotationLayout, RotationPolicy } from '../../../../shared/contract/rotation';
import { parseListing } from '../../../../shared/core/catalog';
import { planRotation } from '../../../../shared/core/rotation';
import type { ObjectInfo } from '../../../../shared/core/storage/provider';
import { seededRandom } from '../../../helpers/seeded';

const T0 = Date.UTC(2024, 4, 20, 12, 0, 0); // Monday 2024-05-20 12:00 UTC
const HOUR = 3600_000;
const DAY = 24 * HOUR;

/** `YYYY-MM-DD_HH-MM-SS` of `t`. */
const ts = (t: number): string => new Date(t).toISOString().slice(0, 19).replace('T', '_').replace(/:/g, '-');
/** `YYYY-MM-DDTHH-MM-SSZ` of `t` (Backup Desk's own names). */
const tsOwn = (t: number): string => new Date(t).toISOString().slice(0, 19).replace(/:/g, '-') + 'Z';
const obj = (key: string, size = 1000): ObjectInfo => ({ key, size, modified: new Date(T0) });
/** An odoo_backup_sh pair. */
const pair = (db: string, t: number, enc = false): ObjectInfo[] => [obj(`${db}.${ts(t)}.zip${enc ? '.enc' : ''}`), obj(`${db}.${ts(t)}.info`, 60)];

function plan(objects: ObjectInfo[], db: string, policy: RotationPolicy, layout: RotationLayout = 'odoo-backup-sh', now = T0) {
  const { backups } = parseListing('s', objects);
  const p = planRotation(backups, db, layout, policy, now);
  return { keep: p.keep.map((c) => c.key), delete: p.delete.map((c) => c.key), skipped: p.skipped, plan: p };
}

describe('planRotation: what it never deletes', () => {
  it('rotates only complete pairs of the database at the root; everything else is left alone', () => {
    const objects = [
      ...pair('prod', T0),
      ...pair('prod', T0 - DAY),
      ...pair('prod', T0 - 2 * DAY, true),
      ...pair('prod', T0 - 3 * DAY),
      obj(`prod.${ts(T0 - 4 * DAY)}.zip`), // lone archive
      obj(`prod.${ts(T0 - 5 * DAY)}.info`), // lone .info (a stray)
      ...pair('prod.eu', T0 - 6 * DAY), // another database (dots in names)
      ...pair('prod_old', T0 - 6 * DAY),
      obj(`prod_${ts(T0 - 7 * DAY)}.zip`), // odoo-manager layout
      obj(`prod/prod_${tsOwn(T0 - 8 * DAY)}.zip`), // backup-desk layout
      obj(`prod/prod_${tsOwn(T0 - 8 * DAY)}.json`, 200),
      obj(`archive/prod.${ts(T0 - 9 * DAY)}.zip`), // a subfolder
      obj(`archive/prod.${ts(T0 - 9 * DAY)}.info`),
      obj('prod.2024-02-31_00-00-00.zip'), // no such date
      obj('prod.2024-02-31_00-00-00.info'),
      obj('notes.txt'),
      obj(`prod.${ts(T0 - 10 * DAY)}.zip.part`),
    ];
    const r = plan(objects, 'prod', { daily: 1 });
    expect(r.keep).toEqual([`prod.${ts(T0)}.zip`]);
    expect(r.delete).toEqual([`prod.${ts(T0 - DAY)}.zip`, `prod.${ts(T0 - 2 * DAY)}.zip.enc`, `prod.${ts(T0 - 3 * DAY)}.zip`]);
    // Each goes with its .info.
    expect(r.plan.delete.map((c) => c.companions)).toEqual([[`prod.${ts(T0 - DAY)}.info`], [`prod.${ts(T0 - 2 * DAY)}.info`], [`prod.${ts(T0 - 3 * DAY)}.info`]]);
    const reasons = Object.fromEntries(r.skipped.map((s) => [s.ref.slice(2), s.reason]));
    expect(reasons[`prod.${ts(T0 - 4 * DAY)}.zip`]).toMatch(/lone archive/);
    expect(reasons[`prod_${ts(T0 - 7 * DAY)}.zip`]).toMatch(/another layout \(odoo-manager\)/);
    expect(reasons[`prod/prod_${tsOwn(T0 - 8 * DAY)}.zip`]).toMatch(/another layout \(backup-desk\)/);
    expect(reasons[`archive/prod.${ts(T0 - 9 * DAY)}.zip`]).toMatch(/outside the odoo-backup-sh layout's folder \(archive\/\)/);
    expect(reasons['prod.2024-02-31_00-00-00.zip']).toMatch(/cannot be parsed/);
    expect(Object.keys(reasons)).toHaveLength(5);
  });

  it('keeps the newest even when it is older than the maximum age; an empty policy deletes nothing', () => {
    const objects = [...pair('db', T0 - 30 * DAY), ...pair('db', T0 - 40 * DAY)];
    expect(plan(objects, 'db', { maxAgeDays: 7 })).toMatchObject({ keep: [`db.${ts(T0 - 30 * DAY)}.zip`], delete: [`db.${ts(T0 - 40 * DAY)}.zip`] });
    expect(plan(objects, 'db', {}).delete).toEqual([]);
    expect(plan(objects, 'db', { hourly: 'off', daily: 'off' }).delete).toEqual([]);
  });

  it('leaves both archives alone when two share one timestamp and .info', () => {
    const objects = [...pair('db', T0), ...pair('db', T0 - DAY), obj(`db.${ts(T0 - DAY)}.zip.enc`), ...pair('db', T0 - 2 * DAY)];
    const r = plan(objects, 'db', { keepLast: 1 });
    expect(r.delete).toEqual([`db.${ts(T0 - 2 * DAY)}.zip`]);
    expect(r.skipped.map((s) => s.ref.slice(2)).sort()).toEqual([`db.${ts(T0 - DAY)}.zip`, `db.${ts(T0 - DAY)}.zip.enc`]);
  });

  it('leaves a backup alone when the catalog has doubts about it (its .info names another database)', () => {
    const objects = [...pair('db', T0), ...pair('db', T0 - DAY), ...pair('db', T0 - 2 * DAY)];
    const text = new Map([[`db.${ts(T0 - DAY)}.info`, '[common]\ndatabase = other\n']]);
    const p = planRotation(parseListing('s', objects, { text }).backups, 'db', 'odoo-backup-sh', { keepLast: 1 }, T0);
    expect(p.delete.map((c) => c.key)).toEqual([`db.${ts(T0 - 2 * DAY)}.zip`]);
    expect(p.skipped).toEqual([{ ref: `s:db.${ts(T0 - DAY)}.zip`, reason: expect.stringMatching(/catalog has doubts: Its .info names database "other"/) }]);
  });

  it('leaves a backup alone whose .info is empty: odoo_backup_sh lists no 0-byte object, so to it the archive is alone', () => {
    const objects = [...pair('db', T0), obj(`db.${ts(T0 - DAY)}.zip`), obj(`db.${ts(T0 - DAY)}.info`, 0), ...pair('db', T0 - 2 * DAY)];
    const r = plan(objects, 'db', { keepLast: 1 });
    expect(r.delete).toEqual([`db.${ts(T0 - 2 * DAY)}.zip`]);
    expect(r.skipped).toEqual([{ ref: `s:db.${ts(T0 - DAY)}.zip`, reason: expect.stringMatching(/catalog has doubts: Its odoo_backup_sh .info file is empty/) }]);
  });

  it('reads odoo_backup_sh keys under ./ as the root', () => {
    const objects = [...pair('db', T0), ...pair('db', T0 - DAY)].map((o) => ({ ...o, key: `./${o.key}` }));
    expect(plan(objects, 'db', { keepLast: 1 }).delete).toEqual([`./db.${ts(T0 - DAY)}.zip`]);
  });
});

describe('planRotation: the other layouts', () => {
  it('odoo-manager: single files at the root, .zip and .dump alike', () => {
    const objects = [obj(`db_${ts(T0)}.zip`), obj(`db_${ts(T0 - HOUR)}.dump`), obj(`db_${ts(T0 - DAY)}.zip`), obj(`x/db_${ts(T0 - 2 * DAY)}.zip`), obj(`other_${ts(T0 - 2 * DAY)}.zip`)];
    const r = plan(objects, 'db', { daily: 2 }, 'odoo-manager');
    expect(r.keep).toEqual([`db_${ts(T0)}.zip`, `db_${ts(T0 - DAY)}.zip`]);
    expect(r.delete).toEqual([`db_${ts(T0 - HOUR)}.dump`]);
    expect(r.plan.delete[0]!.companions).toEqual([]);
    expect(r.skipped.map((s) => s.ref)).toEqual([`s:x/db_${ts(T0 - 2 * DAY)}.zip`]);
  });

  it('odoo-manager: deletes an archive with its .sha256; never a lone .sha256', () => {
    const objects = [
      obj(`db_${ts(T0)}.zip`),
      obj(`db_${ts(T0)}.zip.sha256`, 90),
      obj(`db_${ts(T0 - DAY)}.dump.gpg`),
      obj(`db_${ts(T0 - DAY)}.dump.gpg.sha256`, 90),
      obj(`db_${ts(T0 - 2 * DAY)}.zip`),
      obj(`db_${ts(T0 - 3 * DAY)}.zip.sha256`, 90),
    ];
    const r = plan(objects, 'db', { keepLast: 1 }, 'odoo-manager');
    expect(r.keep).toEqual([`db_${ts(T0)}.zip`]);
    expect(r.plan.delete.map((c) => [c.key, c.companions])).toEqual([
      [`db_${ts(T0 - DAY)}.dump.gpg`, [`db_${ts(T0 - DAY)}.dump.gpg.sha256`]],
      [`db_${ts(T0 - 2 * DAY)}.zip`, []],
    ]);
    expect(parseListing('s', objects).strays.map((s) => [s.key, s.stray])).toEqual([[`db_${ts(T0 - 3 * DAY)}.zip.sha256`, 'a checksum file (.sha256) without its backup']]);
  });

  it('backup-desk: <db>/ archives with their sidecars; a lone archive or sidecar stays', () => {
    const own = (t: number, ext = '.zip.gpg'): ObjectInfo[] => [obj(`db/db_${tsOwn(t)}${ext}`), obj(`db/db_${tsOwn(t)}.json`, 200)];
    const objects = [...own(T0), ...own(T0 - DAY), ...own(T0 - 2 * DAY, '.zip'), obj(`db/db_${tsOwn(T0 - 3 * DAY)}.zip`), obj(`db/db_${tsOwn(T0 - 4 * DAY)}.json`)];
    const r = plan(objects, 'db', { keepLast: 1 }, 'backup-desk');
    expect(r.keep).toEqual([`db/db_${tsOwn(T0)}.zip.gpg`]);
    expect(r.delete).toEqual([`db/db_${tsOwn(T0 - DAY)}.zip.gpg`, `db/db_${tsOwn(T0 - 2 * DAY)}.zip`]);
    expect(r.plan.delete.map((c) => c.companions)).toEqual([[`db/db_${tsOwn(T0 - DAY)}.json`], [`db/db_${tsOwn(T0 - 2 * DAY)}.json`]]);
    expect(r.skipped.map((s) => s.reason)).toEqual([expect.stringMatching(/lone archive: its sidecar is missing/)]);
  });
});

describe('planRotation: keep-last-N and maximum age with GFS', () => {
  const hourly = Array.from({ length: 48 }, (_, i) => T0 - i * HOUR);
  const objects = hourly.flatMap((t) => pair('db', t));
  it('keep-last adds to the tiers; max age caps them', () => {
    const tiers = plan(objects, 'db', { daily: 3 });
    expect(tiers.keep).toEqual([ts(T0), ts(Date.UTC(2024, 4, 19, 23)), ts(Date.UTC(2024, 4, 18, 23))].map((x) => `db.${x}.zip`));
    const withLast = plan(objects, 'db', { daily: 3, keepLast: 5 });
    expect(withLast.keep).toHaveLength(7);
    const capped = plan(objects, 'db', { daily: 3, keepLast: 5, maxAgeDays: 1 });
    expect(capped.keep).toHaveLength(6); // 2024-05-18 23:00 is older than a day
    const onlyAge = plan(objects, 'db', { maxAgeDays: 0.5 });
    expect(onlyAge.keep).toHaveLength(13); // 12:00 back to 00:00, the cutoff itself included
  });
});

// ---------------------------------------------------------------- properties


/** A random listing: pairs, lone archives and .infos, other databases, layouts, folders and junk. */
function randomListing(r: () => number): ObjectInfo[] {
  const out: ObjectInfo[] = [];
  const n = Math.floor(r() * 60);
  const span = [HOUR, DAY, 30 * DAY, 800 * DAY][Math.floor(r() * 4)]!;
  for (let i = 0; i < n; i++) {
    const t = Math.floor((T0 - r() * span) / 1000) * 1000;
    const kind = r();
    if (kind < 0.55) out.push(...pair('db', t, r() < 0.2));
    else if (kind < 0.62) out.push(obj(`db.${ts(t)}.zip`));
    else if (kind < 0.68) out.push(obj(`db.${ts(t)}.info`));
    else if (kind < 0.76) out.push(...pair(r() < 0.5 ? 'db2' : 'db.x', t));
    else if (kind < 0.82) {
      // a database-manager backup: alone (Odoo's download), with its .sha256 (ours), or a lone .sha256
      const x = r();
      if (x < 0.8) out.push(obj(`db_${ts(t)}.zip`));
      if (x >= 0.4) out.push(obj(`db_${ts(t)}.zip.sha256`, 90));
    }
    else if (kind < 0.88) out.push(...pair('db', t).map((o) => ({ ...o, key: `old/${o.key}` })));
    else if (kind < 0.94) out.push(obj(`db/db_${tsOwn(t)}.zip`), obj(`db/db_${tsOwn(t)}.json`));
    else out.push(obj(`junk-${i}.txt`));
  }
  // The same key twice is one object.
  return [...new Map(out.map((o) => [o.key, o])).values()];
}

function randomPolicy(r: () => number): RotationPolicy {
  const tier = (): RotationPolicy['daily'] => {
    const x = r();
    return x < 0.35 ? 'off' : x < 0.45 ? 'unlimited' : 1 + Math.floor(r() * 8);
  };
  return {
    hourly: tier(),
    daily: tier(),
    weekly: tier(),
    monthly: tier(),
    yearly: tier(),
    ...(r() < 0.3 ? { keepLast: 1 + Math.floor(r() * 6) } : {}),
    ...(r() < 0.3 ? { maxAgeDays: r() * 60 } : {}),
  };
}

describe('planRotation: properties (500 seeded random listings per layout)', () => {
  it.each(['odoo-backup-sh', 'odoo-manager', 'backup-desk'] as RotationLayout[])('%s', (layout) => {
    for (let seed = 1; seed <= 500; seed++) {
      const r = seededRandom(seed * 7919 + layout.length);
      const objects = randomListing(r);
      const policy = randomPolicy(r);
      const { backups, strays } = parseListing('s', objects);
      const p = planRotation(backups, 'db', layout, policy, T0);
      const ctx = `seed ${seed}, policy ${JSON.stringify(policy)}`;
      const deleted = new Set(p.delete.map((c) => c.ref));
      const kept = new Set(p.keep.map((c) => c.ref));
      // keep ⊎ delete = the candidates; with the skipped ones, every backup of db exactly once.
      const mine = backups.filter((b) => b.database === 'db').map((b) => b.ref).sort();
      expect([...kept, ...deleted, ...p.skipped.map((s) => s.ref)].sort(), ctx).toEqual(mine);
      for (const ref of kept) expect(deleted.has(ref), ctx).toBe(false);
      // Never the newest.
      if (p.keep.length + p.delete.length > 0) {
        const newest = Math.max(...[...p.keep, ...p.delete].map((c) => c.time));
        expect(p.delete.some((c) => c.time === newest), ctx).toBe(false);
      }
      // Never a stray, another database's backup, a lone archive or another layout; companions are the pair's own.
      const strayKeys = new Set(strays.map((s) => s.key));
      const byRef = new Map(backups.map((b) => [b.ref, b]));
      for (const c of p.delete) {
        const b = byRef.get(c.ref)!;
        expect(strayKeys.has(c.key), ctx).toBe(false);
        expect(b.database, ctx).toBe('db');
        expect(b.convention, ctx).toBe(layout);
        expect(b.warnings ?? [], ctx).toEqual([]);
        if (layout === 'odoo-manager') expect(c.companions.filter((k) => k !== `${c.key}.sha256`), ctx).toEqual([]);
        else expect(c.companions.length, ctx).toBe(1);
        for (const k of c.companions) expect(strayKeys.has(k), ctx).toBe(false);
      }
      // Idempotent: rotating what was kept (the deleted objects gone) deletes nothing more.
      const gone = new Set(p.delete.flatMap((c) => [c.key, ...c.companions]));
      const again = planRotation(parseListing('s', objects.filter((o) => !gone.has(o.key))).backups, 'db', layout, policy, T0);
      expect(again.delete.map((c) => c.ref), ctx).toEqual([]);
      expect(again.keep.map((c) => c.ref), ctx).toEqual(p.keep.map((c) => c.ref));
    }
  });
});
