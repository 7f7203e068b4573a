/**
 * Restore drills: the newest backup of a database on a storage (or a given ref) is restored
 * into the private embedded PostgreSQL under a throwaway name, checked (modules, admin user,
 * every filestore attachment and its SHA-1), recorded in the history with timings, and dropped.
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DrillResult } from '../../contract/schedules';
import { guessDatabase } from '../catalog/conventions';
import { checkAdminUser, checkFilestore, checkModules, noFilestore, type DrillCheck } from '../drill';
import { AppError, toAppError } from '../errors';
import type { JobContext } from '../jobs/job';
import type { RestoreAttachmentsSummary } from '../attachments';
import { connect, connectAdmin, quoteIdent } from '../pg/connection';
import type { BackupLocator } from './backup-locator';
import type { CatalogService } from './catalog';
import { resolveTarget, restoreEngine } from './engine';
import type { DeskKernel } from './kernel';
import { decryptWith, type GivenPrivateKey, type PassphraseService } from './passphrases';
import type { RestoreService } from './restores';

/** What a drill says about attachments kept in object storage, from the restore's attachments stage. */
function drillAttachments(a: RestoreAttachmentsSummary): NonNullable<DrillResult['attachments']> {
  const notInBackup = Math.max(0, a.remoteObjects - a.fromBackup - a.downloaded);
  const where = (a.storesLeft?.length ? a.storesLeft : a.stores).join(', ') || 'object storage';
  const held = a.fromBackup > 0 ? ` The ${a.fromBackup} the backup holds were brought home and SHA-1 checked.` : '';
  const message =
    notInBackup === 0
      ? `All ${a.remoteObjects} attachment objects kept in ${where} are in the backup: brought home, SHA-1 checked.`
      : `Not self-contained: ${notInBackup} of ${a.remoteObjects} attachment objects are only in ${where} and were not checked. Restored ${a.mode}, read-only: no storage was contacted, ir_attachment.location points at the filestore and the copy is neutralized, so the drill cannot touch production.${held}`;
  return { mode: a.mode, objects: a.remoteObjects, fromBackup: a.fromBackup, notInBackup, message };
}

/** What to drill: a backup ref, or the newest backup of `db` on `storage`. */
export interface DrillRequest {
  readonly ref?: string | undefined;
  readonly storage?: string | undefined;
  readonly db?: string | undefined;
  /** Extra facts for the history (e.g. the scheduled job's name). */
  readonly details?: Readonly<Record<string, unknown>>;
  /** The passphrase of an encrypted backup; else the one remembered for its storage. */
  readonly passphrase?: string | undefined;
  /** A private key that opens a backup encrypted to its public key (used this once). */
  readonly privateKey?: GivenPrivateKey | undefined;
  /** Remember `passphrase` for the storage once it has opened the backup. */
  readonly rememberPassphrase?: boolean | undefined;
  /** Tried when neither is there (a scheduled drill: the passphrase of the job that writes these backups). */
  readonly fallbackPassphrase?: string | undefined;
}

/** Runs restore drills. */
export class DrillService {
  constructor(
    private readonly k: DeskKernel,
    private readonly locator: BackupLocator,
    private readonly passphrases: PassphraseService,
    private readonly catalog: CatalogService,
    private readonly restores: RestoreService,
  ) {}

  /** Starts a drill as a Desk job; its result is a `DrillResult`. */
  start(req: DrillRequest): { jobId: string; result: Promise<DrillResult> } {
    const what = req.ref ?? `${req.db ?? '?'} on ${req.storage ?? '?'}`;
    const h = this.k.jobs.start('drill', `Restore drill of ${what}`, (ctx) => this.run(req, ctx));
    return { jobId: h.id, result: h.result };
  }

