/**
 * Runs the `backup-desk` CLI in-process (fast): the same program as the binary, with stdin,
 * stdout, stderr and the environment captured, and an in-memory secret store unless one is given.
 */
import { PassThrough, Readable } from 'node:stream';
import { runCli } from '../../shared/cli/cli';
import type { SecretStore } from '../../shared/core/secrets/secret-store';
import { MemorySecretStore } from '../../shared/core/secrets/secret-store';

/** What one in-process run printed and returned. */
export interface InProcessRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Options of one in-process run. */
export interface InProcessOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly stdin?: string;
  readonly secrets?: SecretStore;
  /** The interrupt (Ctrl-C) the run listens to. */
  readonly interrupt?: AbortSignal;
}

/** Runs `backup-desk --home HOME args…` in this process and captures what it prints. */
export async function runCliInProcess(home: string, args: readonly string[], opts: InProcessOptions = {}): Promise<InProcessRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const io = { stdin: Readable.from([opts.stdin ?? '']), stdout, stderr, env: opts.env ?? {} };
  const code = await runCli(['--home', home, ...args], io, opts.interrupt, { secrets: opts.secrets ?? new MemorySecretStore() });
  return { code, out, err };
}
