/** The backups area of the Desk: the `backup:start` job (see shared/core/backup/service.ts). */
import type { AreaApi, backupMethods } from '../../contract/api';
import { apiMethods, type ApiArgs, type ApiResult } from '../../contract/api';
import { BackupService } from '../backup/service';
import { OdooInstanceStore, streamInstanceBackup } from '../odoo';
import type { RotationService } from '../rotation';
import { SECRET_NAMES } from '../secrets/names';
import type { DeskKernel } from './kernel';
import { storageResolver } from '../attachments';
import { openStorage } from '../storage/registry';
import type { StorageService } from './storages';

/** The backups area: implements `backup:start`. */
export class BackupDeskService implements AreaApi<typeof backupMethods> {
  /** The backup engine (the scheduler runs it in its own jobs: `service.run`). */
  readonly service: BackupService;

  constructor(k: DeskKernel, storages: StorageService, rotation: RotationService) {
    const instances = new OdooInstanceStore(k.home, () => k.secrets());
    this.service = new BackupService({
      jobs: k.jobs,
      history: k.history,
      log: k.log,
      provider: (name) => storages.provider(name),
      rememberedPassphrase: async (name) => (await k.secrets()).get((await storages.entry(name)).secretScope, SECRET_NAMES.backupPassphrase),
      odooBackup: (instance, db, format, signal) => streamInstanceBackup(instances, instance, db, format, signal),
      rotateAfterBackup: (req) => rotation.rotateAfterBackup(req),
      objectResolver: async (named) => storageResolver({ storages: await storages.entries(), open: (e) => openStorage(e, k.storageDeps()), ...(named !== undefined ? { named } : {}) }),
    });
  }

  /** Starts a backup job. */
  startBackup(args: ApiArgs<'backup:start'>): { jobId: string; result: Promise<unknown> } {
    const h = this.service.start(apiMethods['backup:start'].args.parse(args));
    return { jobId: h.id, result: h.result };
  }

  /** @inheritdoc */
  async 'backup:start'(args: ApiArgs<'backup:start'>): Promise<ApiResult<'backup:start'>> {
    return { jobId: this.startBackup(args).jobId };
  }
}
