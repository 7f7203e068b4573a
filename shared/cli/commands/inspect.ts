/** `inspect REF|FILE`: what is inside a backup. */
import type { Command } from 'commander';
import { PG_URL_PREFIX } from '../../contract/api';
import { UsageError, type CliContext } from '../context';
import { urlHasPassword } from './restore';
import { formatBytes } from '../format';
import { formatAttachmentReport } from '../attachments-format';
import type { CommandModule } from './index';
import { addPassphraseOptions, passphraseFrom, privateKeyFrom, type PrivateKeyFlags } from './passphrase';

interface InspectOpts extends PrivateKeyFlags {
  json?: boolean;
  db?: string;
  target?: string;
  passphraseFile?: string;
  passphraseEnv?: string;
  rememberPassphrase?: boolean;
}

/** `inspect --db NAME [--target …]`: where a database's attachments live. */
async function inspectDatabase(ctx: CliContext, cmd: Command, opts: InspectOpts): Promise<void> {
  const t = opts.target;
  if (t !== undefined && t !== 'embedded' && (!PG_URL_PREFIX.test(t) || urlHasPassword(t))) {
    throw new UsageError('--target must be a postgres:// URL without a password, or "embedded".', 'Give the password through PGPASSWORD or ~/.pgpass.');
  }
  const desk = await ctx.desk(cmd);
  const target = t === 'embedded' ? { type: 'embedded' as const } : { type: 'postgres' as const, ...(t ? { url: t } : {}) };
  const r = await desk['attachments:inspect-db']({ db: opts.db!, target });
  if (opts.json) return ctx.out(JSON.stringify(r, null, 2));
  if (!r) return ctx.out(`${opts.db} has no ir_attachment table: it is not an Odoo database.`);
  for (const [i, line] of formatAttachmentReport(r).entries()) ctx.out(i === 0 ? `${'attachments:'.padEnd(14)}${line}` : line);
}

/** The filestore line: files and size; none for a .dump/.sql (database only); nothing claimed when the contents were not read. */
function filestoreLine(r: { format: string; filestoreFiles?: number; filestoreBytes?: number; contentsRead?: boolean }): string | undefined {
  if (r.filestoreFiles !== undefined) return `${r.filestoreFiles} files${r.filestoreBytes !== undefined ? `, ${formatBytes(r.filestoreBytes)}` : ''}`;
  if (r.contentsRead === false) return 'unknown until decrypted (give the passphrase)';
  if (r.format === 'dump' || r.format === 'sql') return `none: a .${r.format} backup holds the database only (attachments in the filestore are not in it)`;
  return undefined;
}

/** The `inspect` command. */
export const inspectCommand: CommandModule = {
  register(program: Command, ctx: CliContext) {
    addPassphraseOptions(
      program
        .command('inspect')
        .description('show what is inside a backup: Odoo version, database, PostgreSQL version, modules, filestore, dump archive version, where its attachments live (database, filestore, S3/Swift) and whether it is self-contained')
        .argument('[ref|file]', 'a ref NAME:KEY from `list`, or a backup file or folder on this machine')
        .option('--db <name>', 'instead of a backup: where the attachments of this (live or restored) database live')
        .option('--target <url|embedded>', 'with --db: the PostgreSQL server (postgres:// URL without a password, or "embedded"); default: libpq environment')
        .option('--json', 'print JSON'),
    ).action(async (source: string | undefined, opts: InspectOpts, cmd: Command) => {
      if (opts.db !== undefined) return inspectDatabase(ctx, cmd, opts);
      if (source === undefined) throw new UsageError('Give a backup (REF or FILE) to inspect, or --db NAME for a database.');
      const passphrase = await passphraseFrom(ctx, opts, false);
      const privateKey = await privateKeyFrom(ctx, opts);
      const desk = await ctx.desk(cmd);
      const remember = opts.rememberPassphrase ? { rememberPassphrase: true } : {};
      const r = await desk['backups:inspect']({ source, ...(passphrase !== undefined ? { passphrase } : {}), ...(privateKey ? { privateKey } : {}), ...remember }, ctx.interrupt.signal);
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
        ['filestore', filestoreLine(r)],
      ];
      for (const [k, v] of rows) if (v !== undefined) ctx.out(`${(k + ':').padEnd(14)}${v}`);
      if (r.attachments) for (const [i, line] of formatAttachmentReport(r.attachments).entries()) ctx.out(i === 0 ? `${'attachments:'.padEnd(14)}${line}` : line);
      for (const w of r.warnings ?? []) ctx.warn(w);
    });
  },
};
