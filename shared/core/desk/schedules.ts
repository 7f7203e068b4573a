/**
 * The schedules area of the Desk: scheduled jobs (`schedules:*`), and the scheduler that runs
 * them. A host (the Electron main process, `backup-desk daemon`) calls `scheduler.start()`;
 * the CLI's `schedule run` uses `runNow` without starting it.
 */
import type { AreaApi, scheduleMethods } from '../../contract/api';
import { apiMethods, type ApiArgs, type ApiArgsParsed, type ApiResult } from '../../contract/api';
import type { ScheduledJob, ScheduledWork } from '../../contract/schedules';
import { pgUrlHasPassword } from '../pg/connection';
import { AppError, isAppError, toAppError } from '../errors';
import type { JobContext } from '../jobs/job';
import { localZone, nextRuns, parseSchedule } from '../schedule';
import { Scheduler, type JobRunner, type RunSummary } from '../scheduler';
import type { Trigger } from '../scheduler/timing';
import type { Clock } from '../scheduler/clock';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { backupRequestSchema, defaultLayout, type BackupRequest } from '../../contract/backups';
import { PG_URL_PREFIX } from '../../contract/common';
import { checkLayout } from '../backup/layouts';
import { checkDatabase } from '../backup/snapshot';
import { assertDatabaseName, defaultOdooDataDir } from '../restore/targets';
import { COLD_THROUGH_ODOO, missedStorages, type BackupService } from '../backup/service';
import { odooSourceConflicts, type OdooSourceConflict } from '../backup';
import type { DeskKernel } from './kernel';
import type { DrillService } from './drills';
import { unknownStorageError } from '../storage/unknown-storage';
import { unknownInstanceError, type OdooInstance } from '../odoo/instances';

/** The keychain scope of a scheduled job's secrets (the backup passphrase). */
export const scheduleSecretScope = (name: string): string => `schedule:${name}`;

/** Refuses `attachments: include` where a backup could not carry the objects (as `backup` would, but at save time). */
function checkAttachmentsOption(work: ScheduledWork): void {
  if (work.kind !== 'backup') return;
  if (work.attachmentsStorage && !work.attachments) throw new AppError('InvalidInput', 'attachmentsStorage goes with attachments: include.', { hint: 'Include the attachments, or name no storage for them.', details: { cliHint: 'Add --attachments include, or drop --attachments-storage.' } });
  if (work.attachments !== 'include') return;
  if (work.source.startsWith('odoo:') || work.format !== 'zip' || work.noFilestore) {
    throw new AppError('InvalidInput', 'Including the attachments kept in S3/Swift needs a zip backup of a PostgreSQL database with its filestore.', {
      hint: 'Make a zip backup with the filestore, from a PostgreSQL server (not through an Odoo instance).',
      details: { cliHint: 'Use --format zip with the filestore and a postgres:// source (not odoo:INSTANCE).' },
    });
  }
}

/** A job's words for what a backup through a running Odoo cannot honour (the rule: `odooSourceConflicts`): message, the app's hint, the CLI's. */
const THROUGH_ODOO_WORDS: Record<OdooSourceConflict, [string, string, string]> = {
  cold: [COLD_THROUGH_ODOO, 'Do not stop Odoo for this job: Odoo makes the backup while it runs.', 'Drop --cold-stop and --cold-start: Odoo makes the backup while it runs.'],
  'data-dir': ['A backup through a running Odoo gets the filestore from Odoo: a data dir does not apply.', 'Leave the data dir empty.', 'Drop --data-dir.'],
  'no-filestore': ["A backup through a running Odoo cannot leave the filestore out: Odoo's database manager puts it into every zip it makes.", 'Choose the pg_dump format for the database only.', 'Use --format dump for the database only.'],
};

/** Refuses what a backup through a running Odoo cannot honour: stopping Odoo, a data dir, or a zip without its filestore. */
function checkOdooSourceOptions(work: Extract<ScheduledWork, { kind: 'backup' }>): void {
  if (!work.source.startsWith('odoo:')) return;
  const conflict = odooSourceConflicts(work)[0];
  if (!conflict) return;
  const [message, hint, cliHint] = THROUGH_ODOO_WORDS[conflict];
  throw new AppError('InvalidInput', message, { hint, details: { cliHint } });
}

/**
 * The backup source a job's `source` names: `odoo:INSTANCE`, a postgres:// URL, or `postgres`
 * (libpq's defaults); `InvalidInput` for anything else, at save time as at run time.
 */
