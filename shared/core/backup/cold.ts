/**
 * Cold backups: the configured stop command runs before the backup and the start command after it
 * — always, also when the backup failed or was cancelled — and, while Odoo is down, stale session
 * files can be removed from `DATA_DIR/sessions`. The commands are the administrator's own (e.g.
 * `systemctl stop odoo`), run through the shell; they never receive a secret.
 */
import { spawn } from 'node:child_process';
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../errors';

/** Odoo's session lifetime (`http.SESSION_LIFETIME`, 7 days): older session files are stale. */
export const SESSION_LIFETIME_MS = 7 * 24 * 3600 * 1000;

/** Runs one shell command; rejects with its output tail when it fails. */
export async function runCommand(command: string, what: string, timeoutMs = 300_000): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn(command, { shell: true, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let out = '';
    const keep = (d: Buffer): void => {
      out = (out + d.toString('utf8')).slice(-2000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', (err) => reject(new AppError('Fatal', `The ${what} command could not run: ${err.message}`, { cause: err })));
    child.once('close', (code, sig) => {
      if (code === 0) return resolve();
      reject(new AppError('Fatal', `The ${what} command failed (${sig ? `killed by ${sig}` : `exit ${code}`}): ${out.trim().split('\n').slice(-3).join(' ') || 'no output'}`, {
        hint: `Check the ${what} command: ${command}`,
      }));
    });
  });
}

/** Removes session files not touched for `SESSION_LIFETIME_MS`; returns how many. */
export async function cleanStaleSessions(dataDir: string, now = Date.now()): Promise<number> {
  const dir = join(dataDir, 'sessions');
  let removed = 0;
  const walk = async (d: string): Promise<void> => {
    let names: string[];
    try {
      names = await readdir(d);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(d, n);
      const st = await stat(p).catch(() => undefined);
      if (!st) continue;
      if (st.isDirectory()) await walk(p);
      else if (st.isFile() && now - st.mtimeMs > SESSION_LIFETIME_MS) {
        await rm(p, { force: true });
        removed++;
      }
    }
  };
  await walk(dir);
  return removed;
}

/** The cold-backup settings. */
export interface ColdOptions {
  readonly stopCommand: string;
  readonly startCommand: string;
  /** Also remove stale sessions from `<dataDir>/sessions` while Odoo is stopped. */
  readonly cleanSessionsIn?: string;
  readonly log?: (message: string) => void;
  /** Hears a failure of the start command after a successful backup (the backup stands). */
  readonly warn?: (message: string) => void;
}

/** Runs `work` with Odoo stopped; the start command runs whatever happens once stop succeeded. */
export async function withOdooStopped<T>(o: ColdOptions, work: () => Promise<T>): Promise<T> {
  o.log?.(`Stopping Odoo: ${o.stopCommand}`);
  try {
    await runCommand(o.stopCommand, 'stop');
  } catch (err) {
    // It may have stopped part-way: start it again before reporting.
    await runCommand(o.startCommand, 'start').catch(() => undefined);
    throw err;
  }
  let failure: unknown;
  try {
    if (o.cleanSessionsIn) o.log?.(`Removed ${await cleanStaleSessions(o.cleanSessionsIn)} stale session files.`);
    return await work();
  } catch (err) {
    failure = err;
    throw err;
  } finally {
    o.log?.(`Starting Odoo: ${o.startCommand}`);
    try {
      await runCommand(o.startCommand, 'start');
    } catch (err) {
      const msg = `Odoo was not started again: ${(err as Error).message}`;
      if (failure === undefined) o.warn?.(msg);
      else o.log?.(msg);
    }
  }
}
