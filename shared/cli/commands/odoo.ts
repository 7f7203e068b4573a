/**
 * `odoo add|list|remove|set-password|test|dbs|duplicate|drop`: running Odoo servers reached
 * through their database manager. The master password comes from a prompt, `--secret-stdin`
 * or `--secret-env VAR` (never the command line) and is kept in the keychain.
 */
import type { Command } from 'commander';
import { createInterface } from 'node:readline/promises';
import { UsageError, type CliContext } from '../context';
import { readStdin } from '../io';
import { formatBytes, table } from '../format';
import { commandGroup, type CommandModule } from './index';

/** The master password from --secret-env, --secret-stdin or a hidden prompt. */
async function readMasterPassword(ctx: CliContext, opts: { secretStdin?: boolean; secretEnv?: string }): Promise<string> {
  if (opts.secretStdin && opts.secretEnv) throw new UsageError('Give the master password one way: --secret-stdin or --secret-env.');
  if (opts.secretEnv) {
    const v = ctx.io.env[opts.secretEnv];
    if (v === undefined || v === '') throw new UsageError(`Environment variable ${opts.secretEnv} is not set or empty.`);
    return v;
  }
  if (opts.secretStdin) {
    const v = (await readStdin(ctx.io)).replace(/\r?\n$/, '');
    if (v === '') throw new UsageError('--secret-stdin: stdin was empty.');
    return v;
  }
  if (!ctx.io.stdin.isTTY) {
    throw new UsageError('The master password is needed and there is no terminal to ask for it.', 'Pass it with --secret-stdin or --secret-env VAR; secrets are never taken from the command line.');
  }
  const v = await ctx.prompt('Master password: ');
  if (v === '') throw new UsageError('The master password is required.');
  return v;
}

/** A typed confirmation: `--confirm NAME`, or the name typed at a terminal. */
async function typedConfirmation(ctx: CliContext, what: string, given: string | undefined): Promise<string> {
  if (given !== undefined) return given;
  if (!ctx.io.stdin.isTTY) throw new UsageError(`Dropping needs a typed confirmation: add --confirm ${what}.`);
  const rl = createInterface({ input: ctx.io.stdin, output: ctx.io.stderr, terminal: true });
  try {
    return (await rl.question(`This deletes database "${what}" and its filestore on the server. Type its name to confirm: `)).trim();
  } finally {
    rl.close();
  }
}

