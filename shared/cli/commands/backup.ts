/**
 * `backup --db DB [--source postgres://…|odoo:INSTANCE] [--data-dir DIR | --no-filestore] --to STORAGE…
 * [--format zip|dump] [--layout …] [--encrypt …] [--cold …] [--rotate] [--json]`: make a backup and
 * write it to one or more storages at once. Progress on stderr, the result on stdout.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { DBNAME_PATTERN, PG_URL_PREFIX } from '../../contract/api';
import { shortPassphraseWarning, type BackupRequest, type BackupResultDto } from '../../contract/backups';
import { odooSourceConflicts, type OdooSourceConflict } from '../../core/backup';
import { UsageError, type CliContext } from '../context';
import { formatBytes } from '../format';
import type { CommandModule } from './index';
import { passphraseFrom, promptNewPassphrase } from './passphrase';
import { urlHasPassword } from './restore';

/** The flags as commander gives them. */
interface BackupFlags {
  db: string;
  source?: string;
  dataDir?: string;
  filestore: boolean;
  to: string[];
  format: 'zip' | 'dump';
  layout?: BackupRequest['layout'];
  encrypt?: boolean;
  passphraseFile?: string;
  passphraseEnv?: string;
  recipient?: string[];
  cold?: boolean;
  stopCommand?: string;
  startCommand?: string;
  cleanSessions?: boolean;
  rotate?: boolean;
  attachments?: 'include';
  attachmentsStorage?: string;
  json?: boolean;
}

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/** This command's words for what a backup through odoo:INSTANCE cannot honour (the rule: `odooSourceConflicts`). */
const THROUGH_ODOO_WORDS: Record<OdooSourceConflict, [string, string?]> = {
  cold: ['--cold stops Odoo, and a backup through odoo:INSTANCE needs it running: its database manager makes the backup.', 'Drop --cold: Odoo makes the backup while it runs (--cold is for a PostgreSQL source).'],
  'data-dir': ['--data-dir is for PostgreSQL sources: a backup through Odoo gets the filestore from Odoo.'],
  'no-filestore': ["--no-filestore is for PostgreSQL sources: Odoo's database manager puts the filestore into every zip it makes.", '--format dump backs up the database only.'],
};

/** The request's source from `--source`. */
function sourceOf(o: BackupFlags): BackupRequest['source'] {
  const s = o.source;
  if (s?.startsWith('odoo:')) {
    const conflict = odooSourceConflicts({ cold: o.cold, dataDir: o.dataDir, noFilestore: o.filestore === false, format: o.format })[0];
    if (conflict) throw new UsageError(...THROUGH_ODOO_WORDS[conflict]);
    return { type: 'odoo', instance: s.slice('odoo:'.length) };
  }
  if (s !== undefined && !PG_URL_PREFIX.test(s)) throw new UsageError(`--source must be a postgres:// URL or odoo:INSTANCE (got "${s}").`, 'For example --source postgres://odoo@localhost:5432/ or --source odoo:prod.');
  if (s !== undefined && urlHasPassword(s)) {
    throw new UsageError('--source must not contain a password: a command line is visible to other users of this machine.', 'Give it through PGPASSWORD, PGPASSFILE or ~/.pgpass.');
  }
  return { type: 'postgres', ...(s ? { url: s } : {}), ...(o.dataDir ? { dataDir: resolve(o.dataDir) } : {}), filestore: o.filestore };
}

/** The request's encryption from `--encrypt`, the passphrase options and `--recipient`. */
async function encryptionOf(ctx: CliContext, o: BackupFlags): Promise<BackupRequest['encrypt']> {
  const recipients = o.recipient ?? [];
  const givenPw = o.passphraseFile !== undefined || o.passphraseEnv !== undefined;
  if (!o.encrypt && !recipients.length && !givenPw) return undefined;
  const publicKeys = await Promise.all(recipients.map((f) => readFile(f, 'utf8').catch(() => Promise.reject(new UsageError(`Cannot read the recipient key file ${f}.`)))));
  const passphrase = await passphraseFrom(ctx, o, false);
  if (passphrase === undefined && !publicKeys.length && !ctx.io.stdin.isTTY) {
    // Neither given nor askable: the passphrase remembered for the first storage (the keychain).
    return { rememberedFrom: o.to[0]! };
  }
  const pw = passphrase ?? (publicKeys.length ? undefined : await promptNewPassphrase(ctx, 'Backup passphrase: '));
  const short = pw !== undefined ? shortPassphraseWarning(pw) : undefined;
  if (short) ctx.warn(short);
  return { ...(pw ? { passphrase: pw } : {}), ...(publicKeys.length ? { publicKeys } : {}) };
}

