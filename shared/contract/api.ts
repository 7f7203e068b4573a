/**
 * The typed API contract between the core and every face (Electron IPC, `serve` over
 * HTTP, the React UI). Pure: zod schemas and types only, no Node or DOM APIs, so the
 * renderer may import it at run time for validation.
 *
 * Every method takes one object argument and returns a promise. Long work returns a
 * `{ jobId }` and reports through the `job:update` / `job:done` events.
 */
import { z } from 'zod';
import { historyMethods } from './history';
import { attachmentReportSchema } from './attachments';
import { rotationMethods } from './rotation';

/** Odoo's rule for database names (`DBNAME_PATTERN` in odoo/service/db.py). */
export const DBNAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Error kinds as they cross the contract. */
export const errorKindSchema = z.enum([
  'NotFound',
  'PermissionDenied',
  'AuthFailed',
  'Transient',
  'Fatal',
  'Cancelled',
  'InvalidInput',
  'Conflict',
  'Integrity',
  'Unsupported',
  'MissingTool',
]);

/** A serialized error. */
export const apiErrorSchema = z.object({
  kind: errorKindSchema,
  message: z.string(),
  hint: z.string().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});
/** A serialized error. */
export type ApiError = z.infer<typeof apiErrorSchema>;

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
  /** Where the database's attachments live (database, filestore, buckets/containers), and whether the backup holds them all. */
  attachments: attachmentReportSchema.optional(),
});
/** What `inspect` finds inside a backup. */
export type InspectResult = z.infer<typeof inspectResultSchema>;

/** A setting of a storage type (drives the add-storage form). */
export const settingFieldSchema = z.object({
  name: z.string(),
  label: z.string(),
  type: z.enum(['string', 'number', 'boolean', 'path', 'select']),
  required: z.boolean(),
  secret: z.boolean(),
  help: z.string().optional(),
  options: z.array(z.string()).optional(),
  default: z.union([z.string(), z.number(), z.boolean()]).optional(),
});

/** A storage type and its settings. */
export const storageKindSchema = z.object({
  kind: z.string(),
  label: z.string(),
  oauth: z.boolean(),
  fields: z.array(settingFieldSchema),
});

/** A configured storage (never its secrets). */
export const storageSummarySchema = z.object({
  name: z.string(),
  kind: z.string(),
  description: z.string(),
  settings: z.record(z.string(), z.unknown()),
  /** `needs-reconnect` when an OAuth grant was revoked or expired. */
  status: z.enum(['ok', 'needs-reconnect', 'needs-secret']).optional(),
});
/** A configured storage. */
export type StorageSummary = z.infer<typeof storageSummarySchema>;

/** Where to restore. */
export const restoreTargetSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('postgres'), url: z.string().optional(), dataDir: z.string().optional() }),
  z.object({ type: z.literal('embedded'), dataDir: z.string().optional() }),
]);
/** Where to restore. */
export type RestoreTargetSpec = z.infer<typeof restoreTargetSchema>;

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
  passphrase: z.string().optional(),
  /** Remember the passphrase for the backup's storage (keychain) once it opened the backup. */
  rememberPassphrase: z.boolean().optional(),
});
/** A restore request. */
export type RestoreRequest = z.infer<typeof restoreRequestSchema>;

/** A download request. */
export const downloadRequestSchema = z.object({
  ref: z.string().min(1),
  out: z.string().min(1),
  decrypt: z.boolean().default(false),
  passphrase: z.string().optional(),
  /** Remember the passphrase for the backup's storage (keychain) once it opened the backup. */
  rememberPassphrase: z.boolean().optional(),
});

/** A job's progress. */
export const jobProgressSchema = z.object({
  phase: z.string(),
  label: z.string().optional(),
  done: z.number().optional(),
  total: z.number().optional(),
  unit: z.enum(['bytes', 'items']).optional(),
  message: z.string().optional(),
});

/** A job as the UI sees it. */
export const jobSnapshotSchema = z.object({
  id: z.string(),
  kind: z.string(),
  title: z.string(),
  state: z.enum(['running', 'succeeded', 'failed', 'cancelled']),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  progress: jobProgressSchema.optional(),
  result: z.unknown().optional(),
  error: apiErrorSchema.optional(),
  log: z.array(z.object({ at: z.string(), level: z.enum(['info', 'warn', 'error']), message: z.string() })),
});
/** A job as the UI sees it. */
export type JobSnapshotDto = z.infer<typeof jobSnapshotSchema>;

