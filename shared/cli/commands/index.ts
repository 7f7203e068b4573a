/**
 * Every CLI command module, in the order they appear in `--help`. To add a command, write
 * `commands/<name>.ts` exporting a `CommandModule` and add one line here.
 */
import type { Command } from 'commander';
import type { CliContext } from '../context';
import { storageCommand } from './storage';
import { listCommand } from './list';
import { inspectCommand } from './inspect';
import { restoreCommand } from './restore';
import { backupCommand } from './backup';
import { downloadCommand } from './download';
import { verifyCommand } from './verify';
import { serveCommand } from './serve';
import { storageConnectCommand } from './storage-connect';
import { secretsCommand } from './secrets';
import { cleanupCommand } from './cleanup';
import { odooCommand } from './odoo';
import { historyCommand } from './history';
import { scheduleCommand } from './schedule';
import { daemonCommand } from './daemon';
import { drillCommand } from './drill';
import { rotateCommand } from './rotate';
import { embeddedCommand } from './embedded';
import { attachmentsCommand } from './attachments';

/** A CLI command: registers itself (and its subcommands) on the program. */
export interface CommandModule {
  register(program: Command, ctx: CliContext): void;
}

/** The registered commands. */
export const COMMANDS: readonly CommandModule[] = [
  storageCommand,
  listCommand,
  inspectCommand,
  restoreCommand,
  backupCommand,
  downloadCommand,
  verifyCommand,
  serveCommand,
  storageConnectCommand,
  secretsCommand,
  cleanupCommand,
  odooCommand,
  historyCommand,
  scheduleCommand,
  daemonCommand,
  drillCommand,
  rotateCommand,
  embeddedCommand,
  attachmentsCommand,
];

/** The `NAME` group command (e.g. `storage`), created on first use; for modules adding subcommands. */
export function commandGroup(program: Command, name: string, description: string): Command {
  return program.commands.find((c) => c.name() === name) ?? program.command(name).description(description);
}
