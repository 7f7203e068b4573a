/**
 * The contract of the cleanup area: what interrupted runs left behind — of restores, temporary
 * databases and filestore folders on a PostgreSQL target, temporary databases on an Odoo
 * instance; of backups, unfinished uploads on the
 * storages — found and removed. Only the app's own temporary names are ever touched, and a
 * removal finds them again first (a run that just started, a name that is not ours, stays).
 */
import { z } from 'zod';
import { jobIdSchema } from './common';
import { restoreTargetSchema } from './restores';

/** A restore target to search: a PostgreSQL server, or an Odoo instance (the temporary databases of interrupted `--replace` restores). */
export const cleanupTargetSchema = restoreTargetSchema;

/** A leftover of an interrupted restore. */
export const restoreLeftoverSchema = z.object({
  kind: z.enum(['database', 'folder']),
  /** The database name, or the folder's full path. */
  name: z.string(),
  /** Age in ms, when the server says (a database's needs superuser rights). */
  ageMs: z.number().optional(),
});
/** A leftover of an interrupted restore. */
export type RestoreLeftover = z.infer<typeof restoreLeftoverSchema>;

/** An unfinished upload an interrupted backup left on a storage. */
export const backupTemporarySchema = z.object({
  storage: z.string(),
  /** The temporary object (its key, or the upload's id). */
  id: z.string(),
  /** The backup it was to become. */
  forKey: z.string(),
  size: z.number().optional(),
  ageMs: z.number(),
});
/** An unfinished upload an interrupted backup left on a storage. */
export type BackupTemporary = z.infer<typeof backupTemporarySchema>;

/** What a search found; `young` ones may belong to a run still going and are only counted. */
export const cleanupFoundSchema = z.object({
  restores: z.object({
    /** The server searched ("127.0.0.1:5432", "Odoo instance prod (https://…)"), and the data dir whose filestore folder was ('' for an Odoo instance). */
    server: z.string(),
    dataDir: z.string(),
    leftovers: z.array(restoreLeftoverSchema),
    young: z.number(),
    /** Why the target could not be searched, when it could not (the storages still were). */
    error: z.string().optional(),
  }),
  backups: z.object({
    /** The storages searched (kinds whose unfinished uploads can be listed). */
    storages: z.array(z.string()),
    temporaries: z.array(backupTemporarySchema),
    young: z.number(),
    failed: z.array(z.object({ storage: z.string(), message: z.string() })),
  }),
});
/** What a search found. */
export type CleanupFound = z.infer<typeof cleanupFoundSchema>;

/** What a removal did: how many were removed, and what was not, with why. */
export const cleanupRemovedSchema = z.object({ removed: z.number(), failed: z.array(z.object({ what: z.string(), message: z.string() })) });
/** What a removal did. */
export type CleanupRemoved = z.infer<typeof cleanupRemovedSchema>;

/** The cleanup area's methods. */
export const cleanupMethods = {
  /** A job searching a restore target and every storage for what interrupted runs left (older than `minAgeMinutes`, default 10); its result is a `CleanupFound`. */
  'cleanup:find': {
    args: z.object({ target: cleanupTargetSchema, minAgeMinutes: z.number().min(0).optional() }),
    result: jobIdSchema,
  },
  /** A job removing what `cleanup:find` listed — each found again first; what is not found again is reported, not removed. Its result is a `CleanupRemoved`. */
  'cleanup:remove': {
    args: z.object({
      target: cleanupTargetSchema,
      minAgeMinutes: z.number().min(0).optional(),
      leftovers: z.array(restoreLeftoverSchema.pick({ kind: true, name: true })),
      temporaries: z.array(backupTemporarySchema.pick({ storage: true, id: true })),
    }),
    result: jobIdSchema,
  },
} as const;
