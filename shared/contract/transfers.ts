/** The contract of the transfers area: verified (and optionally decrypting) downloads. */
import { z } from 'zod';
import { jobIdSchema } from './common';

/** A download request. */
export const downloadRequestSchema = z.object({
  ref: z.string().min(1),
  out: z.string().min(1),
  decrypt: z.boolean().default(false),
  passphrase: z.string().optional(),
  /** Remember the passphrase for the backup's storage (keychain) once it opened the backup. */
  rememberPassphrase: z.boolean().optional(),
});

/** The transfers area's methods. */
export const transferMethods = {
  'download:start': { args: downloadRequestSchema, result: jobIdSchema },
} as const;
