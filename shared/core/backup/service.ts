/**
 * The backups area service: turns a `backup:start` request into a job — storages opened by name,
 * the source resolved (PostgreSQL + filestore, or an Odoo instance), the passphrase found, the
 * pipeline run, the run recorded in the history, and each destination's rotation policy applied
 * afterwards on request. Faces reach it through the Desk; the scheduler calls `run` directly.
 */
import { defaultLayout, type BackupRequest } from '../../contract/backups';
import type { RotationResult } from '../../contract/rotation';
import type { BackupLayout } from './layouts';
import { pgUrlHasPassword } from '../pg/connection';
import { AppError, toAppError } from '../errors';
import { trackRun, type RunHistory } from '../history';
import type { JobContext } from '../jobs/job';
import type { JobHandle, JobManager } from '../jobs/job-manager';
import type { OdooBackupStream } from '../odoo';
import { defaultOdooDataDir } from '../restore';
import type { StorageProvider } from '../storage/provider';
import type { Logger } from '../util/logger';
import { runBackup, type BackupEncryption, type BackupResult } from './backup';
import type { BackupDestination } from './commit';
import { openOdooSource } from './odoo-source';
import { openPgSource, type SourceOutput } from './pg-source';
import { checkDatabase } from './snapshot';
import { openPgSourceWithObjects, type ObjectEntriesReport, type ObjectResolver } from '../attachments';
import { countOf } from '../../contract/units';

/** What the service needs from the rest of the core. */
export interface BackupServiceDeps {
  readonly jobs: JobManager;
  readonly history: RunHistory;
  readonly log: Logger;
  /** A connected provider for a configured storage. */
  provider(name: string): Promise<StorageProvider>;
  /** The backup passphrase remembered for a storage, if any. */
  rememberedPassphrase(storage: string): Promise<string | undefined>;
  /** Streams a backup from a configured Odoo instance (its master password from the keychain). */
  odooBackup(instance: string, db: string, format: 'zip' | 'dump', signal: AbortSignal): Promise<OdooBackupStream>;
  /** Providers for attachment buckets/containers (`--attachments include`); `named` is `--attachments-storage`. */
  objectResolver?(named: string | undefined): Promise<ObjectResolver>;
  /** Applies a storage's stored rotation policy after a backup (undefined when it has none). */
  rotateAfterBackup?(req: { storage: string; db: string; layout: BackupLayout; signal?: AbortSignal }): Promise<Pick<RotationResult, 'keep' | 'delete' | 'bytes' | 'failed'> | undefined>;
}

/** `--attachments include`: the resolver, and (once the source opened) what it included. */
interface IncludedObjects {
  readonly resolver: ObjectResolver;
  report?: ObjectEntriesReport;
}

/** The result's warnings about objects that could not be included (the verification marks the backup incomplete). */
function includeWarnings(r: ObjectEntriesReport): string[] {
  if (r.problems.length === 0) return [];
  const listed = r.problems.slice(0, 20).map((p) => `${p.storeFname} (${p.reason}: ${p.message})`);
  return [`Incomplete: ${r.problems.length} of ${r.total} attachment objects kept in object storage are not in the backup: ${listed.join('; ')}${r.problems.length > 20 ? '; …' : ''}`];
}

/** The PostgreSQL URL of a request's source (undefined: libpq's environment). */
function pgUrlOf(req: BackupRequest): string | undefined {
  return req.source.type === 'postgres' ? req.source.url : undefined;
}

/**
 * `Fatal` naming the storages a backup did not reach, when some did not: the backup stands on the
 * others, but the run is not a success (one copy where the person asked for three).
 */
export function missedStorages(r: Pick<BackupResult, 'destinations'>): AppError | undefined {
  const missed = r.destinations.filter((d) => !d.ok);
  if (missed.length === 0) return undefined;
  const got = r.destinations.filter((d) => d.ok).map((d) => d.storage);
  const why = missed.map((d) => `${d.storage}: ${d.error?.message ?? 'failed'}`).join('; ');
  return new AppError('Fatal', `${missed.length} of ${r.destinations.length} storages did not get the backup (${why}); it is on ${got.join(', ')}.`, {
    hint: 'Fix what kept those storages from taking it, then back up again.',
  });
}

