/**
 * The restores area of the Desk: restore targets (a PostgreSQL server, or the private embedded
 * one), name checks, the restore job, and the leftovers of restores that were killed.
 */
import type { AreaApi, restoreMethods } from '../../contract/api';
import { apiMethods, type ApiArgs, type ApiArgsParsed, type ApiResult, type RestoreTargetSpec } from '../../contract/api';
import { trackRun } from '../history';
import { EmbeddedPg } from '../pg/embedded';
import { targetLabel as pgTargetLabel } from '../pg/connection';
import { checkDatabaseNameSyntax, defaultOdooDataDir, findLeftovers, LEFTOVER_MIN_AGE_MS, removeLeftovers, type Leftover, type RemoveLeftoversResult, type StagedRestore } from '../restore';
import { toAppError } from '../errors';
import { notSelfContainedError, storageResolver, type ObjectResolver } from '../attachments';
import { openStorage } from '../storage/registry';
import type { BackupLocator } from './backup-locator';
import type { CatalogService } from './catalog';
import { embeddedTargetEntry, resolveTarget, restoreEngine, withTargetInfo, type ResolvedTarget } from './engine';
import type { ResolvedBackup } from './backup-locator';
import type { JobContext } from '../jobs/job';
import { checkOwnerRole, localOdooTargetEntry, makeUsableByOdoo, withOdooConfHint, type OdooReadiness } from './local-odoo';
import type { DeskKernel } from './kernel';
import { decryptWith, type PassphraseService } from './passphrases';
import type { StorageService } from './storages';
import type { OdooService } from '../odoo';
import { startOdooRestore } from './odoo-restores';

/** Where `findLeftovers` looks: a server (default: libpq's environment) and an Odoo data dir (default: Odoo's). */
export interface LeftoverQuery {
  readonly targetUrl?: string;
  readonly dataDir?: string;
  /** Skip leftovers younger than this (default `LEFTOVER_MIN_AGE_MS`). */
  readonly minAgeMs?: number;
}

/** The restores area: implements `restore:check-name`, `targets:detect` and `restore:start`. */
export class RestoreService implements AreaApi<typeof restoreMethods> {
  /** The private PostgreSQL of the `{ type: 'embedded' }` restore target (started on demand, stopped by `close`). */
  readonly embedded: EmbeddedPg;
  /** Default minimum age of a leftover (younger ones may belong to a restore still running). */
  readonly leftoverMinAgeMs = LEFTOVER_MIN_AGE_MS;

  constructor(
    private readonly k: DeskKernel,
    private readonly storages: StorageService,
    private readonly locator: BackupLocator,
    private readonly passphrases: PassphraseService,
    private readonly catalog: CatalogService,
    private readonly odoo: OdooService,
  ) {
    this.embedded = new EmbeddedPg({ home: k.home, log: k.log });
  }

  /** Stops the private PostgreSQL if it runs (a failure only warns). */
  async close(): Promise<void> {
    await this.embedded.stop().catch((err: unknown) => this.k.log.warn('could not stop the private PostgreSQL', { error: toAppError(err).message }));
  }

  /** Starts a restore job. */
  startRestore(args: ApiArgs<'restore:start'>): { jobId: string; result: Promise<unknown> } {
    const req = apiMethods['restore:start'].args.parse(args);
    if (req.target.type === 'odoo') return startOdooRestore({ k: this.k, odoo: this.odoo, storages: this.storages, locator: this.locator, passphrases: this.passphrases, catalog: this.catalog }, req, req.target.instance);
    const runStart = { kind: 'restore' as const, db: req.db, refs: [req.source], destinations: [targetLabel(req.target)], details: { source: req.source, mode: req.mode, neutralize: req.neutralize } };
    const summarize = (r: { bytesRead: number; format: string; tables: number; filestoreFiles: number; warnings: string[] }) => ({ bytes: r.bytesRead, details: { format: r.format, tables: r.tables, filestoreFiles: r.filestoreFiles, warnings: r.warnings } });
    const handle = this.k.jobs.start('restore', `Restore ${req.source} as ${req.db}`, (ctx) => trackRun(this.k.history, runStart, () =>
      this.storages.withAuthNote(req.source, async () => {
        const r = await this.locator.resolve(req.source, ctx.signal);
        // What the listing left unread (odoo_backup_sh's .info cross-check) was read by the locator: say it.
        for (const w of r.entry?.warnings ?? []) ctx.log('warn', w);
        const target = await resolveTarget(req.target, this.embedded);
        return this.restoreInto(req, r, target, ctx).catch((err: unknown) => {
          throw withOdooConfHint(err, target.localOdoo);
        });
      }), { summarize, log: this.k.log }),
    );
    return { jobId: handle.id, result: handle.result };
  }

