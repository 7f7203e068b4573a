/**
 * The schedules' slice of the contract: scheduled jobs (a backup or a restore drill, when,
 * in which zone), their status (next run, last run and outcome, overdue), and the schedule
 * preview the UI shows while a spec is typed. Pure zod.
 */
import { z } from 'zod';
import { privateKeySchema } from './common';

/** A job name: letters, digits, `_`, `.`, `-`. */
export const scheduleNameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'Use letters, digits, "_", "." or "-" (at most 64).');

const DRILL_NAME_TAKEN = 'Names ending in ".drill" are kept for the restore drills run after a backup job; choose another.';

/** The name of a new job: not one ending in `.drill`, the name a backup job's drills run under (`followUpDrillName`). */
export const newScheduleNameSchema = scheduleNameSchema.refine((n) => !n.endsWith('.drill'), DRILL_NAME_TAKEN);

/** What a scheduled backup does: the `backup` command's options, secrets left in the keychain. */
export const scheduledBackupSchema = z.object({
  kind: z.literal('backup'),
  db: z.string().min(1),
  /** `postgres://…` (no password) or `odoo:INSTANCE`. */
  source: z.string().min(1),
  dataDir: z.string().optional(),
  noFilestore: z.boolean().optional(),
  /** Storage names. */
  to: z.array(z.string().min(1)).min(1),
  format: z.enum(['zip', 'dump']).default('zip'),
  layout: z.enum(['odoo-backup-sh', 'odoo-manager', 'backup-desk']).optional(),
  /** Encrypt with the passphrase kept in the keychain for this job, and/or to these public-key files. */
  encrypt: z.object({ passphrase: z.boolean().optional(), recipients: z.array(z.string()).optional() }).optional(),
  /** Stop Odoo around the backup (the start command runs even when the backup fails). */
  cold: z.object({ stopCommand: z.string().min(1), startCommand: z.string().min(1), cleanSessions: z.boolean().optional() }).optional(),
  /** Apply each destination's stored rotation policy afterwards. */
  rotate: z.boolean().optional(),
  /** Run a restore drill of the new backup after every Nth successful backup. */
  drillEvery: z.number().int().positive().optional(),
  /** `include`: also copy every attachment object the database keeps in S3/Swift into the archive (zip with filestore, PostgreSQL source). */
  attachments: z.enum(['include']).optional(),
  /** The configured storage whose credentials read those buckets/containers (else matched by bucket/container). */
  attachmentsStorage: z.string().min(1).optional(),
});
/** What a scheduled backup does. */
export type ScheduledBackup = z.infer<typeof scheduledBackupSchema>;

/** What sets a scheduled backup apart, in the words the app and the CLI both show ("pg_dump format", "encrypted", "then rotated"…). */
export function scheduledBackupTraits(w: ScheduledBackup): string[] {
  return [
    ...(w.format === 'dump' ? ['pg_dump format'] : w.noFilestore ? ['database only'] : []),
    ...(w.encrypt ? ['encrypted'] : []),
    ...(w.attachments ? ['with its attachments from S3/Swift'] : []),
    ...(w.cold ? ['Odoo stopped meanwhile'] : []),
    ...(w.rotate ? ['then rotated'] : []),
    ...(w.drillEvery ? [w.drillEvery === 1 ? 'a drill after every backup' : `a drill every ${w.drillEvery} backups`] : []),
  ];
}

/** What a scheduled restore drill does: restore the newest backup of `db` on `storage` and check it. */
export const scheduledDrillSchema = z.object({
  kind: z.literal('drill'),
  storage: z.string().min(1),
  db: z.string().min(1),
});
/** What a scheduled drill does. */
export type ScheduledDrill = z.infer<typeof scheduledDrillSchema>;

/** What a job does. */
export const scheduledWorkSchema = z.discriminatedUnion('kind', [scheduledBackupSchema, scheduledDrillSchema]);
/** What a job does. */
export type ScheduledWork = z.infer<typeof scheduledWorkSchema>;

