/**
 * Source stage, part 2: one consistent view of the database. A REPEATABLE READ transaction exports
 * its snapshot (`pg_export_snapshot()`); the facts the manifest needs and the list of files the
 * database references (`ir_attachment.store_fname`) are read in it, and pg_dump dumps the very same
 * snapshot (`--snapshot`), so the list and the dump agree whatever Odoo writes meanwhile. The
 * transaction stays open until pg_dump is done with it.
 */
import type pg from 'pg';
import { AppError } from '../errors';
import { classifyPgError, connect, serverVersion } from '../pg/connection';

/** What the snapshot tells about the database. */
export interface SnapshotFacts {
  /** The exported snapshot id, for `pg_dump --snapshot`. */
  readonly snapshot: string;
  /** Server major (e.g. 15) and `server_version_num`. */
  readonly serverMajor: number;
  readonly serverVersionNum: number;
  /** Installed modules and their `latest_version`, in the order PostgreSQL returns them (as Odoo reads them). */
  readonly modules: ReadonlyArray<readonly [string, string | null]>;
  /** `store_fname` of every attachment stored in the filestore (`ab/abcdef…`). */
  readonly storeFnames: ReadonlySet<string>;
  /** `ir_attachment.location` (`file` by default; `db` keeps the data in the database). */
  readonly attachmentLocation: string;
}

/** An open snapshot; `close` ends its transaction (call it once pg_dump has finished). */
export interface DbSnapshot extends SnapshotFacts {
  close(): Promise<void>;
}

async function readFacts(client: pg.Client, db: string): Promise<Omit<SnapshotFacts, 'snapshot' | 'serverMajor' | 'serverVersionNum'>> {
  const has = await client.query<{ t: string | null }>("SELECT to_regclass('public.ir_module_module')::text AS t");
  if (!has.rows[0]?.t) {
    throw new AppError('InvalidInput', `Database "${db}" is not an Odoo database (it has no ir_module_module table).`, {
      hint: 'Check the database name; use pg_dump directly for databases that are not Odoo’s.',
      details: { cliHint: 'Check the database name (--db); use pg_dump directly for databases that are not Odoo’s.' },
    });
  }
  const mods = await client.query<{ name: string; latest_version: string | null }>("SELECT name, latest_version FROM ir_module_module WHERE state = 'installed'");
  const storeFnames = new Set<string>();
  const att = await client.query<{ t: string | null }>("SELECT to_regclass('public.ir_attachment')::text AS t");
  if (att.rows[0]?.t) {
    const r = await client.query<{ f: string }>("SELECT DISTINCT store_fname AS f FROM ir_attachment WHERE store_fname IS NOT NULL AND store_fname <> ''");
    for (const row of r.rows) storeFnames.add(row.f);
  }
  let attachmentLocation = 'file';
  const icp = await client.query<{ t: string | null }>("SELECT to_regclass('public.ir_config_parameter')::text AS t");
  if (icp.rows[0]?.t) {
    const loc = await client.query<{ value: string }>("SELECT value FROM ir_config_parameter WHERE key = 'ir_attachment.location'");
    attachmentLocation = loc.rows[0]?.value ?? 'file';
  }
  return { modules: mods.rows.map((m) => [m.name, m.latest_version] as const), storeFnames, attachmentLocation };
}

/** Connects to `db` and disconnects: the database exists and can be reached (errors classified as `connect`'s). */
export async function checkDatabase(pgUrl: string | undefined, db: string): Promise<void> {
  const client = await connect(pgUrl, db);
  await client.end().catch(() => undefined);
}

/** Opens a snapshot of `db` on the server given by `pgUrl` (or libpq's environment). */
export async function openSnapshot(pgUrl: string | undefined, db: string): Promise<DbSnapshot> {
  const client = await connect(pgUrl, db);
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const snap = await client.query<{ s: string }>('SELECT pg_export_snapshot() AS s');
    const v = await serverVersion(client);
    const num = await client.query<{ n: string }>("SELECT current_setting('server_version_num') AS n");
    const facts = await readFacts(client, db);
    let closed = false;
    return {
      snapshot: snap.rows[0]!.s,
      serverMajor: v.major,
      serverVersionNum: Number(num.rows[0]!.n),
      ...facts,
      close: async () => {
        if (closed) return;
        closed = true;
        await client.query('COMMIT').catch(() => undefined);
        await client.end().catch(() => undefined);
      },
    };
  } catch (err) {
    await client.end().catch(() => undefined);
    throw classifyPgError(err, pgUrl, `Reading database "${db}"`);
  }
}
