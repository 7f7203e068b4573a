/**
 * The restore pipeline's shared shapes: what a restore is asked to do (`RestoreOptions`), what it
 * did (`RestoreResult`), and the run every stage works in (`RestoreRun`).
 *
 * The stages, each in its own module, in the order `restore.ts` runs them:
 * 1. `describe.ts`    open the backup ONCE into a typed description (format, encryption, dump header, manifest, size);
 * 2. `preflight.ts`   check that description against the target (privileges, name, folder, free space, versions, extensions, tools);
 * 3. `staging.ts`     the temporary database and folder the load writes into (and their roll back);
 * 4. a loader:        `load-zip.ts` / `load-sql.ts` (our SQL stream loader) / `load-pg-restore.ts`;
 *    with `filestore-writer.ts` writing the filestore as it streams by (or, for a plain seekable
 *    zip, `filestore-alongside.ts` writing it from a second reader while the indexes build);
 * 5. `finish.ts`      Odoo's after-restore steps on the temporary database (identity, neutralize, facts);
 * 6. `swap.ts`        swap the temporaries into place, or roll everything back.
 * A backup pipeline mirrors them: source → archive writer → encrypt → storage writers → commit.
 *
 * A restore into a running Odoo (`odoo:INSTANCE`) is not a loader of this pipeline: Odoo's
 * database manager creates, loads, neutralizes and names the database itself, so staging,
 * finish and swap (a temporary PostgreSQL database, SQL on it, renames) have no counterpart, and
 * every stage here takes a `RestoreRun` built around that staging. Its own stages, in the same
 * order, are in `../odoo/remote-restore.ts`: preflight → open the backup (`open-backup.ts`, as
 * `describe.ts` does) → upload and Odoo's load → swap by `db.rename` → verify.
 */
import type { DecryptKeys } from '../crypto';
import type { BackupSource, MultiPartBackup } from '../archive/source';
import type { JobContext, JobProgress } from '../jobs/job';
import type { FreeSpaceSource } from './space';
import type { Staging } from './staging';
import type { RestoreAttachmentsOptions, RestoreAttachmentsSummary } from '../attachments/restore-stage';

/** What to restore where, and how. */
export interface RestoreOptions {
  source: BackupSource | MultiPartBackup;
  /** Target database name (Odoo's DBNAME_PATTERN). */
  db: string;
  /** `postgres://` URL; undefined uses libpq's environment (PGHOST, PGPORT, PGUSER, PGPASSWORD). */
  pgUrl?: string;
  /** Odoo data dir; the filestore goes to DATA_DIR/filestore/<db>. Default: `defaultOdooDataDir()`. */
  dataDir?: string;
  mode: 'copy' | 'move';
  neutralize: boolean;
  replace: boolean;
  /** false = database only. */
  filestore: boolean;
  /** Needed when the source is OpenPGP-encrypted. */
  decrypt?: DecryptKeys;
  /**
   * The sha256 the backup's companion records (lower-case hex): when the restore reads the whole
   * file in order (an encrypted or streamed backup), a different one is a warning.
   */
  expectedSha256?: string;
  /** Attachments kept in object storage (S3/Swift): bring home, keep remote or skip (shared/core/attachments/restore-stage.ts). */
  attachments?: RestoreAttachmentsOptions;
  /** Where preflight reads the data dir's free space (default: the file system's own figures). */
  freeBytes?: FreeSpaceSource;
  /**
   * Last step before the swap, on the complete database and filestore under their temporary
   * names (e.g. giving them to Odoo's role): a kill never leaves the final name half-prepared,
   * and a failure here rolls the restore back like any other.
   */
  beforeSwap?: (staged: StagedRestore) => Promise<void>;
}

/** The restored database and filestore under their temporary names, before the swap. */
export interface StagedRestore {
  /** The temporary database (`bd_tmp_…`). */
  readonly db: string;
  /** The temporary filestore folder, when a filestore is restored. */
  readonly filestorePath?: string;
}

/** What a restore did. */
export interface RestoreResult {
  db: string;
  filestorePath?: string;
  format: 'zip' | 'dump' | 'sql' | 'folder';
  tables: number;
  filestoreFiles: number;
  bytesRead: number;
  durationMs: number;
  odooVersion?: string;
  /** True when the backup was an OpenPGP message (decrypted on the way). */
  encrypted: boolean;
  warnings: string[];
  /** True when leftovers of interrupted restores were found on the target (a warning names them). */
  leftoversFound?: boolean;
  /** What the attachments stage did, when the database keeps attachments in object storage. */
  attachments?: RestoreAttachmentsSummary;
}

/** The target server as preflight found it. */
export interface TargetServer {
  readonly version: { major: number; text: string };
  /** True when the connected role is a superuser (pg_restore then keeps extension comments). */
  readonly superuser: boolean;
}

/** One restore in progress: what every stage reads and reports through. */
export interface RestoreRun {
  readonly opts: RestoreOptions;
  readonly ctx: JobContext;
  readonly signal: AbortSignal;
  /** `DATA_DIR/filestore/<db>`: where the filestore ends up. */
  readonly finalFs: string;
  /** The temporary database and folder, and everything to close or remove on failure. */
  readonly staging: Staging;
  readonly warnings: string[];
  /** Records a warning for the result (and the job log). */
  warn(message: string): void;
  /** Set when preflight found leftovers of interrupted restores (each face says how to remove them). */
  leftoversFound?: boolean;
  /** Throttled progress (`force` for phase changes). */
  report(p: JobProgress, force?: boolean): void;
  /** Throws `Cancelled` once the job was cancelled. */
  check(): void;
}
