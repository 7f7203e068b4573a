/** `inspect REF|FILE`: what is inside a backup. */
import type { Command } from 'commander';
import type { CliContext } from '../context';
import { formatBytes } from '../format';
import { formatAttachmentReport } from '../attachments-format';
import type { CommandModule } from './index';
import { addPassphraseOptions, passphraseFrom } from './passphrase';

/** The `inspect` command. */
export const inspectCommand: CommandModule = {
  register(program: Command, ctx: CliContext) {
    addPassphraseOptions(
      program
        .command('inspect')
        .description('show what is inside a backup: Odoo version, database, PostgreSQL version, modules, filestore, dump archive version, where its attachments live (database, filestore, S3/Swift) and whether it is self-contained')
        .argument('<ref|file>', 'a ref NAME:KEY from `list`, or a backup file or folder on this machine')
        .option('--json', 'print JSON'),
    ).action(async (source: string, opts: { json?: boolean; passphraseFile?: string; passphraseEnv?: string; rememberPassphrase?: boolean }, cmd: Command) => {
      const passphrase = await passphraseFrom(ctx, opts, false);
      const desk = await ctx.desk(cmd);
      const remember = opts.rememberPassphrase ? { rememberPassphrase: true } : {};
      const r = await desk['backups:inspect']({ source, ...(passphrase !== undefined ? { passphrase } : {}), ...remember }, ctx.interrupt.signal);
      if (opts.json) return ctx.out(JSON.stringify(r, null, 2));
      const rows: [string, string | undefined][] = [
        ['name', r.name],
        ['format', r.format],
        ['encrypted', r.encrypted ? `yes${r.encryption ? ` (${r.encryption})` : ''}` : 'no'],
        ['size', r.size !== undefined ? formatBytes(r.size) : undefined],
        ['database', r.database],
        ['odoo version', r.odooVersion],
        ['postgresql', r.pgVersion],
        ['dump archive', r.dumpArchiveVersion],
        ['modules', r.modules ? String(Object.keys(r.modules).length) : undefined],
        ['filestore', r.filestoreFiles !== undefined ? `${r.filestoreFiles} files${r.filestoreBytes !== undefined ? `, ${formatBytes(r.filestoreBytes)}` : ''}` : undefined],
      ];
      for (const [k, v] of rows) if (v !== undefined) ctx.out(`${(k + ':').padEnd(14)}${v}`);
      if (r.attachments) for (const [i, line] of formatAttachmentReport(r.attachments).entries()) ctx.out(i === 0 ? `${'attachments:'.padEnd(14)}${line}` : line);
      for (const w of r.warnings ?? []) ctx.err(`warning: ${w}`);
    });
  },
};
