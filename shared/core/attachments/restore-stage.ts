/**
 * The attachments stage of a restore, run on the freshly loaded (temporary) database before it is
 * swapped into place, so a copy of an object-storage database cannot hurt production:
 * - `bring-home`: every referenced object is copied into the copy's filestore as `<sha[:2]>/<sha>`
 *   (objects the backup's own filestore brought are used first, after checking their SHA-1), its
 *   SHA-1 verified, `store_fname` rewritten to the filestore form and `ir_attachment.location` set
 *   to `file`: the copy is a plain, self-contained Odoo database. Missing or corrupt objects are
 *   listed, not fatal; their rows keep their remote name. Objects no configured storage reaches
 *   stop the restore (their rows would keep pointing at production's storage, unprotected).
 * - `keep-remote`: names are left as they are (the copy reads production's bucket while its server
 *   has the credentials); for a copy, new attachments are pointed at the local filestore
 *   (`ir_attachment.location` = `file`, the previous value kept in `backup_desk.attachment_location_was`)
 *   and the database is neutralized.
 * - `skip`: nothing changes; the result warns that those attachments will read empty.
 * Unset: a backup holding every object is brought home from itself; any other stops and asks, or,
 * with `otherwise` (restore drills), brings home what the backup holds and treats the rest in that mode.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import type { AttachmentReport } from '../../contract/attachments';
import type { AttachmentsMode } from '../../contract/restores';
import { AppError, cancelledError } from '../errors';
import type { JobContext } from '../jobs/job';
import { neutralize } from '../restore/odoo-post';
import { pathExists } from '../util/fs';
import { remoteNames, readStorageParams, scanDatabaseAttachments, serialQuery, type RemoteName } from './db-scan';
import { fetchObjectTo } from './fetch-object';
import type { ObjectResolver } from './resolver';
import { filestorePathOf, isSha1, openstackContainerOf, parseStoreFname, type StoredAt } from './store-fname';
import { runPool } from './pool';
import type { RestoreRun } from '../restore/pipeline';

/** What the stage needs. */
export interface AttachmentsStageOptions {
  /** Unset: bring home from the backup's own filestore when it holds every object, else ask (`InvalidInput`). */
  readonly mode: AttachmentsMode | undefined;
  /** Unset mode and a backup without every object: what to do with the rest instead of asking. */
  readonly otherwise?: 'keep-remote' | 'skip' | undefined;
  /** Connected to the restored (temporary) database. */
  readonly client: pg.Client;
  /** The restored database's filestore folder (created on first use). */
  readonly filestore: () => Promise<string>;
  /** Gives providers for buckets/containers (bring-home only). */
  readonly resolver?: ObjectResolver;
  /** The database's original name (Catalyst containers are named after it). */
  readonly sourceDb?: string | undefined;
  /** `copy` restores are repointed and neutralized in keep-remote mode; a `move` is the instance itself. */
  readonly restoreMode: 'copy' | 'move';
  /** True when the restore already neutralized the database. */
  readonly neutralized: boolean;
  /** Parallel downloads (default 4). */
  readonly concurrency?: number;
}

/** One object that could not be brought home. */
export interface ObjectProblem {
  readonly storeFname: string;
  readonly reason: 'missing' | 'corrupt' | 'unreachable' | 'unverifiable';
  readonly message: string;
}

/** What the stage did. */
export interface AttachmentsStageResult {
  /** What was done (`none`: the database keeps no attachment in object storage). */
  readonly mode: AttachmentsMode | 'none';
  /** Where the attachments were before the stage. */
  readonly before: AttachmentReport | undefined;
  /** Where they are after it, when the stage read that again (objects the backup lacked, kept remote or skipped). */
  readonly after?: AttachmentReport;
  /** Objects downloaded from object storage. */
  readonly downloaded: number;
  /** Objects found (and verified) in the backup's own filestore. */
  readonly fromBackup: number;
  /** Attachment rows rewritten to the filestore form. */
  readonly rewrittenRows: number;
  readonly problems: readonly ObjectProblem[];
  readonly warnings: readonly string[];
}

const LOCATION = 'ir_attachment.location';
const LOCATION_WAS = 'backup_desk.attachment_location_was';

/** SHA-1 of a local file. */
async function fileSha1(path: string): Promise<string> {
  const h = createHash('sha1');
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return h.digest('hex');
}

/** Sets (or inserts) an ICP value. */
export async function setParam(client: pg.Client, key: string, value: string): Promise<void> {
  const r = await client.query('UPDATE ir_config_parameter SET value = $2 WHERE key = $1', [key, value]);
  if ((r.rowCount ?? 0) === 0) await client.query('INSERT INTO ir_config_parameter (key, value) VALUES ($1, $2)', [key, value]);
}