function jobSource(w: Extract<ScheduledWork, { kind: 'backup' }>): BackupRequest['source'] {
  if (/^odoo:./.test(w.source)) return { type: 'odoo', instance: w.source.slice('odoo:'.length) };
  if (w.source !== 'postgres' && !PG_URL_PREFIX.test(w.source)) {
    throw new AppError('InvalidInput', `The source must be a postgres:// URL or odoo:INSTANCE (got "${w.source}").`, {
      hint: 'For example postgres://odoo@localhost:5432/ (password in ~/.pgpass), or odoo:prod for an Odoo added under Odoo instances.',
    });
  }
  return { type: 'postgres', ...(w.source === 'postgres' ? {} : { url: w.source }), ...(w.dataDir ? { dataDir: w.dataDir } : {}), filestore: !w.noFilestore };
}

/**
 * Refuses at save time what would only fail when the job runs: a source that is no postgres:// URL or odoo:INSTANCE, one with a password (the
 * job's settings are kept in plain text), a storage that is not configured, a schedule that never runs.
 */
function checkRunnable(work: ScheduledWork, storages: readonly string[], next: Date | undefined, every: string, instances?: readonly OdooInstance[]): void {
  if (work.kind === 'backup' && pgUrlHasPassword(work.source)) {
    throw new AppError('InvalidInput', "The source URL contains a password, and a schedule's settings are kept in plain text.", {
      hint: "Drop the password from the URL and give it through ~/.pgpass or PGPASSFILE for the user the scheduler runs as.",
    });
  }
  if (work.kind === 'backup') {
    const source = jobSource(work);
    checkOdooSourceOptions(work);
    if (source.type === 'odoo' && instances && !instances.some((i) => i.name === source.instance)) throw unknownInstanceError(source.instance, instances);
    assertDatabaseName(work.db);
    checkLayout(work.layout ?? defaultLayout(work.format), work);
  }
  const named = work.kind === 'backup' ? [...work.to, ...(work.attachmentsStorage ? [work.attachmentsStorage] : [])] : [work.storage];
  const unknown = named.filter((n) => !storages.includes(n));
  if (unknown.length > 0) throw unknownStorageError(unknown, storages);
  if (!next) throw new AppError('InvalidInput', `"${every}" never comes: the job would never run.`, { hint: 'Check the date (a 31st of February, a 30th of February…).' });
}

/** Automatic drills a job's backups cannot pass: encrypted to public keys only, no drill has their private key. */
function drillWarnings(work: ScheduledWork): string[] {
  if (work.kind !== 'backup' || !work.drillEvery || !work.encrypt?.recipients?.length || work.encrypt.passphrase) return [];
  return [
    'Its backups are encrypted to public keys only: its automatic drills have no private key to open them, and will fail. Also encrypt with a passphrase, or drill them by hand with the key (backup-desk drill REF --private-key KEYFILE).',
  ];
}

/** How long saving a job waits to learn whether its database is there (the job is saved either way). */
const SOURCE_CHECK_MS = 5_000;

/**
 * What saving a backup job finds wrong with its PostgreSQL source, as warnings: the job is saved
 * either way (the database may be created later, the server may be down just now), but a
 * mistyped database name should not wait for the first run, at night, to be noticed.
 */
async function sourceWarnings(work: ScheduledWork): Promise<string[]> {
  if (work.kind !== 'backup') return [];
  const source = jobSource(work);
  if (source.type !== 'postgres') return [];
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), SOURCE_CHECK_MS)));
  const check = checkDatabase(source.url, work.db).then(() => undefined);
  check.catch(() => undefined); // a check that ends after the wait must not go unhandled
  try {
    if ((await Promise.race([check, late])) === 'late') return [`Database "${work.db}" could not be checked within ${SOURCE_CHECK_MS / 1000} s: the job will only find out when it runs.`];
    return await filestoreWarnings(work, source);
  } catch (err) {
    const e = toAppError(err);
    const said = e.message.replace(/\.$/, '');
    if (e.kind === 'NotFound') return [`${said}: the job will fail until that database exists (check its name).`];
    return [`Database "${work.db}" could not be checked now (${said}): the job will only find out when it runs.`];
  } finally {
    clearTimeout(timer);
  }
}

/** A zip backup job's filestore folder that is not there (this machine's view: the job runs here too). */
async function filestoreWarnings(work: Extract<ScheduledWork, { kind: 'backup' }>, source: BackupRequest['source']): Promise<string[]> {
  if (source.type !== 'postgres' || work.format !== 'zip' || work.noFilestore) return [];
  const dir = join(source.dataDir ?? defaultOdooDataDir(), 'filestore', work.db);
  if ((await stat(dir).catch(() => undefined))?.isDirectory()) return [];
  return [`There is no filestore folder ${dir}: unless the database keeps no files there, the job will fail (check the Odoo data dir, or back up the database only).`];
}