  /** Runs a drill in the caller's job and records it; a failed check is a result with `ok: false`, not an error. */
  async run(req: DrillRequest, ctx: JobContext): Promise<DrillResult> {
    const t0 = Date.now();
    ctx.progress({ phase: 'find', label: 'Finding the newest backup' });
    const ref = req.ref ?? (await this.newest(req, ctx.signal));
    const db = req.db ?? (await this.locator.resolve(ref, ctx.signal)).entry?.database ?? databaseFromName(ref);
    const findMs = Date.now() - t0;
    const start = { kind: 'drill' as const, db, refs: [ref], destinations: ['embedded'], details: { ...(req.storage ? { storage: req.storage } : {}), ...(req.details ?? {}) } };
    const warn = (err: unknown): void => this.k.log.warn('could not write the run history', { error: toAppError(err).message });
    const recorder = await this.k.history.start(start).catch(warn);
    let result: DrillResult;
    try {
      result = await this.restoreCheckDrop(req, ref, db, ctx, findMs, t0);
    } catch (err) {
      const e = toAppError(err);
      await recorder?.finish({ outcome: e.kind === 'Cancelled' ? 'cancelled' : 'failed', error: e }).catch(warn);
      throw err;
    }
    const failed = result.checks.filter((c) => !c.ok);
    if (failed.length > 0) ctx.log('error', `Restore drill failed: ${failed.map((c) => c.message).join('; ')}`);
    const details = { ok: result.ok, restoredAs: result.restoredAs, checks: result.checks, timings: result.timings, ...(result.attachments ? { attachments: result.attachments } : {}) };
    const error = failed.length > 0 ? new AppError('Fatal', `The restore drill of ${ref} failed: ${failed.map((c) => c.message).join('; ')}`) : undefined;
    await recorder?.finish({ outcome: result.ok ? 'ok' : 'failed', details, ...(error ? { error } : {}) }).catch(warn);
    return result;
  }

  /** The passphrase to open `ref` with: the given one, else the storage's remembered one, else the fallback. */
  private async passphraseChoice(req: DrillRequest, ref: string): Promise<{ given: string | undefined; remember: boolean; useRemembered: boolean }> {
    if (req.passphrase !== undefined) return { given: req.passphrase, remember: req.rememberPassphrase === true, useRemembered: false };
    const fallback = req.fallbackPassphrase !== undefined && (await this.passphrases.remembered(ref)) === undefined ? req.fallbackPassphrase : undefined;
    return { given: fallback, remember: false, useRemembered: true };
  }

  /** The newest backup of `db` on `storage`. */
  private async newest(req: DrillRequest, signal: AbortSignal): Promise<string> {
    if (!req.storage || !req.db) throw new AppError('InvalidInput', 'A drill needs a backup ref, or a storage and a database.', { hint: 'Give REF, or --storage NAME --db DB.' });
    const cat = await this.catalog['catalog:list']({ storages: [req.storage], db: req.db }, signal);
    const mine = cat.backups.filter((b) => b.database === req.db).sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
    const newest = mine[0];
    if (!newest) {
      const failure = cat.failures[0];
      throw new AppError(failure ? 'Transient' : 'NotFound', failure ? `Storage ${req.storage} could not be listed: ${failure.error.message}` : `No backup of ${req.db} on ${req.storage}.`, {
        hint: failure ? 'Check the storage with `backup-desk storage test`.' : 'Make a backup first, or check the database name.',
      });
    }
    return newest.ref;
  }

