/**
 * The Desk: the one facade the CLI, `serve` and the Electron app call. It is wiring only:
 * one service per area (`storages`, `catalog`, `transfers`, `restores`, …), each owning its
 * slice of the contract, composed into the one typed API (`DeskApi`). The kernel holds what
 * they share: the home's config, the logger, the secret store and the job manager.
 *
 * Adding an area: a contract module (`shared/contract/<area>.ts`), a service class here that
 * implements `AreaApi<typeof <area>Methods>`, one line that constructs it in `DeskCore` and
 * one line that binds it in `openDesk` (`open-desk.ts`).
 */
import type { ApiArgs } from '../../contract/api';
import type { BackupSource, MultiPartBackup } from '../archive/source';
import type { StorageEntry } from '../config';
import type { DownloadResult } from '../download';
import type { JobManager } from '../jobs/job-manager';
import type { RunHistory } from '../history';
import type { EmbeddedPg } from '../pg/embedded';
import { startEmbeddedWithApp, type EmbeddedAtOpen } from '../pg/embedded-with-app';
import type { Leftover, RemoveLeftoversResult } from '../restore';
import type { SecretStore } from '../secrets/secret-store';
import type { StorageProvider } from '../storage/provider';
import type { Logger } from '../util/logger';
import { AppService } from './app';
import { AttachmentService } from './attachments';
import { BackupDeskService } from './backups';
import { BackupLocator, type ResolvedBackup } from './backup-locator';
import { CatalogService } from './catalog';
import { HistoryService } from './history';
import { JobService } from './jobs';
import type { DeskKernel } from './kernel';
import { PassphraseService } from './passphrases';
import { RestoreService, type LeftoverQuery } from './restores';
import { RotationDeskService } from './rotation';
import { SchedulesDeskService } from './schedules';
import { DrillService } from './drills';
import { OdooInstanceStore, OdooService } from '../odoo';
import type { RotationService } from '../rotation';
import { StorageService, type ParsedRef } from './storages';
import { TransferService, type DownloadArgs } from './transfers';
import { VerifyService } from './verify';
import { CleanupService } from './cleanup';

/** The area services of one Desk, and the few calls the faces make beside the contract. */
export class DeskCore {
  readonly jobs: JobManager;
  readonly home: string;
  readonly log: Logger;
  readonly app: AppService;
  readonly storages: StorageService;
  readonly passphrases: PassphraseService;
  readonly locator: BackupLocator;
  readonly catalog: CatalogService;
  readonly transfers: TransferService;
  /** Verifying a backup without restoring it. */
  readonly verify: VerifyService;
  readonly restores: RestoreService;
  readonly attachments: AttachmentService;
  readonly jobService: JobService;
  readonly historyService: HistoryService;
  /** The run history (backups, restores, rotations, drills) of this home. */
  readonly history: RunHistory;
  readonly rotationArea: RotationDeskService;
  /** Rotation policies (per storage) and rotations. */
  readonly rotation: RotationService;
  /** Restore drills (restore into the private PostgreSQL, check, drop). */
  readonly drills: DrillService;
  /** Scheduled jobs and the scheduler a host starts (`schedules.scheduler.start()`). */
  readonly schedules: SchedulesDeskService;
  /** The private PostgreSQL of the `{ type: 'embedded' }` restore target (started on demand, stopped by `close`). */
  readonly embedded: EmbeddedPg;
  /** Making backups. */
  readonly backups: BackupDeskService;
  /** Odoo instances reached through their database manager (`odoo:*`, the `odoo` restore target). */
  readonly odoo: OdooService;
  /** What interrupted restores and backups left behind (`cleanup:*`). */
  readonly cleanup: CleanupService;

  constructor(readonly kernel: DeskKernel) {
    const k = kernel;
    this.jobs = k.jobs;
    this.home = k.home;
    this.log = k.log;
    this.app = new AppService(k);
    this.storages = new StorageService(k);
    this.passphrases = new PassphraseService(k, this.storages);
    this.locator = new BackupLocator(this.storages);
    this.catalog = new CatalogService(k, this.storages, this.locator, this.passphrases);
    this.transfers = new TransferService(k, this.storages, this.locator, this.passphrases);
    this.verify = new VerifyService(k, this.storages, this.locator, this.passphrases, this.catalog);
    this.odoo = new OdooService(new OdooInstanceStore(k.home, () => k.secrets()), k.jobs, k.log);
    this.restores = new RestoreService(k, this.storages, this.locator, this.passphrases, this.catalog, this.odoo);
    this.attachments = new AttachmentService(k, this.restores, this.storages);
    this.jobService = new JobService(k.jobs);
    this.historyService = new HistoryService(k.history);
    this.history = k.history;
    this.rotationArea = new RotationDeskService(k, this.storages);
    this.rotation = this.rotationArea.rotation;
    this.embedded = this.restores.embedded;
    this.backups = new BackupDeskService(k, this.storages, this.rotation);
    this.drills = new DrillService(k, this.locator, this.passphrases, this.catalog, this.restores);
    this.schedules = new SchedulesDeskService(k, this.drills, this.backups.service);
    this.storages.usedBy = (name) => this.schedules.jobsUsingStorage(name);
    this.odoo.usedBy = (name) => this.schedules.jobsUsingInstance(name);
    this.schedules.instances = () => this.odoo.store.list();
    this.cleanup = new CleanupService(k, this.storages, this.embedded, this.odoo);
  }

