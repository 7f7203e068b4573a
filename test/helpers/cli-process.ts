/** The built `backup-desk` CLI as a real child process, for integration tests that watch or stop it mid-run. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'backup-desk.js');

/** How a CLI run ended. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A running CLI: its process, its end, and what it printed so far. */
export interface CliProcess {
  child: ChildProcess;
  done: Promise<CliResult>;
  stdout(): string;
  stderr(): string;
}

/** Starts `backup-desk --home HOME ARGS…`. */
export function startCli(home: string, args: string[]): CliProcess {
  const child = spawn(process.execPath, [BIN, '--home', home, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((res, rej) => {
    child.on('error', rej);
    child.on('close', (code) => res({ code, stdout, stderr }));
  });
  return { child, done, stdout: () => stdout, stderr: () => stderr };
}

/** Runs the CLI to its end. */
export const runCli = (home: string, args: string[]): Promise<CliResult> => startCli(home, args).done;

/** Polls `cond` every 50 ms; throws after `ms`. */
export async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
