/**
 * Leftovers of interrupted restores: a hard kill (kill -9, power loss) mid-restore leaves the
 * temporary database (`bd_tmp_<id>_<db>`), a renamed-aside old one (`bd_old_<id>_<db>`) and
 * temporary filestore folders (`DATA_DIR/filestore/.bd-tmp-<id>-<db>`, `.bd-old-<id>-<db>`).
 * Never anything under a real database name. Only names matching these patterns are ever
 * listed or removed; one in use (a session connected, or the folder of a temporary database
 * that is in use) or younger than `minAgeMs` is taken to belong to a restore still running.
 */
import { lstat, readdir, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type pg from 'pg';
import { classifyPgError, connectAdmin, quoteIdent } from '../pg/connection';
import { defaultOdooDataDir } from './targets';

/** Temporary/aside database names made by a restore. */
export const LEFTOVER_DB_PATTERN = /^bd_(tmp|old)_([0-9a-f]{8})_/;
/** Temporary/aside filestore folder names made by a restore. */
export const LEFTOVER_FOLDER_PATTERN = /^\.bd-(tmp|old)-([0-9a-f]{8})-/;
/** Default minimum age of a leftover: younger ones may belong to a restore still running. */
export const LEFTOVER_MIN_AGE_MS = 10 * 60_000;

/** One leftover of an interrupted restore. */
export interface Leftover {
  kind: 'database' | 'folder';
  /** Database name, or the folder's full path. */
  name: string;
  /** Age in ms, when known (a database's age needs superuser rights to read). */
  ageMs?: number;
}

/** True when `l` is at least `minAgeMs` old; one of unknown age (no right to read it) counts as old, as `findLeftovers` counts it. */
export function oldEnough(l: Leftover, minAgeMs: number): boolean {
  return l.ageMs === undefined || l.ageMs >= minAgeMs;
}

/** Options of `findLeftovers`. */
export interface FindLeftoversOptions {
  /** Skip leftovers younger than this (default `LEFTOVER_MIN_AGE_MS`). */
  minAgeMs?: number;
  /** An open admin connection to reuse (otherwise one is opened and closed). */
  admin?: pg.Client;
}

interface DbRow {
  d: string;
  sessions: number;
  age: number | null;
}

async function queryDatabases(admin: pg.Client): Promise<DbRow[]> {
  const base = `SELECT datname AS d, (SELECT count(*)::int FROM pg_stat_activity a WHERE a.datname = db.datname) AS sessions`;
  const where = ` FROM pg_database db WHERE datname ~ '^bd_(tmp|old)_[0-9a-f]{8}_'`;
  try {
    // The creation time of a database is its PG_VERSION file's; reading it needs superuser (or pg_read_server_files).
    const r = await admin.query<DbRow>(
      `${base}, (extract(epoch FROM now() - (pg_stat_file('base/' || oid || '/PG_VERSION', true)).modification) * 1000)::float8 AS age${where}`,
    );
    return r.rows;
  } catch {
    const r = await admin.query<DbRow>(`${base}, NULL::float8 AS age${where}`);
    return r.rows;
  }
}

/** Finds leftovers of interrupted restores on a server and in an Odoo data dir (see the module comment). */
export async function findLeftovers(pgUrl: string | undefined, dataDir = defaultOdooDataDir(), opts: FindLeftoversOptions = {}): Promise<Leftover[]> {
  const minAge = opts.minAgeMs ?? LEFTOVER_MIN_AGE_MS;
  const admin = opts.admin ?? (await connectAdmin(pgUrl));
  try {
    const rows = await queryDatabases(admin).catch((err: unknown) => {
      throw classifyPgError(err, pgUrl, 'Listing leftover databases');
    });
    const busyIds = new Set(rows.filter((r) => r.sessions > 0).map((r) => LEFTOVER_DB_PATTERN.exec(r.d)?.[2]));
    const out: Leftover[] = [];
    for (const r of rows) {
      if (!LEFTOVER_DB_PATTERN.test(r.d) || r.sessions > 0) continue;
      if (r.age !== null && r.age < minAge) continue;
      out.push({ kind: 'database', name: r.d, ...(r.age !== null ? { ageMs: Math.round(r.age) } : {}) });
    }
    const root = join(dataDir, 'filestore');
    let entries: string[] = [];
    try {
      entries = await readdir(root);
    } catch {
      /* no filestore root: no folders */
    }
    for (const f of entries) {
      const m = LEFTOVER_FOLDER_PATTERN.exec(f);
      if (!m || busyIds.has(m[2])) continue;
      const path = join(root, f);
      const s = await lstat(path).catch(() => undefined);
      if (!s?.isDirectory()) continue;
      const age = Date.now() - s.mtimeMs;
      if (age < minAge) continue;
      out.push({ kind: 'folder', name: path, ageMs: Math.round(age) });
    }
    return out;
  } finally {
    if (!opts.admin) await admin.end().catch(() => undefined);
  }
}

/** Lists leftovers of interrupted restores (any age), grouped by kind. */
export async function listLeftovers(pgUrl: string | undefined, dataDir = defaultOdooDataDir()): Promise<{ databases: string[]; folders: string[] }> {
  const all = await findLeftovers(pgUrl, dataDir, { minAgeMs: 0 });
  return { databases: all.filter((l) => l.kind === 'database').map((l) => l.name), folders: all.filter((l) => l.kind === 'folder').map((l) => l.name) };
}

/** What `removeLeftovers` did. */
export interface RemoveLeftoversResult {
  removed: Leftover[];
  failed: { leftover: Leftover; error: string }[];
}

/**
 * Drops the given leftover databases and removes the given leftover folders. Each name is
 * checked against the patterns again (anything else is refused, never removed); a database
 * somebody connected to in the meantime is not dropped (PostgreSQL refuses: reported as failed).
 */
export async function removeLeftovers(pgUrl: string | undefined, leftovers: readonly Leftover[]): Promise<RemoveLeftoversResult> {
  const result: RemoveLeftoversResult = { removed: [], failed: [] };
  const dbs = leftovers.filter((l) => l.kind === 'database');
  const admin = dbs.length > 0 ? await connectAdmin(pgUrl) : undefined;
  try {
    for (const l of leftovers) {
      try {
        if (l.kind === 'database') {
          if (!LEFTOVER_DB_PATTERN.test(l.name)) throw new Error('not a temporary database name of this app');
          await keepLoneOldDatabase(admin!, l.name);
          await admin!.query(`DROP DATABASE IF EXISTS ${quoteIdent(l.name)}`);
        } else {
          if (!LEFTOVER_FOLDER_PATTERN.test(basename(l.name)) || basename(join(l.name, '..')) !== 'filestore') {
            throw new Error('not a temporary filestore folder of this app');
          }
          const s = await lstat(l.name);
          if (!s.isDirectory()) throw new Error('not a folder');
          await keepLoneOldFolder(l.name);
          await rm(l.name, { recursive: true, force: true });
        }
        result.removed.push(l);
      } catch (err) {
        result.failed.push({ leftover: l, error: (err as Error).message });
      }
    }
  } finally {
    await admin?.end().catch(() => undefined);
  }
  return result;
}

/**
 * Refuses to drop `bd_old_<id>_<db>` while `<db>` does not exist: it is the previous database,
 * put aside by a replace that was stopped before the new one took its name — the only copy left.
 */
async function keepLoneOldDatabase(admin: pg.Client, name: string): Promise<void> {
  const m = LEFTOVER_DB_PATTERN.exec(name);
  if (m?.[1] !== 'old') return;
  const db = name.slice(m[0].length);
  if (((await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [db])).rowCount ?? 0) > 0) return;
  throw new Error(`kept: it is the previous "${db}", put aside by a restore that was stopped, and no database "${db}" exists; rename it back: ALTER DATABASE ${quoteIdent(name)} RENAME TO ${quoteIdent(db)}`);
}

