/**
 * Migrations of a database's attachments as resumable jobs:
 * - `to-store`: filestore → an S3 bucket / Swift container (`s3://<bucket>/<sha>`, `swift://<container>/<sha>`,
 *   Camptocamp's names), then `ir_attachment.location` = `s3`/`swift`;
 * - `to-filestore`: object storage → the filestore (`<sha[:2]>/<sha>`), then `ir_attachment.location` = `file`.
 * Per object: the copy is written (journal `intent` first when it is new), verified by its SHA-1 (a
 * new object is read back), journaled `copied`, then the rows are rewritten (journal `row` first).
 * So a row never points at an object that does not exist, whenever the process dies; a resume
 * carries on with what is left; a rollback points the rows back (where the original still exists)
 * and removes only what the migration created and nothing references any more. Originals are never
 * deleted.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream';
import type pg from 'pg';
import { AppError, cancelledError, isAppError, toAppError } from '../../errors';
import type { JobContext } from '../../jobs/job';
import { connect } from '../../pg/connection';
import { pathExists } from '../../util/fs';
import { FILESTORE_SQL, readStorageParams, remoteNames, serialQuery, type Query } from '../db-scan';
import { fetchObjectTo, openObject, sha1Meter } from '../fetch-object';
import { runPool } from '../pool';
import type { ObjectHandle, ObjectResolver } from '../resolver';
import type { ObjectProblem } from '../restore-stage';
import { setParam } from '../restore-stage';
import { filestorePathOf, isSha1, openstackContainerOf, parseStoreFname, type StoredAt } from '../store-fname';
import type { MigrationBook, MigrationState, ObjectJournal } from './book';

/** What a migration (or its rollback) did. */
export interface MigrationResult {
  readonly id: string;
  readonly status: MigrationState['status'];
  /** Distinct objects handled in this run. */
  readonly objects: number;
  readonly rewrittenRows: number;
  readonly problems: ObjectProblem[];
  readonly warnings: string[];
}

/** What a run needs. */
export interface MigrationDeps {
  readonly book: MigrationBook;
  /** Providers for the buckets/containers involved. */
  readonly resolver: ObjectResolver;
  readonly concurrency?: number;
}

interface Run {
  readonly state: MigrationState;
  readonly deps: MigrationDeps;
  readonly query: Query;
  readonly journal: Map<string, ObjectJournal>;
  readonly fsDir: string;
  readonly ctx: JobContext;
  readonly problems: ObjectProblem[];
  rows: number;
  objects: number;
}

const LOCATION = 'ir_attachment.location';

async function fileSha1(path: string): Promise<string> {
  const h = createHash('sha1');
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return h.digest('hex');
}

/** The SHA-1 of an object's content (undefined when it does not exist). */
export async function objectSha1(handle: ObjectHandle, signal: AbortSignal): Promise<string | undefined> {
  const input = await openObject(handle, signal);
  if (!input) return undefined;
  const meter = sha1Meter();
  // pipeline, not pipe: a failed read fails the meter (a piped one waited for good, the error unheard).
  for await (const _ of pipeline(input, meter, () => undefined)) void _;
  return meter.digest();
}

/** The remote location a filestore object goes to in a `to-store` migration. */
function storeTarget(state: MigrationState, sha: string): StoredAt {
  const s = state.spec.store!;
  return s.kind === 's3' ? { kind: 's3', bucket: s.name, key: sha, sha1: sha } : { kind: 'swift', container: s.name, key: sha, sha1: sha };
}

function storeName(state: MigrationState, sha: string): string {
  const s = state.spec.store!;
  return `${s.kind}://${s.name}/${sha}`;
}

async function rewrite(run: Run, sha: string, from: string, to: string): Promise<void> {
  await run.deps.book.append(run.state.id, ['row', sha, from]);
  const r = await run.query('UPDATE ir_attachment SET store_fname = $2 WHERE store_fname = $1', [from, to]);
  run.rows += r.rowCount ?? 0;
}