/** True when two versions of a job differ in what it does or when it runs (switching it on or off is no change of settings). */
function settingsDiffer(before: ScheduledJob, after: ScheduledJob): boolean {
  // Through JSON: a key left undefined is the key left out, as in the jobs file.
  const settings = (j: ScheduledJob): unknown => JSON.parse(JSON.stringify({ work: j.work, every: j.every, tz: j.tz, graceSeconds: j.graceSeconds }));
  return !isDeepStrictEqual(settings(before), settings(after));
}

/** True when `job` encrypts its backups with a passphrase stored for it. */
function hadPassphrase(job: ScheduledJob | undefined): boolean {
  return job?.work.kind === 'backup' && job.work.encrypt?.passphrase === true;
}

/** Runs one kind of work for a scheduled job. */
export type WorkRunner = (job: ScheduledJob, ctx: JobContext & { readonly trigger: Trigger }) => Promise<RunSummary>;

/** Options of the schedules area (tests inject a clock and runners). */
export interface SchedulesOptions {
  readonly clock?: Clock;
  readonly pollMs?: number;
  readonly retryDelaysMs?: readonly number[];
  readonly owner?: string;
}

/** The schedules area: implements `schedules:*`; `scheduler` is the engine a host starts. */
export class SchedulesDeskService implements AreaApi<typeof scheduleMethods> {
  readonly scheduler: Scheduler;
  /** The configured Odoo instances, checked when a job backs up through one (the Desk wires them in). */
  instances?: () => Promise<readonly OdooInstance[]>;
  private readonly runners = new Map<ScheduledWork['kind'], WorkRunner>();
  private readonly now: () => number;

  constructor(
    private readonly k: DeskKernel,
    private readonly drills: DrillService,
    backups: BackupService,
    opts: SchedulesOptions = {},
  ) {
    const runner: JobRunner = { run: (job, ctx) => this.runWork(job, ctx) };
    this.now = () => opts.clock?.now() ?? Date.now();
    this.scheduler = new Scheduler({ home: k.home, runner, log: k.log.child({ area: 'scheduler' }), ...opts });
    this.setRunner('drill', async (job, ctx) => {
      if (job.work.kind !== 'drill') throw new AppError('Fatal', 'Not a drill job.');
      const fallbackPassphrase = await this.writerPassphrase(job.work.storage, job.work.db);
      const r = await drills.run({ storage: job.work.storage, db: job.work.db, fallbackPassphrase, details: { schedule: job.name, trigger: ctx.trigger } }, ctx);
      if (!r.ok) throw new AppError('Fatal', `The restore drill of ${r.ref} failed: ${r.checks.filter((c) => !c.ok).map((c) => c.message).join('; ')}`);
      return { refs: [r.ref], destinations: ['embedded'], details: { timings: r.timings } };
    });
    this.setRunner('backup', async (job, ctx) => {
      const r = await backups.run(await this.backupRequest(job), ctx);
      // A backup some storages did not get is a failed run: retried, and alerted when it stays so.
      const missed = missedStorages(r);
      if (missed) throw missed;
      return { bytes: r.size, refs: r.destinations.flatMap((d) => (d.ref ? [d.ref] : [])), destinations: r.destinations.filter((d) => d.ok).map((d) => d.storage) };
    });
  }

  /** The `backup:start` request a scheduled backup job stands for (its passphrase from the keychain). */
  private async backupRequest(job: ScheduledJob): Promise<BackupRequest> {
    if (job.work.kind !== 'backup') throw new AppError('Fatal', 'Not a backup job.');
    const w = job.work;
    const source = jobSource(w);
    let encrypt: BackupRequest['encrypt'];
    if (w.encrypt) {
      const passphrase = w.encrypt.passphrase ? await (await this.k.secrets()).get(scheduleSecretScope(job.name), 'passphrase') : undefined;
      if (w.encrypt.passphrase && !passphrase) throw new AppError('AuthFailed', `The passphrase of the scheduled job "${job.name}" is not in the keychain.`, {
        hint: 'Edit the job and give its passphrase again.',
        details: { cliHint: `Add it again: backup-desk schedule add ${job.name} --replace --encrypt …` },
      });
      const publicKeys = await Promise.all((w.encrypt.recipients ?? []).map((f) => readFile(f, 'utf8')));
      encrypt = { ...(passphrase ? { passphrase } : {}), ...(publicKeys.length ? { publicKeys } : {}) };
    }
    return backupRequestSchema.parse({
      db: w.db,
      source,
      to: w.to,
      format: w.format,
      ...(w.layout ? { layout: w.layout } : {}),
      ...(encrypt ? { encrypt } : {}),
      ...(w.cold ? { cold: { stopCommand: w.cold.stopCommand, startCommand: w.cold.startCommand, cleanSessions: !!w.cold.cleanSessions } } : {}),
      rotate: !!w.rotate,
      ...(w.attachments ? { attachments: w.attachments } : {}),
      ...(w.attachmentsStorage ? { attachmentsStorage: w.attachmentsStorage } : {}),
    });
  }