/** The wording the backups service and `schedule add` (the app's schedule editor too) share for a cold backup through a running Odoo; the CLI's `backup` names its --cold flag instead. */
export const COLD_THROUGH_ODOO = 'A cold backup stops Odoo, and a backup through a running Odoo needs it running: its database manager makes the backup.';

/** Refuses `cold` with an `odoo:INSTANCE` source before anything runs: the stop command would take the source down. */
function refuseColdThroughOdoo(req: BackupRequest): void {
  if (!req.cold || req.source.type !== 'odoo') return;
  throw new AppError('InvalidInput', COLD_THROUGH_ODOO, { hint: 'Back up without stopping Odoo: Odoo makes the backup while it runs (stopping it is for a PostgreSQL source).' });
}

/** A backup request with its layout resolved. */
type Resolved = BackupRequest & { readonly layout: BackupLayout };

/** The backups area. */
export class BackupService {
  constructor(private readonly d: BackupServiceDeps) {}

  /** Starts a backup job (a storage named twice is written once). */
  start(given: BackupRequest): JobHandle<BackupResult> {
    const req = { ...given, to: [...new Set(given.to)] };
    const src = req.source.type === 'odoo' ? `odoo:${req.source.instance}` : 'PostgreSQL';
    return this.d.jobs.start('backup', `Back up ${req.db} (${src}) to ${req.to.join(', ')}`, (ctx) => this.run(req, ctx));
  }

  /** Runs a backup in the caller's job, recorded in the history. */
  async run(request: BackupRequest, ctx: JobContext): Promise<BackupResult> {
    const req: Resolved = { ...request, layout: request.layout ?? defaultLayout(request.format) };
    const start = { kind: 'backup' as const, db: req.db, destinations: req.to, details: { source: req.source.type === 'odoo' ? `odoo:${req.source.instance}` : 'postgres', format: req.format, layout: req.layout } };
    const summarize = (r: BackupResult) => ({
      bytes: r.size,
      refs: r.destinations.flatMap((x) => (x.ref ? [x.ref] : [])),
      details: { sha256: r.sha256, verification: r.verification.status, failedDestinations: r.destinations.filter((x) => !x.ok).map((x) => x.storage), warnings: r.warnings },
    });
    return trackRun(this.d.history, start, () => this.execute(req, ctx), { summarize, shortfall: missedStorages, log: this.d.log });
  }

  private async execute(req: Resolved, ctx: JobContext): Promise<BackupResult> {
    refuseColdThroughOdoo(req);
    const destinations = await this.destinations(req.to);
    const encrypt = await this.encryption(req);
    const objects = await this.objects(req);
    try {
      const result = await this.pipeline(req, ctx, destinations, encrypt, objects);
      const r = objects?.report;
      if (!r) return result;
      result.warnings.push(...includeWarnings(r));
      if (r.problems.length === 0) ctx.log('info', `Attachments: all ${r.total} objects kept in object storage are in the backup.`);
      const attachments = { total: r.total, included: r.included, bytes: r.bytes, problems: r.problems };
      return { ...result, attachments };
    } finally {
      await objects?.resolver.close();
    }
  }

  /** The resolver of `--attachments include` (checked before anything starts). */
  private async objects(req: Resolved): Promise<IncludedObjects | undefined> {
    if (req.attachments !== 'include') return undefined;
    if (req.source.type !== 'postgres' || req.format !== 'zip' || !req.source.filestore || !this.d.objectResolver) {
      throw new AppError('InvalidInput', '--attachments include needs a zip backup of a PostgreSQL database with its filestore.', { hint: 'Use --format zip with the filestore (not --no-filestore, not odoo:INSTANCE).' });
    }
    return { resolver: await this.d.objectResolver(req.attachmentsStorage) };
  }

