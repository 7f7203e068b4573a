/**
 * `schedule add|list|remove|run`: scheduled backups and restore drills kept in the home folder
 * (run by the app or by `backup-desk daemon`).
 */
import { Option, type Command } from 'commander';
import { beforeSettingsChanged, failedDrill, scheduledBackupTraits, type ScheduledWork, type ScheduleStatus } from '../../contract/schedules';
import { AppError } from '../../core/errors';
import { localZone } from '../../core/schedule';
import { UsageError, type CliContext } from '../context';
import { table } from '../format';
import { passphraseFrom } from './passphrase';
import { asUsageError } from './schedule';

interface AddOptions {
  every: string;
  tz?: string;
  grace?: string;
  drill?: boolean;
  storage?: string;
  db: string;
  source?: string;
  dataDir?: string;
  filestore: boolean;
  to?: string[];
  format: 'zip' | 'dump';
  layout?: 'odoo-backup-sh' | 'odoo-manager' | 'backup-desk';
  encrypt?: boolean;
  recipient?: string[];
  passphraseFile?: string;
  passphraseEnv?: string;
  coldStop?: string;
  coldStart?: string;
  cleanSessions?: boolean;
  rotate?: boolean;
  drillEvery?: string;
  attachments?: 'include';
  attachmentsStorage?: string;
  replace?: boolean;
  disabled?: boolean;
}

const collect = (v: string, all: string[] | undefined): string[] => [...(all ?? []), v];

