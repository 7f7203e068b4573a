/**
 * The run history's slice of the contract: one past (or running) backup, restore, rotation
 * or drill, as `backup-desk history --json`, `serve` and the History view show it. Pure zod.
 */
import { z } from 'zod';
import { drillCheckSchema } from './schedules';

/** What kind of work a run was. */
export const runKindSchema = z.enum(['backup', 'restore', 'rotation', 'drill']);
/** What kind of work a run was. */
export type RunKind = z.infer<typeof runKindSchema>;

/** How a run ended; `running` while it has not (yet) ended and its process is alive. */
export const runOutcomeSchema = z.enum(['ok', 'failed', 'cancelled', 'running']);
/** How a run ended. */
export type RunOutcome = z.infer<typeof runOutcomeSchema>;

/** A run's error, as recorded (the classified error's kind, message and hint; never secrets). */
export const runErrorSchema = z.object({ kind: z.string(), message: z.string(), hint: z.string().optional() });
/** A run's error. */
export type RunError = z.infer<typeof runErrorSchema>;

/** One run in the history. */
export const runSchema = z.object({
  id: z.string(),
  kind: runKindSchema,
  /** The database the run was about (`null` when none applies or it is unknown). */
  db: z.string().nullable(),
  /** ISO 8601 UTC. */
  startedAt: z.string(),
  /** ISO 8601 UTC; `null` while running, or when its process died before it could record the end. */
  endedAt: z.string().nullable(),
  outcome: runOutcomeSchema,
  /** Bytes written (backup), read (restore) or freed (rotation); `null` when unknown. */
  bytes: z.number().nullable(),
  /** The backups it wrote, restored from, or deleted (`storage:key`). */
  refs: z.array(z.string()),
  /** The storages (or targets) it wrote to. */
  destinations: z.array(z.string()),
  error: runErrorSchema.nullable(),
  durationMs: z.number().nullable(),
  /** Free facts of the run's kind (e.g. a rotation's kept refs, a restore's target). */
  details: z.record(z.string(), z.unknown()),
});
/** One run in the history. */
export type Run = z.infer<typeof runSchema>;

/** The error a run failed with, to show beside it; none for a cancelled run (its outcome says it all). */
export function runFailure(r: Run): Run['error'] {
  return r.outcome === 'cancelled' ? null : r.error;
}

/** What a drill run checked, as it recorded them in `details.checks`; undefined for another kind, or a drill that ended before its checks. */
export function drillChecks(r: Run): z.infer<typeof drillCheckSchema>[] | undefined {
  if (r.kind !== 'drill') return undefined;
  const checks = z.array(drillCheckSchema).safeParse(r.details.checks);
  return checks.success ? checks.data : undefined;
}

/** Filters of a history listing (all optional; newest first). */
export const runFilterSchema = z.object({
  db: z.string().optional(),
  kind: runKindSchema.optional(),
  outcome: runOutcomeSchema.optional(),
  /** Only runs started at or after this ISO time. */
  since: z.string().optional(),
  /** At most this many (the newest). */
  limit: z.number().int().positive().optional(),
});
/** Filters of a history listing. */
export type RunFilter = z.infer<typeof runFilterSchema>;

/** The history's contract methods. */
export const historyMethods = {
  /** Past and running runs, newest first. */
  'history:list': { args: runFilterSchema, result: z.array(runSchema) },
} as const;
