/**
 * The attachments area of the Desk: where the attachments of a live or restored database live,
 * and migrations between its filestore and object storage (jobs, resumable across restarts).
 */
import type { AreaApi, attachmentsMethods } from '../../contract/api';
import { apiMethods, type ApiArgs, type ApiResult, type MigrationSummary } from '../../contract/api';
import { scanDatabaseAttachments, storageResolver, type ObjectResolver } from '../attachments';
import { MigrationBook, rollbackMigration, runMigration, type MigrationSpec, type MigrationState } from '../attachments/migrate';
import { AppError } from '../errors';
import { connect as connectDb } from '../pg/connection';
import { defaultOdooDataDir } from '../restore';
import { openStorage } from '../storage/registry';
import { resolveTarget } from './engine';
import type { DeskKernel } from './kernel';
import type { RestoreService } from './restores';
import type { StorageService } from './storages';

type JobStart = { jobId: string; result: Promise<unknown> };

function summary(s: MigrationState): MigrationSummary {
  return {
    id: s.id,
    direction: s.spec.direction,
    db: s.spec.db,
    ...(s.spec.store ? { store: `${s.spec.store.kind}://${s.spec.store.name}` } : {}),
    status: s.status,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
    ...(s.message ? { message: s.message } : {}),
  };
}

/** The attachments area: `attachments:inspect-db` and the migrations. */
export class AttachmentService implements AreaApi<typeof attachmentsMethods> {
  /** The migrations of this home. */
  readonly book: MigrationBook;

  constructor(
    private readonly k: DeskKernel,
    private readonly restores: RestoreService,
    private readonly storages: StorageService,
  ) {
    this.book = MigrationBook.forHome(k.home);
  }

  /** A resolver over the configured storages (`named`: `--attachments-storage`); the caller closes it. */
  async resolver(named?: string): Promise<ObjectResolver> {
    const entries = await this.storages.entries();
    return storageResolver({ storages: entries, open: (e) => openStorage(e, this.k.storageDeps()), ...(named !== undefined ? { named } : {}) });
  }

  /** Runs `work` on migration `id` as a job. */
  private migrationJob(id: string, title: string, work: typeof runMigration, named: string | undefined): JobStart {
    const handle = this.k.jobs.start('migrate', title, async (ctx) => {
      const resolver = await this.resolver(named);
      try {
        return await work(id, { book: this.book, resolver }, ctx);
      } finally {
        await resolver.close();
      }
    });
    return { jobId: handle.id, result: handle.result };
  }

  /** Records and starts a migration. */
  async startMigration(args: ApiArgs<'attachments:migrate'>): Promise<JobStart & { id: string }> {
    const a = apiMethods['attachments:migrate'].args.parse(args);
    const t = await resolveTarget(a.target, this.restores.embedded);
    const base = { db: a.db, ...(t.pgUrl ? { pgUrl: t.pgUrl } : {}), dataDir: t.dataDir ?? defaultOdooDataDir() };
    let spec: MigrationSpec;
    if (a.to === 'filestore') spec = { ...base, direction: 'to-filestore' as const, ...(a.storage ? { storage: a.storage } : {}) };
    else {
      if (!a.storage) throw new AppError('InvalidInput', `Moving attachments to ${a.to} needs the storage whose credentials to use.`, { hint: `Name a configured ${a.to} storage (--storage NAME).` });
      const entry = await this.storages.entry(a.storage);
      if (entry.kind !== a.to) throw new AppError('InvalidInput', `Storage "${entry.name}" is ${entry.kind}, not ${a.to}.`, { hint: `Name a ${a.to} storage.` });
      const own = entry.settings[a.to === 's3' ? 'bucket' : 'container'];
      const name = a.store ?? (typeof own === 'string' ? own : undefined);
      if (!name) throw new AppError('InvalidInput', 'Which bucket/container?', { hint: 'Give --bucket / --container.' });
      spec = { ...base, direction: 'to-store' as const, store: { storage: entry.name, kind: a.to, name } };
    }
    const state = await this.book.create(spec);
    const title = a.to === 'filestore' ? `Bring ${a.db}'s attachments into its filestore` : `Move ${a.db}'s attachments into ${a.to}://${spec.store!.name}`;
    return { ...this.migrationJob(state.id, title, runMigration, spec.store?.storage ?? a.storage), id: state.id };
  }

  /** Resumes migration `id`. */
  async resumeMigration(id: string): Promise<JobStart> {
    const s = await this.book.load(id);
    return this.migrationJob(id, `Resume migration ${id}`, runMigration, s.spec.store?.storage ?? s.spec.storage);
  }

  /** Rolls migration `id` back. */
  async rollbackMigration(id: string): Promise<JobStart> {
    const s = await this.book.load(id);
    return this.migrationJob(id, `Roll back migration ${id}`, rollbackMigration, s.spec.store?.storage ?? s.spec.storage);
  }

  /** @inheritdoc */
  async 'attachments:inspect-db'(args: ApiArgs<'attachments:inspect-db'>): Promise<ApiResult<'attachments:inspect-db'>> {
    const a = apiMethods['attachments:inspect-db'].args.parse(args);
    const t = await resolveTarget(a.target, this.restores.embedded);
    const client = await connectDb(t.pgUrl, a.db);
    try {
      return (await scanDatabaseAttachments(client)) ?? null;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** @inheritdoc */
  async 'attachments:migrate'(args: ApiArgs<'attachments:migrate'>): Promise<ApiResult<'attachments:migrate'>> {
    return { jobId: (await this.startMigration(args)).jobId };
  }

  /** @inheritdoc */
  async 'attachments:migrations'(_args: ApiArgs<'attachments:migrations'> = {}): Promise<ApiResult<'attachments:migrations'>> {
    return (await this.book.list()).map(summary);
  }

  /** @inheritdoc */
  async 'attachments:migration-resume'(args: ApiArgs<'attachments:migration-resume'>): Promise<ApiResult<'attachments:migration-resume'>> {
    return { jobId: (await this.resumeMigration(args.id)).jobId };
  }

  /** @inheritdoc */
  async 'attachments:migration-rollback'(args: ApiArgs<'attachments:migration-rollback'>): Promise<ApiResult<'attachments:migration-rollback'>> {
    return { jobId: (await this.rollbackMigration(args.id)).jobId };
  }
}
