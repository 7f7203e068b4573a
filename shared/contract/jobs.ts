/** The contract of the jobs area: long work as jobs the UI lists, follows and cancels; the events they push. */
import { z } from 'zod';
import { apiErrorSchema, emptySchema } from './common';

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

/** The jobs area's methods. */
export const jobsMethods = {
  'jobs:list': { args: emptySchema, result: z.array(jobSnapshotSchema) },
  'jobs:get': { args: z.object({ jobId: z.string() }), result: jobSnapshotSchema },
  'jobs:cancel': { args: z.object({ jobId: z.string() }), result: z.object({ cancelled: z.boolean() }) },
} as const;

/** Events pushed from the core to the UI. */
export interface ApiEvents {
  'job:update': JobSnapshotDto;
  'job:done': JobSnapshotDto;
}