/** Filestore → bucket/container, one object. */
async function toStoreOne(run: Run, name: string): Promise<void> {
  const sha = name.slice(name.indexOf('/') + 1);
  const local = join(run.fsDir, ...name.split('/'));
  const problem = (reason: ObjectProblem['reason'], message: string): void => void run.problems.push({ storeFname: name, reason, message });
  if (!(await pathExists(local))) return problem('missing', `${local} does not exist: the attachment is already broken, it is left as it is.`);
  const handle = await run.deps.resolver.handleFor(storeTarget(run.state, sha));
  const j = run.journal.get(sha);
  if (!j?.copied) {
    const existing = await objectSha1(handle, run.ctx.signal);
    if (existing === sha) {
      await run.deps.book.append(run.state.id, ['copied', sha, j?.intent ? 'created' : 'existed']);
    } else if (existing !== undefined && !j?.intent) {
      return problem('corrupt', `${handle.label}/${sha} exists with other content (SHA-1 ${existing}); it is not overwritten and the attachment stays in the filestore.`);
    } else {
      if ((await fileSha1(local)) !== sha) return problem('corrupt', `${local} does not match its SHA-1 name; it is left in the filestore.`);
      await run.deps.book.append(run.state.id, ['intent', sha]);
      await handle.provider.write!(handle.key, createReadStream(local), { signal: run.ctx.signal });
      const back = await objectSha1(handle, run.ctx.signal);
      if (back !== sha) throw new AppError('Integrity', `${handle.label}/${sha} reads back with SHA-1 ${back ?? '(missing)'} after the upload.`, { hint: 'Resume the migration to try again.' });
      await run.deps.book.append(run.state.id, ['copied', sha, 'created']);
    }
  }
  await rewrite(run, sha, name, storeName(run.state, sha));
  run.objects++;
}

/** Object storage → filestore, one object. */
async function toFilestoreOne(run: Run, name: string, checksum: string | undefined, ctxParse: { location?: string | undefined; openstackContainer?: string | undefined }): Promise<void> {
  const problem = (reason: ObjectProblem['reason'], message: string): void => void run.problems.push({ storeFname: name, reason, message });
  const at = parseStoreFname(name, ctxParse);
  const sha = ('sha1' in at ? at.sha1 : undefined) ?? (checksum && isSha1(checksum) ? checksum : undefined);
  if (!sha) return problem('unverifiable', `${name} names no SHA-1 and its attachment has no checksum.`);
  const dest = join(run.fsDir, ...filestorePathOf(sha).split('/'));
  const j = run.journal.get(sha);
  if (!j?.copied) {
    if ((await pathExists(dest)) && (await fileSha1(dest)) === sha) {
      await run.deps.book.append(run.state.id, ['copied', sha, j?.intent ? 'created' : 'existed']);
    } else {
      let handle;
      try {
        handle = await run.deps.resolver.handleFor(at);
      } catch (err) {
        return problem('unreachable', (err as Error).message);
      }
      await run.deps.book.append(run.state.id, ['intent', sha]);
      const r = await fetchObjectTo(handle, sha, dest, run.ctx.signal);
      if (r.status === 'missing') return problem('missing', r.message);
      if (r.status === 'corrupt') return problem('corrupt', `${handle.label}/${handle.key}: content SHA-1 is ${r.actualSha1}, not ${sha}.`);
      await run.deps.book.append(run.state.id, ['copied', sha, 'created']);
    }
  }
  await rewrite(run, sha, name, filestorePathOf(sha));
  run.objects++;
}

/** Distinct filestore names, in pages (rows leave the set as they are rewritten). */
async function* filestoreNames(query: Query, page = 1000): AsyncGenerator<string> {
  let after = '';
  for (;;) {
    const r = await query<{ f: string }>(`SELECT DISTINCT store_fname COLLATE "C" AS f FROM ir_attachment WHERE ${FILESTORE_SQL} AND store_fname COLLATE "C" > $1 ORDER BY 1 LIMIT $2`, [after, page]);
    for (const row of r.rows) yield row.f;
    if (r.rows.length < page) return;
    after = r.rows[r.rows.length - 1]!.f;
  }
}