  /**
   * For the desktop app: starts the private PostgreSQL when this home uses it and it is not
   * running, for as long as the app is open (`close` stops it); never throws.
   */
  startEmbeddedWithApp(): Promise<EmbeddedAtOpen> {
    return startEmbeddedWithApp(this.embedded, this.log);
  }

  /** The secret store, opened on first use. */
  secrets(): Promise<SecretStore> {
    return this.kernel.secrets();
  }

  /** Closes every connected storage and stops the private PostgreSQL (when this Desk started or used it). */
  async close(): Promise<void> {
    await this.schedules.scheduler.stop({ abort: true });
    await this.storages.close();
    await this.restores.close();
  }

  /** Every configured storage entry. */
  storageEntries(): Promise<StorageEntry[]> {
    return this.storages.entries();
  }

  /** One configured storage; `NotFound` naming the configured ones. */
  storageEntry(name: string): Promise<StorageEntry> {
    return this.storages.entry(name);
  }

  /** A connected provider for a configured storage (cached until removed or closed). */
  provider(name: string): Promise<StorageProvider> {
    return this.storages.provider(name);
  }

  /** Lists, writes, reads back and deletes a probe object, saying exactly what fails. */
  testStorage(name: string, signal?: AbortSignal): ReturnType<StorageService['test']> {
    return this.storages.test(name, signal);
  }

  /** Starts the browser sign-in of an OAuth storage as a job; its progress carries the sign-in URL. */
  startConnect(name: string): { jobId: string; result: Promise<unknown> } {
    return this.storages.startConnect(name);
  }

  /** Parses `NAME:KEY` when NAME is a configured storage; undefined otherwise. */
  parseRef(ref: string): Promise<ParsedRef | undefined> {
    return this.storages.parseRef(ref);
  }

  /** Locates a backup by catalog ref (`NAME:KEY`) or local path, ready to read. */
  resolveBackup(refOrPath: string, signal?: AbortSignal): Promise<ResolvedBackup> {
    return this.locator.resolve(refOrPath, signal);
  }

  /** The readable source of a backup given as ref or path. */
  async resolveSource(refOrPath: string, signal?: AbortSignal): Promise<BackupSource | MultiPartBackup> {
    return (await this.locator.resolve(refOrPath, signal)).source;
  }

  /** True when the name of a backup (ref or path) says it is encrypted. */
  looksEncrypted(refOrPath: string): boolean {
    return this.passphrases.looksEncrypted(refOrPath);
  }

  /** The backup passphrase remembered for the storage of `ref`, if any. */
  rememberedPassphrase(ref: string): Promise<string | undefined> {
    return this.passphrases.remembered(ref);
  }

  /** Forgets the backup passphrase remembered for storage `name`; true when one was stored. */
  forgetPassphrase(name: string): Promise<boolean> {
    return this.storages.forgetPassphrase(name);
  }

  /** Starts a download job; the result is a `DownloadResult`. */
  startDownload(args: DownloadArgs): { jobId: string; result: Promise<DownloadResult> } {
    return this.transfers.startDownload(args);
  }

  /** Starts a backup job; the result is a `BackupResult`. */
  startBackup(args: ApiArgs<'backup:start'>): { jobId: string; result: Promise<unknown> } {
    return this.backups.startBackup(args);
  }

  /** Starts a restore job. */
  startRestore(args: ApiArgs<'restore:start'>): { jobId: string; result: Promise<unknown> } {
    return this.restores.startRestore(args);
  }

  /** Leftovers of interrupted restores on a server and in an Odoo data dir. */
  findLeftovers(q?: LeftoverQuery): Promise<{ dataDir: string; leftovers: Leftover[] }> {
    return this.restores.findLeftovers(q);
  }

  /** Removes leftovers found by `findLeftovers`. */
  removeLeftovers(targetUrl: string | undefined, found: readonly Leftover[]): Promise<RemoveLeftoversResult> {
    return this.restores.removeLeftovers(targetUrl, found);
  }
}