  /** The restore job's work once the backup and the target are known. */
  private async restoreInto(req: ApiArgsParsed<'restore:start'>, r: ResolvedBackup, target: ResolvedTarget, ctx: JobContext) {
    await this.askAttachmentsFirst(req, r);
    if (req.owner && !target.embedded) await checkOwnerRole(target.pgUrl, req.owner);
    if (target.embedded) ctx.log('info', `Restoring into the private PostgreSQL ${target.embedded.version} (socket ${target.embedded.socketDir}).`);
    let notRemembered: string | undefined;
    const choice = { given: req.passphrase, remember: req.rememberPassphrase, useRemembered: true, warn: (m: string) => ((notRemembered = m), ctx.log('warn', m)) };
    // Attachments kept in S3/Swift are read through the configured storages (bring-home only).
    const resolver = req.attachments === 'bring-home' ? await this.objectResolver(req.attachmentsStorage) : undefined;
    const attachments = { ...(req.attachments ? { mode: req.attachments } : {}), ...(resolver ? { resolver } : {}), ...(r.entry?.database ? { sourceDb: r.entry.database } : {}) };
    // Ownership is settled on the temporary database and folder, before the swap: a kill never
    // leaves the final name owned by the wrong role.
    let ready: OdooReadiness | undefined;
    const beforeSwap = target.embedded
      ? undefined
      : async (staged: StagedRestore): Promise<void> => {
          ctx.progress({ phase: 'ownership', label: 'Making it usable by Odoo (owner, filestore permissions)' });
          ready = await makeUsableByOdoo({ pgUrl: target.pgUrl, db: req.db, stagedDb: staged.db, ...(req.owner ? { owner: req.owner } : {}), ...(target.localOdoo ? { localOdoo: target.localOdoo } : {}), ...(staged.filestorePath ? { filestorePath: staged.filestorePath } : {}) });
        };
    const result = await this.passphrases.withPassphrase(req.source, choice, (passphrase) =>
      restoreEngine.restore(
        {
          source: r.source,
          db: req.db,
          ...(target.pgUrl ? { targetUrl: target.pgUrl } : {}),
          ...(target.dataDir ? { dataDir: target.dataDir } : {}),
          mode: req.mode,
          neutralize: req.neutralize,
          replace: req.replace,
          filestore: req.filestore,
          ...decryptWith(passphrase, req.privateKey),
          // The sha256 its companion records (as the catalog read it), checked where the restore reads the whole file.
          ...(r.entry?.sha256 ? { expectedSha256: r.entry.sha256 } : {}),
          attachments,
          ...(beforeSwap ? { beforeSwap } : {}),
        },
        ctx,
      ),
      (res) => res.encrypted,
    )
      .catch(async (err: unknown) => {
        // Found out after the load: the next restore of it asks before loading.
        if (toAppError(err).details?.notInBackup) await this.catalog.rememberFacts(r, { selfContained: false });
        throw err;
      })
      .finally(() => resolver?.close());
    if (notRemembered) result.warnings.push(notRemembered); // shown with the result, where "remember" was ticked
    await this.catalog.rememberFacts(r, { odooVersion: result.odooVersion });
    if (target.embedded || !ready) return withTargetInfo(result, target);
    return { ...result, warnings: [...result.warnings, ...ready.warnings], owner: ready.owner, psql: ready.psql, ...(ready.ownerFallback ? { ownerFallback: true } : {}), ...(ready.filestoreOwner ? { filestoreOwner: ready.filestoreOwner } : {}), ...(ready.odooUrl ? { odooUrl: ready.odooUrl } : {}) };
  }

