/**
 * Restores an Odoo backup into PostgreSQL + an Odoo filestore, safely and in one streamed pass,
 * as a pipeline of named stages (see `pipeline.ts`): describe → preflight → staging → load
 * (+ filestore writer) → finish → swap. Any error or cancel rolls the staging area back
 * (temporary database and folder dropped); existing data is left untouched until the swap.
 */
import { createHash, type Hash } from 'node:crypto';
import { join } from 'node:path';
import type pg from 'pg';
import { damagedWhileDecrypted } from '../crypto';
import { cancelledError, toAppError } from '../errors';
import type { JobContext, JobProgress } from '../jobs/job';
import { phaseThrottle } from '../jobs/phase-throttle';
import { connectAdmin } from '../pg/connection';
import { describeBackup, type BackupDescription } from './describe';
import { FilestoreWriter } from './filestore-writer';
import { finishDatabase } from './finish';
import { attachmentsStage } from '../attachments/restore-stage';
import { loadPgRestore } from './load-pg-restore';
import { gunzipped } from '../archive/gunzip';
import { hashingSource } from '../archive/hashing-source';
import type { BackupSource, MultiPartBackup } from '../archive/source';
import { loadSql } from './load-sql';
import { loadZip } from './load-zip';
import type { RestoreOptions, RestoreResult, RestoreRun, TargetServer } from './pipeline';
import { preflight } from './preflight';
import { Staging } from './staging';
import { swapIntoPlace } from './swap';
import { assertDatabaseName, defaultOdooDataDir } from './targets';
import { onAbort } from '../util/abort';

export type { RestoreOptions, RestoreResult } from './pipeline';

/** Throttled progress reporting (at most every 200 ms, unless forced; phase changes and a phase's last figures always go out). */
function progressReporter(ctx: JobContext): (p: JobProgress, force?: boolean) => void {
  return phaseThrottle((p: JobProgress) => ctx.progress(p), (p) => p.phase, 200);
}

/** The run the stages share. */
function newRun(opts: RestoreOptions, ctx: JobContext, dataDir: string): RestoreRun {
  const filestoreRoot = join(dataDir, 'filestore');
  const warnings: string[] = [];
  return {
    opts,
    ctx,
    signal: ctx.signal,
    finalFs: join(filestoreRoot, opts.db),
    staging: new Staging(opts.pgUrl, opts.db, filestoreRoot),
    warnings,
    warn: (m) => {
      warnings.push(m);
      ctx.log('warn', m);
    },
    report: progressReporter(ctx),
    check: () => {
      if (ctx.signal.aborted) throw cancelledError('The restore');
    },
  };
}

/** Restores a backup; see the module comment for the guarantees. */
export async function restoreBackup(opts: RestoreOptions, ctx: JobContext): Promise<RestoreResult> {
  const started = Date.now();
  assertDatabaseName(opts.db);
  const dataDir = opts.dataDir ?? defaultOdooDataDir();
  const run = newRun(opts, ctx, dataDir);
  const { staging, signal } = run;
  const stopListening = onAbort(signal, () => staging.abort());
  let encrypted = false;
  try {
    run.report({ phase: 'preflight', label: 'Checking the target' }, true);
    run.check();
    // Open (and, when encrypted, start decrypting: a wrong passphrase fails here) before creating anything.
    const hash = opts.expectedSha256 && (opts.source as MultiPartBackup).kind !== 'multipart' ? createHash('sha256') : undefined;
    const source = hash ? hashingSource(opts.source as BackupSource, hash) : opts.source;
    const desc = await describeBackup(source, { ...(opts.decrypt ? { decrypt: opts.decrypt } : {}), signal, warn: run.warn, onStream: (s) => staging.streams.push(s), measureFilestore: opts.filestore });
    encrypted = desc.encrypted;
    staging.admin = await connectAdmin(opts.pgUrl);
    const server = await preflight(run, staging.admin, desc, dataDir);
    const result = await loadAndSwap(run, staging.admin, server, desc, hash);
    stopListening();
    run.report({ phase: 'finalize', label: 'In place under its name', done: 1, total: 1 }, true);
    return { ...result, durationMs: Date.now() - started };
  } catch (err) {
    stopListening();
    const e = signal.aborted ? cancelledError('The restore') : damagedWhileDecrypted(toAppError(err), encrypted);
    await staging.rollBack(ctx);
    throw e;
  } finally {
    if (staging.admin) await staging.admin.end().catch(() => undefined);
  }
}

