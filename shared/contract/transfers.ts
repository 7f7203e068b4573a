/** The contract of the transfers area: verified (and optionally decrypting) downloads. */
import { z } from 'zod';
import { jobIdSchema, privateKeySchema } from './common';

/** A download request. */
export const downloadRequestSchema = z.object({
  ref: z.string().min(1),
  out: z.string().min(1),
  decrypt: z.boolean().default(false),
  passphrase: z.string().optional(),
  /** A private key that opens a backup encrypted to its public key. */
  privateKey: privateKeySchema.optional(),
  /** Remember the passphrase for the backup's storage (keychain) once it opened the backup. */
  rememberPassphrase: z.boolean().optional(),
  /** Replace what is at the destination (a file by a file, a folder by a folder), once the new one is complete. */
  overwrite: z.boolean().optional(),
});

/** What is at a download's destination already, asked before starting (to offer replacing it). */
export const destinationCheckSchema = z.object({
  /** The path the download would write (inside `out` when `out` is a folder). */
  path: z.string(),
  /** What is there now: nothing (absent), a file or a folder. */
  existing: z.enum(['file', 'folder']).optional(),
  /** True when `overwrite` may replace it (same kind as what the download writes). */
  replaceable: z.boolean(),
});

/** The transfers area's methods. */
export const transferMethods = {
  /** Where a download of `ref` to `out` would go and what is there already (nothing is written). */
  'download:check-destination': { args: downloadRequestSchema.pick({ ref: true, out: true, decrypt: true }), result: destinationCheckSchema },
  'download:start': { args: downloadRequestSchema, result: jobIdSchema },
} as const;