const jobIdSchema = z.object({ jobId: z.string() });
const empty = z.object({});

/**
 * Every request/response method: `args` validates input at the boundary (IPC, HTTP),
 * `result` documents (and in tests, checks) the output.
 */
export const apiMethods = {
  'app:info': { args: empty, result: z.object({ version: z.string(), home: z.string(), secretsBackend: z.string(), platform: z.string() }) },
  'storages:kinds': { args: empty, result: z.array(storageKindSchema) },
  'storages:list': { args: empty, result: z.array(storageSummarySchema) },
  'storages:add': {
    args: z.object({
      name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'Use letters, digits, "_", "." or "-".'),
      kind: z.string(),
      settings: z.record(z.string(), z.unknown()),
      secrets: z.record(z.string(), z.string()).default({}),
    }),
    result: storageSummarySchema,
  },
  'storages:test': { args: z.object({ name: z.string() }), result: z.object({ ok: z.boolean(), checks: z.array(z.object({ name: z.string(), ok: z.boolean(), message: z.string() })) }) },
  'storages:remove': { args: z.object({ name: z.string() }), result: empty },
  /** Signs an OAuth storage (Dropbox, Google Drive) in through the browser: a job whose progress carries the sign-in URL. */
  'storages:connect': { args: z.object({ name: z.string() }), result: jobIdSchema },
  /** Forgets the backup passphrase remembered for a storage (no-op when none is). */
  'storages:forget-passphrase': { args: z.object({ name: z.string() }), result: z.object({ forgotten: z.boolean() }) },
  'catalog:list': {
    args: z.object({ storages: z.array(z.string()).optional(), db: z.string().optional(), includeStrays: z.boolean().optional() }),
    result: catalogSchema,
  },
  'backups:inspect': { args: z.object({ source: z.string(), passphrase: z.string().optional(), rememberPassphrase: z.boolean().optional() }), result: inspectResultSchema },
  'restore:check-name': {
    args: z.object({ db: z.string(), target: restoreTargetSchema }),
    result: z.object({ valid: z.boolean(), exists: z.boolean(), message: z.string().optional() }),
  },
  'targets:detect': {
    args: empty,
    result: z.array(z.object({ id: z.string(), label: z.string(), target: restoreTargetSchema, available: z.boolean(), detail: z.string().optional() })),
  },
  'restore:start': { args: restoreRequestSchema, result: jobIdSchema },
  /** Where the attachments of a live or restored database live (null when it has no ir_attachment table). */
  'attachments:inspect-db': { args: z.object({ db: z.string().regex(DBNAME_PATTERN), target: restoreTargetSchema }), result: attachmentReportSchema.nullable() },
  'download:start': { args: downloadRequestSchema, result: jobIdSchema },
  'jobs:list': { args: empty, result: z.array(jobSnapshotSchema) },
  'jobs:get': { args: z.object({ jobId: z.string() }), result: jobSnapshotSchema },
  'jobs:cancel': { args: z.object({ jobId: z.string() }), result: z.object({ cancelled: z.boolean() }) },
  ...historyMethods,
  ...rotationMethods,
} as const;

/** The method names. */
export type ApiMethod = keyof typeof apiMethods;
/** A method's validated argument type. */
export type ApiArgs<M extends ApiMethod> = z.input<(typeof apiMethods)[M]['args']>;
/** A method's result type. */
export type ApiResult<M extends ApiMethod> = z.infer<(typeof apiMethods)[M]['result']>;

/** The whole API as an object of async methods (what the UI calls, what faces implement). */
export type DeskApi = { [M in ApiMethod]: (args: ApiArgs<M>) => Promise<ApiResult<M>> };

/** Events pushed from the core to the UI. */
export interface ApiEvents {
  'job:update': JobSnapshotDto;
  'job:done': JobSnapshotDto;
}

/** The names of all methods, for allowlists at the boundaries. */
export const API_METHOD_NAMES = Object.keys(apiMethods) as ApiMethod[];