async function countToDo(query: Query, direction: 'to-store' | 'to-filestore'): Promise<number> {
  const where = direction === 'to-store' ? FILESTORE_SQL : `store_fname IS NOT NULL AND store_fname <> '' AND NOT (${FILESTORE_SQL})`;
  return Number((await query<{ n: string }>(`SELECT count(DISTINCT store_fname) AS n FROM ir_attachment WHERE ${where}`)).rows[0]!.n);
}

async function forward(run: Run, client: pg.Client): Promise<void> {
  const { spec } = run.state;
  const total = await countToDo(run.query, spec.direction === 'to-store' ? 'to-store' : 'to-filestore');
  let done = 0;
  const tick = (): void => run.ctx.progress({ phase: 'migrate', label: spec.direction === 'to-store' ? `Moving attachments into ${spec.store?.kind}://${spec.store?.name}` : 'Bringing attachments into the filestore', done: ++done, total, unit: 'items' });
  const guard = (): void => {
    if (run.ctx.signal.aborted) throw cancelledError('The migration');
  };
  if (spec.direction === 'to-store') {
    await runPool(filestoreNames(run.query), run.deps.concurrency ?? 4, async (name) => {
      guard();
      await toStoreOne(run, name);
      tick();
    });
    return;
  }
  const params = await readStorageParams(client);
  const parse = { location: params.location, openstackContainer: openstackContainerOf(params.openstack, spec.db) };
  await runPool(remoteNames(run.query), run.deps.concurrency ?? 4, async (n) => {
    guard();
    await toFilestoreOne(run, n.storeFname, n.checksum, parse);
    tick();
  });
}

async function withRun<T>(id: string, deps: MigrationDeps, ctx: JobContext, body: (run: Run, client: pg.Client) => Promise<T>): Promise<T> {
  const release = await deps.book.lock(id);
  let client: pg.Client | undefined;
  try {
    const state = await deps.book.load(id);
    if (state.spec.direction === 'duplicate' || state.spec.direction === 'drop') throw new AppError('InvalidInput', `${id} is a ${state.spec.direction}, not a migration.`);
    client = await connect(state.spec.pgUrl, state.spec.db);
    const run: Run = { state, deps, query: serialQuery(client), journal: await deps.book.journal(id), fsDir: join(state.spec.dataDir, 'filestore', state.spec.db), ctx, problems: [], rows: 0, objects: 0 };
    return await body(run, client);
  } finally {
    await client?.end().catch(() => undefined);
    await release();
  }
}

/** Runs (or resumes) migration `id` to its end; an interruption leaves it resumable. */
export async function runMigration(id: string, deps: MigrationDeps, ctx: JobContext): Promise<MigrationResult> {
  return withRun(id, deps, ctx, async (run, client) => {
    let state = run.state;
    if (state.status === 'done' || state.status === 'rolled-back') throw new AppError('Conflict', `Migration ${id} is already ${state.status}.`);
    if (state.locationWas === undefined) {
      const r = await run.query<{ value: string }>('SELECT value FROM ir_config_parameter WHERE key = $1', [LOCATION]);
      state = await deps.book.save({ ...state, locationWas: r.rows[0]?.value ?? null });
    }
    state = await deps.book.save({ ...state, status: 'running' });
    try {
      await forward(run, client);
      const location = state.spec.direction === 'to-store' ? state.spec.store!.kind : 'file';
      await setParam(client, LOCATION, location);
      const warnings = run.problems.length ? [`${run.problems.length} objects were not moved (listed); their attachments are where they were.`] : [];
      if (state.spec.direction === 'to-store') warnings.push(`ir_attachment.location is now "${location}": run Odoo with attachment_${location} and its ${location === 's3' ? 'AWS_*' : 'SWIFT_*'} settings. The filestore files were kept.`);
      state = await deps.book.save({ ...state, status: 'done', message: `${run.objects} objects, ${run.rows} rows` });
      return { id, status: state.status, objects: run.objects, rewrittenRows: run.rows, problems: run.problems, warnings };
    } catch (err) {
      const e = ctx.signal.aborted ? cancelledError('The migration') : toAppError(err);
      await deps.book.save({ ...state, status: e.kind === 'Cancelled' ? 'interrupted' : 'failed', message: e.message }).catch(() => undefined);
      throw e;
    }
  });
}

