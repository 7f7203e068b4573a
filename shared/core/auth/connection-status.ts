/**
 * The non-secret connection status of OAuth storages: `<home>/connection-status.json`, a
 * map from storage name to `{ status: 'needs-reconnect', since, reason }`. Written when a
 * refresh token is revoked or expired (so `storage list` and the UI show "reconnect" before
 * any backup fails), cleared by a successful connect or refresh. Never holds secrets.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../errors';

/** The status file's name in the home folder. */
export const CONNECTION_STATUS_FILE = 'connection-status.json';

/** A storage's connection status (matches the contract's `StorageSummary.status`). */
export type ConnectionStatus = 'ok' | 'needs-reconnect';

/** What is recorded for a storage that needs reconnecting. */
export interface ReconnectRecord {
  readonly status: 'needs-reconnect';
  /** ISO 8601 time it was recorded. */
  readonly since: string;
  /** Why, in words (never a token). */
  readonly reason: string;
}

type StatusFile = Record<string, ReconnectRecord>;

const chains = new Map<string, Promise<unknown>>();

async function readStatus(home: string): Promise<StatusFile> {
  try {
    const raw = JSON.parse(await readFile(join(home, CONNECTION_STATUS_FILE), 'utf8')) as unknown;
    if (raw && typeof raw === 'object' && !Array.isArray(raw)) return raw as StatusFile;
  } catch {
    /* missing or unreadable: nothing recorded */
  }
  return {};
}

function update(home: string, fn: (s: StatusFile) => boolean): Promise<void> {
  const prev = chains.get(home) ?? Promise.resolve();
  const run = prev.then(async () => {
    const s = await readStatus(home);
    if (!fn(s)) return;
    await mkdir(home, { recursive: true, mode: 0o700 });
    const file = join(home, CONNECTION_STATUS_FILE);
    const tmp = join(home, `.${CONNECTION_STATUS_FILE}.${randomUUID()}.tmp`);
    try {
      const fh = await open(tmp, 'w', 0o600);
      try {
        await fh.writeFile(JSON.stringify(s, null, 2) + '\n', 'utf8');
      } finally {
        await fh.close();
      }
      await rename(tmp, file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw new AppError('Fatal', `Cannot write ${file}: ${(err as Error).message}`, { cause: err, hint: 'Check that the home folder is writable.' });
    }
  });
  chains.set(home, run.catch(() => undefined));
  return run;
}

/** Records that `storageName` must be reconnected (its OAuth grant was revoked or expired). */
export function markNeedsReconnect(home: string, storageName: string, reason = 'The sign-in was revoked or has expired.'): Promise<void> {
  return update(home, (s) => {
    s[storageName] = { status: 'needs-reconnect', since: new Date().toISOString(), reason };
    return true;
  });
}

/** Forgets any recorded status of `storageName` (after a connect, a good refresh, or `storage remove`). */
export function clearConnectionStatus(home: string, storageName: string): Promise<void> {
  return update(home, (s) => {
    if (!(storageName in s)) return false;
    delete s[storageName];
    return true;
  });
}

/** `needs-reconnect` when recorded for `storageName`, else `ok`. */
export async function connectionStatus(home: string, storageName: string): Promise<ConnectionStatus> {
  return (await readStatus(home))[storageName]?.status === 'needs-reconnect' ? 'needs-reconnect' : 'ok';
}

/** Every recorded reconnect, by storage name (for lists). */
export async function connectionStatuses(home: string): Promise<Readonly<Record<string, ReconnectRecord>>> {
  const s = await readStatus(home);
  return Object.fromEntries(Object.entries(s).filter(([, v]) => v?.status === 'needs-reconnect'));
}
