/**
 * Leftovers of interrupted backups on the storages: the temporary objects (hidden temp files,
 * uncommitted uploads) a hard kill mid-write leaves behind, which `list` never shows but which
 * take space. Found per storage through `provider.temporaries`; one younger than the age limit
 * may belong to a write still running and is only counted, never removed.
 */
import { cancelledError, throwIfAborted, toAppError, type AppError } from '../errors';
import type { StorageProvider, TemporaryObject } from '../storage/provider';

/**
 * The storage kinds whose providers report temporaries (`provider.temporaries`): the others are
 * not even connected to by a search (Dropbox upload sessions and Drive resumable uploads cannot be
 * listed and expire on their own).
 */
export const KINDS_WITH_TEMPORARIES: ReadonlySet<string> = new Set(['local', 'sftp', 's3', 'swift']);

/** One temporary object on one configured storage. */
export interface StorageTemporary {
  readonly storage: string;
  readonly temp: TemporaryObject;
  readonly ageMs: number;
}

/** What a search of the storages found. */
export interface TemporariesFound {
  /** Old enough to remove. */
  readonly found: StorageTemporary[];
  /** Younger than the limit (left alone). */
  readonly young: StorageTemporary[];
  /** Storages that could not be searched, with why. */
  readonly failed: { readonly storage: string; readonly error: AppError }[];
}

/** What a removal did. */
export interface TemporariesRemoved {
  readonly removed: StorageTemporary[];
  readonly failed: { readonly temp: StorageTemporary; readonly error: AppError }[];
}

/** How a search runs: its clock, a signal that stops it, a call before each storage. */
export interface TemporariesSearch {
  readonly now?: number;
  readonly signal?: AbortSignal;
  readonly onStorage?: (storage: string, index: number) => void;
}

/** Searches `storages` (those whose provider keeps temporaries) for temporaries, split at `minAgeMs`; a stop raises `Cancelled`. */
export async function findStorageTemporaries(
  storages: readonly string[],
  provider: (name: string) => Promise<StorageProvider>,
  minAgeMs: number,
  o: TemporariesSearch = {},
): Promise<TemporariesFound> {
  const out: TemporariesFound = { found: [], young: [], failed: [] };
  const now = o.now ?? Date.now();
  for (const [i, storage] of storages.entries()) {
    throwIfAborted(o.signal, 'Looking for unfinished uploads');
    o.onStorage?.(storage, i);
    try {
      const temps = (await provider(storage)).temporaries;
      if (!temps) continue;
      for await (const temp of temps.list(o.signal ? { signal: o.signal } : {})) {
        const t: StorageTemporary = { storage, temp, ageMs: Math.max(0, now - temp.modified.getTime()) };
        (t.ageMs >= minAgeMs ? out.found : out.young).push(t);
      }
    } catch (err) {
      if (o.signal?.aborted) throw cancelledError('Looking for unfinished uploads');
      out.failed.push({ storage, error: toAppError(err) });
    }
  }
  return out;
}

/** Removes temporaries found by `findStorageTemporaries`; one already gone counts as removed; a stop (`signal`) ends it between two. */
export async function removeStorageTemporaries(found: readonly StorageTemporary[], provider: (name: string) => Promise<StorageProvider>, signal?: AbortSignal): Promise<TemporariesRemoved> {
  const out: TemporariesRemoved = { removed: [], failed: [] };
  for (const t of found) {
    throwIfAborted(signal, 'Removing unfinished uploads');
    try {
      const temps = (await provider(t.storage)).temporaries;
      await temps?.remove(t.temp);
      out.removed.push(t);
    } catch (err) {
      const e = toAppError(err);
      if (e.kind === 'NotFound') out.removed.push(t);
      else out.failed.push({ temp: t, error: e });
    }
  }
  return out;
}