  private async restoreCheckDrop(req: DrillRequest, ref: string, db: string, ctx: JobContext, findMs: number, t0: number): Promise<DrillResult> {
    const target = await resolveTarget({ type: 'embedded' }, this.restores.embedded);
    const pgUrl = target.pgUrl as string;
    const dataDir = target.dataDir as string;
    const name = `bd_drill_${randomBytes(4).toString('hex')}_${db}`.slice(0, 63);
    const filestore = join(dataDir, 'filestore', name);
    let done: Awaited<ReturnType<DrillService['restoreAndCheck']>>;
    try {
      done = await this.restoreAndCheck(req, ref, name, pgUrl, dataDir, filestore, ctx);
    } finally {
      await this.drop(pgUrl, name, filestore);
    }
    const dropMs = Date.now() - done.droppingAt;
    const { checks, restoreMs, checkMs, odooVersion, attachments } = done;
    const timings = { findMs, restoreMs, checkMs, dropMs, totalMs: Date.now() - t0 };
    return { ok: checks.every((c) => c.ok), ref, db, restoredAs: name, checks, timings, ...(odooVersion ? { odooVersion } : {}), ...(attachments ? { attachments } : {}) };
  }

  /** Restores `ref` as `name` into the embedded server and checks it (the caller drops it). */
  private async restoreAndCheck(req: DrillRequest, ref: string, name: string, pgUrl: string, dataDir: string, filestore: string, ctx: JobContext) {
    const t1 = Date.now();
    ctx.progress({ phase: 'restore', label: `Restoring into the private PostgreSQL as ${name}` });
    const r = await this.locator.resolve(ref, ctx.signal);
    const choice = await this.passphraseChoice(req, ref);
    const restored = await this.passphrases.withPassphrase(ref, choice, (passphrase) =>
      // Attachments only in S3/Swift: kept remote, read-only (never fetched, location repointed, neutralized), so a drill cannot touch production.
      restoreEngine.restore({ source: r.source, db: name, targetUrl: pgUrl, dataDir, mode: 'copy', neutralize: false, replace: false, filestore: true, attachments: { otherwise: 'keep-remote' }, ...decryptWith(passphrase, req.privateKey) }, ctx),
      (res) => res.encrypted,
    );
    const restoreMs = Date.now() - t1;
    const t2 = Date.now();
    ctx.progress({ phase: 'check', label: 'Checking the restored database' });
    // A dump, or a zip made without its filestore, holds the database only: its attachments' files
    // cannot be checked, which is no failure of the backup.
    const databaseOnly = restored.filestoreFiles === 0;
    const checks = await this.check(pgUrl, name, databaseOnly ? undefined : filestore, ctx.signal);
    const checkMs = Date.now() - t2;
    const attachments = restored.attachments ? drillAttachments(restored.attachments) : undefined;
    if (attachments && attachments.notInBackup > 0) ctx.log('warn', attachments.message);
    return { checks, restoreMs, checkMs, odooVersion: restored.odooVersion, attachments, droppingAt: Date.now() };
  }

  /** The checks of the restored database; `filestore` undefined for a backup that holds none. */
  private async check(pgUrl: string, name: string, filestore: string | undefined, signal: AbortSignal): Promise<DrillCheck[]> {
    const client = await connect(pgUrl, name);
    try {
      return [await checkModules(client), await checkAdminUser(client), filestore !== undefined ? await checkFilestore(client, filestore, signal) : await noFilestore(client)];
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** Drops the throwaway database and its filestore (always; errors are logged, not thrown). */
  private async drop(pgUrl: string, name: string, filestore: string): Promise<void> {
    try {
      const admin = await connectAdmin(pgUrl);
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
      } finally {
        await admin.end().catch(() => undefined);
      }
    } catch (err) {
      this.k.log.warn('could not drop the drill database', { db: name, error: toAppError(err).message });
    }
    await rm(filestore, { recursive: true, force: true });
  }
}

/** A database name for a backup the catalog could not name: the catalog's guess from its file name (`acme17_zip.zip` → `acme17_zip`), else `odoo`. */
export function databaseFromName(ref: string): string {
  const file = ref.slice(ref.lastIndexOf(':') + 1).split(/[\\/]/).pop() ?? '';
  const bare = (guessDatabase(file) ?? '').replace(/[^A-Za-z0-9_.-]/g, '_');
  return /^[A-Za-z0-9]/.test(bare) ? bare.slice(0, 40) : 'odoo';
}
