/**
 * The backups area's slice of the contract: making a backup (a job) from PostgreSQL + filestore or
 * from a running Odoo's database manager, to one or more storages, and what it reports. Pure zod.
 */
import { z } from 'zod';

const DB_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Where the backup comes from. */
export const backupSourceSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('postgres'),
    /** `postgres://USER@HOST:PORT/` without a password (default: libpq's environment). */
    url: z.string().optional(),
    /** Odoo's data dir; the filestore is `<dataDir>/filestore/<db>` (default: Odoo's default). */
    dataDir: z.string().optional(),
    /** false = database only (`--no-filestore`). */
    filestore: z.boolean().default(true),
  }),
  z.object({ type: z.literal('odoo'), instance: z.string().min(1) }),
]);
/** Where the backup comes from. */
export type BackupSourceSpec = z.infer<typeof backupSourceSchema>;

/** The layouts a backup can be written in. */
export const backupLayoutSchema = z.enum(['odoo-backup-sh', 'odoo-manager', 'backup-desk']);

/** The layout a backup gets when none is named: odoo_backup_sh's for a zip, the database manager's for a dump (odoo_backup_sh holds zips only). */
export function defaultLayout(format: 'zip' | 'dump'): z.infer<typeof backupLayoutSchema> {
  return format === 'dump' ? 'odoo-manager' : 'odoo-backup-sh';
}

/** A backup request. */
/** Below this length a new encryption passphrase gets a warning (not a refusal: it is the user's call). */
export const SHORT_PASSPHRASE = 10;

/** The warning every face shows for a new encryption passphrase that is too short; undefined when it is long enough. */
export function shortPassphraseWarning(passphrase: string): string | undefined {
  if (passphrase === '' || [...passphrase].length >= SHORT_PASSPHRASE) return undefined;
  return `A passphrase this short can be guessed by anyone who gets a copy of the backups: use ${SHORT_PASSPHRASE} characters or more, e.g. a few unrelated words.`;
}

export const backupRequestSchema = z.object({
  db: z.string().regex(DB_NAME, 'Use letters, digits, "_", "." or "-", starting with a letter or digit.'),
  source: backupSourceSchema,
  /** Storage names to write to (at least one). */
  to: z.array(z.string().min(1)).min(1),
  format: z.enum(['zip', 'dump']).default('zip'),
  /** Names on the storage; default `defaultLayout(format)`. */
  layout: backupLayoutSchema.optional(),
  /** OpenPGP encryption: a passphrase and/or armored recipient public keys; `rememberedFrom` uses the passphrase remembered for that storage. */
  encrypt: z
    .object({
      passphrase: z.string().min(1).optional(),
      publicKeys: z.array(z.string()).optional(),
      rememberedFrom: z.string().optional(),
    })
    .optional(),
  /** Stop Odoo around the backup (the start command runs even when the backup fails). */
  cold: z.object({ stopCommand: z.string().min(1), startCommand: z.string().min(1), cleanSessions: z.boolean().default(false) }).optional(),
  /** Apply each destination's stored rotation policy afterwards. */
  rotate: z.boolean().default(false),
  /**
   * Attachments kept in object storage (S3/Swift): `include` also copies every object the database
   * references into the archive's filestore (zip with filestore only), so the backup is complete.
   */
  attachments: z.enum(['include']).optional(),
  /** The configured storage whose credentials read those buckets/containers (else matched by bucket/container). */
  attachmentsStorage: z.string().optional(),
});
/** A backup request. */
export type BackupRequest = z.infer<typeof backupRequestSchema>;

/** What happened on one destination. */
export const backupDestinationResultSchema = z.object({
  storage: z.string(),
  ok: z.boolean(),
  ref: z.string().optional(),
  key: z.string(),
  companionKey: z.string().optional(),
  error: z.object({ kind: z.string(), message: z.string(), hint: z.string().optional() }).optional(),
});

/** The filestore check. */
export const backupVerificationSchema = z.object({
  status: z.enum(['complete', 'missing-files', 'skipped']),
  referenced: z.number(),
  archived: z.number(),
  missingCount: z.number(),
  missing: z.array(z.string()),
  message: z.string(),
});

/** The result of a backup that reached at least one storage. */
export const backupResultSchema = z.object({
  db: z.string(),
  format: z.enum(['zip', 'dump']),
  layout: backupLayoutSchema,
  encrypted: z.boolean(),
  createdAt: z.string(),
  size: z.number(),
  sha256: z.string(),
  durationMs: z.number(),
  destinations: z.array(backupDestinationResultSchema),
  verification: backupVerificationSchema,
  odooVersion: z.string().optional(),
  pgVersion: z.string().optional(),
  warnings: z.array(z.string()),
  /** `rotate`: what each storage's rotation did after the backup (`policy` false: the storage has none, nothing was deleted). */
  rotation: z
    .array(
      z.object({
        storage: z.string(),
        policy: z.boolean(),
        kept: z.number(),
        /** Refs deleted, newest first. */
        deleted: z.array(z.string()),
        bytes: z.number(),
        failed: z.array(z.object({ ref: z.string(), error: z.string() })),
      }),
    )
    .optional(),
  /** `--attachments include`: the objects kept in object storage, and those that could not be included (the backup is then incomplete). */
  attachments: z
    .object({
      total: z.number(),
      included: z.number(),
      bytes: z.number(),
      problems: z.array(z.object({ storeFname: z.string(), reason: z.string(), message: z.string() })),
    })
    .optional(),
});
/** The result of a backup. */
export type BackupResultDto = z.infer<typeof backupResultSchema>;

/** The backups area's methods. */
export const backupMethods = {
  /** Starts a backup job; its result is a `backupResultSchema`. */
  'backup:start': { args: backupRequestSchema, result: z.object({ jobId: z.string() }) },
} as const;