/** The request's cold-backup settings. */
function coldOf(o: BackupFlags): BackupRequest['cold'] {
  if (!o.cold) {
    if (o.stopCommand || o.startCommand || o.cleanSessions) throw new UsageError('--stop-command, --start-command and --clean-sessions go with --cold.');
    return undefined;
  }
  if (!o.stopCommand || !o.startCommand) throw new UsageError('--cold needs --stop-command CMD and --start-command CMD.', 'For example --stop-command "systemctl stop odoo" --start-command "systemctl start odoo".');
  return { stopCommand: o.stopCommand, startCommand: o.startCommand, cleanSessions: o.cleanSessions === true };
}

/** The result for people. */
function printResult(ctx: CliContext, r: BackupResultDto): void {
  const ok = r.destinations.filter((d) => d.ok);
  ctx.out(`backed up ${r.db} (${r.format}${r.encrypted ? ', encrypted' : ''}) — ${formatBytes(r.size)}, sha256 ${r.sha256}, in ${(r.durationMs / 1000).toFixed(1)} s`);
  for (const d of r.destinations) ctx.out(d.ok ? `  ${d.ref}` : `  ${d.storage}: FAILED — ${d.error?.message ?? 'failed'}`);
  ctx.out(`verification: ${r.verification.message}`);
  if (r.attachments) ctx.out(`attachments in object storage: ${r.attachments.included} of ${r.attachments.total} objects in the backup${r.attachments.problems.length ? ` — INCOMPLETE, ${r.attachments.problems.length} missing (see the warnings)` : ''}`);
  for (const x of r.rotation ?? []) ctx.out(rotationLine(x));
  if (ok.length < r.destinations.length) ctx.err(`${ok.length} of ${r.destinations.length} storages got the backup.`);
}

/** What one storage's rotation did after the backup, in a line. */
function rotationLine(x: NonNullable<BackupResultDto['rotation']>[number]): string {
  if (!x.policy) return `rotation on ${x.storage}: no rotation policy is stored for it, nothing deleted (set one with \`storage rotation ${x.storage} …\`)`;
  const deleted = x.deleted.length ? `deleted ${x.deleted.length} (${formatBytes(x.bytes)} freed): ${x.deleted.map((ref) => ref.slice(ref.indexOf(':') + 1)).join(', ')}` : 'deleted none';
  return `rotation on ${x.storage}: kept ${x.kept}, ${deleted}${x.failed.length ? `; ${x.failed.length} could not be deleted (see the warnings)` : ''}`;
}

