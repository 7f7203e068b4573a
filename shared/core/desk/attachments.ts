/**
 * The attachments area of the Desk: where the attachments of a live or restored database live,
 * and migrations between its filestore and object storage (jobs, resumable across restarts).
 */
import type { AreaApi, attachmentsMethods } from '../../contract/api';
import { apiMethods, type ApiArgs, type ApiResult, type MigrationSummary } from '../../contract/api';
import { scanDatabaseAttachments, storageResolver, type ObjectResolver } from '../attachments';
import { MigrationBook, rollbackDrop, rollbackDuplicate, rollbackMigration, runDrop, runDuplicate, runMigration, type MigrationDeps, type MigrationResult, type MigrationSpec, type MigrationState } from '../attachments/migrate';
import { copyStoreName, guardDrop, ownStore, type OwnStore } from '../attachments/migrate';
import type { JobContext } from '../jobs/job';
import { AppError, isAppError } from '../errors';
import { connect as connectDb } from '../pg/connection';
import { defaultOdooDataDir } from '../restore';
import { openStorage } from '../storage/registry';
import { resolveTarget } from './engine';
import type { DeskKernel } from './kernel';
import type { RestoreService } from './restores';
import type { StorageService } from './storages';

type JobStart = { jobId: string; result: Promise<unknown> };
type Work = (id: string, deps: MigrationDeps, ctx: JobContext) => Promise<MigrationResult>;

function summary(s: MigrationState): MigrationSummary {
  const d = s.spec.duplicate;
  const x = s.spec.drop;
  const store = s.spec.store ? `${s.spec.store.kind}://${s.spec.store.name}` : d ? `${d.kind}://${d.to}` : x ? `${x.kind}://${x.store}` : undefined;
  return {
    id: s.id,
    direction: s.spec.direction,
    db: s.spec.db,
    ...(d ? { copy: d.newDb } : {}),
    ...(store ? { store } : {}),
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
  private migrationJob(id: string, title: string, work: Work, named: string | undefined): JobStart {
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

  /** Resumes migration (duplicate, drop) `id`. */
  async resumeMigration(id: string): Promise<JobStart> {
    const s = await this.book.load(id);
    const work = { 'to-store': runMigration, 'to-filestore': runMigration, duplicate: runDuplicate, drop: runDrop }[s.spec.direction];
    return this.migrationJob(id, `Resume ${s.spec.direction === 'drop' || s.spec.direction === 'duplicate' ? s.spec.direction : 'migration'} ${id}`, work, s.spec.store?.storage ?? s.spec.storage);
  }

  /** Rolls migration `id` back (an unfinished duplicate; a drop before its database is dropped). */
  async rollbackMigration(id: string): Promise<JobStart> {
    const s = await this.book.load(id);
    const work = { 'to-store': rollbackMigration, 'to-filestore': rollbackMigration, duplicate: rollbackDuplicate, drop: rollbackDrop }[s.spec.direction];
    return this.migrationJob(id, `Roll back ${id}`, work, s.spec.store?.storage ?? s.spec.storage);
  }

  /** Records and starts the drop of a database with its own bucket/container (after the typed confirmation and the guard). */
  async startDrop(args: ApiArgs<'attachments:drop'>): Promise<JobStart & { id: string }> {
    const a = apiMethods['attachments:drop'].args.parse(args);
    if (a.confirm !== a.db) throw new AppError('InvalidInput', `Type the database's name, "${a.db}", to drop it with its bucket/container.`, { details: { cliHint: `--confirm ${a.db}` } });
    const t = await resolveTarget(a.target, this.restores.embedded);
    const client = await connectDb(t.pgUrl, a.db);
    const own = await ownStore(client, a.db, a.store).finally(() => client.end().catch(() => undefined));
    await guardDrop(t.pgUrl, a.db, own);
    const storage = a.storage ?? (await this.storageOf(own));
    const drop = { form: own.form, kind: own.kind, store: own.name };
    const state = await this.book.create({ direction: 'drop', db: a.db, ...(t.pgUrl ? { pgUrl: t.pgUrl } : {}), dataDir: t.dataDir ?? defaultOdooDataDir(), storage, drop });
    return { ...this.migrationJob(state.id, `Drop ${a.db} with ${own.kind}://${own.name}`, runDrop, storage), id: state.id };
  }

  /** @inheritdoc */
  async 'attachments:drop'(args: ApiArgs<'attachments:drop'>): Promise<ApiResult<'attachments:drop'>> {
    return { jobId: (await this.startDrop(args)).jobId };
  }

  /** Records and starts a duplicate of a database with its bucket/container. */
  async startDuplicate(args: ApiArgs<'attachments:duplicate'>): Promise<JobStart & { id: string }> {
    const a = apiMethods['attachments:duplicate'].args.parse(args);
    if (a.newDb === a.db) throw new AppError('InvalidInput', 'The copy needs another name than the original.');
    const t = await resolveTarget(a.target, this.restores.embedded);
    const client = await connectDb(t.pgUrl, a.db);
    let own: OwnStore;
    let to: string;
    try {
      own = await ownStore(client, a.db, a.fromStore);
      to = await copyStoreName(client, own, a.db, a.newDb, a.toStore);
    } finally {
      await client.end().catch(() => undefined);
    }
    if (to === own.name) throw new AppError('InvalidInput', `The copy would share ${own.kind}://${to} with the original.`, { hint: 'Name another one with --to-store.' });
    const storage = a.storage ?? (await this.storageOf(own));
    const duplicate = { newDb: a.newDb, form: own.form, kind: own.kind, from: own.name, to };
    const state = await this.book.create({ direction: 'duplicate', db: a.db, ...(t.pgUrl ? { pgUrl: t.pgUrl } : {}), dataDir: t.dataDir ?? defaultOdooDataDir(), storage, duplicate });
    return { ...this.migrationJob(state.id, `Duplicate ${a.db} as ${a.newDb} with ${own.kind}://${to}`, runDuplicate, storage), id: state.id };
  }

  /** The configured storage whose bucket/container is `own` (its credentials reach the copy's too). */
  private async storageOf(own: OwnStore): Promise<string> {
    const resolver = await this.resolver();
    try {
      const key = '0'.repeat(40);
      return (await resolver.handleFor(own.kind === 's3' ? { kind: 's3', bucket: own.name, key } : { kind: 'swift', container: own.name, key })).storage;
    } catch (err) {
      if (!isAppError(err, 'NotFound')) throw err;
      throw new AppError('NotFound', `No configured storage is for ${own.kind}://${own.name}.`, {
        hint: `Name a ${own.kind} storage whose credentials reach it (the storage with the credentials), or add one.`,
        details: { cliHint: `Name a ${own.kind} storage whose credentials reach it with --storage NAME.` },
      });
    } finally {
      await resolver.close();
    }
  }

  /** @inheritdoc */
  async 'attachments:duplicate'(args: ApiArgs<'attachments:duplicate'>): Promise<ApiResult<'attachments:duplicate'>> {
    return { jobId: (await this.startDuplicate(args)).jobId };
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