/** Staging → load (+ filestore) → finish → swap. */
async function loadAndSwap(run: RestoreRun, admin: pg.Client, server: TargetServer, desc: BackupDescription, hash: Hash | undefined): Promise<Omit<RestoreResult, 'durationMs'>> {
  const { opts, staging } = run;
  const loader = await staging.createDatabase(admin);
  run.report({ phase: 'database', label: 'Loading the database' }, true);
  const total = desc.filestoreFiles !== undefined ? { total: desc.filestoreFiles } : {};
  const files = new FilestoreWriter(staging, run.signal, (n) => run.report({ phase: 'filestore', label: 'Restoring the filestore', done: n, ...total, unit: 'items' }));
  const loaded = await load(run, server, desc, files);
  run.check();
  if (hash) checksumNote(run, desc, hash);
  // Multi-part: the filestore folder next to the dump.
  const multiFs = desc.multi?.filestore;
  if (multiFs && opts.filestore) await files.copyFolder(multiFs);
  const known = { odooVersion: loaded.odooVersion ?? desc.manifestVersion, hasFilestore: loaded.hasFilestore || multiFs !== undefined };
  const facts = await finishDatabase(run, loader, known);
  const attachments = await attachmentsStage(run, loader);
  run.check();
  await loader.end();
  staging.loader = undefined;
  if (opts.beforeSwap) await opts.beforeSwap({ db: staging.tempDb!, ...(staging.tempFs ? { filestorePath: staging.tempFs } : {}) });
  run.check();
  const placedFs = await swapIntoPlace(run, admin);
  return {
    db: opts.db,
    ...(placedFs ? { filestorePath: placedFs } : {}),
    format: desc.multi ? 'folder' : desc.format === 'sql-gz' ? 'sql' : desc.format,
    tables: facts.tables,
    filestoreFiles: files.files,
    bytesRead: bytesRead(desc, loaded.bytesReadBeside),
    encrypted: desc.encrypted,
    ...(facts.odooVersion ? { odooVersion: facts.odooVersion } : {}),
    warnings: run.warnings,
    ...(run.leftoversFound ? { leftoversFound: true } : {}),
    ...(attachments ? { attachments } : {}),
  };
}

/**
 * Warns when the whole file was read in order and its sha256 is not the one its companion
 * records: everything in it checked out (CRCs, the OpenPGP integrity check), but it is not the
 * file that was made. No verdict when not every byte was hashed (a seekable zip's filestore is
 * read beside, by ranges).
 */
function checksumNote(run: RestoreRun, desc: BackupDescription, hash: Hash): void {
  const expected = run.opts.expectedSha256!.toLowerCase();
  if (desc.size === undefined || desc.rawBytes() !== desc.size) return;
  const actual = hash.digest('hex');
  if (actual === expected) return;
  run.warn(`Its sha256 (${actual.slice(0, 16)}…) is not the one its companion records (${expected.slice(0, 16)}…): everything in it checked out, but it is not the file that was made. Check where this copy comes from.`);
}

/**
 * The backup's bytes read: pg_restore reads a local dump itself; the filestore's reader beside
 * the load re-reads what the sequential pass read ahead, so the sum is capped at the backup's size.
 */
function bytesRead(desc: BackupDescription, beside: number | undefined): number {
  if (desc.format === 'dump' && desc.localPath && !desc.encrypted) return desc.size ?? desc.rawBytes();
  const sum = desc.rawBytes() + (beside ?? 0);
  return desc.size !== undefined ? Math.min(desc.size, sum) : sum;
}

/** The loader for the backup's format: zip, plain SQL (gzipped or not), or a custom dump through pg_restore. */
async function load(run: RestoreRun, server: TargetServer, desc: BackupDescription, files: FilestoreWriter): Promise<{ odooVersion?: string | undefined; hasFilestore: boolean; bytesReadBeside?: number }> {
  if (desc.format === 'zip') return loadZip(run, server, desc, files);
  if (desc.format === 'dump') {
    await loadPgRestore(run, server, desc);
    return { hasFilestore: false };
  }
  const data = desc.format === 'sql-gz' ? gunzipped(desc.stream, desc.name) : (desc.stream as AsyncIterable<Buffer>);
  // Compressed or encrypted: progress counts the backup's own bytes, against its size.
  const raw = desc.format === 'sql-gz' || desc.encrypted;
  await loadSql(run, server, { data, name: desc.name, total: desc.size, ...(raw ? { rawBytes: desc.rawBytes } : {}) });
  return { hasFilestore: false };
}
