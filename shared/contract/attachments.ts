/**
 * The attachments slice of the contract: where an Odoo database's `ir_attachment` contents live
 * (database, filestore, S3 buckets, Swift containers, fs_attachment storages), as `inspect`
 * reports it for a backup or a database, and the attachment options of restores.
 */
import { z } from 'zod';
import { DBNAME_PATTERN, emptySchema, jobIdSchema } from './common';
import { restoreTargetSchema } from './restores';

/** Where a group of attachments lives. */
export const attachmentWhereSchema = z.enum(['database', 'filestore', 's3', 'swift', 'fs', 'openstack', 'url', 'empty', 'unknown']);
/** Where a group of attachments lives. */
export type AttachmentWhere = z.infer<typeof attachmentWhereSchema>;

/** One group of attachments: a location, and for object storage one bucket/container/code. */
export const attachmentGroupSchema = z.object({
  where: attachmentWhereSchema,
  /** Bucket (s3), container (swift, openstack) or fs.storage code (fs); `""` when the name has none. */
  store: z.string().optional(),
  /** Attachment rows. */
  count: z.number(),
  /** Sum of `file_size`. */
  bytes: z.number(),
  /** Distinct objects (object storage and filestore: distinct `store_fname`). */
  objects: z.number().optional(),
  /** Of those objects, how many the backup itself holds in its filestore (backups only). */
  inBackup: z.number().optional(),
});
/** One group of attachments. */
export type AttachmentGroup = z.infer<typeof attachmentGroupSchema>;

/** Where a backup's or database's attachments live. */
export const attachmentReportSchema = z.object({
  /** The ICP `ir_attachment.location` in force (`file` when unset). */
  location: z.string(),
  /** True when the ICP is set explicitly. */
  locationSet: z.boolean(),
  /** The storage module the names and parameters point to, when one is recognised. */
  module: z.enum(['attachment_s3', 'attachment_swift', 'fs_attachment', 'odoo_openstack_storage', 'odoo_s3_storage']).optional(),
  /** ICP `ir_attachment.storage.force.database` (Camptocamp), as stored. */
  forceDatabase: z.string().optional(),
  groups: z.array(attachmentGroupSchema),
  total: z.object({ count: z.number(), bytes: z.number() }),
  /** Attachments whose bytes are neither in the database nor in the (backup's) filestore. */
  remote: z.object({ count: z.number(), bytes: z.number(), objects: z.number(), missingFromBackup: z.number().optional() }),
  /** True unless attachments kept in object storage (S3, Swift…) are missing from it (from the backup's filestore, for a backup). */
  selfContained: z.boolean(),
  /** Of a backup without a filestore (a .dump, a database-only backup): the attachments kept in the filestore, whose files it does not hold. */
  filestoreLeftOut: z.number().optional(),
  /** Plain-language facts and cautions. */
  notes: z.array(z.string()),
});
/** Where a backup's or database's attachments live. */
export type AttachmentReport = z.infer<typeof attachmentReportSchema>;

/** A migration of a database's attachments between its filestore and object storage. */
export const migrationSummarySchema = z.object({
  id: z.string(),
  direction: z.enum(['to-store', 'to-filestore', 'duplicate', 'drop']),
  db: z.string(),
  /** `duplicate`: the copy's name. */
  copy: z.string().optional(),
  /** `s3://bucket` or `swift://container` (to-store; duplicate: the copy's). */
  store: z.string().optional(),
  status: z.enum(['running', 'interrupted', 'done', 'rolled-back', 'failed']),
  createdAt: z.string(),
  updatedAt: z.string(),
  message: z.string().optional(),
});
/** A migration of a database's attachments. */
export type MigrationSummary = z.infer<typeof migrationSummarySchema>;

/** A migration request. */
export const migrationRequestSchema = z.object({
  db: z.string().regex(DBNAME_PATTERN),
  target: restoreTargetSchema,
  /** `filestore`: bring every object home; `s3`/`swift`: move the filestore into a bucket/container. */
  to: z.enum(['filestore', 's3', 'swift']),
  /** The configured storage whose credentials are used (required for s3/swift; optional for filestore). */
  storage: z.string().optional(),
  /** The bucket/container to move into (default: the storage's own). */
  store: z.string().optional(),
});

/** A request to duplicate a database together with its bucket/container. */
export const duplicateRequestSchema = z.object({
  db: z.string().regex(DBNAME_PATTERN),
  /** The copy's name. */
  newDb: z.string().regex(DBNAME_PATTERN),
  target: restoreTargetSchema,
  /** The configured storage whose credentials reach both buckets/containers (default: the one whose bucket/container is the source's). */
  storage: z.string().optional(),
  /** The source bucket/container (default: the one named after the database, or Catalyst's `<prefix>-<db>`). */
  fromStore: z.string().optional(),
  /** The copy's bucket/container (default: the source's name with the database name replaced). */
  toStore: z.string().optional(),
});
/** A request to duplicate a database together with its bucket/container. */
export type DuplicateRequest = z.infer<typeof duplicateRequestSchema>;

/** A request to drop a database together with its own bucket/container. */
export const dropRequestSchema = z.object({
  db: z.string().regex(DBNAME_PATTERN),
  /** The database's name typed again: nothing happens unless it matches. */
  confirm: z.string(),
  target: restoreTargetSchema,
  /** The configured storage whose credentials reach the bucket/container (default: the one whose bucket/container it is). */
  storage: z.string().optional(),
  /** The bucket/container (default: the one named after the database, or Catalyst's `<prefix>-<db>`). */
  store: z.string().optional(),
});

/** The attachments area's methods. */
export const attachmentsMethods = {
  /** Starts a migration job (resumable: see `attachments:migration-resume`). */
  'attachments:migrate': { args: migrationRequestSchema, result: jobIdSchema },
  /** Every migration of this home, newest first. */
  'attachments:migrations': { args: emptySchema, result: z.array(migrationSummarySchema) },
  /** Starts a job that copies a database and its bucket/container (resumable and rollbackable like a migration). */
  'attachments:duplicate': { args: duplicateRequestSchema, result: jobIdSchema },
  /**
   * Starts a job that drops a database, then the objects it referenced in its own bucket/container
   * (and the bucket/container when empty); refused while another database on the server references it.
   */
  'attachments:drop': { args: dropRequestSchema, result: jobIdSchema },
  /** Resumes an interrupted or failed migration. */
  'attachments:migration-resume': { args: z.object({ id: z.string() }), result: jobIdSchema },
  /** Rolls a migration back: rows pointed back where the originals still are, created copies removed. */
  'attachments:migration-rollback': { args: z.object({ id: z.string() }), result: jobIdSchema },
  /** Where the attachments of a live or restored database live (null when it has no ir_attachment table). */
  'attachments:inspect-db': { args: z.object({ db: z.string().regex(DBNAME_PATTERN), target: restoreTargetSchema }), result: attachmentReportSchema.nullable() },
} as const;
