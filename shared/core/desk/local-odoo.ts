/**
 * The Desk's side of "the Odoo on this machine": its restore target (from odoo.conf), its line
 * in the target list, and what makes a restored database usable by an Odoo at once — owner role,
 * filestore owner and modes — plus how to open the result.
 */
import { dirname } from 'node:path';
import type pg from 'pg';
import type { ApiResult } from '../../contract/api';
import { AppError, isAppError, messageWithHint, toAppError } from '../errors';
import { detectLocalOdoo, odooDatabaseUrl, ownerOf, type LocalOdoo } from '../local-odoo';
import { connect, connectAdmin, targetInfo } from '../pg/connection';
import { assertRoleExists, chownFilestore, transferOwnership } from '../restore/ownership';

/** The `local-odoo` target resolved: where to connect (password inside, never shown) and the Odoo it is. */
export async function resolveLocalOdoo(spec: { conf?: string; dataDir?: string }): Promise<{ pgUrl: string; dataDir: string; localOdoo: LocalOdoo }> {
  const found = await detectLocalOdoo(spec.conf ? { confPath: spec.conf } : {});
  if (!found) {
    throw new AppError('NotFound', 'No Odoo configuration was found on this machine (/etc/odoo/odoo.conf, /etc/odoo*.conf, ~/.odoorc, ~/.openerp_serverrc).', {
      hint: 'Choose a PostgreSQL server as the target, or give the path of the odoo.conf your Odoo runs with.',
      details: { cliHint: 'Give the path of your odoo.conf (--odoo-conf FILE), or choose a PostgreSQL server as the target (--target).' },
    });
  }
  return { pgUrl: found.connectUrl, dataDir: spec.dataDir ?? found.odoo.dataDir, localOdoo: found.odoo };
}

/** The "Odoo on this machine" line of `targets:detect` (first in the list), or none when no odoo.conf is found. */
export async function localOdooTargetEntry(): Promise<ApiResult<'targets:detect'>[number] | undefined> {
  const found = await detectLocalOdoo().catch(() => undefined);
  if (!found) return undefined;
  const { odoo, connectUrl } = found;
  const who = `${odoo.dbUser ? `role ${odoo.dbUser}` : 'its OS user'}, data dir ${odoo.dataDir}, ${odoo.httpUrl}`;
  const base = { id: 'local-odoo', label: 'The Odoo on this machine', target: { type: 'local-odoo' as const, conf: odoo.confPath }, ...(odoo.dbUser ? { odooRole: odoo.dbUser } : {}) };
  try {
    const c = await connect(connectUrl, 'postgres');
    try {
      const r = await c.query<{ v: string; c: boolean }>("SELECT current_setting('server_version') AS v, (SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user) AS c");
      const row = r.rows[0];
      return { ...base, available: true, detail: `${odoo.confPath}: PostgreSQL ${row?.v ?? '?'} as ${who}${row?.c ? '' : ' (the role may not create databases: CREATEDB missing)'}` };
    } finally {
      await c.end().catch(() => undefined);
    }
  } catch (err) {
    return { ...base, available: false, detail: `${odoo.confPath}: ${toAppError(err).message}` };
  }
}

/** Preflight for `--owner ROLE`: the role must exist on the target before anything is restored. */
export async function checkOwnerRole(pgUrl: string | undefined, role: string): Promise<void> {
  const admin = await connectAdmin(pgUrl);
  try {
    await assertRoleExists(admin, role);
  } finally {
    await admin.end().catch(() => undefined);
  }
}

/** What was done so Odoo can use the restored database, and how to open it. */
export interface OdooReadiness {
  /** The role that owns the database and its objects. */
  readonly owner: string;
  /** The user the filestore belongs to, when it was set. */
  readonly filestoreOwner?: string;
  /** The local Odoo's URL for this database, when known. */
  readonly odooUrl?: string;
  /** A psql line that reaches the database (no password in it). */
  readonly psql: string;
  readonly warnings: string[];
  /** True when no owner was asked and no Odoo found: the connecting role owns it (a warning says so). */
  readonly ownerFallback?: boolean;
}