function positiveInt(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a whole number of at least 1 (got "${text}").`);
  return n;
}

/** The job's work from the options. */
function workFrom(o: AddOptions): ScheduledWork {
  if (o.drill) {
    if (!o.storage) throw new UsageError('A drill job needs --storage NAME (where the backups are).', 'For example: schedule add nightly-drill --drill --storage nas --db acme --every "Sun 05:00"');
    return { kind: 'drill', storage: o.storage, db: o.db };
  }
  if (!o.source) throw new UsageError('A backup job needs --source postgres://USER@HOST:PORT/ or --source odoo:INSTANCE.');
  const to = o.to ?? [];
  const recipients = o.recipient ?? [];
  if (to.length === 0) throw new UsageError('A backup job needs at least one --to STORAGE.');
  if ((o.coldStop === undefined) !== (o.coldStart === undefined)) throw new UsageError('--cold-stop and --cold-start go together.');
  const drillEvery = positiveInt(o.drillEvery, '--drill-every');
  // As for `backup`: a passphrase given means an encrypted backup.
  const withPassphrase = o.encrypt === true || o.passphraseFile !== undefined || o.passphraseEnv !== undefined;
  return {
    kind: 'backup',
    db: o.db,
    source: o.source,
    to,
    format: o.format,
    ...(o.dataDir ? { dataDir: o.dataDir } : {}),
    ...(o.filestore ? {} : { noFilestore: true }),
    ...(o.layout ? { layout: o.layout } : {}),
    ...(withPassphrase || recipients.length > 0 ? { encrypt: { ...(withPassphrase ? { passphrase: true } : {}), ...(recipients.length ? { recipients } : {}) } } : {}),
    ...(o.coldStop && o.coldStart ? { cold: { stopCommand: o.coldStop, startCommand: o.coldStart, ...(o.cleanSessions ? { cleanSessions: true } : {}) } } : {}),
    ...(o.rotate ? { rotate: true } : {}),
    ...(drillEvery ? { drillEvery } : {}),
    ...(o.attachments ? { attachments: o.attachments } : {}),
    ...(o.attachmentsStorage ? { attachmentsStorage: o.attachmentsStorage } : {}),
  };
}

function registerAdd(group: Command, ctx: CliContext): void {
  group
    .command('add <name>')
    .description('add a scheduled backup (the backup command\'s options) or, with --drill, a scheduled restore drill')
    .requiredOption('--every <spec>', 'when: a systemd calendar event ("Mon..Fri 02:00", "*:0/15", "daily") or a cron expression ("0 2 * * *")')
    .option('--tz <zone>', "time zone the schedule is read in (default: this machine's)")
    .option('--grace <minutes>', 'how late a success may be before the job counts as overdue (default: half the interval, at most 6 h)')
    .requiredOption('--db <name>', 'the database')
    .option('--source <source>', 'required for a backup job: postgres://USER@HOST:PORT/ (no password: use ~/.pgpass) or odoo:INSTANCE')
    .option('--data-dir <dir>', "Odoo's data dir (filestore in DIR/filestore/DB)")
    .option('--no-filestore', 'back up the database only (a PostgreSQL source; through odoo:INSTANCE, --format dump is the database only)')
    .option('--to <storage>', 'a storage to write to (repeat for several)', collect)
    .option('--format <format>', 'zip or dump', 'zip')
    .option('--layout <layout>', 'odoo-backup-sh, odoo-manager or backup-desk (default: odoo-backup-sh for a zip, odoo-manager for a dump)')
    .option('--encrypt', 'encrypt with a passphrase, kept in the keychain for this job (from --passphrase-file/--passphrase-env or a prompt)')
    .option('--no-encrypt', 'with --replace: make the replaced encrypted job write unencrypted backups from now on')
    .option('--recipient <keyfile>', 'encrypt to this public key (repeat for several)', collect)
    .option('--passphrase-file <file>', 'read the encryption passphrase from a file (implies --encrypt)')
    .option('--passphrase-env <var>', 'read the encryption passphrase from an environment variable (implies --encrypt)')
    .option('--cold-stop <command>', 'stop Odoo before the backup (with --cold-start); a PostgreSQL source only')
    .option('--cold-start <command>', 'start Odoo after the backup, even when it failed')
    .option('--clean-sessions', 'remove stale session files while Odoo is stopped')
    .option('--rotate', "apply each destination's rotation policy after the backup")
    .option('--drill-every <n>', 'run a restore drill after every Nth successful backup')
    .addOption(new Option('--attachments <mode>', "include: also copy every attachment object the database keeps in S3/Swift into the archive's filestore (SHA-1 checked)").choices(['include']))
    .option('--attachments-storage <name>', 'with --attachments include: the configured storage whose credentials read those buckets/containers')
    .option('--drill', 'a restore drill job: restore the newest backup of --db on --storage into the private PostgreSQL and check it')
    .option('--storage <storage>', 'for --drill: the storage holding the backups')
    .option('--replace', 'replace a job of the same name')
    .option('--disabled', 'add it switched off')
    .action(async (name: string, o: AddOptions, cmd: Command) => {
      const work = workFrom(o);
      const grace = positiveInt(o.grace, '--grace');
      // Replacing a job without a passphrase given keeps the one stored for it.
      const keep = o.replace === true && o.passphraseFile === undefined && o.passphraseEnv === undefined;
      const passphrase = work.kind === 'backup' && work.encrypt?.passphrase ? await passphraseFrom(ctx, o, !keep, true) : undefined;
      const desk = await ctx.desk(cmd);
      if (o.replace) await refuseSilentDecryption(name, work, o.encrypt === false, desk);
      const st = await asUsageErrorAsync(() =>
        desk['schedules:save']({ name, work, every: o.every, tz: o.tz ?? localZone(), replace: !!o.replace, enabled: !o.disabled, ...(grace ? { graceSeconds: grace * 60 } : {}), ...(passphrase ? { passphrase } : {}) }),
      );
      ctx.out(`added ${st.name}: ${st.description}; next run ${st.nextRunAt ?? 'never'}`);
      for (const w of st.warnings ?? []) ctx.warn(w);
    });
}

/**
 * A replacement that would quietly stop encrypting: `--replace` takes the job's settings from the
 * flags given, and one given only to change the time must not make tonight's backup plain text.
 */
async function refuseSilentDecryption(name: string, work: ScheduledWork, meant: boolean, desk: { 'schedules:list'(args: Record<string, never>): Promise<ScheduleStatus[]> }): Promise<void> {
  const old = (await desk['schedules:list']({})).find((j) => j.name === name)?.work;
  if (meant || old?.kind !== 'backup' || !old.encrypt || (work.kind === 'backup' && work.encrypt)) return;
  throw new UsageError(`The job "${name}" encrypts its backups; replaced with these options, it would write them unencrypted.`, `Add --encrypt to keep the passphrase kept for it${old.encrypt.recipients?.length ? ' (and --recipient KEYFILE for its public keys)' : ''}, or --no-encrypt to mean it.`);
}

async function asUsageErrorAsync<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    return asUsageError(() => {
      throw err;
    });
  }
}

/** What sets a scheduled backup apart, in brackets: " (pg_dump format, encrypted, then rotated)" — the app's words. */
function backupTraits(w: Extract<ScheduleStatus['work'], { kind: 'backup' }>): string {
  const t = scheduledBackupTraits(w);
  return t.length ? ` (${t.join(', ')})` : '';
}

/** "retry 2026-01-05 01:05Z", or "retry was due …" for a time gone by (no scheduler ran then). */
function retryWords(at: string | null, what = 'retry'): string | undefined {
  return at ? `${what}${Date.parse(at) > Date.now() ? '' : ' was due'} ${minuteOf(at)}` : undefined;
}

/** The failed drill after a job's backups, unless it ran before a save changed the job's settings. */
function currentFailedDrill(s: ScheduleStatus): ReturnType<typeof failedDrill> {
  const drill = failedDrill(s);
  return drill && !beforeSettingsChanged(s, drill.at) ? drill : undefined;
}

/**
 * The STATE of a job that is on, neither running nor overdue. A failed run says when it is tried
 * again, unless it ran before a save changed the job's settings; a cancelled or skipped one is no
 * failure; a backup that went fine whose drill failed says so.
 */
function enabledState(s: ScheduleStatus): string {
  if (s.lastOutcome === 'failed') {
    if (beforeSettingsChanged(s, s.lastRunAt)) return 'failed before the settings changed';
    const retry = retryWords(s.retryAt);
    return retry ? `FAILING, ${retry}` : 'FAILING';
  }
  const drill = s.lastOutcome === 'ok' ? currentFailedDrill(s) : undefined;
  const drillRetry = retryWords(drill?.retryAt ?? null, 'drill retry');
  if (drill) return `ok, DRILL FAILED${drillRetry ? `, ${drillRetry}` : ''}`;
  return s.lastOutcome ?? 'waiting';
}

/** A slot's time as `schedule list` prints it: to the minute, or to the second when the schedule has seconds (`*:*:30`). */
function utcTime(iso: string): string {
  return `${iso.slice(0, iso.slice(17, 19) === '00' ? 16 : 19).replace('T', ' ')}Z`;
}

/** When a run happened, to the minute. */
function minuteOf(iso: string): string {
  return `${iso.slice(0, 16).replace('T', ' ')}Z`;
}

/** One line of `schedule list`. */
function row(s: ScheduleStatus): string[] {
  const what = s.work.kind === 'backup' ? `backup ${s.work.db} → ${s.work.to.join(',')}${backupTraits(s.work)}` : `drill ${s.work.db} on ${s.work.storage}`;
  const last = s.lastOutcome === null ? '-' : `${s.lastOutcome}${s.lastRunAt ? ` ${minuteOf(s.lastRunAt)}` : ''}`;
  const state = s.running ? 'running' : s.overdueSince ? `OVERDUE since ${minuteOf(s.overdueSince)}` : s.enabled ? enabledState(s) : 'disabled';
  const next = s.dueSince ? 'due, missed' : s.nextRunAt ? utcTime(s.nextRunAt) : '-';
  return [s.name, what, s.every, next, last, state];
}

function registerList(group: Command, ctx: CliContext): void {
  group
    .command('list')
    .description('the scheduled jobs: next run, last run and outcome, overdue')
    .option('--json', 'print a JSON array')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const list = await (await ctx.desk(cmd))['schedules:list']({});
      if (o.json) return ctx.out(JSON.stringify(list, null, 2));
      if (list.length === 0) return ctx.out('no scheduled jobs (add one with `backup-desk schedule add`)');
      ctx.io.stdout.write(table(['NAME', 'WHAT', 'EVERY', 'NEXT RUN', 'LAST RUN', 'STATE'], list.map(row)));
      for (const s of list) for (const note of listNotes(s)) ctx.err(note);
    });
}

/** What `schedule list` says of a job on stderr, under the table: a missed run, that it is overdue, that its last drill failed. */
function listNotes(s: ScheduleStatus): string[] {
  const drill = failedDrill(s);
  return [
    ...(s.dueSince ? [`${s.name} missed its run due at ${utcTime(s.dueSince)} (no scheduler was running then): the app or \`backup-desk daemon\` runs it once when it starts, then next at ${s.nextRunAt ? utcTime(s.nextRunAt) : 'no later time'}`] : []),
    ...(s.overdueSince ? [`${s.name} is overdue: no successful run since ${s.lastSuccessAt ?? 'it was added'}${s.lastError ? ` (last error: ${s.lastError})` : ''}`] : []),
    ...(drill ? [`${s.name}: its last drill (${minuteOf(drill.at)}) failed${beforeSettingsChanged(s, drill.at) ? ' before the settings changed' : ''}: ${drill.error ?? 'no reason recorded'}`] : []),
  ];
}

