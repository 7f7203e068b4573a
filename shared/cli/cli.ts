/**
 * The `backup-desk` command line: parses arguments (commander), runs one command against
 * the Desk, and maps the outcome to an exit status: 0 success, 1 the work failed, 2 a usage
 * error, 130 cancelled with Ctrl-C. Results go to stdout; progress, warnings and errors
 * (`error: …` + `hint: …`) to stderr.
 */
import { Command, CommanderError } from 'commander';
import { issueText, schemaIssues, toAppError, type AppError, type SchemaIssue } from '../core/errors';
import { APP_VERSION } from '../core/desk/version';
import { COMMANDS } from './commands';
import { CliContext, UsageError } from './context';
import type { CliIo } from './io';
import type { SecretStore } from '../core/secrets/secret-store';
import { onAbort } from '../core/util/abort';

/** Builds the program with every registered command. */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('backup-desk');
  program
    .description('Make Odoo backups (now or on a schedule) to several storages, see every Odoo backup on all of them in one list, verify, download, decrypt and restore one into PostgreSQL or a running Odoo.')
    .version(APP_VERSION, '-V, --version', 'print the version')
    .option('--home <dir>', 'config and state folder (default: $BACKUP_DESK_HOME, else the OS app-data folder)')
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => ctx.io.stdout.write(s),
      writeErr: (s) => ctx.io.stderr.write(s),
      outputError: (s, write) => write(s.endsWith('\n') ? s : s + '\n'),
    })
    .addHelpText(
      'after',
      '\nExit status: 0 success, 1 the work failed, 2 usage error, 130 cancelled (Ctrl-C).\nRefs are NAME:KEY as printed by `list` (NAME is a configured storage).\nBACKUP_DESK_LOG=debug|info|warn|error writes JSON log lines to stderr (never secrets).',
    );
  for (const m of COMMANDS) m.register(program, ctx);
  argumentsBeforeOptions(program);
  return program;
}

/** The two commander checks `argumentsBeforeOptions` reorders (its own methods, not in its typings). */
interface CommanderChecks {
  _checkForMissingMandatoryOptions(): void;
  _checkNumberOfArguments(): void;
}

/**
 * Commander asks for a missing required option before a missing argument, so a bare `restore`
 * said "required option '--db <name>' not specified" before it asked which backup. Every command
 * with arguments checks them first (`command` and its subcommands, recursively).
 */
export function argumentsBeforeOptions(command: Command): void {
  const checks = command as unknown as CommanderChecks;
  if (command.registeredArguments.length > 0 && typeof checks._checkForMissingMandatoryOptions === 'function' && typeof checks._checkNumberOfArguments === 'function') {
    const options = checks._checkForMissingMandatoryOptions.bind(command);
    checks._checkForMissingMandatoryOptions = () => {
      checks._checkNumberOfArguments();
      options();
    };
  }
  for (const sub of command.commands) argumentsBeforeOptions(sub);
}

/** Prints an error the standard way: the hint in the CLI's own words (`details.cliHint`) when the error has them. */
function printError(ctx: CliContext, message: string, hint: string | undefined, command?: unknown, cliHint?: unknown): void {
  ctx.err(`error: ${message}`);
  const h = typeof cliHint === 'string' ? cliHint : hint;
  if (h) ctx.err(`hint: ${h}`);
  // The command that does what the hint says (errors keep it apart so the GUI's words stay the GUI's).
  if (typeof command === 'string') ctx.err(`  run: ${command}`);
}

/** `cancelled`; with what the cancel left to do when the job said so (a hint: Odoo may go on restoring an upload). */
function printCancelled(ctx: CliContext, e: AppError): void {
  ctx.err('cancelled');
  if (e.kind !== 'Cancelled' || !e.hint) return;
  ctx.err(e.message);
  ctx.err(`hint: ${typeof e.details?.cliHint === 'string' ? e.details.cliHint : e.hint}`);
  if (typeof e.details?.command === 'string') ctx.err(`  run: ${e.details.command}`);
}

/** The flag (`--db`) or argument (`<name>`) an invalid value came from, when `command` has one of that name; else its path. */
function argumentLabel(issue: SchemaIssue, command: Command | undefined): string {
  const leaf = [...issue.path].reverse().find((p): p is string => typeof p === 'string');
  const option = leaf === undefined ? undefined : command?.options.find((o) => o.attributeName() === leaf);
  if (option) return option.long ?? option.flags;
  const argument = command?.registeredArguments.find((a) => a.name() === leaf);
  if (argument) return `<${argument.name()}>`;
  return issue.path.length ? issue.path.join('.') : 'The input';
}

/**
 * An option given an empty value (`--path ''`, `--data-dir ''`) is a usage error: left as it is,
 * it would quietly mean the current folder or the default (a storage of the folder the command
 * ran in, a download written there).
 */
function refuseEmptyValues(command: Command): void {
  const values = command.opts();
  for (const o of command.options) {
    const v: unknown = values[o.attributeName()];
    if (v === '' || (Array.isArray(v) && v.includes(''))) {
      throw new UsageError(`${o.long ?? o.flags} must not be empty.`, 'Leave the option out for its default, or give it a value.');
    }
  }
}

/** "--db must not be empty", or with the schema's own sentence "<name>: Use letters, digits…" (no trailing full stop). */
function describeIssue(issue: SchemaIssue, command: Command | undefined): string {
  const text = issueText(issue).replace(/\.$/, '');
  return `${argumentLabel(issue, command)}${/^[A-Z]/.test(text) ? ': ' : ' '}${text}`;
}

/** Options of `runCli` (tests inject a secret store). */
export interface RunCliOptions {
  readonly secrets?: SecretStore;
}

/** Runs the CLI with `argv` (without node and script); resolves with the exit status. */
export async function runCli(argv: readonly string[], io: CliIo, interrupt?: AbortSignal, options: RunCliOptions = {}): Promise<number> {
  const ctx = new CliContext(io, options.secrets);
  // An interrupt that came already is passed on at once: commands look before their first await.
  if (interrupt?.aborted) ctx.interrupt.abort();
  else onAbort(interrupt, () => ctx.interrupt.abort());
  const program = buildProgram(ctx);
  let active: Command | undefined;
  program.hook('preAction', (_program, command) => {
    active = command;
    refuseEmptyValues(command);
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    if (ctx.interrupt.signal.aborted && !ctx.interruptIsStop && !ctx.interruptTooLate) {
      ctx.err('cancelled');
      return 130;
    }
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit 0; every parse error is a usage error.
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof UsageError) {
      printError(ctx, err.message, err.hint ?? 'Run the command with --help to see its usage.');
      return 2;
    }
    const invalid = schemaIssues(err);
    if (invalid) {
      // The command's arguments, checked against the contract: a usage error, told in its flags.
      printError(ctx, invalid.map((i) => describeIssue(i, active)).join('; ').replace(/\.?$/, '.'), 'Run the command with --help to see its usage.');
      return 2;
    }
    const e = toAppError(err);
    if (e.kind === 'Cancelled' || ctx.interrupt.signal.aborted) {
      printCancelled(ctx, e);
      return 130;
    }
    printError(ctx, e.message, e.hint, e.details?.command, e.details?.cliHint);
    return 1;
  } finally {
    await ctx.close().catch(() => undefined);
  }
}