/** A scheduled job as stored in the home folder. */
export const scheduledJobSchema = z.object({
  name: scheduleNameSchema,
  work: scheduledWorkSchema,
  /** A systemd calendar event or a cron expression. */
  every: z.string().min(1),
  /** IANA zone the spec is read in (unless it names its own). */
  tz: z.string().min(1),
  /** How late a success may be before the job counts as overdue, in seconds (default: derived from the interval). */
  graceSeconds: z.number().int().positive().optional(),
  enabled: z.boolean().default(true),
  /** ISO 8601 UTC. */
  createdAt: z.string(),
  /** When a save last changed what it does or when (ISO 8601 UTC): runs that started before ran with other settings. */
  settingsChangedAt: z.string().optional(),
});
/** A scheduled job. */
export type ScheduledJob = z.infer<typeof scheduledJobSchema>;

/** How a job's last run ended. */
export const jobOutcomeSchema = z.enum(['ok', 'failed', 'cancelled', 'skipped']);
/** How a job's last run ended. */
export type JobOutcome = z.infer<typeof jobOutcomeSchema>;

/** The name the drill after a backup job's backups runs under (in its alerts and the history's `details.schedule`). */
export function followUpDrillName(job: string): string {
  return `${job}.drill`;
}

/** How the latest drill after a backup job's backups ended (its own run: retried, then alerted, as any run). */
export const followUpDrillSchema = z.object({
  /** When it started, ISO 8601 UTC. */
  at: z.string(),
  outcome: jobOutcomeSchema,
  error: z.string().nullable(),
  /** A retry after its failure is planned at this time. */
  retryAt: z.string().nullable(),
  /** True while a drill runs again (`at` is then its start, `outcome` the previous one's). */
  running: z.boolean(),
});
/** How the latest drill after a backup job's backups ended. */
export type FollowUpDrill = z.infer<typeof followUpDrillSchema>;

/** A job with its state, as `schedule list` and the Schedules screen show it. */
export const scheduleStatusSchema = scheduledJobSchema.extend({
  /** The schedule in words. */
  description: z.string(),
  /** ISO 8601 UTC, or null when the schedule never runs again. */
  nextRunAt: z.string().nullable(),
  lastRunAt: z.string().nullable(),
  lastOutcome: jobOutcomeSchema.nullable(),
  lastError: z.string().nullable(),
  lastSuccessAt: z.string().nullable(),
  /** True while it runs (in this process or another one holding its lock). */
  running: z.boolean(),
  /** Set when the last success is older than the expected interval plus grace: since when it is overdue. */
  overdueSince: z.string().nullable(),
  /** A retry after a failure is planned at this time. */
  retryAt: z.string().nullable(),
  /**
   * A slot that fell due and was not run (no scheduler was running then: the app closed, no
   * daemon): ISO 8601 UTC. The next scheduler to start runs it once, as a catch-up. Absent when none.
   */
  dueSince: z.string().optional(),
  consecutiveFailures: z.number().int().nonnegative(),
  /** A backup job with automatic drills (`drillEvery`): its latest drill (absent before the first one). */
  lastDrill: followUpDrillSchema.optional(),
});
/** A job with its state. */
export type ScheduleStatus = z.infer<typeof scheduleStatusSchema>;

/** The latest drill after a backup job's backups, when it failed (a backup that went fine is then no plain success). */
export function failedDrill(s: { readonly lastDrill?: FollowUpDrill | undefined }): FollowUpDrill | undefined {
  return s.lastDrill?.outcome === 'failed' && !s.lastDrill.running ? s.lastDrill : undefined;
}

/** True when a run that started at `runAt` ran with settings a save has changed since: its failure tells of them, not of the job now. */
export function beforeSettingsChanged(s: { readonly settingsChangedAt?: string | undefined }, runAt: string | null): boolean {
  return s.settingsChangedAt !== undefined && runAt !== null && Date.parse(runAt) < Date.parse(s.settingsChangedAt);
}

