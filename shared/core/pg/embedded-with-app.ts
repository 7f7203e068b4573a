/**
 * The desktop app keeps the private PostgreSQL running while it is open: the decision and the
 * start live here, so the Electron host only calls them. The server is started when the home
 * has a cluster (it was used: `embedded start`, restores or drills into it) and it is not
 * running yet; the app's Desk then stops it on quit (`EmbeddedPg.stop`, from `Desk.close`).
 * A server already running (started by `backup-desk embedded start`, or another process) is
 * left as it is, and left running on quit.
 */
import { toAppError } from '../errors';
import type { Logger } from '../util/logger';
import type { EmbeddedPg } from './embedded';

/** What opening the app did with the private PostgreSQL. */
export type EmbeddedAtOpen =
  /** Started now; the app stops it on quit. */
  | { readonly state: 'started'; readonly socketPath: string; readonly version: string }
  /** Already running (someone else started it): left alone, also on quit. */
  | { readonly state: 'running' }
  /** No cluster under this home yet: nothing to keep running. */
  | { readonly state: 'unused' }
  /** It cannot run here (no server programs, an unsupported OS). */
  | { readonly state: 'unavailable'; readonly reason: string }
  /** Starting it failed; the app works on without it (a restore into it says why). */
  | { readonly state: 'failed'; readonly error: string };

/** Starts the private PostgreSQL for the app's lifetime when it is in use and not running; never throws. */
export async function startEmbeddedWithApp(emb: EmbeddedPg, log: Logger): Promise<EmbeddedAtOpen> {
  try {
    if (!(await emb.initialised())) return { state: 'unused' };
    const status = await emb.status();
    if (!status.available) return { state: 'unavailable', reason: status.detail };
    if (status.running) return { state: 'running' };
    const info = await emb.start();
    log.info('app: started the private PostgreSQL for as long as the app is open', { socket: info.socketPath });
    return { state: 'started', socketPath: info.socketPath, version: info.version };
  } catch (err) {
    const e = toAppError(err);
    log.warn('app: could not start the private PostgreSQL', { error: e.message });
    return { state: 'failed', error: e.message };
  }
}