function registerRemoveRun(group: Command, ctx: CliContext): void {
  group
    .command('remove <name>')
    .description('remove a scheduled job (and its passphrase in the keychain); backups are untouched')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const { removed } = await (await ctx.desk(cmd))['schedules:remove']({ name });
      if (!removed) throw new AppError('NotFound', `No scheduled job named "${name}".`, { hint: 'See `backup-desk schedule list`.' });
      ctx.out(`removed ${name}`);
    });
  group
    .command('run <name>')
    .description('run a scheduled job now (not twice at once: a run in the app or daemon makes this one wait or stop); a backup after which a drill is due waits for that drill, and exits 1 if it fails')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const desk = await ctx.desk(cmd);
      const end = (await ctx.runJob(desk, desk.schedules.startRun(name))) as RunEnd & { drill?: RunEnd };
      ctx.out(`${name}: ${end.outcome}${end.refs?.length ? ` — ${end.refs.join(', ')}` : ''}`);
      if (!end.drill) return;
      // The backup is written, but a failed drill says it may not restore: a script must hear it.
      ctx.out(`${end.drill.name}: ${end.drill.outcome}${end.drill.error ? ` — ${end.drill.error}` : ''}`);
      if (end.drill.outcome !== 'ok') ctx.exitCode = 1;
    });
}

/** How a run ended, as `schedule run` prints it. */
interface RunEnd {
  name: string;
  outcome: string;
  error?: string;
  refs?: readonly string[];
}

/** Registers `schedule add|list|remove|run` on the `schedule` group. */
export function registerScheduleJobs(group: Command, ctx: CliContext): void {
  registerAdd(group, ctx);
  registerList(group, ctx);
  registerRemoveRun(group, ctx);
}