/** Runs the attachments stage; see the module comment. */
export async function runAttachmentsStage(opts: AttachmentsStageOptions, ctx: JobContext): Promise<AttachmentsStageResult> {
  const before = await scanDatabaseAttachments(opts.client, opts.sourceDb);
  const base = { mode: opts.mode ?? ('none' as const), before, downloaded: 0, fromBackup: 0, rewrittenRows: 0, problems: [] as ObjectProblem[], warnings: [] as string[] };
  if (!before || before.remote.objects === 0) return base;
  if (opts.mode === undefined) return fromBackupOrElse(opts, before, ctx);
  if (opts.mode === 'skip') return { ...base, warnings: skipWarnings(before) };
  if (opts.mode === 'keep-remote') return { ...base, warnings: await keepRemote(opts, before, ctx) };
  if (!opts.resolver) throw new AppError('InvalidInput', 'Bringing attachments home needs the storages that hold them.');
  return bringHome(opts, before, ctx);
}

/** No resolver: every object must come from the backup's own filestore. */
const BACKUP_ONLY: ObjectResolver = {
  handleFor: () => Promise.reject(new AppError('NotFound', 'not in the backup')),
  close: () => Promise.resolve(),
};

/** The default: a backup holding every object is brought home from itself; otherwise `opts.otherwise`, or the person chooses. */
async function fromBackupOrElse(opts: AttachmentsStageOptions, before: AttachmentReport, ctx: JobContext): Promise<AttachmentsStageResult> {
  const r = await bringObjects({ ...opts, resolver: BACKUP_ONLY }, before, ctx);
  if (r.problems.length === 0) return { mode: 'bring-home', before, ...r, warnings: await homeLocation(opts.client, before) };
  if (opts.otherwise) return restAs(opts, opts.otherwise, before, r, ctx);
  throw notSelfContainedError(`${r.problems.length} of ${before.remote.objects} attachment objects are only in ${storesOf(before)}.`, { remoteObjects: before.remote.objects, notInBackup: r.problems.length, stores: storesOf(before) });
}

/** The restore of a backup that is not self-contained, with no attachments mode chosen: the person chooses. */
export function notSelfContainedError(which: string, details: Record<string, unknown> = {}): AppError {
  return new AppError('InvalidInput', `This backup is not self-contained: ${which}`, {
    hint: 'Choose what the restore does with them: bring them home into the filestore (--attachments bring-home, with a storage that reaches them), keep reading them there read-only (--attachments keep-remote), or restore without them (--attachments skip: they read as empty).',
    details,
  });
}

/** After bringing home what the backup holds: the objects it lacks are kept remote or skipped. */
async function restAs(opts: AttachmentsStageOptions, mode: 'keep-remote' | 'skip', before: AttachmentReport, r: ObjectsHome, ctx: JobContext): Promise<AttachmentsStageResult> {
  const rest = (await scanDatabaseAttachments(opts.client, opts.sourceDb)) ?? before;
  const held = r.fromBackup > 0 ? [`${r.fromBackup} of ${before.remote.objects} attachment objects were in the backup: brought home from it, SHA-1 checked.`] : [];
  const warnings = mode === 'skip' ? skipWarnings(rest) : await keepRemote(opts, rest, ctx);
  return { mode, before, after: rest, downloaded: 0, fromBackup: r.fromBackup, rewrittenRows: r.rewrittenRows, problems: [], warnings: [...held, ...warnings] };
}

/** The buckets/containers a report names, as `scheme://store`. */
export function remoteStoresOf(r: AttachmentReport): string[] {
  return r.groups.filter((g) => !['database', 'filestore', 'url', 'empty'].includes(g.where)).map((g) => `${g.where}://${g.store ?? '?'}`);
}

function storesOf(r: AttachmentReport): string {
  return remoteStoresOf(r).join(', ');
}

function skipWarnings(r: AttachmentReport): string[] {
  const w = [`${r.remote.count} attachments (${r.remote.objects} objects in ${storesOf(r)}) were not brought home: without access to that object storage they read as empty.`];
  if (['s3', 'swift'].includes(r.location)) {
    w.push(`ir_attachment.location is still "${r.location}": with attachment_${r.location} loaded, any "-u" of a module pushes this copy's filestore into that storage.`);
  }
  return w;
}

