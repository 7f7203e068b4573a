/**
 * The seam between the Desk and the restore engine (`shared/core/restore`,
 * `shared/core/archive`): inspect, restore, name checks and target detection, adapted to
 * the contract's shapes.
 */
import type { ApiResult, InspectResult } from '../../contract/api';
import { inspectBackup } from '../archive';
import type { BackupSource, MultiPartBackup } from '../archive/source';
import type { DecryptKeys } from '../crypto';
import type { JobContext } from '../jobs/job';
import { checkDatabaseName, detectLocalTargets, restoreBackup, type RestoreResult } from '../restore';

/** Restore options the Desk passes to the engine. */
export interface EngineRestoreOptions {
  readonly source: BackupSource | MultiPartBackup;
  readonly db: string;
  readonly targetUrl?: string;
  readonly dataDir?: string;
  readonly mode: 'copy' | 'move';
  readonly neutralize: boolean;
  readonly replace: boolean;
  readonly filestore: boolean;
  readonly decrypt?: DecryptKeys;
}

/** What the engine does. */
export interface RestoreEngine {
  inspect(source: BackupSource | MultiPartBackup, opts: { decrypt?: DecryptKeys; signal?: AbortSignal }): Promise<InspectResult>;
  restore(opts: EngineRestoreOptions, ctx: JobContext): Promise<RestoreResult>;
  checkName(pgUrl: string | undefined, db: string): Promise<{ valid: boolean; exists: boolean; message?: string }>;
  detectTargets(): Promise<ApiResult<'targets:detect'>>;
}

/** The engine wired into this build. */
export const restoreEngine: RestoreEngine = {
  inspect: (source, opts) => inspectBackup(source, opts),
  restore: (o, ctx) =>
    restoreBackup(
      {
        source: o.source,
        db: o.db,
        ...(o.targetUrl ? { pgUrl: o.targetUrl } : {}),
        ...(o.dataDir ? { dataDir: o.dataDir } : {}),
        mode: o.mode,
        neutralize: o.neutralize,
        replace: o.replace,
        filestore: o.filestore,
        ...(o.decrypt ? { decrypt: o.decrypt } : {}),
      },
      ctx,
    ),
  checkName: (pgUrl, db) => checkDatabaseName(pgUrl, db),
  detectTargets: async () =>
    (await detectLocalTargets()).map((t) => ({
      id: t.id,
      label: t.label,
      target: { type: 'postgres' as const, ...(t.pgUrl ? { url: t.pgUrl } : {}) },
      available: t.available,
      ...(t.detail ? { detail: t.detail } : {}),
    })),
};