/** Who should own the restored database: the asked role, else the local Odoo's (when it exists on this server). */
async function chooseOwner(admin: pg.Client, asked: string | undefined, odoo: LocalOdoo | undefined, explicitTarget: boolean): Promise<{ role?: string; why?: string }> {
  if (asked) return { role: asked };
  const local = odoo ?? (await detectLocalOdoo().catch(() => undefined))?.odoo;
  const role = local?.dbUser ?? (explicitTarget ? local?.dataDirOwner?.user : undefined);
  if (!role) return {};
  const exists = ((await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role])).rowCount ?? 0) > 0;
  return exists || explicitTarget ? { role, why: `the role of the Odoo configured in ${local!.confPath}` } : {};
}

/**
 * Makes a restored database usable by Odoo at once: the database and every object in it owned by
 * Odoo's role (asked with --owner, else the local Odoo's, else left to the connecting role with a
 * warning), the filestore owned by the data dir's owner with Odoo's modes. `stagedDb` and
 * `filestorePath` may be the restore's temporary names (before its swap); `db` is the final name.
 */
export async function makeUsableByOdoo(o: { pgUrl: string | undefined; db: string; stagedDb?: string; owner?: string; localOdoo?: LocalOdoo; filestorePath?: string }): Promise<OdooReadiness> {
  const warnings: string[] = [];
  const admin = await connectAdmin(o.pgUrl);
  let owner: string;
  let ownerFallback = false;
  try {
    const me = (await admin.query<{ u: string }>('SELECT current_user AS u')).rows[0]!.u;
    const chosen = await chooseOwner(admin, o.owner, o.localOdoo, o.localOdoo !== undefined);
    owner = chosen.role ?? me;
    if (owner !== me) {
      const inDb = await connect(o.pgUrl, o.stagedDb ?? o.db);
      try {
        await transferOwnership(admin, inDb, o.stagedDb ?? o.db, owner, o.db);
      } finally {
        await inDb.end().catch(() => undefined);
      }
    } else if (!chosen.role) {
      // Each face adds how to choose the owner (ownerFallback): the app's field, the CLI's --owner.
      warnings.push(`The database and its objects belong to "${me}", the role this restore connected as, and no Odoo was found on this machine. If Odoo connects as another role it will get "permission denied".`);
      ownerFallback = true;
    }
  } finally {
    await admin.end().catch(() => undefined);
  }
  let filestoreOwner: string | undefined;
  if (o.filestorePath) {
    const fsOwner = o.localOdoo?.dataDirOwner ?? (await ownerOf(dirname(dirname(o.filestorePath))));
    if (fsOwner) {
      try {
        await chownFilestore(o.filestorePath, fsOwner);
        filestoreOwner = fsOwner.user ?? String(fsOwner.uid);
      } catch (err) {
        const e = toAppError(err);
        warnings.push(messageWithHint(e));
      }
    }
  }
  const t = targetInfo(o.pgUrl);
  return {
    owner,
    ...(filestoreOwner ? { filestoreOwner } : {}),
    ...(o.localOdoo ? { odooUrl: odooDatabaseUrl(o.localOdoo, o.db) } : {}),
    psql: `psql -h ${t.host} -p ${t.port} -U ${owner} ${o.db}`,
    warnings,
    ...(ownerFallback ? { ownerFallback } : {}),
  };
}

/** A login refused by the local Odoo's PostgreSQL: the hint points at its odoo.conf, where the role and password came from. */
export function withOdooConfHint(err: unknown, odoo: LocalOdoo | undefined): unknown {
  if (!odoo || !isAppError(err, 'AuthFailed') || !/refused the login/.test(err.message)) return err;
  return new AppError('AuthFailed', err.message, {
    hint: `The role${odoo.hasPassword ? ' and password' : ''} came from ${odoo.confPath} (db_user${odoo.hasPassword ? ', db_password' : ''}): check ${odoo.hasPassword ? 'them' : 'it'} there, or restore into another target.`,
    cause: err,
  });
}
