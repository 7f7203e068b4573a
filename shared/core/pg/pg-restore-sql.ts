/**
 * A custom-format dump turned into plain SQL by `pg_restore -f -`, read as it comes: fed from a
 * stream (a decrypted or remote dump) or given by path, its stdout handed to a reader, and its
 * failure (a damaged or truncated dump) raised with the last lines it printed.
 */
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { throwIfAborted, type AppError } from '../errors';

/** How to run pg_restore for `readPgRestoreSql`. */
export interface PgRestoreSqlOptions {
  /** The pg_restore to run. */
  readonly tool: string;
  /** Its arguments before the input (`-f -` and any filters). */
  readonly args: readonly string[];
  /** The dump's bytes, fed to stdin; or undefined with `path`. */
  readonly input?: Readable;
  /** The dump's path, read by pg_restore itself, when there is no `input`. */
  readonly path?: string;
  readonly signal?: AbortSignal;
  /** The error for a pg_restore that failed, from the last two lines it printed. */
  readonly failed: (stderrTail: string) => AppError;
}

/** Runs pg_restore and gives its SQL to `read`; the result once pg_restore has ended well. */
export async function readPgRestoreSql<T>(o: PgRestoreSqlOptions, read: (sql: Readable) => Promise<T>): Promise<T> {
  const child = spawn(o.tool, [...o.args, ...(o.input ? [] : [o.path!])], { stdio: [o.input ? 'pipe' : 'ignore', 'pipe', 'pipe'], ...(o.signal ? { signal: o.signal } : {}) });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  let killedBy: NodeJS.Signals | null = null;
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, sig) => ((killedBy = sig), resolve(code)));
  });
  exited.catch(() => undefined);
  const failed = async (): Promise<boolean> => (await exited.catch(() => 1)) !== 0;
  const failure = (): AppError => o.failed(stderr.trim().split('\n').slice(-2).join(' ') || exitNote(killedBy));
  const feeding = o.input ? pipeline(o.input, child.stdin!).catch(() => undefined) : Promise.resolve();
  const result = await read(child.stdout!).catch(async (err: unknown) => {
    throwIfAborted(o.signal);
    throw (await failed()) ? failure() : err;
  });
  await feeding;
  throwIfAborted(o.signal);
  if (await failed()) throw failure();
  return result;
}

/** What to say of a pg_restore that printed nothing: it crashed (a damaged dump can make it fault), or stopped silently. */
export function exitNote(killedBy: NodeJS.Signals | null): string {
  return killedBy ? `it crashed with ${killedBy}` : 'it stopped without a message';
}
