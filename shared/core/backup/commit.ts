/**
 * Commit stage, per destination. The archive is written through the provider's atomic `write`
 * (a temporary name renamed at the end, or an upload completed only at the end), so until the
 * archive stream has ended successfully nothing of it is visible. The companion (`.info`,
 * sidecar, checksum file) is written in between: once the whole archive is stored and its sha256
 * known, and before the archive is committed. An archive is therefore never listed without its
 * companion; a kill in that instant leaves the companion alone (a stray "without its backup").
 */
import { Readable } from 'node:stream';
import { AppError, isAppError, throwIfAborted, toAppError } from '../errors';
import type { ObjectInfo, StorageProvider } from '../storage/provider';
import type { SourceTotals } from './fan-out';
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

/** Puts the companion's text under its key, never replacing one (the archive is not committed yet). */
async function writeCompanion(d: BackupDestination, key: string, text: string, signal?: AbortSignal): Promise<void> {
  const body = Buffer.from(text, 'utf8');
  try {
    await d.provider.write!(key, Readable.from([body]), { size: body.length, contentType: 'text/plain', ifAbsent: true, ...(signal ? { signal } : {}) });
  } catch (err) {
    throw isAppError(err, 'Conflict') ? takenError(d, key) : err;
  }
}

/** Removes `key`, quietly (best effort); true when it is gone. */
async function removeQuietly(d: BackupDestination, key: string): Promise<boolean> {
  try {
    await d.provider.remove?.(key);
    return true;
  } catch (err) {
    return isAppError(err, 'NotFound');
  }
}

/**
 * Writes one backup to `d`: the archive stream to `keys.archive`, and once the whole stream is
 * stored but before the archive is committed (`beforeCommit`), the companion that `companion`
 * makes from the source's totals. So the archive appears last and never without its companion; a
 * failure or cancel before it leaves no archive, and the companion already written is removed
 * again (`Fatal`, naming it, when even that fails). Never replaces an object that appeared since
 * `checkDestination` (a backup of the same second by another process) where the storage can tell
 * atomically (`ifAbsent`).
 */
export async function writeBackupTo(
  d: BackupDestination,
  keys: LayoutKeys,
  body: Readable,
  totals: Promise<SourceTotals>,
  companion: (totals: SourceTotals) => string | undefined,
  signal?: AbortSignal,
): Promise<ObjectInfo> {
  let written: string | undefined;
  const beforeCommit = async (): Promise<void> => {
    const text = companion(await totals);
    if (!keys.companion || text === undefined) return;
    throwIfAborted(signal, 'The backup');
    await writeCompanion(d, keys.companion, text, signal);
    written = keys.companion;
    throwIfAborted(signal, 'The backup'); // a cancel up to here still leaves nothing
  };
  try {
    return await d.provider.write!(keys.archive, body, { ...(signal ? { signal } : {}), contentType: 'application/octet-stream', ifAbsent: true, beforeCommit });
  } catch (err) {
    // A Conflict before the companion was written is the companion's (already said so); after, the archive's.
    const e = isAppError(err, 'Conflict') && written !== undefined ? takenError(d, keys.archive) : toAppError(err);
    if (written !== undefined && !(await removeQuietly(d, written))) {
      throw new AppError('Fatal', `${e.message} Its companion "${written}" on "${d.name}" could not be removed either.`, {
        hint: `Delete "${written}" from storage "${d.name}" by hand: its backup was not written.`,
        cause: err,
      });
    }
    throw e;
  }
}