async function keepRemote(opts: AttachmentsStageOptions, r: AttachmentReport, ctx: JobContext): Promise<string[]> {
  const w = [`${r.remote.count} attachments stay in ${storesOf(r)}: this database reads them there, with the credentials of the Odoo server it runs on.`];
  if (opts.restoreMode === 'move') {
    w.push('Restored as a move: the storage settings are unchanged, so it writes to (and may delete in) that storage like the original.');
    return w;
  }
  if (r.locationSet && r.location !== 'file') {
    await setParam(opts.client, LOCATION_WAS, r.location);
    await setParam(opts.client, LOCATION, 'file');
    w.push(`ir_attachment.location was "${r.location}"; it is now "file", so new attachments of this copy go to its own filestore (the old value is kept in ${LOCATION_WAS}).`);
  }
  if (!opts.neutralized) {
    const done = await neutralize(opts.client);
    for (const d of done) ctx.log('info', `Neutralize: ${d}`);
    w.push('The copy was neutralized (mail, crons…), as it shares attachments with production.');
  }
  w.push('Odoo deletes an object when no attachment of the deleting database references it: run this copy with AWS_BUCKETNAME / SWIFT_WRITE_CONTAINER set to another bucket/container than production\'s, so its deletes never reach production.');
  if (r.module === 'odoo_openstack_storage') w.push('odoo_openstack_storage reads the container named after the database: under another name this copy does not read production\'s container (it falls back to the filestore).');
  return w;
}

/** The SHA-1 an object must have: from its name, else from `ir_attachment.checksum`. */
function expectedSha1(at: StoredAt, name: RemoteName): string | undefined {
  const fromName = 'sha1' in at ? at.sha1 : undefined;
  if (fromName) return fromName;
  return name.checksum && isSha1(name.checksum) ? name.checksum : undefined;
}

/** What bringing objects home did (before the location parameter is touched). */
interface ObjectsHome {
  readonly downloaded: number;
  readonly fromBackup: number;
  readonly rewrittenRows: number;
  readonly problems: ObjectProblem[];
}

async function bringHome(opts: AttachmentsStageOptions, before: AttachmentReport, ctx: JobContext): Promise<AttachmentsStageResult> {
  const r = await bringObjects(opts, before, ctx);
  refuseUnreachable(r.problems, before);
  const warnings = await homeLocation(opts.client, before);
  if (r.problems.length > 0) {
    warnings.push(`${r.problems.length} of ${before.remote.objects} attachment objects could not be brought home (listed in the result); their attachments read as empty.`);
  }
  return { mode: 'bring-home', before, ...r, warnings };
}

/**
 * Objects no configured storage reaches are not "missing": they are still in production's
 * bucket/container, and their rows would keep pointing there in a copy that is neither neutralized
 * nor warned as keep-remote is. The restore stops (rolled back) and says what to choose.
 */
function refuseUnreachable(problems: readonly ObjectProblem[], before: AttachmentReport): void {
  const unreachable = problems.filter((p) => p.reason === 'unreachable');
  if (unreachable.length === 0) return;
  const why = [...new Set(unreachable.map((p) => p.message))].join(' ');
  throw new AppError('NotFound', `${unreachable.length} of ${before.remote.objects} attachment objects cannot be brought home: ${why}`, {
    hint: 'Add a storage that reaches them (its bucket or container, endpoint and region), or choose to keep reading them where they are, or to restore without them.',
    details: {
      unreachable: unreachable.length,
      cliHint: 'Add a storage that reaches them (backup-desk storage add) or name one with --attachments-storage NAME; or choose --attachments keep-remote or --attachments skip.',
    },
  });
}

/** Once attachments are home: new ones go to the filestore too. */
async function homeLocation(client: pg.Client, before: AttachmentReport): Promise<string[]> {
  if (!before.locationSet || before.location === 'file') return [];
  await setParam(client, LOCATION, 'file');
  return [`ir_attachment.location was "${before.location}"; it is now "file".`];
}

/** Copies every remote object home (from the backup's filestore first) and rewrites its rows. */
async function bringObjects(opts: AttachmentsStageOptions, before: AttachmentReport, ctx: JobContext): Promise<ObjectsHome> {
  const params = await readStorageParams(opts.client);
  const openstackContainer = openstackContainerOf(params.openstack, opts.sourceDb);
  const dir = await opts.filestore();
  const problems: ObjectProblem[] = [];
  let downloaded = 0;
  let fromBackup = 0;
  let rewrittenRows = 0;
  let done = 0;
  const total = before.remote.objects;
  // One connection: its queries (the paged listing, the rewrites) must not overlap.
  const query = serialQuery(opts.client);
  ctx.progress({ phase: 'attachments', label: 'Bringing attachments home', done: 0, total, unit: 'items' });
  await runPool(remoteNames(query), opts.concurrency ?? 4, async (name) => {
    if (ctx.signal.aborted) throw cancelledError('The restore');
    const at = parseStoreFname(name.storeFname, { location: params.location, openstackContainer });
    const outcome = await homeOne(opts, at, name, dir, ctx.signal);
    if (outcome.kind === 'problem') problems.push(outcome.problem);
    else {
      if (outcome.kind === 'downloaded') downloaded++;
      else fromBackup++;
      const r = await query('UPDATE ir_attachment SET store_fname = $2 WHERE store_fname = $1', [name.storeFname, filestorePathOf(outcome.sha1)]);
      rewrittenRows += r.rowCount ?? 0;
    }
    ctx.progress({ phase: 'attachments', label: 'Bringing attachments home', done: ++done, total, unit: 'items' });
  });
  return { downloaded, fromBackup, rewrittenRows, problems };
}

