/**
 * The sidecar the app writes next to each of its own backups (`<db>/<db>_<ts>.json`, see
 * conventions.ts): what the backup is and its sha256, so downloads can be verified.
 */
import { z } from 'zod';

/** The sidecar's content. */
export const sidecarSchema = z.object({
  format: z.literal('backup-desk/1'),
  database: z.string(),
  createdAt: z.string(),
  /** The backup's file name (same folder). */
  file: z.string(),
  /** Bytes of the stored object (encrypted size when encrypted). */
  size: z.number().int().nonnegative(),
  /** Lower-case hex sha256 of the stored object. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  encrypted: z.boolean(),
  odooVersion: z.string().optional(),
  pgVersion: z.string().optional(),
});
/** The sidecar's content. */
export type Sidecar = z.infer<typeof sidecarSchema>;

/** Parses sidecar text; undefined when it is not a valid sidecar. */
export function parseSidecar(text: string): Sidecar | undefined {
  try {
    const r = sidecarSchema.safeParse(JSON.parse(text));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

/** The key of our own backup for `db` at `time`, and of its sidecar. */
export function ownBackupKeys(db: string, time: Date, encrypted: boolean, prefix = ''): { backup: string; sidecar: string } {
  const ts = time.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/:/g, '-');
  const base = `${prefix}${prefix && !prefix.endsWith('/') ? '/' : ''}${db}/${db}_${ts}`;
  return { backup: `${base}.zip${encrypted ? '.gpg' : ''}`, sidecar: `${base}.json` };
}