/** Likewise for `.bd-old-<id>-<db>` while the filestore folder `<db>` beside it does not exist. */
async function keepLoneOldFolder(path: string): Promise<void> {
  const m = LEFTOVER_FOLDER_PATTERN.exec(basename(path));
  if (m?.[1] !== 'old') return;
  const original = join(dirname(path), basename(path).slice(m[0].length));
  if (await lstat(original).then(() => true, () => false)) return;
  throw new Error(`kept: it is the previous filestore of "${basename(original)}", put aside by a restore that was stopped, and ${original} does not exist; rename it back to ${original}`);
}

/** A one-line warning naming the leftovers, for the restore preflight (each face adds how to remove them: `leftoversFound`). */
export function describeLeftovers(leftovers: readonly Leftover[]): string {
  const dbs = leftovers.filter((l) => l.kind === 'database').map((l) => l.name);
  const folders = leftovers.filter((l) => l.kind === 'folder').map((l) => l.name);
  const parts: string[] = [];
  if (dbs.length) parts.push(`${dbs.length === 1 ? 'database' : 'databases'} ${dbs.join(', ')}`);
  if (folders.length) parts.push(`${folders.length === 1 ? 'folder' : 'folders'} ${folders.join(', ')}`);
  return `Leftovers of an interrupted restore found: ${parts.join('; ')}. They are not in use and only take space.`;
}
