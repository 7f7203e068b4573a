/**
 * Dropping a database together with its own bucket/container, as a resumable job (Catalyst's
 * `exp_drop` + `delete_container`, with the deletion guard Odoo's modules lack across databases):
 * 1. refuse while another database on the same server references that bucket/container
 *    (Odoo's own guard counts rows of the current database only, doc §3.5);
 * 2. record the keys of the objects the database references there (`<id>.keys`);
 * 3. `DROP DATABASE` (nobody may be connected), and its filestore folder;
 * 4. remove the recorded objects, then the bucket/container when nothing else is left in it.
 * Objects are removed only once no database refers to them any more, so no row ever points at a
 * removed object; a resume carries on from the recorded list.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import { AppError, cancelledError, isAppError, toAppError } from '../../errors';
import type { JobContext } from '../../jobs/job';
import { connect, connectAdmin, quoteIdent } from '../../pg/connection';
import { hasAttachmentTable, readStorageParams } from '../db-scan';
import type { ObjectHandle } from '../resolver';
import { openstackContainerOf, type StoredAt } from '../store-fname';
import type { MigrationState } from './book';
import type { OwnStore } from './plan';
import type { MigrationDeps, MigrationResult } from './run';

/** How many of `db`'s attachment rows name objects in `own`. */
async function referencesIn(client: pg.Client, db: string, own: OwnStore): Promise<number> {
  if (!(await hasAttachmentTable(client))) return 0;
  const prefix = `${own.kind}://${own.name}/`;
  const uri = Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM ir_attachment WHERE left(store_fname, length($1)) = $1', [prefix])).rows[0]!.n);
  if (own.form !== 'openstack') return uri;
  const params = await readStorageParams(client);
  if (params.location !== 'openstack' || openstackContainerOf(params.openstack, db) !== own.name) return uri;
  return uri + Number((await client.query<{ n: string }>("SELECT count(*) AS n FROM ir_attachment WHERE store_fname ~ '^[0-9a-f]{40}$'")).rows[0]!.n);
}

/**
 * The deletion guard: the other databases on the server whose rows reference `own`. A database
 * that cannot be read counts as referencing it (nothing is deleted on a guess).
 */
