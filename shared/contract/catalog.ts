/** The contract of the catalog area: backups across storages, strays, and what inspect finds inside a backup. */
import { z } from 'zod';
import { attachmentReportSchema } from './attachments';
import { apiErrorSchema, privateKeySchema } from './common';

/** Which tool's naming/layout a backup follows. */
export const conventionSchema = z.enum([
  'odoo-manager',
  'odoo-backup-sh',
  'oca-auto-backup',
  'yenthe-auto-backup',
  'click-odoo',
  'pg-dump-filestore',
  'odoo-sh',
  'backup-desk',
  'generic',
]);
/** Which tool's naming/layout a backup follows. */
export type Convention = z.infer<typeof conventionSchema>;

/** Backup formats. */
export const backupFormatSchema = z.enum(['zip', 'dump', 'sql', 'folder']);
/** Backup formats. */
export type BackupFormat = z.infer<typeof backupFormatSchema>;

/** One backup in the catalog. */
export const backupEntrySchema = z.object({
  ref: z.string(),
  storage: z.string(),
  key: z.string(),
  database: z.string(),
  createdAt: z.string(),
  /** True when the name's timestamp is server-local time of unknown zone (read as UTC). */
  timeIsLocal: z.boolean().optional(),
  format: backupFormatSchema,
  encrypted: z.boolean(),
  size: z.number(),
  convention: conventionSchema,
  /** Other objects that belong to it (`.info`, sidecars, filestore folder). */
  companions: z.array(z.string()).optional(),
  warnings: z.array(z.string()).optional(),
  odooVersion: z.string().optional(),
  /** Lower-case hex sha256 of the stored object, as its companion records it (.info, sidecar, .sha256 file). */
  sha256: z.string().optional(),
  /** False when inspect found attachments kept in object storage that the backup does not hold. */
  selfContained: z.boolean().optional(),
});
/** One backup in the catalog. */
export type BackupEntry = z.infer<typeof backupEntrySchema>;

/** A file on a storage that is no (complete) backup. Never deleted by the app. */
export const strayEntrySchema = z.object({
  ref: z.string(),
  storage: z.string(),
  key: z.string(),
  size: z.number(),
  stray: z.string(),
});
/** A file on a storage that is no (complete) backup. */
export type StrayEntry = z.infer<typeof strayEntrySchema>;

/** A storage that could not be listed. */
export const storageFailureSchema = z.object({ storage: z.string(), error: apiErrorSchema });

/** The catalog across storages. */
export const catalogSchema = z.object({
  backups: z.array(backupEntrySchema),
  strays: z.array(strayEntrySchema),
  failures: z.array(storageFailureSchema),
});
/** The catalog across storages. */
export type Catalog = z.infer<typeof catalogSchema>;

/** What `inspect` finds inside a backup. */
export const inspectResultSchema = z.object({
  name: z.string(),
  format: backupFormatSchema,
  encrypted: z.boolean(),
  encryption: z.string().optional(),
  database: z.string().optional(),
  odooVersion: z.string().optional(),
  pgVersion: z.string().optional(),
  dumpArchiveVersion: z.string().optional(),
  modules: z.record(z.string(), z.string()).optional(),
  filestoreFiles: z.number().optional(),
  filestoreBytes: z.number().optional(),
  size: z.number().optional(),
  warnings: z.array(z.string()).optional(),
  /** False when the contents could not be read (an encrypted backup without its passphrase or key): nothing about them is known. */
  contentsRead: z.boolean().optional(),
  /** Where the database's attachments live (database, filestore, buckets/containers), and whether the backup holds them all. */
  attachments: attachmentReportSchema.optional(),
});
/** What `inspect` finds inside a backup. */
export type InspectResult = z.infer<typeof inspectResultSchema>;

/** The catalog area's methods. */
export const catalogMethods = {
  'catalog:list': {
    args: z.object({ storages: z.array(z.string()).optional(), db: z.string().optional(), includeStrays: z.boolean().optional() }),
    result: catalogSchema,
  },
  'backups:inspect': {
    args: z.object({
      source: z.string(),
      passphrase: z.string().optional(),
      privateKey: privateKeySchema.optional(),
      rememberPassphrase: z.boolean().optional(),
      /** False: skip reading the dump for where the attachments live (seconds on a large backup); the rest comes from the manifest and the zip's directory. */
      attachments: z.boolean().optional(),
    }),
    result: inspectResultSchema,
  },
} as const;