  private async pipeline(req: Resolved, ctx: JobContext, destinations: BackupDestination[], encrypt: BackupEncryption | undefined, objects: IncludedObjects | undefined): Promise<BackupResult> {
    const result = await runBackup(
      {
        db: req.db,
        format: req.format,
        layout: req.layout,
        destinations,
        openSource: (c) => this.openSource(req, c, objects),
        ...(req.source.type === 'postgres' ? { checkSource: () => checkDatabase(pgUrlOf(req), req.db) } : {}),
        ...(encrypt ? { encrypt } : {}),
        ...(req.cold ? { cold: { stopCommand: req.cold.stopCommand, startCommand: req.cold.startCommand, ...(req.cold.cleanSessions ? { cleanSessionsIn: this.dataDir(req) } : {}) } } : {}),
      },
      ctx,
    );
    return req.rotate ? { ...result, rotation: await this.rotate(req, result, ctx) } : result;
  }

  private dataDir(req: Resolved): string {
    return (req.source.type === 'postgres' ? req.source.dataDir : undefined) ?? defaultOdooDataDir();
  }

  private async destinations(names: readonly string[]): Promise<BackupDestination[]> {
    const unique = [...new Set(names)];
    return Promise.all(unique.map(async (name) => ({ name, provider: await this.d.provider(name) })));
  }

  private async encryption(req: Resolved): Promise<BackupEncryption | undefined> {
    const e = req.encrypt;
    if (!e) return undefined;
    let passphrase = e.passphrase;
    if (!passphrase && e.rememberedFrom) {
      passphrase = await this.d.rememberedPassphrase(e.rememberedFrom);
      if (!passphrase) throw new AppError('InvalidInput', `No backup passphrase is remembered for storage "${e.rememberedFrom}".`, { hint: 'Give one with --passphrase-file or --passphrase-env (or run it in a terminal to be asked).' });
    }
    if (!passphrase && !e.publicKeys?.length) throw new AppError('InvalidInput', 'Encryption needs a passphrase or a recipient key.', { hint: 'Give --passphrase-env, --passphrase-file or --recipient KEYFILE.' });
    return { ...(passphrase ? { passphrase } : {}), ...(e.publicKeys?.length ? { publicKeys: e.publicKeys } : {}) };
  }

  private async openSource(req: Resolved, ctx: JobContext, objects?: IncludedObjects): Promise<SourceOutput> {
    const s = req.source;
    if (s.type === 'odoo') return openOdooSource((signal) => this.d.odooBackup(s.instance, req.db, req.format, signal), ctx);
    if (s.url && pgUrlHasPassword(s.url)) {
      throw new AppError('InvalidInput', 'The source URL contains a password.', { hint: 'Give the password through PGPASSWORD or ~/.pgpass, never in the URL.' });
    }
    const o = { db: req.db, ...(s.url ? { pgUrl: s.url } : {}), dataDir: this.dataDir(req), filestore: s.filestore, format: req.format };
    if (!objects) return openPgSource(o, ctx);
    const out = await openPgSourceWithObjects(o, { resolver: objects.resolver }, ctx);
    objects.report = out.objects;
    return out;
  }

  /** Applies each storage's rotation after the backup; what it did goes into the result (`rotation`). */
  private async rotate(req: Resolved, result: BackupResult, ctx: JobContext): Promise<NonNullable<BackupResult['rotation']>> {
    if (!this.d.rotateAfterBackup) return [];
    const done: NonNullable<BackupResult['rotation']> = [];
    for (const d of result.destinations.filter((x) => x.ok)) {
      try {
        const r = await this.d.rotateAfterBackup({ storage: d.storage, db: req.db, layout: req.layout, signal: ctx.signal });
        done.push(r ? { storage: d.storage, policy: true, kept: r.keep.length, deleted: r.delete, bytes: r.bytes, failed: r.failed } : { storage: d.storage, policy: false, kept: 0, deleted: [], bytes: 0, failed: [] });
        if (r) ctx.log('info', `Rotation on "${d.storage}": ${countOf(r.delete.length, 'backup')} deleted.`);
        for (const f of r?.failed ?? []) result.warnings.push(`Rotation on "${d.storage}" could not delete ${f.ref}: ${f.error}`);
      } catch (err) {
        result.warnings.push(`Rotation on "${d.storage}" failed: ${toAppError(err).message}`);
      }
    }
    return done;
  }
}
