/**
 * Stage 6 of a restore: swaps the staging database and folder into place, only once everything
 * is complete. With `replace`, the old database and filestore are renamed aside first and
 * dropped only after the swap; a failed swap puts everything back as it was.
 */
import { randomBytes } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type pg from 'pg';
import { AppError } from '../errors';
import { classifyPgError, quoteIdent } from '../pg/connection';
import { pathExists } from '../util/fs';
import type { RestoreRun } from './pipeline';
import { databaseExists } from './preflight';
import { terminate, tmpName } from './staging';

/** Swaps the staging area into place; returns where the filestore went (undefined: none restored). */
export async function swapIntoPlace(run: RestoreRun, admin: pg.Client): Promise<string | undefined> {
  const placed = await placeFilestore(run);
  try {
    await placeDatabase(run, admin);
  } catch (err) {
    // Put the filestore back as it was.
    if (placed) {
      run.staging.tempFs = join(dirname(run.finalFs), `.bd-tmp-${randomBytes(4).toString('hex')}-${run.opts.db}`);
      await rename(run.finalFs, run.staging.tempFs).catch(() => undefined);
      if (placed.oldFs) await rename(placed.oldFs, run.finalFs).catch(() => undefined);
    }
    throw classifyPgError(err, run.opts.pgUrl, 'Renaming the restored database into place');
  }
  if (placed?.oldFs) {
    const oldFs = placed.oldFs;
    await rm(oldFs, { recursive: true, force: true }).catch((err: unknown) => run.warn(`The previous filestore ${oldFs} could not be removed: ${(err as Error).message}`));
  }
  return placed ? run.finalFs : undefined;
}

/** Filestore first: renames are atomic and reversible. Returns where the old one was put aside. */
async function placeFilestore(run: RestoreRun): Promise<{ oldFs: string | undefined } | undefined> {
  const { staging, finalFs, opts } = run;
  if (!staging.tempFs) return undefined;
  let oldFs: string | undefined;
  if (await pathExists(finalFs)) {
    if (!opts.replace) throw new AppError('Conflict', `The filestore folder ${finalFs} appeared during the restore.`, { hint: 'Remove it, or restore again replacing the existing one.', details: { cliHint: 'Remove it or restore with --replace.' } });
    oldFs = join(dirname(finalFs), `.bd-old-${randomBytes(4).toString('hex')}-${opts.db}`);
    await rename(finalFs, oldFs);
  }
  try {
    await rename(staging.tempFs, finalFs);
  } catch (err) {
    if (oldFs) await rename(oldFs, finalFs).catch(() => undefined);
    throw new AppError('Fatal', `Could not move the filestore into ${finalFs}: ${(err as Error).message}`, { cause: err });
  }
  staging.tempFs = undefined;
  return { oldFs };
}

/**
 * Renames the staging database to its name. With `replace`, the old one goes aside in the same
 * transaction (PostgreSQL renames databases transactionally): a kill at any moment leaves either
 * the old database under the name or the new one, never neither. The old one is dropped after.
 */
async function placeDatabase(run: RestoreRun, admin: pg.Client): Promise<void> {
  const { staging, opts } = run;
  let oldDb: string | undefined;
  if (await databaseExists(admin, opts.db)) {
    if (!opts.replace) throw new AppError('Conflict', `A database named "${opts.db}" appeared during the restore.`, { hint: 'Choose another name, or restore again replacing the existing database.', details: { cliHint: 'Choose another name or restore with --replace.' } });
    oldDb = tmpName('bd_old', opts.db);
  }
  await renameDatabases(admin, [...(oldDb ? [[opts.db, oldDb] as const] : []), [staging.tempDb!, opts.db]]);
  staging.tempDbCreated = false;
  if (oldDb) await dropAside(run, admin, oldDb);
}

/** Drops the old database put aside; a failure only warns (it keeps its aside name). */
async function dropAside(run: RestoreRun, admin: pg.Client, oldDb: string): Promise<void> {
  try {
    await terminate(admin, oldDb);
    await admin.query(`DROP DATABASE ${quoteIdent(oldDb)}`);
  } catch (err) {
    run.warn(`The previous database was renamed to "${oldDb}" but could not be dropped: ${(err as Error).message}`);
  }
}

/** Renames databases in one transaction, ending other sessions on them first (Odoo may reconnect: a few tries). */
async function renameDatabases(admin: pg.Client, renames: readonly (readonly [from: string, to: string])[]): Promise<void> {
  const sql = `BEGIN; ${renames.map(([from, to]) => `ALTER DATABASE ${quoteIdent(from)} RENAME TO ${quoteIdent(to)};`).join(' ')} COMMIT;`;
  for (let attempt = 1; ; attempt++) {
    for (const [from] of renames) await terminate(admin, from);
    try {
      await admin.query(sql);
      return;
    } catch (err) {
      await admin.query('ROLLBACK').catch(() => undefined);
      // 55006: object_in_use ("database is being accessed by other users")
      if ((err as { code?: string }).code !== '55006' || attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
}
