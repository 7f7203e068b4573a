/** The contract of the app itself: version, home folder, where secrets live. */
import { z } from 'zod';
import { emptySchema } from './common';

/** The app area's methods. */
export const appMethods = {
  'app:info': { args: emptySchema, result: z.object({ version: z.string(), home: z.string(), secretsBackend: z.string(), platform: z.string() }) },
} as const;
