/**
 * Rotation as a service: the policy stored per storage (in the storage's non-secret config
 * entry), rotating one database's backups on one storage with the run recorded in the
 * history, and the hook the backup pipeline calls after a backup is committed.
 */
import type { RotationLayout, RotationPolicy, RotationResult } from '../../contract/rotation';
import type { ConfigStore } from '../config';
import { AppError } from '../errors';
import { trackRun, type RunHistory } from '../history';
import type { StorageProvider } from '../storage/provider';
import type { Logger } from '../util/logger';
import { policyHasRules } from './plan';
import { rotateStorage } from './rotate';
import { unknownStorageError } from '../storage/unknown-storage';

/** What the rotation service uses. */
export interface RotationDeps {
  readonly config: ConfigStore;
  readonly history: RunHistory;
  readonly log: Logger;
  /** A connected provider for a configured storage (`NotFound` for an unknown name). */
  provider(name: string): Promise<StorageProvider>;
}

/** One rotation to run. */
export interface RotationRequest {
  readonly storage: string;
  readonly db: string;
  readonly layout: RotationLayout;
  /** Default: the storage's stored policy (an error when it has none). */
  readonly policy?: RotationPolicy;
  readonly dryRun?: boolean;
  readonly signal?: AbortSignal;
}

/** Rotation policies and runs for one home. */
export class RotationService {
  constructor(private readonly deps: RotationDeps) {}

  /** The rotation policy stored for `storage`, or `undefined` when it has none. */
  async rotationPolicyFor(storage: string): Promise<RotationPolicy | undefined> {
    const cfg = await this.deps.config.read();
    const entry = cfg.storages.find((s) => s.name === storage);
    if (!entry) throw unknownStorageError([storage], cfg.storages.map((s) => s.name));
    return entry.rotation;
  }

  /** Stores `policy` for `storage` (`null` removes it); a policy without any rule is refused. */
  async setRotationPolicy(storage: string, policy: RotationPolicy | null): Promise<RotationPolicy | null> {
    if (policy && !policyHasRules(policy)) {
      throw new AppError('InvalidInput', 'This rotation policy has no rule: it would keep everything.', { hint: 'Give at least one tier limit (e.g. --daily 7), --keep-last N or --max-age DAYS; or remove the policy.' });
    }
    return this.deps.config.update((cfg) => {
      const i = cfg.storages.findIndex((s) => s.name === storage);
      if (i < 0) throw unknownStorageError([storage], cfg.storages.map((s) => s.name));
      const { rotation: _old, ...rest } = cfg.storages[i]!;
      const storages = [...cfg.storages];
      storages[i] = policy ? { ...rest, rotation: policy } : rest;
      return { config: { ...cfg, storages }, result: policy };
    });
  }

  /** Rotates (or plans, with `dryRun`) one database's backups on one storage; real runs go to the history. */
  async rotate(req: RotationRequest): Promise<RotationResult> {
    const policy = req.policy ?? (await this.rotationPolicyFor(req.storage));
    if (!policy || !policyHasRules(policy)) {
      throw new AppError('InvalidInput', `No rotation policy is given${req.policy ? ' (it has no rule)' : ` and none is stored for storage "${req.storage}"`}.`, {
        hint: 'Give tier limits (--hourly/--daily/--weekly/--monthly/--yearly N|unlimited|off), --keep-last N or --max-age DAYS, or store a policy with `backup-desk storage rotation NAME …`.',
      });
    }
    const provider = await this.deps.provider(req.storage);
    const run = (): Promise<RotationResult> =>
      rotateStorage({ storage: req.storage, provider, db: req.db, layout: req.layout, policy, dryRun: req.dryRun === true, ...(req.signal ? { signal: req.signal } : {}) });
    if (req.dryRun) return run();
    const start = { kind: 'rotation' as const, db: req.db, destinations: [req.storage], details: { layout: req.layout, policy } };
    const result = await trackRun(this.deps.history, start, run, {
      log: this.deps.log,
      summarize: (r) => ({ bytes: r.bytes, refs: r.delete, details: { keep: r.keep, skipped: r.skipped, failed: r.failed } }),
    });
    return result;
  }

  /**
   * The hook the backup pipeline calls after a backup of `db` is committed to `storage`:
   * applies the storage's stored policy to that layout; `undefined` when the storage has no
   * policy (nothing is rotated). A rotation that fails does not undo the backup: the caller
   * reports it as a warning.
   */
  async rotateAfterBackup(req: { storage: string; db: string; layout: RotationLayout; signal?: AbortSignal }): Promise<RotationResult | undefined> {
    const policy = await this.rotationPolicyFor(req.storage);
    if (!policy || !policyHasRules(policy)) return undefined;
    return this.rotate({ ...req, policy });
  }
}
