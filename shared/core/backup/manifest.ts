/**
 * `manifest.json` exactly as Odoo's `dump_db_manifest` writes it (docs/odoo-backup-formats.md
 * 2.1/2.2): `json.dump(manifest, fh, indent=4)` — four-space indent, `ensure_ascii` escapes, no
 * trailing newline — with the Odoo version told by the `base` module (and `+e` when Enterprise's
 * `web_enterprise` is installed) since we dump from outside Odoo.
 */
import type { SnapshotFacts } from './snapshot';

/** The Odoo release a database was last updated by, as `odoo.release` would say it. */
export interface OdooRelease {
  readonly version: string;
  readonly versionInfo: readonly [number | string, number, number, string, number, string];
  readonly majorVersion: string;
}

/** Odoo's `pg_version`: `"%d.%d" % divmod(server_version / 100, 100)` (true division): 15.4 → "15.0", 9.6.24 → "9.6". */
export function odooPgVersion(serverVersionNum: number): string {
  const x = serverVersionNum / 100;
  const major = Math.floor(x / 100);
  const minor = Math.floor(x - major * 100);
  return `${major}.${minor}`;
}

/** The release from installed modules: `base` 16.0.1.3 → 16.0; `saas~17.1.1.3` → saas~17.1. */
export function odooRelease(modules: SnapshotFacts['modules']): OdooRelease | undefined {
  const base = modules.find(([n]) => n === 'base')?.[1];
  if (!base) return undefined;
  const parts = base.split('.');
  if (parts.length < 4) return undefined;
  const serie = parts.slice(0, parts.length - 2).join('.');
  const [first, second] = serie.split('.');
  if (first === undefined || second === undefined) return undefined;
  const enterprise = modules.some(([n]) => n === 'web_enterprise');
  const suffix = enterprise ? '+e' : '';
  const major: number | string = /^\d+$/.test(first) ? Number(first) : first;
  return { version: `${serie}${suffix}`, versionInfo: [major, Number(second), 0, 'final', 0, suffix], majorVersion: serie };
}

/** Python's `json.dumps(obj, indent=4)` (ensure_ascii on). */
export function pythonJson(value: unknown): string {
  return JSON.stringify(value, null, 4).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The manifest's text for database `db`. */
export function manifestJson(db: string, facts: Pick<SnapshotFacts, 'modules' | 'serverVersionNum'>): string {
  const rel = odooRelease(facts.modules);
  const modules: Record<string, string | null> = {};
  for (const [name, version] of facts.modules) modules[name] = version;
  return pythonJson({
    odoo_dump: '1',
    db_name: db,
    version: rel?.version ?? null,
    version_info: rel?.versionInfo ?? null,
    major_version: rel?.majorVersion ?? null,
    pg_version: odooPgVersion(facts.serverVersionNum),
    modules,
  });
}
