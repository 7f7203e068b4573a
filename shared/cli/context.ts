/** What every CLI command gets: the Desk for `--home`, the streams, job running, prompts. */
import type { Command } from 'commander';
import { resolveHome } from '../core/config';
import { Desk } from '../core/desk';
import { AppError, cancelledError, isAppError } from '../core/errors';
import type { JobSnapshot } from '../core/jobs/job';
import { openSecretStore } from '../core/secrets';
import type { SecretStore } from '../core/secrets/secret-store';
import { promptHidden, type CliIo } from './io';
import { ProgressRenderer } from './progress';
import { jsonLogger } from '../core/util/logger';
import { onAbort } from '../core/util/abort';

/** A mistake in how the command was called: exit status 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The context commands run in. */
export class CliContext {
  private deskPromise: Promise<Desk> | undefined;
  /** Aborted on Ctrl-C. */
  readonly interrupt = new AbortController();
  /** The exit status when the command ends without throwing (1 for partial failures). */
  exitCode = 0;
  /** Set by a command for which an interrupt (SIGTERM, Ctrl-C) is a normal stop (`daemon`): exit with `exitCode`, not 130. */
  interruptIsStop = false;
  /** Ctrl-C came after a job had passed the point where it could still stop: its result stands. */
  interruptTooLate = false;
  /** The warnings printed so far (see `warn`). */
  private readonly warned = new Set<string>();

  constructor(
    readonly io: CliIo,
    private readonly secrets?: SecretStore,
  ) {}

  /** Writes a result line (stdout). */
  out(text: string): void {
    this.io.stdout.write(text.endsWith('\n') ? text : text + '\n');
  }

  /** Writes a message (stderr). */
  err(text: string): void {
    this.io.stderr.write(text.endsWith('\n') ? text : text + '\n');
  }

  /** Writes `warning: message` (stderr), once: a job's warning is shown as it happens and is in its result too. */
  warn(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.err(`warning: ${message}`);
  }

  /** The Desk for the command's `--home` (opened once). */
  desk(cmd: Command): Promise<Desk> {
    if (!this.deskPromise) {
      const home = resolveHome({ home: (cmd.optsWithGlobals() as { home?: string }).home, env: this.io.env });
      const level = this.io.env.BACKUP_DESK_LOG;
      const log = level === 'debug' || level === 'info' || level === 'warn' || level === 'error' ? jsonLogger((line) => this.io.stderr.write(line), level) : undefined;
      this.deskPromise = Desk.open({
        home,
        ...(log ? { log } : {}),
        ...(this.secrets ? { secrets: this.secrets } : {}),
        openSecrets: (h) => openSecretStore(h, { env: this.io.env, ...(this.io.stdin.isTTY ? { vaultPassphrase: () => this.prompt('Vault passphrase: ') } : {}) }),
      });
    }
    return this.deskPromise;
  }

  /** Closes the Desk if one was opened. */
  async close(): Promise<void> {
    if (this.deskPromise) await (await this.deskPromise.catch(() => undefined))?.close();
  }

  /** Asks for a secret without echo. */
  prompt(question: string): Promise<string> {
    return promptHidden(this.io, question);
  }

  /**
   * Runs a Desk job in the foreground: progress on stderr, Ctrl-C cancels it (the job
   * cleans up, then we exit 130), resolves with its result.
   */
  async runJob<T>(desk: Desk, job: { jobId: string; result: Promise<T> }): Promise<T> {
    const progress = new ProgressRenderer(this.io.stderr);
    const onUpdate = (snap: JobSnapshot): void => {
      // A job's last report may come with its end (updates are throttled): a success shows it too.
      if (snap.id === job.jobId && snap.progress && (snap.state === 'running' || snap.state === 'succeeded')) progress.update(snap.progress);
    };
    let logged = 0;
    const onLog = (snap: JobSnapshot): void => {
      if (snap.id !== job.jobId) return;
      for (const l of snap.log.slice(logged)) {
        if (l.level !== 'info') {
          progress.finishLine();
          if (l.level === 'warn') this.warn(l.message);
          else this.err(`error: ${l.message}`);
        }
      }
      logged = snap.log.length;
    };
    desk.jobs.on('update', onUpdate);
    desk.jobs.on('update', onLog);
    // Ctrl-C pressed while the command was still setting up cancels the job too.
    const stopListening = onAbort(this.interrupt.signal, () => void desk.jobs.cancel(job.jobId));
    try {
      const result = await job.result;
      if (this.interrupt.signal.aborted) {
        // The job finished all the same (a restore past its swap, a backup past its commit): say so, and exit as it did.
        progress.finishLine();
        this.warn('Ctrl-C came too late to cancel: the work had already been done, and it stands.');
        this.interruptTooLate = true;
      }
      return result;
    } catch (err) {
      // The job's own Cancelled error may say what the cancel left going (Odoo loading an upload): keep it.
      if (this.interrupt.signal.aborted) throw isAppError(err, 'Cancelled') ? err : cancelledError();
      throw err;
    } finally {
      progress.end();
      desk.jobs.off('update', onUpdate);
      desk.jobs.off('update', onLog);
      stopListening();
    }
  }
}

/** `AppError` from a passphrase source that was asked for but cannot be had. */
export function noPassphraseError(): AppError {
  return new AppError('InvalidInput', 'This needs a passphrase and none was given.', {
    hint: 'Use --passphrase-file FILE or --passphrase-env VAR (or run it in a terminal to be asked).',
  });
}
