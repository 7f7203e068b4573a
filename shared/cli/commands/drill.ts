/**
 * `drill REF | --storage S --db DB [--passphrase-file F | --passphrase-env V] [--remember-passphrase] [--json]`: restores a backup into the private PostgreSQL
 * under a throwaway name, checks it is a working Odoo database, records it, and drops it.
 */
import type { Command } from 'commander';
import type { DrillResult } from '../../contract/schedules';
import { UsageError, type CliContext } from '../context';
import type { CommandModule } from './index';
import { withJsonVerdict } from './json-verdict';
import { addPassphraseOptions, backupPassphrase, passphraseFrom, privateKeyFrom, type PrivateKeyFlags } from './passphrase';

function print(ctx: CliContext, r: DrillResult): void {
  ctx.out(`${r.ok ? 'PASSED' : 'FAILED'}: restore drill of ${r.ref} (restored as ${r.restoredAs}, dropped)`);
  for (const c of r.checks) {
    ctx.out(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.message}`);
    for (const p of c.problems ?? []) ctx.out(`         ${p}`);
  }
  if (r.attachments) ctx.out(`  ${r.attachments.notInBackup > 0 ? 'NOTE' : 'ok  '} attachments: ${r.attachments.message}`);
  const t = r.timings;
  ctx.out(`  took ${(t.totalMs / 1000).toFixed(1)} s (find ${(t.findMs / 1000).toFixed(1)} s, restore ${(t.restoreMs / 1000).toFixed(1)} s, checks ${(t.checkMs / 1000).toFixed(1)} s, drop ${(t.dropMs / 1000).toFixed(1)} s)`);
}

/** The options of `drill`. */
interface DrillOptions extends PrivateKeyFlags {
  storage?: string;
  db?: string;
  json?: boolean;
  passphraseFile?: string;
  passphraseEnv?: string;
  rememberPassphrase?: boolean;
}

/** The `drill` command. */
export const drillCommand: CommandModule = {
  register(program: Command, ctx: CliContext) {
    addPassphraseOptions(
      program
        .command('drill [ref]')
        .description('restore drill: restore a backup (REF, or the newest of --db on --storage) into the private PostgreSQL, check it is a working Odoo database (modules, admin user, every filestore file and its SHA-1), record it in the history, and drop it; attachments only in S3/Swift are restored keep-remote, read-only (never fetched) and reported; an encrypted backup opens with the passphrase given, else the one remembered for its storage (scheduled drills also try the passphrase of the scheduled backup job that writes it)')
        .option('--storage <name>', 'the storage holding the backups')
        .option('--db <name>', 'the database whose newest backup to drill')
        .option('--json', 'print the result as JSON'),
    ).action(async (ref: string | undefined, o: DrillOptions, cmd: Command) => {
      if (ref === undefined && (o.storage === undefined || o.db === undefined)) {
        throw new UsageError('Give a backup REF, or --storage NAME and --db DB.', 'For example: backup-desk drill --storage nas --db acme');
      }
      if (ref !== undefined && (o.storage !== undefined || o.db !== undefined)) {
        throw new UsageError('Give a backup REF, or --storage and --db, not both.', 'A REF names the backup itself; --storage and --db pick the newest backup of that database.');
      }
      const desk = await ctx.desk(cmd);
      // As restore and verify for a REF; the newest backup of --db is known only once listed.
      const privateKey = await privateKeyFrom(ctx, o);
      const passphrase = ref !== undefined ? await backupPassphrase(ctx, desk, ref, o) : await passphraseFrom(ctx, o, false);
      const r = await withJsonVerdict(ctx, o.json, ref ?? `${o.storage}:${o.db}`, () => ctx.runJob(desk, desk.drills.start({ ref, storage: o.storage, db: o.db, passphrase, privateKey, rememberPassphrase: o.rememberPassphrase })));
      if (o.json) ctx.out(JSON.stringify(r, null, 2));
      else print(ctx, r);
      if (!r.ok) ctx.exitCode = 1;
    });
  },
};
