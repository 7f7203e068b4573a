/** The contract of the verify area: a backup read through and checked without restoring it. */
import { z } from 'zod';
import { jobIdSchema, privateKeySchema } from './common';

/** What a verification of one backup found. */
export const verifyReportSchema = z.object({
  /** True when every check passed. */
  ok: z.boolean(),
  /** The backup's name. */
  name: z.string(),
  /** Format of the (decrypted) content. */
  format: z.enum(['zip', 'dump', 'sql', 'sql-gz', 'folder']),
  /** True when it was an OpenPGP message (its integrity check passed, or the verification failed). */
  encrypted: z.boolean(),
  /** The database dump, read to its end. */
  dump: z.object({
    /** PostgreSQL version that dumped it. */
    pgVersion: z.string().optional(),
    /** True when pg_dump's closing line is there: the dump was written to its end. */
    complete: z.boolean(),
    statements: z.number(),
    /** COPY blocks: the tables whose data the dump holds, empty or not. */
    tables: z.number(),
    /** Data rows. */
    rows: z.number(),
  }),
  /** The Odoo version and database its manifest names, when it has one. */
  manifest: z.object({ odooVersion: z.string().optional(), database: z.string().optional() }).optional(),
  /** The filestore, when the backup has one. */
  filestore: z
    .object({
      files: z.number(),
      bytes: z.number(),
      /** Files named by their content's SHA-1 (as Odoo names them) whose content was hashed. */
      hashed: z.number(),
      /** Files whose content does not match their name (first 100), and how many. */
      corrupt: z.array(z.string()),
      corruptCount: z.number(),
      /** Files the database's attachments reference in the filestore. */
      referenced: z.number(),
      /** Referenced files that are not in the backup (first 100), and how many. */
      missing: z.array(z.string()),
      missingCount: z.number(),
    })
    .optional(),
  /** What failed, one sentence each (empty when `ok`). */
  problems: z.array(z.string()),
  /** What was checked, one line each. */
  checks: z.array(z.string()),
  /** What the user should know that is not a problem, such as a dump holding no filestore. */
  notes: z.array(z.string()),
});
/** What a verification found. */
export type VerifyReport = z.infer<typeof verifyReportSchema>;

/** The verify area's methods. */
export const verifyMethods = {
  /** Starts reading a backup (`NAME:KEY` or a path on this machine) through; the job's result is a `VerifyReport`. */
  'backups:verify': {
    args: z.object({ source: z.string().min(1), passphrase: z.string().optional(), privateKey: privateKeySchema.optional(), rememberPassphrase: z.boolean().optional() }),
    result: jobIdSchema,
  },
} as const;