  /**
   * A backup already known not to hold all its attachments (an earlier inspect, or a restore
   * that found out after its load) with no attachments mode chosen is refused before anything is loaded; an
   * unknown one is found out after the load, by the attachments stage, which then asks the same.
   */
  private async askAttachmentsFirst(req: ApiArgsParsed<'restore:start'>, r: ResolvedBackup): Promise<void> {
    if (req.attachments) return;
    const selfContained = r.entry?.selfContained ?? (await this.catalog.knownFacts(r))?.selfContained;
    if (selfContained === false) throw notSelfContainedError('some of its attachment objects are only in S3/Swift (as an earlier look at it found); nothing was restored.');
  }

  /** Providers for attachment buckets/containers over the configured storages (`named`: `--attachments-storage`). */
  private async objectResolver(named: string | undefined): Promise<ObjectResolver> {
    return storageResolver({ storages: await this.storages.entries(), open: (e) => openStorage(e, this.k.storageDeps()), ...(named !== undefined ? { named } : {}) });
  }

  /** Leftovers of interrupted restores (temporary `bd_tmp_*`/`bd_old_*` databases, `.bd-tmp-*`/`.bd-old-*` folders). */
  async findLeftovers(q: LeftoverQuery = {}): Promise<{ dataDir: string; leftovers: Leftover[] }> {
    const dataDir = q.dataDir ?? defaultOdooDataDir();
    return { dataDir, leftovers: await findLeftovers(q.targetUrl, dataDir, { minAgeMs: q.minAgeMs ?? LEFTOVER_MIN_AGE_MS }) };
  }

  /** Removes leftovers found by `findLeftovers` (each one checked again: only restore-made names, none in use). */
  removeLeftovers(targetUrl: string | undefined, found: readonly Leftover[]): Promise<RemoveLeftoversResult> {
    return removeLeftovers(targetUrl, found);
  }

  /** @inheritdoc */
  async 'restore:check-name'(args: ApiArgs<'restore:check-name'>): Promise<ApiResult<'restore:check-name'>> {
    if (args.target.type === 'odoo') return this.odoo.checkName(args.target.instance, args.db);
    // A private PostgreSQL not made yet holds no database: checking a name must not create it (initdb, 40 MB).
    if (args.target.type === 'embedded' && !(await this.embedded.initialised())) return checkDatabaseNameSyntax(args.db);
    return restoreEngine.checkName((await resolveTarget(args.target, this.embedded)).pgUrl, args.db);
  }

  /** @inheritdoc */
  async 'targets:detect'(_args: ApiArgs<'targets:detect'> = {}): Promise<ApiResult<'targets:detect'>> {
    const [odoo, local, embedded, instances] = await Promise.all([localOdooTargetEntry(), restoreEngine.detectTargets(), embeddedTargetEntry(this.embedded), this.odoo.targets().catch(() => [])]);
    return [...(odoo ? [odoo] : []), ...local, embedded, ...instances];
  }

  /** @inheritdoc */
  async 'restore:start'(args: ApiArgs<'restore:start'>): Promise<ApiResult<'restore:start'>> {
    return { jobId: this.startRestore(args).jobId };
  }
}

/** A restore target as recorded in the history: `embedded`, or the server URL's host/port (never a password). */
function targetLabel(t: RestoreTargetSpec): string {
  if (t.type === 'embedded') return 'embedded';
  if (t.type === 'local-odoo') return `the Odoo on this machine${t.conf ? ` (${t.conf})` : ''}`;
  if (t.type === 'odoo') return `odoo:${t.instance}`;
  if (!t.url) return `libpq environment (${pgTargetLabel(undefined)})`;
  try {
    const u = new URL(t.url);
    return `postgres://${u.username ? `${decodeURIComponent(u.username)}@` : ''}${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return 'postgres';
  }
}