/** The `odoo` command group. */
export const odooCommand: CommandModule = {
  register(program: Command, ctx: CliContext) {
    const odoo = commandGroup(program, 'odoo', "running Odoo servers, reached through their database manager (master password in the keychain)");

    odoo
      .command('add')
      .description('add an Odoo instance (checks that it answers and takes the master password, unless --no-check)')
      .argument('<name>', 'a name for it (letters, digits, "_", "." or "-"); targets and sources are odoo:NAME')
      .requiredOption('--url <url>', 'the address you open Odoo at, e.g. https://odoo.example.com')
      .option('--secret-stdin', 'read the master password from stdin')
      .option('--secret-env <VAR>', 'read the master password from an environment variable')
      .option('--no-check', 'save without contacting the server')
      .action(async (name: string, opts: { url: string; secretStdin?: boolean; secretEnv?: string; check: boolean }, cmd: Command) => {
        const masterPassword = await readMasterPassword(ctx, opts);
        const desk = await ctx.desk(cmd);
        const s = await desk['odoo:add']({ name, url: opts.url, masterPassword, check: opts.check });
        ctx.out(`added Odoo instance ${s.name} (${s.url})`);
      });

    odoo
      .command('list')
      .description('list the Odoo instances')
      .option('--json', 'print JSON')
      .action(async (opts: { json?: boolean }, cmd: Command) => {
        const list = await (await ctx.desk(cmd))['odoo:list']({});
        if (opts.json) return ctx.out(JSON.stringify(list, null, 2));
        if (list.length === 0) return ctx.err('no Odoo instances: add one with `backup-desk odoo add NAME --url URL`');
        ctx.out(table(['NAME', 'URL'], list.map((i) => [i.name, i.url])).trimEnd());
      });

    odoo
      .command('remove')
      .description('remove an Odoo instance and its stored master password (its databases are not touched); refused while a scheduled job backs up through it')
      .argument('<name>')
      .action(async (name: string, _o: unknown, cmd: Command) => {
        await (await ctx.desk(cmd))['odoo:remove']({ name });
        ctx.out(`removed Odoo instance ${name}`);
      });

    odoo
      .command('set-password')
      .description('replace the stored master password of an instance (checked against the server unless --no-check)')
      .argument('<name>')
      .option('--secret-stdin', 'read the master password from stdin')
      .option('--secret-env <VAR>', 'read the master password from an environment variable')
      .option('--no-check', 'store it without contacting the server')
      .action(async (name: string, opts: { secretStdin?: boolean; secretEnv?: string; check: boolean }, cmd: Command) => {
        const masterPassword = await readMasterPassword(ctx, opts);
        await (await ctx.desk(cmd))['odoo:set-password']({ name, masterPassword, check: opts.check });
        ctx.out(`stored the master password of ${name}`);
      });

    odoo
      .command('test')
      .description('check that an instance answers, its version, its master password and its database list')
      .argument('<name>')
      .option('--json', 'print JSON')
      .action(async (name: string, opts: { json?: boolean }, cmd: Command) => {
        const r = await (await ctx.desk(cmd))['odoo:test']({ name });
        if (opts.json) ctx.out(JSON.stringify(r, null, 2));
        else for (const c of r.checks) ctx.out(`${c.ok ? 'ok  ' : 'FAIL'}  ${c.name.padEnd(9)}${c.cliMessage ?? c.message}`);
        if (!r.ok) ctx.exitCode = 1;
      });

    odoo
      .command('dbs')
      .description("list an instance's databases and its Odoo version")
      .argument('<name>')
      .option('--json', 'print JSON')
      .action(async (name: string, opts: { json?: boolean }, cmd: Command) => {
        const r = await (await ctx.desk(cmd))['odoo:dbs']({ name });
        if (opts.json) return ctx.out(JSON.stringify(r, null, 2));
        ctx.err(`${r.name}: Odoo ${r.version} at ${r.url}`);
        if (r.listDisabled) return ctx.err('the server hides its database list (list_db = False)');
        if (r.databases.length === 0) return ctx.err('no databases');
        ctx.out(table(['DATABASE', 'SIZE'], r.databases.map((d) => [d.name, d.size !== undefined ? formatBytes(d.size) : '-'])).trimEnd());
      });

    odoo
      .command('duplicate')
      .description('duplicate a database on the server (Odoo gives the copy a new uuid and secret)')
      .argument('<name>', 'the instance')
      .argument('<db>', 'the database to copy')
      .argument('<new-name>', 'the name of the copy')
      .option('--neutralize', 'neutralize the copy (mail servers, crons… off; Odoo 16+)')
      .action(async (name: string, db: string, newName: string, opts: { neutralize?: boolean }, cmd: Command) => {
        const desk = await ctx.desk(cmd);
        await ctx.runJob(desk, desk.odoo.startDuplicate({ name, db, newName, neutralize: opts.neutralize ?? false }));
        ctx.out(`duplicated ${db} as ${newName} on ${name}${opts.neutralize ? ' (neutralized)' : ''}`);
      });

    odoo
      .command('drop')
      .description('drop a database (and its filestore) on the server, after a typed confirmation')
      .argument('<name>', 'the instance')
      .argument('<db>', 'the database to drop')
      .option('--confirm <db>', 'the database name again (the typed confirmation, for scripts)')
      .action(async (name: string, db: string, opts: { confirm?: string }, cmd: Command) => {
        const confirm = await typedConfirmation(ctx, db, opts.confirm);
        if (confirm !== db) throw new UsageError(`The confirmation "${confirm}" does not match "${db}": nothing was dropped.`);
        await (await ctx.desk(cmd))['odoo:drop']({ name, db, confirm });
        ctx.out(`dropped ${db} on ${name}`);
      });
  },
};