type HomeOutcome = { kind: 'downloaded' | 'from-backup'; sha1: string } | { kind: 'problem'; problem: ObjectProblem };

async function homeOne(opts: AttachmentsStageOptions, at: StoredAt, name: RemoteName, dir: string, signal: AbortSignal): Promise<HomeOutcome> {
  const problem = (reason: ObjectProblem['reason'], message: string): HomeOutcome => ({ kind: 'problem', problem: { storeFname: name.storeFname, reason, message } });
  const sha1 = expectedSha1(at, name);
  if (!sha1) return problem('unverifiable', `${name.storeFname} names no SHA-1 and its attachment has no checksum.`);
  const dest = join(dir, ...filestorePathOf(sha1).split('/'));
  if (await pathExists(dest)) {
    if ((await fileSha1(dest)) === sha1) return { kind: 'from-backup', sha1 };
  }
  let handle;
  try {
    handle = await opts.resolver!.handleFor(at);
  } catch (err) {
    return problem('unreachable', (err as Error).message);
  }
  const r = await fetchObjectTo(handle, sha1, dest, signal);
  if (r.status === 'ok') return { kind: 'downloaded', sha1 };
  if (r.status === 'missing') return problem('missing', r.message);
  return problem('corrupt', `${handle.label}/${handle.key}: content SHA-1 is ${r.actualSha1}, not the ${sha1} it is named after.`);
}

/** The attachments part of a restore request (`restore … --attachments MODE [--attachments-storage NAME]`). */
export interface RestoreAttachmentsOptions {
  /** Unset: a backup holding every object is brought home from itself; any other stops the restore and asks. */
  readonly mode?: AttachmentsMode | undefined;
  /** Unset mode, a backup without every object: bring home what it holds and do this with the rest instead of asking (restore drills). */
  readonly otherwise?: 'keep-remote' | 'skip' | undefined;
  /** Providers for the buckets/containers (bring-home). */
  readonly resolver?: ObjectResolver | undefined;
  /** The database the backup was made of (Catalyst containers are named after it). */
  readonly sourceDb?: string | undefined;
}

/** What a restore's result says about attachments kept in object storage. */
export interface RestoreAttachmentsSummary {
  readonly mode: AttachmentsMode;
  readonly remoteObjects: number;
  readonly downloaded: number;
  readonly fromBackup: number;
  readonly rewrittenRows: number;
  readonly problems: readonly ObjectProblem[];
  /** The buckets/containers the database referenced (`s3://bucket`, `swift://container`…). */
  readonly stores: readonly string[];
  /** Those it still references after the stage, when that was read again. */
  readonly storesLeft?: readonly string[];
}

/**
 * The restore pipeline's attachments stage, run on the staging database after `finish` and before
 * the swap: an error here (the "ask" default, a cancel) rolls the whole restore back.
 */
export async function attachmentsStage(run: RestoreRun, loader: pg.Client): Promise<RestoreAttachmentsSummary | undefined> {
  const a = run.opts.attachments ?? {};
  // Database only: there is no filestore to bring anything into.
  const mode = a.mode ?? (run.opts.filestore ? undefined : 'skip');
  const r = await runAttachmentsStage(
    {
      mode,
      otherwise: a.otherwise,
      client: loader,
      filestore: () => run.staging.folder(),
      ...(a.resolver ? { resolver: a.resolver } : {}),
      sourceDb: a.sourceDb,
      restoreMode: run.opts.mode,
      neutralized: run.opts.neutralize,
    },
    run.ctx,
  );
  for (const w of r.warnings) run.warn(w);
  for (const p of r.problems.slice(0, 20)) run.warn(`Attachment object ${p.storeFname} not brought home (${p.reason}): ${p.message}`);
  if (r.mode === 'none' || !r.before) return undefined;
  return { mode: r.mode, remoteObjects: r.before.remote.objects, downloaded: r.downloaded, fromBackup: r.fromBackup, rewrittenRows: r.rewrittenRows, problems: r.problems, stores: remoteStoresOf(r.before), ...(r.after ? { storesLeft: remoteStoresOf(r.after) } : {}) };
}
