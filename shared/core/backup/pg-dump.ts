/**
 * Source stage, part 1: `pg_dump` itself. The newest pg_dump on the machine is used; one older than
 * the server's major version is refused with the package to install (pg_dump refuses such a server
 * anyway, with a less helpful message). The password travels only in the child's environment.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { AppError, cancelledError } from '../errors';
import { libpqEnv } from '../pg/connection';
import { clientPackageFor, findNewestPgTool, type PgTool } from '../pg/tools';
import { onAbort } from '../util/abort';

/** The newest pg_dump (in `binDirs`, default this machine's usual places), checked against the server's major version. */
export async function requirePgDump(serverMajor: number, binDirs?: readonly string[]): Promise<PgTool> {
  const tool = await findNewestPgTool('pg_dump', binDirs);
  const pkg = clientPackageFor(Math.max(Math.ceil(serverMajor), 12));
  if (!tool) {
    throw new AppError('MissingTool', 'Making a backup needs pg_dump, which was not found.', {
      hint: `Install the PostgreSQL client tools, e.g. "sudo apt-get install ${pkg}" (Debian/Ubuntu), "brew install libpq" (macOS), or set PG_BIN_DIR.`,
    });
  }
  if (tool.major < serverMajor) {
    throw new AppError('MissingTool', `The server runs PostgreSQL ${serverMajor}, but the newest pg_dump found is ${tool.version} (${tool.path}), which cannot dump it.`, {
      hint: `Install client tools of version ${serverMajor} or newer, e.g. "sudo apt-get install ${pkg}" (Debian/Ubuntu, from apt.postgresql.org), or set PG_BIN_DIR.`,
      details: { server: serverMajor, found: tool.version },
    });
  }
  return tool;
}

/** A running pg_dump: its output, and its outcome once the output has been read. */
export interface PgDumpRun {
  readonly stdout: Readable;
  /** Resolves when pg_dump exited 0; rejects with its stderr otherwise (or `Cancelled`). */
  readonly done: Promise<void>;
  /** Kills it (on cancel or when the consumer failed). */
  kill(): void;
}

/** Options of `startPgDump`. */
export interface PgDumpOptions {
  readonly tool: PgTool;
  readonly pgUrl: string | undefined;
  readonly db: string;
  /** Odoo's formats: `plain` (dump.sql in a zip) or `custom` (`--format=c`, the `dump` format). */
  readonly format: 'plain' | 'custom';
  /** An exported snapshot to dump (`pg_export_snapshot()`). */
  readonly snapshot?: string;
  readonly signal?: AbortSignal;
}

/** The arguments Odoo gives pg_dump (`--no-owner`), plus the snapshot; never a password. */
export function pgDumpArgs(o: Pick<PgDumpOptions, 'format' | 'snapshot'>): string[] {
  return ['--no-owner', ...(o.format === 'custom' ? ['--format=c'] : []), ...(o.snapshot ? [`--snapshot=${o.snapshot}`] : [])];
}

/** Starts pg_dump of `db`; the database name and credentials go through the environment. */
export function startPgDump(o: PgDumpOptions): PgDumpRun {
  const child: ChildProcessByStdio<null, Readable, Readable> = spawn(o.tool.path, pgDumpArgs(o), {
    env: libpqEnv(o.pgUrl, o.db),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => {
    stderr = (stderr + d).slice(-4000);
  });
  const kill = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  const stopListening = onAbort(o.signal, kill);
  const done = new Promise<void>((resolve, reject) => {
    child.once('error', (err) => reject(new AppError('MissingTool', `pg_dump could not start: ${err.message}`, { cause: err })));
    child.once('close', (code, sig) => {
      stopListening();
      if (o.signal?.aborted) return reject(cancelledError('The backup'));
      if (code === 0) return resolve();
      reject(classifyPgDumpFailure(stderr, code, sig));
    });
  });
  done.catch(() => undefined);
  return { stdout: child.stdout, done, kill };
}

/** Turns pg_dump's stderr into a classified error. */
export function classifyPgDumpFailure(stderr: string, code: number | null, sig: NodeJS.Signals | null): AppError {
  const text = stderr.trim().split('\n').filter(Boolean).slice(-3).join(' ').replace(/^pg_dump: error: /, '');
  const what = `pg_dump failed (${sig ? `killed by ${sig}` : `exit ${code}`}): ${text || 'no message'}`;
  if (/password authentication failed|no password supplied/i.test(text)) return new AppError('AuthFailed', what, { hint: 'Give the password through PGPASSWORD or ~/.pgpass.' });
  if (/does not exist/i.test(text) && /database/i.test(text)) return new AppError('NotFound', what, { hint: 'Check the database name.', details: { cliHint: 'Check the database name (--db).' } });
  if (/permission denied/i.test(text)) return new AppError('PermissionDenied', what, { hint: 'Use a role that can read every table of the database (its owner, or a superuser).' });
  if (/could not connect|Connection refused|server closed the connection/i.test(text)) return new AppError('Transient', what, { hint: 'Check that PostgreSQL is running and reachable.' });
  return new AppError('Fatal', what);
}
