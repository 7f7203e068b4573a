/**
 * Stage 2 of a restore: checks the described backup against the target before anything is
 * created — the role may create databases, the name is free (or `replace`), the filestore folder
 * is free and its disk can hold the filestore, the dump is not from a newer PostgreSQL, its extensions exist, pg_restore can read it.
 * Leftovers of an earlier, hard-killed restore are reported as a warning (never removed here).
 */
import type pg from 'pg';
import { majorOf } from '../archive/dump-header';
import { AppError } from '../errors';
import { serverVersion, targetLabel } from '../pg/connection';
import { requirePgRestore } from '../pg/tools';
import { pathExists } from '../util/fs';
import type { BackupDescription } from './describe';
import { describeLeftovers, findLeftovers } from './leftovers';
import type { RestoreRun, TargetServer } from './pipeline';
import { checkFilestoreSpace } from './space';
import { systemDatabaseMessage } from './targets';

/** Runs every check on the open admin connection; returns what the later stages need to know of the server. */
export async function preflight(run: RestoreRun, admin: pg.Client, desc: BackupDescription, dataDir: string): Promise<TargetServer> {
  const { opts } = run;
  const version = await serverVersion(admin);
  const priv = await admin.query<{ ok: boolean; superuser: boolean }>('SELECT rolcreatedb OR rolsuper AS ok, rolsuper AS superuser FROM pg_roles WHERE rolname = current_user');
  if (!priv.rows[0]?.ok) {
    throw new AppError('PermissionDenied', `The PostgreSQL role used on ${targetLabel(opts.pgUrl)} may not create databases.`, {
      hint: 'Use a role with CREATEDB (ALTER ROLE … CREATEDB), as Odoo needs.',
    });
  }
  await warnOfLeftovers(run, admin, dataDir);
  const system = await systemDatabaseMessage(admin, opts.db, opts.pgUrl);
  if (system) throw new AppError('InvalidInput', system, { hint: 'Choose another database name.' });
  if ((await databaseExists(admin, opts.db)) && !opts.replace) {
    throw new AppError('Conflict', `A database named "${opts.db}" already exists on ${targetLabel(opts.pgUrl)}.`, { hint: 'Choose another name, or replace the existing database.', details: { cliHint: 'Choose another name, or replace it (--replace).' } });
  }
  if (opts.filestore && !opts.replace && (await pathExists(run.finalFs))) {
    throw new AppError('Conflict', `The filestore folder ${run.finalFs} already exists.`, { hint: 'Choose another database name, remove that folder, or replace the existing database and its filestore.', details: { cliHint: 'Choose another database name, remove that folder, or replace (--replace).' } });
  }
  if (opts.filestore && desc.filestoreBytes) await checkFilestoreSpace(dataDir, desc.filestoreBytes, opts.freeBytes);
  const server = { version, superuser: priv.rows[0]?.superuser === true };
  await checkDump(admin, desc, server, opts.pgUrl);
  run.check();
  return server;
}

/** What the dump's header asks of the server: its version, extensions, and (custom dumps) a pg_restore that reads it. */
async function checkDump(admin: pg.Client, desc: BackupDescription, server: TargetServer, pgUrl: string | undefined): Promise<void> {
  if (desc.dumpHeader) {
    await requirePgRestore(desc.dumpHeader.version);
    checkServerVersion(majorOf(desc.dumpHeader.serverVersion), server.version, pgUrl);
    if (desc.dumpHeader.extensions) await checkExtensions(admin, desc.dumpHeader.extensions, pgUrl);
  }
  // A multi-part backup's manifest.json names the server its dump came from, like a dump header.
  checkServerVersion(desc.manifestPgMajor, server.version, pgUrl);
  if (desc.sqlHead) {
    checkServerVersion(desc.sqlHead.serverMajor, server.version, pgUrl);
    await checkExtensions(admin, desc.sqlHead.extensions, pgUrl);
  }
}

/** Leftovers of a hard-killed earlier restore: say so (never fails the restore, never removes anything here). */
async function warnOfLeftovers(run: RestoreRun, admin: pg.Client, dataDir: string): Promise<void> {
  try {
    const left = await findLeftovers(run.opts.pgUrl, dataDir, { admin });
    if (left.length > 0) {
      run.warn(describeLeftovers(left));
      run.leftoversFound = true;
    }
  } catch (err) {
    run.ctx.log('info', `Looking for leftovers of interrupted restores failed: ${(err as Error).message}`);
  }
}

/** True when a database of that name exists. */
export async function databaseExists(admin: pg.Client, db: string): Promise<boolean> {
  const r = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [db]);
  return (r.rowCount ?? 0) > 0;
}

/** `Unsupported` when the dump comes from a newer PostgreSQL major than the target runs. */
export function checkServerVersion(dumpMajor: number | undefined, server: { major: number; text: string }, pgUrl: string | undefined): void {
  if (dumpMajor !== undefined && dumpMajor > server.major) {
    throw new AppError('Unsupported', `The backup comes from PostgreSQL ${dumpMajor}; the target ${targetLabel(pgUrl)} runs PostgreSQL ${server.text}, which is older.`, {
      hint: `Restore into PostgreSQL ${dumpMajor} or newer.`,
      details: { dumpMajor, serverVersion: server.text },
    });
  }
}

/** `MissingTool` naming the extensions the dump needs that the server does not have. */
async function checkExtensions(admin: pg.Client, extensions: string[], pgUrl: string | undefined): Promise<void> {
  if (extensions.length === 0) return;
  const r = await admin.query<{ name: string }>('SELECT name FROM pg_available_extensions WHERE name = ANY($1)', [extensions]);
  const have = new Set(r.rows.map((x) => x.name));
  const missing = extensions.filter((e) => e !== 'plpgsql' && !have.has(e));
  if (missing.length > 0) {
    throw new AppError('MissingTool', `The backup needs the PostgreSQL ${missing.length === 1 ? 'extension' : 'extensions'} ${missing.join(', ')}, not available on ${targetLabel(pgUrl)}.`, {
      hint: `Install ${missing.length === 1 ? 'it' : 'them'} on the database server (usually the postgresql-contrib package), then restore again.`,
      details: { missing },
    });
  }
}
