/** Odoo's default data dir and local PostgreSQL targets. */
import type pg from 'pg';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { AppError } from '../errors';
import { DBNAME_PATTERN } from '../../contract/api';
import { connect, connectAdmin, targetLabel } from '../pg/connection';
import { pathExists } from '../util/fs';

/**
 * Odoo's default data dir (`appdirs.user_data_dir('Odoo', 'OpenERP S.A.')`): Linux
 * `~/.local/share/Odoo` (or `$XDG_DATA_HOME/Odoo`), macOS `~/Library/Application Support/Odoo`,
 * Windows `%LOCALAPPDATA%\OpenERP S.A.\Odoo`, and `/var/lib/odoo` without a home directory.
 */
export function defaultOdooDataDir(): string {
  let home: string | undefined;
  try {
    home = process.env.HOME || homedir();
  } catch {
    home = undefined;
  }
  if (process.platform === 'win32') {
    const base = process.env.LOCALAPPDATA ?? (home ? join(home, 'AppData', 'Local') : 'C:\\ProgramData');
    return join(base, 'OpenERP S.A.', 'Odoo');
  }
  if (process.platform === 'darwin') {
    return home ? join(home, 'Library', 'Application Support', 'Odoo') : '/var/lib/odoo';
  }
  if (!home || home === '/') return '/var/lib/odoo';
  const xdg = process.env.XDG_DATA_HOME;
  return join(xdg && xdg.startsWith('/') ? xdg : join(home, '.local', 'share'), 'Odoo');
}

/** Validates a target database name (Odoo's DBNAME_PATTERN) and tells whether it exists. */
export async function checkDatabaseName(pgUrl: string | undefined, db: string): Promise<{ valid: boolean; exists: boolean; message?: string }> {
  const syntax = checkDatabaseNameSyntax(db);
  if (!syntax.valid) return syntax;
  const admin = await connectAdmin(pgUrl);
  try {
    const system = await systemDatabaseMessage(admin, db, pgUrl);
    if (system) return { valid: false, exists: true, message: system };
    const r = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [db]);
    const exists = (r.rowCount ?? 0) > 0;
    return exists ? { valid: true, exists, message: `A database named "${db}" already exists on ${targetLabel(pgUrl)}.` } : { valid: true, exists };
  } finally {
    await admin.end().catch(() => undefined);
  }
}


/** Whether `db` is a valid Odoo database name, without asking a server (`exists` is then false). */
export function checkDatabaseNameSyntax(db: string): { valid: boolean; exists: boolean; message?: string } {
  if (!DBNAME_PATTERN.test(db) || Buffer.byteLength(db) > 63) {
    return { valid: false, exists: false, message: 'Use letters, digits, "_", "." or "-", starting with a letter or digit (at most 63 bytes).' };
  }
  return { valid: true, exists: false };
}

/** PostgreSQL's own databases, never a restore's target (Odoo's database list leaves them out too). */
const SYSTEM_DATABASES = new Set(['postgres', 'template0', 'template1']);

/**
 * Why `db` may not be restored into, when it is one of PostgreSQL's own databases or a
 * template: replacing template1 would put the backup into every database created afterwards.
 */
export async function systemDatabaseMessage(admin: pg.Client, db: string, pgUrl: string | undefined): Promise<string | undefined> {
  const r = await admin.query<{ t: boolean }>('SELECT datistemplate AS t FROM pg_database WHERE datname = $1', [db]);
  const template = r.rows[0]?.t === true;
  if (!template && !SYSTEM_DATABASES.has(db)) return undefined;
  return `"${db}" is ${template ? 'a template database' : "one of PostgreSQL's own databases"} on ${targetLabel(pgUrl)}: a backup is never restored into it.`;
}

/** Throws `InvalidInput` when `db` is not a valid Odoo database name. */
export function assertDatabaseName(db: string): void {
  if (!DBNAME_PATTERN.test(db) || Buffer.byteLength(db) > 63) {
    throw new AppError('InvalidInput', `"${db}" is not a valid Odoo database name.`, {
      hint: 'Use letters, digits, "_", "." or "-", starting with a letter or digit (at most 63 bytes).',
    });
  }
}

/**
 * Local PostgreSQL servers this machine can reach: the libpq environment (PGHOST/PGPORT…), the
 * default Unix sockets, and 127.0.0.1:5432.
 */
export async function detectLocalTargets(): Promise<Array<{ id: string; label: string; pgUrl?: string; available: boolean; detail?: string }>> {
  const out: Array<{ id: string; label: string; pgUrl?: string; available: boolean; detail?: string }> = [];
  const probe = async (id: string, label: string, pgUrl: string | undefined): Promise<void> => {
    try {
      const c = await connect(pgUrl, pgUrl ? undefined : process.env.PGDATABASE ?? 'postgres');
      try {
        const r = await c.query<{ v: string; u: string; c: boolean }>(
          "SELECT current_setting('server_version') AS v, current_user AS u, (SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user) AS c",
        );
        const row = r.rows[0];
        out.push({ id, label, ...(pgUrl ? { pgUrl } : {}), available: true, detail: `PostgreSQL ${row?.v ?? '?'} as ${row?.u ?? '?'}${row?.c ? '' : ' (no CREATEDB)'}` });
      } finally {
        await c.end().catch(() => undefined);
      }
    } catch (err) {
      out.push({ id, label, ...(pgUrl ? { pgUrl } : {}), available: false, detail: (err as Error).message });
    }
  };
  if (process.env.PGHOST || process.env.PGPORT || process.env.PGUSER) {
    await probe('env', `libpq environment (${targetLabel(undefined)})`, undefined);
  }
  const user = process.env.PGUSER ?? process.env.USER ?? 'postgres';
  for (const dir of ['/var/run/postgresql', '/tmp']) {
    const port = Number(process.env.PGPORT ?? 5432);
    if (await pathExists(join(dir, `.s.PGSQL.${port}`))) {
      await probe(`socket:${dir}`, `Local socket ${dir}`, `postgres://${encodeURIComponent(user)}@localhost:${port}/postgres?host=${encodeURIComponent(dir)}`);
    }
  }
  await probe('tcp:127.0.0.1:5432', 'localhost:5432', `postgres://${encodeURIComponent(user)}@127.0.0.1:5432/postgres`);
  return out;
}
