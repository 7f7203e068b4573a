/** The contract of the restores area: targets, name checks, and the restore job. */
import { z } from 'zod';
import { DBNAME_PATTERN, emptySchema, jobIdSchema, privateKeySchema } from './common';

/** Where to restore. */
export const restoreTargetSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('postgres'), url: z.string().optional(), dataDir: z.string().optional() }),
  z.object({ type: z.literal('embedded'), dataDir: z.string().optional() }),
  /** The Odoo on this machine, from its configuration file (`conf`; default: the usual places): its PostgreSQL, role and data dir. */
  z.object({ type: z.literal('local-odoo'), conf: z.string().optional(), dataDir: z.string().optional() }),
  /** A running Odoo, through its database manager (an instance added with `odoo add`). */
  z.object({ type: z.literal('odoo'), instance: z.string().min(1) }),
]);
/** Where to restore. */
export type RestoreTargetSpec = z.infer<typeof restoreTargetSchema>;

/**
 * What a restore does with attachments kept in object storage (S3/Swift): `bring-home` downloads them
 * into the filestore (a self-contained copy), `keep-remote` leaves them there read-only, `skip` leaves
 * them (they read as empty without access). Unset: a backup holding them all brings them home, any
 * other stops the restore and asks.
 */
export const attachmentsModeSchema = z.enum(['bring-home', 'keep-remote', 'skip']);
/** What a restore does with attachments kept in object storage. */
export type AttachmentsMode = z.infer<typeof attachmentsModeSchema>;

/** A restore request. */
export const restoreRequestSchema = z.object({
  /** A catalog ref `storage:key`, or a local file path. */
  source: z.string().min(1),
  db: z.string().regex(DBNAME_PATTERN, 'Use letters, digits, "_", "." or "-", starting with a letter or digit.'),
  target: restoreTargetSchema,
  mode: z.enum(['copy', 'move']).default('copy'),
  neutralize: z.boolean().default(false),
  replace: z.boolean().default(false),
  filestore: z.boolean().default(true),
  /** The role that owns the database and all its objects (default: the local Odoo's db_user when detected, else the connecting role). */
  owner: z.string().min(1).max(63).optional(),
  passphrase: z.string().optional(),
  /** A private key that opens a backup encrypted to its public key. */
  privateKey: privateKeySchema.optional(),
  /** Remember the passphrase for the backup's storage (keychain) once it opened the backup. */
  rememberPassphrase: z.boolean().optional(),
  /** Attachments kept in object storage: see `attachmentsModeSchema`. */
  attachments: attachmentsModeSchema.optional(),
  /** The configured storage whose credentials read the attachments' buckets/containers (else matched by bucket/container). */
  attachmentsStorage: z.string().optional(),
});
/** A restore request. */
export type RestoreRequest = z.infer<typeof restoreRequestSchema>;

/** The restores area's methods. */
export const restoreMethods = {
  'restore:check-name': {
    args: z.object({ db: z.string(), target: restoreTargetSchema }),
    result: z.object({ valid: z.boolean(), exists: z.boolean(), message: z.string().optional() }),
  },
  'targets:detect': {
    args: emptySchema,
    result: z.array(
      z.object({
        id: z.string(),
        label: z.string(),
        target: restoreTargetSchema,
        available: z.boolean(),
        detail: z.string().optional(),
        /** The role the Odoo on this machine connects as (`db_user` of its odoo.conf): the owner a restored database should get. */
        odooRole: z.string().optional(),
      }),
    ),
  },
  'restore:start': { args: restoreRequestSchema, result: jobIdSchema },
} as const;
