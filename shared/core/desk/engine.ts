/**
 * The seam between the Desk and the restore engine (`shared/core/restore`,
 * `shared/core/archive`): inspect, restore, name checks and target detection, adapted to
 * the contract's shapes.
 */
import type { ApiResult, InspectResult, RestoreTargetSpec } from '../../contract/api';
import { inspectBackup } from '../archive';
import type { BackupSource, MultiPartBackup } from '../archive/source';
import type { DecryptKeys } from '../crypto';
import type { JobContext } from '../jobs/job';
import type { EmbeddedPg, EmbeddedPgInfo } from '../pg/embedded';
import type { LocalOdoo } from '../local-odoo';
import { resolveLocalOdoo } from './local-odoo';
import { checkDatabaseName, detectLocalTargets, restoreBackup, type RestoreOptions, type RestoreResult } from '../restore';
import { scanBackupAttachments, type RestoreAttachmentsOptions } from '../attachments';
import { AppError, toAppError } from '../errors';

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
  /** The sha256 the backup's companion records (see RestoreOptions). */
  readonly expectedSha256?: string;
  /** Attachments kept in object storage (S3/Swift). */
  readonly attachments?: RestoreAttachmentsOptions;
  /** Runs on the complete restore under its temporary names, before the swap (see RestoreOptions). */
  readonly beforeSwap?: RestoreOptions['beforeSwap'];
}

/** What the engine does. */
export interface RestoreEngine {
  inspect(source: BackupSource | MultiPartBackup, opts: { decrypt?: DecryptKeys; signal?: AbortSignal; attachments?: boolean }): Promise<InspectResult>;
  restore(opts: EngineRestoreOptions, ctx: JobContext): Promise<RestoreResult>;
  checkName(pgUrl: string | undefined, db: string): Promise<{ valid: boolean; exists: boolean; message?: string }>;
  detectTargets(): Promise<ApiResult<'targets:detect'>>;
}

/** The engine wired into this build. */
export const restoreEngine: RestoreEngine = {
  inspect: async (source, opts) => {
    const r = await inspectBackup(source, opts);
    if ((r.encrypted && !opts.decrypt) || opts.attachments === false) return r;
    try {
      const attachments = await scanBackupAttachments(source, { ...opts, ...(r.database ? { dbName: r.database } : {}) });
      return attachments ? { ...r, attachments } : r;
    } catch (err) {
      const e = toAppError(err);
      if (e.kind === 'Cancelled') throw e;
      // A dump that breaks off is more than a missing attachments line: say so first.
      const warning = e.kind === 'Integrity' ? `The backup looks damaged or incomplete: ${e.message.replace(/\.?$/, '.')} Verify it before relying on it.` : `Where the attachments live could not be read: ${e.message}`;
      return { ...r, warnings: [...(r.warnings ?? []), warning] };
    }
  },
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
        ...(o.expectedSha256 ? { expectedSha256: o.expectedSha256 } : {}),
        ...(o.attachments ? { attachments: o.attachments } : {}),
        ...(o.beforeSwap ? { beforeSwap: o.beforeSwap } : {}),
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

/** A restore target resolved to what the engine needs; the embedded one is started first. */
export interface ResolvedTarget {
  readonly pgUrl?: string;
  readonly dataDir?: string;
  /** Set for `{ type: 'embedded' }`: where the private server runs. */
  readonly embedded?: EmbeddedPgInfo;
  /** Set for `{ type: 'local-odoo' }`: the Odoo on this machine (its `pgUrl` above carries its password: never show it). */
  readonly localOdoo?: LocalOdoo;
}

/** Resolves a contract target; `{ type: 'embedded' }` starts the Desk's private PostgreSQL. */
export async function resolveTarget(target: RestoreTargetSpec, embedded: EmbeddedPg): Promise<ResolvedTarget> {
  if (target.type === 'postgres') return { ...(target.url ? { pgUrl: target.url } : {}), ...(target.dataDir ? { dataDir: target.dataDir } : {}) };
  if (target.type === 'local-odoo') return resolveLocalOdoo(target);
  if (target.type === 'odoo') {
    throw new AppError('Unsupported', `Odoo server "${target.instance}" is reached through its database manager, not PostgreSQL: this needs a PostgreSQL target.`, { hint: 'Choose a PostgreSQL server or the private one.' });
  }
  const info = await embedded.start();
  return { pgUrl: info.pgUrl, dataDir: target.dataDir ?? embedded.odooDataDir, embedded: info };
}

/** The embedded target's line in `targets:detect`. */
export async function embeddedTargetEntry(embedded: EmbeddedPg): Promise<ApiResult<'targets:detect'>[number]> {
  const s = await embedded.status();
  return { id: 'embedded', label: 'Private PostgreSQL (embedded)', target: { type: 'embedded' }, available: s.available, detail: s.detail };
}

/** A restore result with where an embedded restore went (socket, data dir), for the result page. */
export function withTargetInfo(result: RestoreResult, t: ResolvedTarget): RestoreResult | (RestoreResult & { target: Record<string, unknown> }) {
  if (!t.embedded) return result;
  const e = t.embedded;
  return { ...result, target: { type: 'embedded', socketDir: e.socketDir, socketPath: e.socketPath, port: e.port, pgUrl: e.pgUrl, clusterDir: e.dataDir, version: e.version } };
}