  /** The passphrase of a scheduled backup job that writes `db` to `storage` encrypted, if one does (kept in the keychain). */
  private async writerPassphrase(storage: string, db: string): Promise<string | undefined> {
    const writers = (await this.scheduler.store.list()).filter((j) => j.work.kind === 'backup' && j.work.db === db && j.work.to.includes(storage) && j.work.encrypt?.passphrase);
    for (const j of writers) {
      const pw = await (await this.k.secrets()).get(scheduleSecretScope(j.name), 'passphrase').catch(() => undefined);
      if (pw) return pw;
    }
    return undefined;
  }

  /** Plugs in what runs one kind of work (`backup`: the backups service; `drill`: drills). */
  setRunner(kind: ScheduledWork['kind'], run: WorkRunner): void {
    this.runners.set(kind, run);
  }

  private async runWork(job: ScheduledJob, ctx: JobContext & { readonly trigger: Trigger }): Promise<RunSummary> {
    const run = this.runners.get(job.work.kind);
    if (!run) throw new AppError('Fatal', `This build cannot run ${job.work.kind} jobs yet.`, { hint: 'Update Odoo Backup Desk.' });
    return run(job, ctx);
  }

  /** @inheritdoc */
  async 'schedules:preview'(args: ApiArgs<'schedules:preview'>): Promise<ApiResult<'schedules:preview'>> {
    const a = apiMethods['schedules:preview'].args.parse(args);
    try {
      const s = parseSchedule(a.every, { timeZone: a.tz ?? localZone() });
      const from = a.from === undefined ? new Date() : new Date(a.from);
      if (Number.isNaN(from.getTime())) throw new AppError('InvalidInput', `"${a.from}" is not an ISO-8601 time.`);
      const runs = nextRuns(s, from, a.count ?? 5).map((d) => d.toISOString());
      return { ok: true, kind: s.kind, normalized: s.normalized, description: s.describe(), zone: s.zone, runs };
    } catch (err) {
      if (!isAppError(err, 'InvalidInput')) throw err;
      return { ok: false, runs: [], error: err.message };
    }
  }

  /** The names of the jobs that back up through Odoo instance `instance`. */
  async jobsUsingInstance(instance: string): Promise<string[]> {
    return (await this.scheduler.store.list()).filter((j) => j.work.kind === 'backup' && j.work.source === `odoo:${instance}`).map((j) => j.name);
  }

  /** The names of the jobs that write to, read from or drill on `storage`. */
  async jobsUsingStorage(storage: string): Promise<string[]> {
    const uses = (w: ScheduledWork): boolean => (w.kind === 'backup' ? w.to.includes(storage) || w.attachmentsStorage === storage : w.storage === storage);
    return (await this.scheduler.store.list()).filter((j) => uses(j.work)).map((j) => j.name);
  }

  /** @inheritdoc */
  async 'schedules:list'(): Promise<ApiResult<'schedules:list'>> {
    return this.scheduler.status();
  }