/** The `backup` command. */
export const backupCommand: CommandModule = {
  register(program: Command, ctx: CliContext) {
    program
      .command('backup')
      .description('make an Odoo backup (dump.sql + manifest + filestore, as Odoo writes it) and write it to one or more storages at once')
      .requiredOption('--db <name>', 'the database to back up')
      .option('--source <postgres-url|odoo:INSTANCE>', 'a postgres:// URL without password (default: libpq environment, PGHOST etc.), or odoo:INSTANCE for a running Odoo through its database manager')
      .option('--data-dir <dir>', "Odoo data dir: the filestore is DATA_DIR/filestore/DB (default: Odoo's default for this OS)")
      .option('--no-filestore', 'the database only (a PostgreSQL source; through odoo:INSTANCE, --format dump is the database only)')
      .requiredOption('--to <storage>', 'a storage to write to (repeat for several: all are written at once)', collect)
      .addOption(new Option('--format <format>', 'zip (Odoo zip with filestore) or dump (pg_dump custom format)').choices(['zip', 'dump']).default('zip'))
      .addOption(new Option('--layout <layout>', 'names on the storage (default: odoo-backup-sh for a zip, odoo-manager for a dump; odoo-backup-sh holds zips only)').choices(['odoo-backup-sh', 'odoo-manager', 'backup-desk']))
      .option('--encrypt', 'encrypt with OpenPGP (gpg reads it): the passphrase from --passphrase-file/--passphrase-env, a prompt, or the one remembered for the first --to storage')
      .option('--passphrase-file <file>', 'read the encryption passphrase from a file (implies --encrypt)')
      .option('--passphrase-env <var>', 'read the encryption passphrase from an environment variable (implies --encrypt)')
      .option('--recipient <keyfile>', 'encrypt to this OpenPGP public key file (repeatable; implies --encrypt)', collect)
      .option('--cold', 'stop Odoo during the backup with --stop-command, then --start-command (which runs even when the backup fails); a PostgreSQL source only')
      .option('--stop-command <cmd>', 'the command that stops Odoo (with --cold)')
      .option('--start-command <cmd>', 'the command that starts Odoo (with --cold)')
      .option('--clean-sessions', 'with --cold: remove stale session files from DATA_DIR/sessions while Odoo is down')
      .option('--rotate', "afterwards, apply each storage's stored rotation policy (see `storage rotation`)")
      .addOption(new Option('--attachments <mode>', 'include: also copy every attachment object the database keeps in S3/Swift into the archive\'s filestore (SHA-1 checked), so the backup restores without the bucket').choices(['include']))
      .option('--attachments-storage <name>', 'with --attachments include: the configured storage whose credentials read those buckets/containers (default: the storage whose bucket/container matches)')
      .option('--json', 'print the result as JSON')
      .addHelpText('after', '\nLayouts: odoo-backup-sh (default) = <db>.<UTC stamp>.zip[.enc] + .info at the storage root; odoo-manager = <db>_<UTC stamp>.zip|.dump[.gpg];\nbackup-desk = <db>/<db>_<stamp>.zip|.dump[.gpg] + .json sidecar. Nothing is listed until the backup is complete:\nthe companion is written once the archive is stored, and the archive committed last (a kill -9 in between leaves the companion alone, listed as a stray).\nExit status: 0 every storage got it, 1 some or all did not, 130 cancelled (nothing left behind).')
      .action(async (o: BackupFlags, cmd: Command) => {
        if (!DBNAME_PATTERN.test(o.db)) throw new UsageError(`"${o.db}" is not a valid Odoo database name.`);
        if (o.filestore === false && o.dataDir) throw new UsageError('Give either --data-dir or --no-filestore.');
        if (o.format === 'dump' && o.layout === 'odoo-backup-sh') throw new UsageError('The odoo_backup_sh layout holds zip backups only.', 'Use --layout odoo-manager or --layout backup-desk with --format dump (odoo-manager is the default for a dump).');
        const req: BackupRequest = {
          db: o.db,
          source: sourceOf(o),
          to: o.to,
          format: o.format,
          ...(o.layout ? { layout: o.layout } : {}),
          rotate: o.rotate === true,
          ...(o.attachments ? { attachments: o.attachments } : {}),
          ...(o.attachmentsStorage ? { attachmentsStorage: o.attachmentsStorage } : {}),
        };
        const encrypt = await encryptionOf(ctx, o);
        const cold = coldOf(o);
        const desk = await ctx.desk(cmd);
        const job = desk.startBackup({ ...req, ...(encrypt ? { encrypt } : {}), ...(cold ? { cold } : {}) });
        const result = (await ctx.runJob(desk, job)) as BackupResultDto;
        for (const w of result.warnings) ctx.warn(w);
        if (o.json) ctx.out(JSON.stringify(result, null, 2));
        else printResult(ctx, result);
        if (result.destinations.some((d) => !d.ok)) ctx.exitCode = 1;
      });
  },
};
