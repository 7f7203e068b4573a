/**
 * Rotation against a storage: list and parse it (the catalog), plan (`plan.ts`), and delete
 * each rotated-out backup together with its companions. A dry run only plans.
 */
import type { RotationLayout, RotationPolicy, RotationResult } from '../../contract/rotation';
import { scanStorage } from '../catalog';
import { AppError, isAppError, throwIfAborted, toAppError } from '../errors';
import type { StorageProvider } from '../storage/provider';
import { planRotation, type RotationCandidate } from './plan';

/** What `rotateStorage` needs. */
export interface RotateOptions {
  /** The storage's configured name (refs are `name:key`). */
  readonly storage: string;
  readonly provider: StorageProvider;
  readonly db: string;
  readonly layout: RotationLayout;
  readonly policy: RotationPolicy;
  readonly dryRun: boolean;
  /** "Now" for the maximum age (default: the clock). */
  readonly now?: number;
  readonly signal?: AbortSignal;
}

/** Removes one key; a key that is already gone counts as removed. */
async function removeKey(provider: StorageProvider, key: string, signal: AbortSignal | undefined): Promise<void> {
  try {
    await provider.remove!(key, signal ? { signal } : {});
  } catch (err) {
    if (!isAppError(err, 'NotFound')) throw err;
  }
}

/**
 * Deletes each candidate: the archive first, then its companions (so an interruption leaves
 * at worst a stray companion, never a backup that lost its `.info`). A failure is reported
 * and the others go on; a cancel stops before the next backup.
 */
export async function deleteBackups(provider: StorageProvider, doomed: readonly RotationCandidate[], signal?: AbortSignal): Promise<{ deleted: RotationCandidate[]; failed: { ref: string; error: string }[] }> {
  if (!provider.capabilities.remove || !provider.remove) {
    throw new AppError('Unsupported', 'This storage cannot delete files, so it cannot be rotated.', { hint: 'Rotate it with the storage’s own tools, or preview what would go (a dry run).', details: { cliHint: 'Rotate it with the storage’s own tools, or use --dry-run to see what would go.' } });
  }
  const deleted: RotationCandidate[] = [];
  const failed: { ref: string; error: string }[] = [];
  for (const c of doomed) {
    throwIfAborted(signal, 'The rotation');
    try {
      await removeKey(provider, c.key, signal);
      for (const k of c.companions) await removeKey(provider, k, signal);
      deleted.push(c);
    } catch (err) {
      const e = toAppError(err);
      if (e.kind === 'Cancelled') throw e;
      failed.push({ ref: c.ref, error: e.message });
    }
  }
  return { deleted, failed };
}

/** The sizes of the companions of `c`, from the listing. */
function companionBytes(c: RotationCandidate, sizes: ReadonlyMap<string, number>): number {
  return c.companions.reduce((s, k) => s + (sizes.get(k) ?? 0), 0);
}

/** Rotates (or plans, with `dryRun`) `db`'s backups on one storage. */
export async function rotateStorage(o: RotateOptions): Promise<RotationResult> {
  const prefix = o.layout === 'backup-desk' ? `${o.db}/` : '';
  const scan = await scanStorage(o.storage, o.provider, { prefix, ...(o.signal ? { signal: o.signal } : {}) });
  const plan = planRotation(scan.backups, o.db, o.layout, o.policy, o.now ?? Date.now());
  const sizes = new Map(scan.objects.map((x) => [x.key, x.size]));
  const bytesOf = (cs: readonly RotationCandidate[]): number => cs.reduce((s, c) => s + c.size + companionBytes(c, sizes), 0);
  const base = { storage: o.storage, db: o.db, layout: o.layout, dryRun: o.dryRun, keep: plan.keep.map((c) => c.ref), skipped: plan.skipped };
  if (o.dryRun || plan.delete.length === 0) return { ...base, delete: plan.delete.map((c) => c.ref), bytes: bytesOf(plan.delete), failed: [] };
  const { deleted, failed } = await deleteBackups(o.provider, plan.delete, o.signal);
  return { ...base, delete: deleted.map((c) => c.ref), bytes: bytesOf(deleted), failed };
}
