/** The rotation area of the Desk: per-storage rotation policies, and rotations (planned or applied). */
import type { AreaApi, rotationMethods } from '../../contract/api';
import { apiMethods, type ApiArgs, type ApiResult } from '../../contract/api';
import { RotationService } from '../rotation';
import type { DeskKernel } from './kernel';
import type { StorageService } from './storages';

/** The rotation area: implements `rotation:run`, `rotation:get-policy` and `rotation:set-policy`. */
export class RotationDeskService implements AreaApi<typeof rotationMethods> {
  /** The rotation engine (also used after a backup: `rotateAfterBackup`). */
  readonly rotation: RotationService;

  constructor(k: DeskKernel, storages: StorageService) {
    this.rotation = new RotationService({ config: k.config, history: k.history, log: k.log, provider: (name) => storages.provider(name) });
  }

  /** @inheritdoc */
  async 'rotation:run'(args: ApiArgs<'rotation:run'>, signal?: AbortSignal): Promise<ApiResult<'rotation:run'>> {
    const req = apiMethods['rotation:run'].args.parse(args);
    return this.rotation.rotate({ ...req, ...(signal ? { signal } : {}) });
  }

  /** @inheritdoc */
  async 'rotation:get-policy'(args: ApiArgs<'rotation:get-policy'>): Promise<ApiResult<'rotation:get-policy'>> {
    return (await this.rotation.rotationPolicyFor(args.storage)) ?? null;
  }

  /** @inheritdoc */
  async 'rotation:set-policy'(args: ApiArgs<'rotation:set-policy'>): Promise<ApiResult<'rotation:set-policy'>> {
    return this.rotation.setRotationPolicy(args.storage, args.policy);
  }
}
