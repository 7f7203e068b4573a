/**
 * Commit stage, per destination. The archive is written through the provider's atomic `write`
 * (a temporary name renamed at the end, or an upload completed only at the end), so until the
 * archive stream has ended successfully nothing is visible. The companion (`.info`, sidecar,
 * checksum file) is written LAST, once the archive is committed and its sha256 known; if that
 * fails or the backup is cancelled in between, the archive is removed again, so a half-made backup
 * is never left listed.
 */
import { Readable } from 'node:stream';
import { AppError, isAppError, toAppError } from '../errors';
import type { ObjectInfo, StorageProvider } from '../storage/provider';
import type { LayoutKeys } from './layouts';

/** A storage a backup is written to. */
export interface BackupDestination {
  /** The storage's configured name (refs are `name:key`). */
  readonly name: string;
  readonly provider: StorageProvider;
}

/** Refuses a destination that cannot take the backup, before anything is written. */
export async function checkDestination(d: BackupDestination, keys: LayoutKeys, signal?: AbortSignal): Promise<void> {
  if (!d.provider.capabilities.write || !d.provider.write) {
    throw new AppError('Unsupported', `Storage "${d.name}" cannot be written to.`, { hint: 'Choose a storage the app can write (local, S3, SFTP, Dropbox, Google Drive, Swift).' });
  }
  for (const key of [keys.archive, ...(keys.companion ? [keys.companion] : [])]) {
    try {
      await d.provider.stat(key, signal ? { signal } : {});
    } catch (err) {
      if (isAppError(err, 'NotFound')) continue;
      throw err;
    }
    throw takenError(d, key);
  }
}

/** `Conflict`: `key` is already on the destination. */
function takenError(d: BackupDestination, key: string): AppError {
  return new AppError('Conflict', `"${key}" already exists on storage "${d.name}".`, { hint: 'Another backup of this database was made in the same second; run it again.' });
}

/**
 * Writes the archive stream to `key`; resolves once the object is committed. Never replaces an
 * object that appeared there since `checkDestination` (a backup of the same second by another
 * process) where the storage can tell atomically (`ifAbsent`).
 */
export async function writeArchive(d: BackupDestination, key: string, body: Readable, signal?: AbortSignal): Promise<ObjectInfo> {
  try {
    return await d.provider.write!(key, body, { ...(signal ? { signal } : {}), contentType: 'application/octet-stream', ifAbsent: true });
  } catch (err) {
    throw isAppError(err, 'Conflict') ? takenError(d, key) : err;
  }
}

/** Removes `key`, quietly (best effort: used to take back an archive that cannot be completed). */
export async function removeQuietly(d: BackupDestination, key: string): Promise<boolean> {
  try {
    await d.provider.remove?.(key);
    return true;
  } catch (err) {
    return isAppError(err, 'NotFound');
  }
}

/**
 * Writes the companion after the archive. On failure (cancel included) the archive is removed and
 * the error rethrown; `Fatal` when even that removal failed, naming the key to delete by hand.
 */
export async function commitCompanion(d: BackupDestination, keys: LayoutKeys, text: string | undefined, signal?: AbortSignal): Promise<ObjectInfo | undefined> {
  try {
    if (signal?.aborted) throw new AppError('Cancelled', 'The backup was cancelled.');
    if (!keys.companion || text === undefined) return undefined;
    const body = Buffer.from(text, 'utf8');
    return await d.provider.write!(keys.companion, Readable.from([body]), { size: body.length, contentType: 'text/plain', ifAbsent: true, ...(signal ? { signal } : {}) });
  } catch (err) {
    const e = toAppError(err);
    if (!(await removeQuietly(d, keys.archive))) {
      throw new AppError('Fatal', `${e.message} The archive "${keys.archive}" on "${d.name}" could not be removed either.`, {
        hint: `Delete "${keys.archive}" from storage "${d.name}" by hand: it has no companion.`,
        cause: err,
      });
    }
    throw e;
  }
}
