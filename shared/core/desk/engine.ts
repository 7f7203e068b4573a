/**
 * The seam between the Desk and the restore engine (`shared/core/restore`): inspect,
 * restore, name checks and target detection. Until the engine lands, these say so.
 */
import type { InspectResult } from '../../contract/api';
import type { BackupSource, MultiPartBackup } from '../archive/source';
import type { DecryptKeys } from '../crypto';
import { AppError } from '../errors';
import type { JobContext } from '../jobs/job';

const notYet = (what: string): AppError =>
  new AppError('Unsupported', `${what} is not available in this build yet.`, { hint: 'Update Odoo Backup Desk.' });

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
  restore(opts: EngineRestoreOptions, ctx: JobContext): Promise<unknown>;
  checkName(pgUrl: string | undefined, db: string): Promise<{ valid: boolean; exists: boolean; message?: string }>;
  detectTargets(): Promise<Array<{ id: string; label: string; target: { type: 'postgres'; url?: string; dataDir?: string } | { type: 'embedded'; dataDir?: string }; available: boolean; detail?: string }>>;
}

/** The engine wired into this build. */
export const restoreEngine: RestoreEngine = {
  inspect: async () => {
    throw notYet('Inspecting backups');
  },
  restore: async () => {
    throw notYet('Restoring');
  },
  checkName: async () => {
    throw notYet('Checking database names');
  },
  detectTargets: async () => [],
};
