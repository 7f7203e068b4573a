/**
 * Duplicating a database together with its bucket/container, as a resumable job (what Catalyst's
 * `exp_duplicate_database(…, duplicate_filestore=True)` did, and timed out on):
 * 1. `CREATE DATABASE <staging> TEMPLATE <db>`: a consistent snapshot under a throwaway name;
 * 2. every object it references in the source bucket/container is copied into the copy's
 *    (created when missing), its SHA-1 checked on the way and read back (journal: `intent`,
 *    `copied`); the filestore folder is copied too;
 * 3. `uri` form (`s3://<bucket>/<sha>`, `swift://<container>/<sha>`): the staging copy's rows are
 *    rewritten to the new bucket/container; `openstack` form (bare SHA-1, the container named
 *    `<prefix>-<db lowercased>`): nothing to rewrite, the name does it;
 * 4. the staging database is renamed to the copy's name.
 * The copy only exists under its name once every object it references is there, so it never
 * points at an object that does not exist; until then a resume carries on and a rollback drops
 * the staging database and removes only the objects (and bucket/container) the job created.
 */
import { createReadStream } from 'node:fs';
import { cp, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { AppError, cancelledError, isAppError, toAppError } from '../../errors';
import type { JobContext } from '../../jobs/job';
import { connect, connectAdmin, quoteIdent } from '../../pg/connection';
import { pathExists } from '../../util/fs';
import { serialQuery, type Query } from '../db-scan';
import { fetchObjectTo } from '../fetch-object';
import { runPool } from '../pool';
import type { ObjectProblem } from '../restore-stage';
import type { ObjectHandle } from '../resolver';
import { isSha1, type StoredAt } from '../store-fname';
import type { MigrationState, ObjectJournal } from './book';
import { objectSha1, type MigrationDeps, type MigrationResult } from './run';

type Dup = NonNullable<MigrationState['spec']['duplicate']>;

interface DupRun {
  state: MigrationState;
  readonly dup: Dup;
  readonly deps: MigrationDeps;
  readonly ctx: JobContext;
  readonly journal: Map<string, ObjectJournal>;
  readonly problems: ObjectProblem[];
  readonly tmp: string;
  objects: number;
}

/** The throwaway name the copy has until it is complete. */
export function stagingName(state: MigrationState): string {
  return `bd_dup_${state.id.slice(-8)}`;
}

/** The location of `key` in bucket/container `store`. */
function locate(dup: Dup, store: string, key: string): StoredAt {
  if (dup.kind === 's3') return { kind: 's3', bucket: store, key };
  return dup.form === 'openstack' ? { kind: 'openstack', key, sha1: key, container: store } : { kind: 'swift', container: store, key };
}

/** The `store_fname` prefix of a bucket/container in the `uri` form. */
function uriPrefix(dup: Dup, store: string): string {
  return `${dup.kind}://${store}/`;
}

async function dbExists(admin: pg.Client, name: string): Promise<boolean> {
  return ((await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount ?? 0) > 0;
}

/** Saves the run's state with `patch`. */
async function save(run: DupRun, patch: Partial<MigrationState>): Promise<void> {
  run.state = await run.deps.book.save({ ...run.state, ...patch });
}

/** Creates the staging copy (once); notices a rename that happened just before a kill. */
async function createStaging(run: DupRun, admin: pg.Client): Promise<void> {
  const staging = stagingName(run.state);
  const [hasStaging, hasNew] = [await dbExists(admin, staging), await dbExists(admin, run.dup.newDb)];
  if (run.state.phase === 'filestore' && !hasStaging && hasNew) return save(run, { phase: 'renamed' });
  if (run.state.phase || hasStaging) return save(run, { phase: run.state.phase ?? 'created' });
  if (hasNew) throw new AppError('Conflict', `A database named "${run.dup.newDb}" already exists.`, { hint: 'Choose another name for the copy.' });
  if (await pathExists(join(run.state.spec.dataDir, 'filestore', run.dup.newDb))) {
    throw new AppError('Conflict', `A filestore folder for "${run.dup.newDb}" already exists in ${run.state.spec.dataDir}.`, { hint: 'Choose another name for the copy, or remove that folder.' });
  }
  try {
    await admin.query(`CREATE DATABASE ${quoteIdent(staging)} TEMPLATE ${quoteIdent(run.state.spec.db)}`);
  } catch (err) {
    if ((err as { code?: string }).code === '55006') {
      throw new AppError('Conflict', `"${run.state.spec.db}" is in use: PostgreSQL copies a database only while nobody is connected to it.`, { hint: 'Stop Odoo (or close its connections to that database), then resume.' });
    }
    throw toAppError(err);
  }
  await save(run, { phase: 'created' });
}

/** The distinct objects the staging copy references in the source bucket/container: `[store_fname, key]`. */
async function sourceObjects(query: Query, dup: Dup): Promise<Array<[string, string]>> {
  if (dup.form === 'openstack') {
    const r = await query<{ f: string }>("SELECT DISTINCT store_fname AS f FROM ir_attachment WHERE store_fname ~ '^[0-9a-f]{40}$' ORDER BY 1");
    return r.rows.map((x) => [x.f, x.f]);
  }
  const prefix = uriPrefix(dup, dup.from);
  const r = await query<{ f: string }>('SELECT DISTINCT store_fname AS f FROM ir_attachment WHERE left(store_fname, length($1)) = $1 ORDER BY 1', [prefix]);
  return r.rows.map((x) => [x.f, x.f.slice(prefix.length)]);
}

/** Verifies an existing target object, or copies the source object there (SHA-1 checked both ways). */
async function copyOne(run: DupRun, name: string, key: string): Promise<void> {
  const sha = key.toLowerCase();
  const problem = (reason: ObjectProblem['reason'], message: string): void => void run.problems.push({ storeFname: name, reason, message });
  if (!isSha1(sha)) return problem('unverifiable', `${name} is not named by a SHA-1: it is not copied, the copy keeps reading it where it is.`);
  const j = run.journal.get(sha);
  if (j?.copied) return;
  const dst = await run.deps.resolver.handleFor(locate(run.dup, run.dup.to, key));
  const existing = await objectSha1(dst, run.ctx.signal);
  if (existing === sha) return run.deps.book.append(run.state.id, ['copied', sha, j?.intent ? 'created' : 'existed']);
  if (existing !== undefined && !j?.intent) return problem('corrupt', `${dst.label}/${key} already exists with other content (SHA-1 ${existing}); it is not overwritten.`);
  const src = await run.deps.resolver.handleFor(locate(run.dup, run.dup.from, key));
  await transfer(run, src, dst, sha, problem);
}

async function transfer(run: DupRun, src: ObjectHandle, dst: ObjectHandle, sha: string, problem: (r: ObjectProblem['reason'], m: string) => void): Promise<void> {
  const tmp = join(run.tmp, sha);
  const got = await fetchObjectTo(src, sha, tmp, run.ctx.signal);
  if (got.status === 'missing') return problem('missing', `${got.message} The copy refers to it as the original does.`);
  if (got.status === 'corrupt') return problem('corrupt', `${src.label}/${src.key}: content SHA-1 is ${got.actualSha1}, not the ${sha} it is named after; not copied.`);
  try {
    await run.deps.book.append(run.state.id, ['intent', sha]);
    await dst.provider.write!(dst.key, createReadStream(tmp), { signal: run.ctx.signal, size: (await stat(tmp)).size });
  } finally {
    await rm(tmp, { force: true });
  }
  const back = await objectSha1(dst, run.ctx.signal);
  if (back !== sha) throw new AppError('Integrity', `${dst.label}/${dst.key} reads back with SHA-1 ${back ?? '(missing)'} after the copy.`, { hint: 'Resume the duplicate to try again.' });
  await run.deps.book.append(run.state.id, ['copied', sha, 'created']);
  run.objects++;
}

/** Creates the copy's bucket/container when missing (remembered, for a rollback). */
async function ensureTargetStore(run: DupRun, sampleKey: string): Promise<void> {
  const dst = await run.deps.resolver.handleFor(locate(run.dup, run.dup.to, sampleKey));
  if (dst.provider.bucketRoot && (await dst.provider.bucketRoot.create({ signal: run.ctx.signal }))) await save(run, { createdStore: true });
}

/** Copies the objects, then rewrites the staging copy's rows (uri form). */
async function copyObjects(run: DupRun, query: Query): Promise<void> {
  const all = await sourceObjects(query, run.dup);
  let done = 0;
  const label = `Copying ${run.dup.kind}://${run.dup.from} into ${run.dup.kind}://${run.dup.to}`;
  await runPool(
    (async function* () {
      yield* all;
    })(),
    run.deps.concurrency ?? 4,
    async ([name, key]) => {
      if (run.ctx.signal.aborted) throw cancelledError('The duplicate');
      await copyOne(run, name, key);
      run.ctx.progress({ phase: 'duplicate', label, done: ++done, total: all.length, unit: 'items' });
    },
  );
  if (run.dup.form !== 'uri') return;
  const from = uriPrefix(run.dup, run.dup.from);
  const left = run.problems.map((p) => p.storeFname);
  await query('UPDATE ir_attachment SET store_fname = $2 || substr(store_fname, length($1) + 1) WHERE left(store_fname, length($1)) = $1 AND NOT (store_fname = ANY($3::text[]))', [from, uriPrefix(run.dup, run.dup.to), left]);
}

/** Copies the filestore folder, when the database has one. */
async function copyFilestore(run: DupRun): Promise<void> {
  const dir = (db: string) => join(run.state.spec.dataDir, 'filestore', db);
  if (!(await pathExists(dir(run.state.spec.db)))) return;
  await cp(dir(run.state.spec.db), dir(run.dup.newDb), { recursive: true, force: true, preserveTimestamps: true });
}

function warningsOf(run: DupRun): string[] {
  const w = run.problems.length ? [`${run.problems.length} objects were not copied (listed): the copy refers to them as the original does.`] : [];
  if (run.dup.form === 'uri') w.push(`New attachments of the copy go where its Odoo server's settings say: give it its own bucket/container (AWS_BUCKETNAME / SWIFT_WRITE_CONTAINER = ${run.dup.to}), not the original's.`);
  else w.push(`odoo_openstack_storage reads the copy's attachments from container ${run.dup.to}, named after it.`);
  return w;
}

/** The staging steps: snapshot, objects, rows, filestore, rename. */
async function forward(run: DupRun, admin: pg.Client): Promise<void> {
  await createStaging(run, admin);
  if (run.state.phase === 'renamed') return;
  const staging = stagingName(run.state);
  const client = await connect(run.state.spec.pgUrl, staging);
  try {
    const query = serialQuery(client);
    const sample = (await sourceObjects(query, run.dup))[0];
    if (sample) await ensureTargetStore(run, sample[1]);
    await copyObjects(run, query);
  } finally {
    await client.end().catch(() => undefined);
  }
  await save(run, { phase: 'filestore' });
  await copyFilestore(run);
  await admin.query(`ALTER DATABASE ${quoteIdent(staging)} RENAME TO ${quoteIdent(run.dup.newDb)}`);
  await save(run, { phase: 'renamed' });
}

async function withDup<T>(id: string, deps: MigrationDeps, ctx: JobContext, body: (run: DupRun, admin: pg.Client) => Promise<T>): Promise<T> {
  const release = await deps.book.lock(id);
  const tmp = await mkdtemp(join(tmpdir(), 'bd-dup-'));
  let admin: pg.Client | undefined;
  try {
    const state = await deps.book.load(id);
    const dup = state.spec.duplicate;
    if (state.spec.direction !== 'duplicate' || !dup) throw new AppError('InvalidInput', `Migration ${id} is not a duplicate.`);
    admin = await connectAdmin(state.spec.pgUrl);
    return await body({ state, dup, deps, ctx, journal: await deps.book.journal(id), problems: [], tmp, objects: 0 }, admin);
  } finally {
    await admin?.end().catch(() => undefined);
    await rm(tmp, { recursive: true, force: true });
    await release();
  }
}

/** Runs (or resumes) duplicate `id` to its end; an interruption leaves it resumable. */
export async function runDuplicate(id: string, deps: MigrationDeps, ctx: JobContext): Promise<MigrationResult> {
  return withDup(id, deps, ctx, async (run, admin) => {
    if (run.state.status === 'done' || run.state.status === 'rolled-back') throw new AppError('Conflict', `Duplicate ${id} is already ${run.state.status}.`);
    await save(run, { status: 'running' });
    try {
      await forward(run, admin);
      await save(run, { status: 'done', message: `${run.dup.newDb}: ${run.objects} objects copied into ${run.dup.kind}://${run.dup.to}` });
      return { id, status: run.state.status, objects: run.objects, rewrittenRows: 0, problems: run.problems, warnings: warningsOf(run) };
    } catch (err) {
      const e = ctx.signal.aborted ? cancelledError('The duplicate') : toAppError(err);
      await save(run, { status: e.kind === 'Cancelled' ? 'interrupted' : 'failed', message: e.message }).catch(() => undefined);
      throw e;
    }
  });
}

/** Removes the objects the job created (and the bucket/container, when it created it and it is empty). */
async function removeCreated(run: DupRun): Promise<string[]> {
  const warnings: string[] = [];
  let done = 0;
  const mine = [...run.journal.entries()].filter(([, j]) => j.intent && j.copied !== 'existed');
  let handle: ObjectHandle | undefined;
  for (const [sha] of mine) {
    if (run.ctx.signal.aborted) throw cancelledError('The rollback');
    handle = await run.deps.resolver.handleFor(locate(run.dup, run.dup.to, sha));
    await handle.provider.remove!(handle.key).catch((err: unknown) => {
      if (!isAppError(err, 'NotFound')) throw err;
    });
    run.objects++;
    run.ctx.progress({ phase: 'rollback', label: 'Rolling the duplicate back', done: ++done, total: mine.length, unit: 'items' });
  }
  if (run.state.createdStore && handle?.provider.bucketRoot) {
    await handle.provider.bucketRoot.remove().catch((err: unknown) => {
      if (isAppError(err, 'Conflict')) warnings.push(`${handle!.label} is not empty: it was left in place.`);
      else if (!isAppError(err, 'NotFound')) throw err;
    });
  }
  return warnings;
}

/** Rolls an unfinished duplicate back: the staging copy dropped, what it created removed. */
export async function rollbackDuplicate(id: string, deps: MigrationDeps, ctx: JobContext): Promise<MigrationResult> {
  return withDup(id, deps, ctx, async (run, admin) => {
    if (run.state.phase === 'renamed' || run.state.status === 'done') {
      throw new AppError('Conflict', `Duplicate ${id} is finished: "${run.dup.newDb}" is a database of its own.`, { hint: `Drop it with its container: backup-desk attachments drop --db ${run.dup.newDb} --confirm ${run.dup.newDb}` });
    }
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(stagingName(run.state))} WITH (FORCE)`);
    if (run.state.phase === 'filestore' && !(await dbExists(admin, run.dup.newDb))) await rm(join(run.state.spec.dataDir, 'filestore', run.dup.newDb), { recursive: true, force: true });
    const warnings = await removeCreated(run);
    const state = await deps.book.save({ ...run.state, status: 'rolled-back', message: `staging copy dropped, ${run.objects} objects removed` });
    return { id, status: state.status, objects: run.objects, rewrittenRows: 0, problems: [], warnings };
  });
}
