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
  /** A stream of the bytes, or of `range`. */
  open(range?: ByteRange, signal?: AbortSignal): Promise<Readable>;
}