  /** @inheritdoc */
  async 'schedules:save'(args: ApiArgs<'schedules:save'>): Promise<ApiResult<'schedules:save'>> {
    const a = apiMethods['schedules:save'].args.parse(args);
    const tz = a.tz ?? localZone();
    const schedule = parseSchedule(a.every, { timeZone: tz }); // InvalidInput with the reason
    checkAttachmentsOption(a.work);
    const storages = (await this.k.config.read()).storages.map((e) => e.name);
    checkRunnable(a.work, storages, schedule.next(new Date(this.now())), a.every.trim(), await this.instances?.());
    if (a.work.kind === 'backup' && a.work.encrypt?.passphrase && !a.passphrase) {
      const kept = await (await this.k.secrets()).get(scheduleSecretScope(a.name), 'passphrase');
      if (!kept) throw new AppError('InvalidInput', 'An encrypted scheduled backup needs its passphrase.', { hint: 'Give it once; it is kept in the keychain for this job.' });
    }
    const existing = await this.scheduler.store.get(a.name);
    const job = await this.jobToSave(a, tz, a.replace ? existing : undefined);
    await this.scheduler.store.save(job, a.replace ?? false, new Date(this.now()));
    if (a.passphrase) await (await this.k.secrets()).set(scheduleSecretScope(a.name), 'passphrase', a.passphrase);
    // A job no longer encrypted with a passphrase keeps none.
    else if (hadPassphrase(existing) && !hadPassphrase(job)) await this.forgetJobPassphrase(a.name);
    await this.scheduler.reload();
    const status = (await this.scheduler.status()).find((s) => s.name === a.name);
    if (!status) throw new AppError('Fatal', `The job "${a.name}" was not saved.`);
    const warnings = [...drillWarnings(a.work), ...(await sourceWarnings(a.work))];
    return warnings.length ? { ...status, warnings } : status;
  }

  /** The job a save stores: a replaced one keeps its creation time, and notes when the save changed its settings. */
  private async jobToSave(a: ApiArgsParsed<'schedules:save'>, tz: string, replaced: ScheduledJob | undefined): Promise<ScheduledJob> {
    const job: ScheduledJob = {
      name: a.name,
      work: a.work,
      every: a.every.trim(),
      tz,
      enabled: a.enabled ?? true,
      createdAt: replaced?.createdAt ?? new Date().toISOString(),
      ...(a.graceSeconds !== undefined ? { graceSeconds: a.graceSeconds } : {}),
    };
    const changed = replaced !== undefined && (settingsDiffer(replaced, job) || (await this.newPassphrase(a)));
    const changedAt = changed ? new Date(this.now()).toISOString() : replaced?.settingsChangedAt;
    return changedAt ? { ...job, settingsChangedAt: changedAt } : job;
  }

  /** True when a save gives a job a passphrase other than the one kept for it (a job failing for want of it is fixed so). */
  private async newPassphrase(a: ApiArgsParsed<'schedules:save'>): Promise<boolean> {
    if (!a.passphrase) return false;
    const kept = await (await this.k.secrets()).get(scheduleSecretScope(a.name), 'passphrase').catch(() => undefined);
    return kept !== a.passphrase;
  }

  /** Deletes the passphrase stored for a job (best effort: a failure is logged). */
  private async forgetJobPassphrase(name: string): Promise<void> {
    try {
      await (await this.k.secrets()).deleteScope(scheduleSecretScope(name));
    } catch (err) {
      this.k.log.warn('could not delete the passphrase of a scheduled job', { job: name, error: toAppError(err).message });
    }
  }

  /** @inheritdoc */
  async 'schedules:remove'(args: ApiArgs<'schedules:remove'>): Promise<ApiResult<'schedules:remove'>> {
    const existing = await this.scheduler.store.get(args.name);
    const removed = await this.scheduler.store.remove(args.name);
    // Only a job that kept a passphrase needs the keychain (which may be locked or absent).
    if (removed && hadPassphrase(existing)) await this.forgetJobPassphrase(args.name);
    await this.scheduler.reload();
    return { removed };
  }

  /** @inheritdoc */
  async 'schedules:run-now'(args: ApiArgs<'schedules:run-now'>): Promise<ApiResult<'schedules:run-now'>> {
    return { jobId: this.startRun(args.name).jobId };
  }

  /** @inheritdoc */
  async 'drills:run'(args: ApiArgs<'drills:run'>): Promise<ApiResult<'drills:run'>> {
    const a = apiMethods['drills:run'].args.parse(args);
    return { jobId: this.drills.start(a).jobId };
  }

  /** Runs a job now as a Desk job (progress, cancel); its result is the run's end. */
  startRun(name: string): { jobId: string; result: Promise<unknown> } {
    const h = this.k.jobs.start('schedule', `Run the scheduled job ${name}`, async (ctx) => {
      const end = await this.scheduler.runNow(name, { signal: ctx.signal, progress: (p) => ctx.progress(p) });
      if (end.outcome === 'cancelled') throw new AppError('Cancelled', end.error ?? 'The run was cancelled.');
      if (end.outcome === 'failed') throw new AppError('Fatal', end.error ?? 'The run failed.');
      if (end.outcome === 'skipped') throw new AppError('Conflict', end.error ?? 'It is already running.', { hint: 'Wait for that run to finish.' });
      return end;
    });
    return { jobId: h.id, result: h.result };
  }
}
