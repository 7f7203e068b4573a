/**
 * A restored database Odoo can open at once: the database and every object in it owned by the
 * role Odoo connects as (not the role that ran the restore), and the filestore owned by the user
 * that owns the Odoo data dir, with the modes Odoo itself gives it (folders 0755, files 0644, as
 * Odoo writes them under the usual umask 022).
 */
import { chmod, lchown, lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import { AppError } from '../errors';
import { quoteIdent } from '../pg/connection';
import type { FileOwner } from '../local-odoo/detect';

/** Objects of the database (schemas, relations, free-standing sequences, routines, types, large objects) not owned by `role`, as ALTER statements. */
const OWNERSHIP_SQL = `
WITH ext AS (SELECT classid, objid FROM pg_depend WHERE deptype = 'e'),
ns AS (
  SELECT oid, nspname FROM pg_namespace
  WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\\_toast%' AND nspname NOT LIKE 'pg\\_temp%'
)
SELECT format('ALTER SCHEMA %I OWNER TO %I', n.nspname, $1::text) AS sql FROM ns n JOIN pg_namespace s ON s.oid = n.oid
  WHERE s.nspowner <> (SELECT oid FROM pg_roles WHERE rolname = $1) AND NOT EXISTS (SELECT 1 FROM ext WHERE classid = 'pg_namespace'::regclass AND objid = n.oid)
UNION ALL
SELECT format('ALTER %s %I.%I OWNER TO %I', CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, n.nspname, c.relname, $1::text)
  FROM pg_class c JOIN ns n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND c.relowner <> (SELECT oid FROM pg_roles WHERE rolname = $1)
    AND NOT EXISTS (SELECT 1 FROM ext WHERE classid = 'pg_class'::regclass AND objid = c.oid)
    AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')))
UNION ALL
SELECT format('ALTER ROUTINE %s OWNER TO %I', p.oid::regprocedure, $1::text)
  FROM pg_proc p JOIN ns n ON n.oid = p.pronamespace
  WHERE p.proowner <> (SELECT oid FROM pg_roles WHERE rolname = $1) AND NOT EXISTS (SELECT 1 FROM ext WHERE classid = 'pg_proc'::regclass AND objid = p.oid)
UNION ALL
SELECT format('ALTER TYPE %I.%I OWNER TO %I', n.nspname, t.typname, $1::text)
  FROM pg_type t JOIN ns n ON n.oid = t.typnamespace
  WHERE t.typtype IN ('d', 'e', 'r') AND t.typowner <> (SELECT oid FROM pg_roles WHERE rolname = $1)
    AND NOT EXISTS (SELECT 1 FROM ext WHERE classid = 'pg_type'::regclass AND objid = t.oid)
UNION ALL
SELECT format('ALTER LARGE OBJECT %s OWNER TO %I', m.oid, $1::text) FROM pg_largeobject_metadata m
  WHERE m.lomowner <> (SELECT oid FROM pg_roles WHERE rolname = $1)
`;

/** `InvalidInput` when `role` does not exist on the server, with the statement that creates it. */
export async function assertRoleExists(admin: pg.Client, role: string): Promise<void> {
  const r = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
  if ((r.rowCount ?? 0) === 0) {
    throw new AppError('InvalidInput', `The role "${role}" (the owner the restored database should get) does not exist on this server.`, {
      hint: `Create it first (CREATE ROLE ${quoteIdent(role)} LOGIN CREATEDB PASSWORD '…'), or make the owner a role that exists: the one Odoo connects as.`,
      details: { cliHint: `Create it first (CREATE ROLE ${quoteIdent(role)} LOGIN CREATEDB PASSWORD '…'), or give --owner a role that exists: the one Odoo connects as.` },
    });
  }
}

/**
 * Gives database `db` and every object in it to `role`: `admin` is a connection to the server,
 * `inDb` one to `db` itself. Needs a superuser, or a member of `role` that owns the objects.
 * Resolves with how many objects changed owner.
 */
export async function transferOwnership(admin: pg.Client, inDb: pg.Client, db: string, role: string, shownAs: string = db): Promise<number> {
  await assertRoleExists(admin, role);
  const stmts = (await inDb.query<{ sql: string }>(OWNERSHIP_SQL, [role])).rows.map((r) => r.sql);
  try {
    await inDb.query('BEGIN');
    for (const sql of stmts) await inDb.query(sql);
    await inDb.query('COMMIT');
    await admin.query(`ALTER DATABASE ${quoteIdent(db)} OWNER TO ${quoteIdent(role)}`);
  } catch (err) {
    await inDb.query('ROLLBACK').catch(() => undefined);
    throw new AppError('PermissionDenied', `Could not make "${role}" the owner of database "${shownAs}" and its objects: ${(err as Error).message}`, {
      hint: `Restore as a superuser (or as a member of "${role}"), or as "${role}" itself.`,
      cause: err,
    });
  }
  return stmts.length;
}

/** Odoo's modes for a filestore: folders 0755, files 0644. */
export const FILESTORE_DIR_MODE = 0o755;
/** See FILESTORE_DIR_MODE. */
export const FILESTORE_FILE_MODE = 0o644;

/**
 * Gives the filestore folder `dir` (recursively) to `owner` with Odoo's modes. Changing the owner
 * to another user needs root: without it, `PermissionDenied` says the command that fixes it.
 * Symbolic links are never followed. Resolves with how many entries were changed.
 */
export async function chownFilestore(dir: string, owner: FileOwner): Promise<number> {
  const uid = process.getuid?.();
  const top = await lstat(dir);
  const needChown = top.uid !== owner.uid || top.gid !== owner.gid;
  if (needChown && uid !== 0 && uid !== owner.uid) {
    throw new AppError('PermissionDenied', `The filestore ${dir} should belong to ${owner.user ?? owner.uid} (the owner of the Odoo data dir), and only root may give it to another user.`, {
      hint: `Run: sudo chown -R ${owner.user ?? owner.uid}:${owner.gid} '${dir}'`,
    });
  }
  let n = 0;
  const visit = async (p: string): Promise<void> => {
    const s = await lstat(p);
    if (s.isSymbolicLink()) return;
    if (s.uid !== owner.uid || s.gid !== owner.gid) await lchown(p, owner.uid, owner.gid);
    const mode = s.isDirectory() ? FILESTORE_DIR_MODE : FILESTORE_FILE_MODE;
    if ((s.mode & 0o7777) !== mode) await chmod(p, mode);
    n++;
    if (s.isDirectory()) for (const e of await readdir(p)) await visit(join(p, e));
  };
  await visit(dir);
  return n;
}