/** A schedule preview: the normalized spec, its reading in words, the next runs. */
export const schedulePreviewSchema = z.object({
  ok: z.boolean(),
  kind: z.enum(['calendar', 'cron']).optional(),
  normalized: z.string().optional(),
  description: z.string().optional(),
  zone: z.string().optional(),
  /** ISO 8601 UTC. */
  runs: z.array(z.string()),
  /** Why the spec is not valid (when `ok` is false). */
  error: z.string().optional(),
});
/** A schedule preview. */
export type SchedulePreview = z.infer<typeof schedulePreviewSchema>;

/** One check of a restore drill. */
export const drillCheckSchema = z.object({
  name: z.enum(['modules', 'admin-user', 'filestore']),
  ok: z.boolean(),
  message: z.string(),
  problems: z.array(z.string()).optional(),
});

/** What a restore drill found, with its timings. */
export const drillResultSchema = z.object({
  ok: z.boolean(),
  /** The backup restored (`storage:key`, or a file path). */
  ref: z.string(),
  db: z.string(),
  /** The throwaway database it was restored as (dropped afterwards). */
  restoredAs: z.string(),
  checks: z.array(drillCheckSchema),
  timings: z.object({ findMs: z.number(), restoreMs: z.number(), checkMs: z.number(), dropMs: z.number(), totalMs: z.number() }),
  odooVersion: z.string().optional(),
  /** Attachments kept in S3/Swift: what the drill did with them (a backup without them all is restored keep-remote, read-only). */
  attachments: z
    .object({
      mode: z.enum(['bring-home', 'keep-remote', 'skip']),
      /** Distinct objects the database referenced in object storage. */
      objects: z.number(),
      /** Of them, those the backup held (brought home and SHA-1 checked). */
      fromBackup: z.number(),
      /** Those only in object storage: not checked by the drill. */
      notInBackup: z.number(),
      message: z.string(),
    })
    .optional(),
});
/** What a restore drill found. */
export type DrillResult = z.infer<typeof drillResultSchema>;

/** The schedules' contract methods. */
export const scheduleMethods = {
  /** The next runs of a spec and its reading, for a live preview (never throws on a bad spec). */
  'schedules:preview': {
    args: z.object({ every: z.string(), tz: z.string().optional(), from: z.string().optional(), count: z.number().int().min(1).max(1000).optional() }),
    result: schedulePreviewSchema,
  },
  'schedules:list': { args: z.object({}), result: z.array(scheduleStatusSchema) },
  /** Adds a job, or replaces one of the same name with `replace`. */
  'schedules:save': {
    args: z.object({
      name: scheduleNameSchema,
      work: scheduledWorkSchema,
      every: z.string(),
      tz: z.string().optional(),
      graceSeconds: z.number().int().positive().optional(),
      enabled: z.boolean().optional(),
      replace: z.boolean().optional(),
      /** The passphrase to keep in the keychain for an encrypted backup job. */
      passphrase: z.string().optional(),
    }).refine((a) => a.replace === true || !a.name.endsWith('.drill'), { message: DRILL_NAME_TAKEN, path: ['name'] }),
    /** The saved job; `warnings` when its source looks wrong now (a database not found, a server not answering). */
    result: scheduleStatusSchema.extend({ warnings: z.array(z.string()).optional() }),
  },
  'schedules:remove': { args: z.object({ name: z.string() }), result: z.object({ removed: z.boolean() }) },
  /** Runs a job now, as a job with progress (queued behind a job on the same source). */
  'schedules:run-now': { args: z.object({ name: z.string() }), result: z.object({ jobId: z.string() }) },
  /** Runs a restore drill now (a job; its result is a `drillResultSchema`): a backup ref, or the newest backup of `db` on `storage`. */
  'drills:run': {
    args: z.object({
      ref: z.string().optional(),
      storage: z.string().optional(),
      db: z.string().optional(),
      /** The passphrase of an encrypted backup (else the one remembered for its storage). */
      passphrase: z.string().optional(),
      /** A private key that opens a backup encrypted to its public key. */
      privateKey: privateKeySchema.optional(),
      /** Remember `passphrase` for the backup's storage once it has opened the backup. */
      rememberPassphrase: z.boolean().optional(),
    }),
    result: z.object({ jobId: z.string() }),
  },
} as const;