export async function otherReferences(pgUrl: string | undefined, db: string, own: OwnStore): Promise<string[]> {
  const admin = await connectAdmin(pgUrl);
  let names: string[];
  try {
    names = (await admin.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate AND datname <> $1 ORDER BY 1', [db])).rows.map((r) => r.datname);
  } finally {
    await admin.end().catch(() => undefined);
  }
  const found: string[] = [];
  for (const name of names) {
    const client = await connect(pgUrl, name).catch(() => undefined);
    if (!client) {
      found.push(`${name} (could not be read)`);
      continue;
    }
    try {
      const n = await referencesIn(client, name, own).catch(() => -1);
      if (n !== 0) found.push(n < 0 ? `${name} (could not be read)` : `${name} (${n} attachments)`);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  return found;
}

/** Refuses the drop while another database references the bucket/container. */
export async function guardDrop(pgUrl: string | undefined, db: string, own: OwnStore): Promise<void> {
  const others = await otherReferences(pgUrl, db, own);
  if (others.length === 0) return;
  throw new AppError('Conflict', `Other databases still reference ${own.kind}://${own.name}: ${others.join(', ')}. Nothing was dropped.`, {
    hint: 'Drop or migrate those first (attachments migrate --to filestore), or drop this database alone.',
    details: { databases: others },
  });
}

function ownOf(state: MigrationState): OwnStore {
  const d = state.spec.drop;
  if (state.spec.direction !== 'drop' || !d) throw new AppError('InvalidInput', `${state.id} is not a drop.`);
  return { form: d.form, kind: d.kind, name: d.store };
}

/** The keys of the objects `db` references in `own`. */
async function listKeys(pgUrl: string | undefined, db: string, own: OwnStore): Promise<string[]> {
  const client = await connect(pgUrl, db);
  try {
    const prefix = `${own.kind}://${own.name}/`;
    const r = await client.query<{ f: string }>('SELECT DISTINCT store_fname AS f FROM ir_attachment WHERE left(store_fname, length($1)) = $1 ORDER BY 1', [prefix]);
    const keys = r.rows.map((x) => x.f.slice(prefix.length));
    if (own.form === 'openstack') keys.push(...(await client.query<{ f: string }>("SELECT DISTINCT store_fname AS f FROM ir_attachment WHERE store_fname ~ '^[0-9a-f]{40}$'")).rows.map((x) => x.f));
    return [...new Set(keys)];
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function dropDatabase(state: MigrationState, own: OwnStore): Promise<void> {
  await guardDrop(state.spec.pgUrl, state.spec.db, own);
  const admin = await connectAdmin(state.spec.pgUrl);
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(state.spec.db)}`);
  } catch (err) {
    if ((err as { code?: string }).code === '55006') throw new AppError('Conflict', `"${state.spec.db}" is in use.`, { hint: 'Stop Odoo (or close its connections to that database), then resume.' });
    throw toAppError(err);
  } finally {
    await admin.end().catch(() => undefined);
  }
  await rm(join(state.spec.dataDir, 'filestore', state.spec.db), { recursive: true, force: true });
}

function at(own: OwnStore, key: string): StoredAt {
  return own.kind === 's3' ? { kind: 's3', bucket: own.name, key } : { kind: 'swift', container: own.name, key };
}

/** Removes the recorded objects, then the bucket/container if it is empty. */
async function removeObjects(id: string, deps: MigrationDeps, own: OwnStore, ctx: JobContext): Promise<{ removed: number; warnings: string[] }> {
  const keys = await deps.book.readKeys(id);
  let removed = 0;
  let handle: ObjectHandle | undefined;
  for (const [i, key] of keys.entries()) {
    if (ctx.signal.aborted) throw cancelledError('The drop');
    handle = await deps.resolver.handleFor(at(own, key));
    await handle.provider.remove!(handle.key).then(
      () => void removed++,
      (err: unknown) => {
        if (!isAppError(err, 'NotFound')) throw err;
      },
    );
    ctx.progress({ phase: 'drop', label: `Removing the objects of ${own.kind}://${own.name}`, done: i + 1, total: keys.length, unit: 'items' });
  }
  handle ??= await deps.resolver.handleFor(at(own, '0'.repeat(40)));
  const warnings: string[] = [];
  await handle.provider.bucketRoot?.remove({ signal: ctx.signal }).catch((err: unknown) => {
    if (isAppError(err, 'Conflict')) warnings.push(`${own.kind}://${own.name} still holds objects the database did not reference: it was left in place.`);
    else if (!isAppError(err, 'NotFound')) throw err;
  });
  return { removed, warnings };
}

/** Runs (or resumes) drop `id`. */
export async function runDrop(id: string, deps: MigrationDeps, ctx: JobContext): Promise<MigrationResult> {
  const release = await deps.book.lock(id);
  let state = await deps.book.load(id).catch(async (err: unknown) => {
    await release();
    throw err;
  });
  try {
    const own = ownOf(state);
    if (state.status === 'done' || state.status === 'rolled-back') throw new AppError('Conflict', `Drop ${id} is already ${state.status}.`);
    state = await deps.book.save({ ...state, status: 'running' });
    if (!state.phase) {
      await deps.book.writeKeys(id, await listKeys(state.spec.pgUrl, state.spec.db, own));
      state = await deps.book.save({ ...state, phase: 'listed' });
    }
    if (state.phase === 'listed') {
      await dropDatabase(state, own);
      state = await deps.book.save({ ...state, phase: 'dropped' });
    }
    const r = await removeObjects(id, deps, own, ctx);
    state = await deps.book.save({ ...state, status: 'done', message: `${state.spec.db} dropped, ${r.removed} objects removed from ${own.kind}://${own.name}` });
    return { id, status: state.status, objects: r.removed, rewrittenRows: 0, problems: [], warnings: r.warnings };
  } catch (err) {
    const e = ctx.signal.aborted ? cancelledError('The drop') : toAppError(err);
    await deps.book.save({ ...state, status: e.kind === 'Cancelled' ? 'interrupted' : 'failed', message: e.message }).catch(() => undefined);
    throw e;
  } finally {
    await release();
  }
}

/** A drop can be called off only before its database is dropped. */
export async function rollbackDrop(id: string, deps: MigrationDeps): Promise<MigrationResult> {
  const state = await deps.book.load(id);
  if (state.phase === 'dropped' || state.status === 'done') throw new AppError('Conflict', `Drop ${id} cannot be undone: "${state.spec.db}" is already dropped.`, { hint: `Finish it with: backup-desk attachments resume ${id}` });
  const s = await deps.book.save({ ...state, status: 'rolled-back', message: 'called off before the database was dropped' });
  return { id, status: s.status, objects: 0, rewrittenRows: 0, problems: [], warnings: [] };
}
