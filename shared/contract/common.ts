/**
 * What every area of the contract shares: error kinds as they cross a boundary, the job id
 * that long work returns, and the shape of an area's method table. Pure: zod only.
 */
import { z } from 'zod';

/** Odoo's rule for database names (`DBNAME_PATTERN` in odoo/service/db.py). */
export const DBNAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** The start of a PostgreSQL server URL (`postgres://` or `postgresql://`), as libpq takes it. */
export const PG_URL_PREFIX = /^postgres(ql)?:\/\//;

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

/** What a method that starts long work returns: the job to follow (`job:update` / `job:done`). */
export const jobIdSchema = z.object({ jobId: z.string() });

/**
 * An OpenPGP private key that opens backups encrypted to its public key (`backup --recipient`):
 * the key as armored text, and its own passphrase when it is protected. Used this once, never stored.
 */
export const privateKeySchema = z.object({ armored: z.string().min(1), passphrase: z.string().optional() });
/** The argument (or result) of a method that takes (or returns) nothing. */
export const emptySchema = z.object({});

/** One method of the contract: `args` validates input at the boundary, `result` documents the output. */
export interface MethodSpec {
  readonly args: z.ZodType;
  readonly result: z.ZodType;
}
/** An area's method table (`storagesMethods`, `restoreMethods`, …), merged into `apiMethods`. */
export type MethodTable = Readonly<Record<string, MethodSpec>>;

/** The async functions that implement an area's method table (what its Desk service provides). */
export type AreaApi<T extends MethodTable> = { [M in keyof T]: (args: z.input<T[M]['args']>) => Promise<z.infer<T[M]['result']>> };