/** Where a rolled-back row's content must still be, for the row to be pointed back there. */
async function originalExists(run: Run, from: string, sha: string): Promise<boolean> {
  if (run.state.spec.direction === 'to-store') {
    const p = join(run.fsDir, ...from.split('/'));
    return (await pathExists(p)) && (await fileSha1(p)) === sha;
  }
  try {
    const h = await run.deps.resolver.handleFor(parseStoreFname(from));
    await h.provider.stat(h.key, { signal: run.ctx.signal });
    return true;
  } catch (err) {
    if (isAppError(err, 'NotFound')) return false;
    throw err;
  }
}

/** Removes what the migration created for `sha` once no row references it. */
async function removeCreated(run: Run, sha: string): Promise<void> {
  const toStore = run.state.spec.direction === 'to-store';
  const name = toStore ? storeName(run.state, sha) : filestorePathOf(sha);
  const used = await run.query('SELECT 1 FROM ir_attachment WHERE store_fname = $1 LIMIT 1', [name]);
  if ((used.rowCount ?? 0) > 0) return;
  if (toStore) {
    const h = await run.deps.resolver.handleFor(storeTarget(run.state, sha));
    await h.provider.remove!(h.key).catch((err: unknown) => {
      if (!isAppError(err, 'NotFound')) throw err;
    });
  } else {
    await rm(join(run.fsDir, ...name.split('/')), { force: true });
  }
}

/** Rolls migration `id` back (a finished, interrupted or failed one); resumable too. */
export async function rollbackMigration(id: string, deps: MigrationDeps, ctx: JobContext): Promise<MigrationResult> {
  return withRun(id, deps, ctx, async (run, client) => {
    const warnings: string[] = [];
    let done = 0;
    const entries = [...run.journal.entries()];
    for (const [sha, j] of entries) {
      if (ctx.signal.aborted) throw cancelledError('The rollback');
      const from = j.rowsFrom ?? (run.state.spec.direction === 'to-store' && j.copied ? filestorePathOf(sha) : undefined);
      if (from) {
        const to = run.state.spec.direction === 'to-store' ? storeName(run.state, sha) : filestorePathOf(sha);
        if (await originalExists(run, from, sha)) {
          const r = await run.query('UPDATE ir_attachment SET store_fname = $2 WHERE store_fname = $1', [to, from]);
          run.rows += r.rowCount ?? 0;
        } else {
          run.problems.push({ storeFname: from, reason: 'missing', message: `${from} no longer exists: its attachments stay at ${to}.` });
        }
      }
      if (j.intent && j.copied !== 'existed') await removeCreated(run, sha);
      run.objects++;
      ctx.progress({ phase: 'rollback', label: 'Rolling the migration back', done: ++done, total: entries.length, unit: 'items' });
    }
    const was = run.state.locationWas;
    if (was === null) await run.query('DELETE FROM ir_config_parameter WHERE key = $1', [LOCATION]);
    else if (was !== undefined) await setParam(client, LOCATION, was);
    const state = await deps.book.save({ ...run.state, status: 'rolled-back', message: `${run.rows} rows pointed back` });
    return { id, status: state.status, objects: run.objects, rewrittenRows: run.rows, problems: run.problems, warnings };
  });
}
