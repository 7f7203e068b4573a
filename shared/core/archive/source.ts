/**
 * A backup's bytes, wherever they are: a local file or an object on a storage.
 * Restore, inspect, download and decrypt read backups only through this.
 */
import type { Readable } from 'node:stream';
import type { ByteRange } from '../storage/provider';

/** A readable backup object. */
export interface BackupSource {
  /** File name (last path segment), used for format hints and messages. */
  readonly name: string;
  /** Size in bytes, when known. */
  readonly size: number | undefined;
  /** True when `open` with a range is cheap (local file, ranged storage reads). */
  readonly seekable: boolean;
  /** The file's path when the backup is a file on this machine (lets tools such as pg_restore read it directly). */
  readonly localPath?: string;
  /** A stream of the bytes, or of `range`. */
  open(range?: ByteRange, signal?: AbortSignal): Promise<Readable>;
}

/** A folder of files on a storage or disk (a filestore, a click-odoo folder backup). */
export interface FolderSource {
  /** Display name of the folder. */
  readonly name: string;
  /** Every file below the folder, with paths relative to it (`/`-separated). */
  list(signal?: AbortSignal): AsyncIterable<{ readonly path: string; readonly size: number }>;
  /** A stream of one file's bytes. */
  open(path: string, signal?: AbortSignal): Promise<Readable>;
}

/**
 * A backup made of several objects: a database dump (custom or plain SQL, maybe gzipped)
 * plus, optionally, a manifest and a filestore folder. Used for click-odoo `folder`
 * backups and plain `pg_dump` + `filestore/<db>/` layouts.
 */
export interface MultiPartBackup {
  readonly kind: 'multipart';
  readonly name: string;
  readonly dump: BackupSource;
  readonly manifest?: BackupSource;
  readonly filestore?: FolderSource;
}
