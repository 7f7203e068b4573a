/**
 * The storage provider interface: what every storage (local folder, S3, Dropbox, Google
 * Drive, Swift, SFTP, memory) implements, one folder each under `shared/core/storage/`.
 *
 * Contract, for every implementation:
 * - Keys are `/`-separated, relative to the storage's root, with no leading slash. The empty
 *   prefix `""` means the whole storage. The key rules are `wrappers/keys.ts`, relaxed only as
 *   the provider declares in `capabilities.keyRules`; every key `list` yields passes them, so it
 *   can be given back to `stat`/`read`/`remove` of the same provider. (Exception: a store whose
 *   keys are arbitrary strings, like S3, lists the rare key it still cannot address, so that it
 *   shows up rather than vanishing; `stat`/`read`/`remove` reject it with `InvalidInput`.)
 * - `list(prefix)` yields every object below `prefix`, recursively, exactly once each, in no
 *   particular order; it pages internally and stops when the consumer breaks or the signal
 *   aborts. Folders are not objects.
 * - Every method rejects with an `AppError` whose kind is `NotFound`, `PermissionDenied`,
 *   `AuthFailed`, `Transient`, `Fatal` or `Cancelled`; the provider classifies its own
 *   SDK/protocol errors where they arise. Retries, concurrency limits and logging are
 *   wrappers (`storage/wrappers/`), never inside a provider.
 * - Optional methods exist exactly when `capabilities` says so; the conformance suite checks.
 */
import { AppError } from '../errors';
import type { Readable } from 'node:stream';
import type { ZodType } from 'zod';
import type { Logger } from '../util/logger';
import type { SecretStore } from '../secrets/secret-store';

/** Every storage type the app knows. */
export type ProviderKind = 'local' | 'memory' | 's3' | 'dropbox' | 'gdrive' | 'swift' | 'sftp';

/** A checksum a storage reports for an object. */
export interface ObjectChecksum {
  /** `md5` (S3 single-part ETag, Swift ETag, Drive md5Checksum), `sha256`, `dropbox` (content_hash). */
  readonly algorithm: 'md5' | 'sha1' | 'sha256' | 'dropbox-content-hash';
  /** Lower-case hex. */
  readonly value: string;
}

/** What a listing or `stat` tells about one object. */
export interface ObjectInfo {
  /** Key relative to the storage root. */
  readonly key: string;
  /** Size in bytes. */
  readonly size: number;
  /** Last modification time. */
  readonly modified: Date;
  /** Opaque version tag (ETag, rev, generation…), when the storage has one. */
  readonly etag?: string;
  /** A content checksum, when the storage provides one cheaply. */
  readonly checksum?: ObjectChecksum;
}

/** A byte range: `offset` inclusive, `length` bytes (to the end when omitted). */
export interface ByteRange {
  readonly offset: number;
  readonly length?: number;
}

/** Relaxations of the standard key rules (`wrappers/keys.ts`) that a provider declares. */
export interface KeyRules {
  /**
   * A key may start with one literal `.` segment (`./name.zip`). On S3 keys are opaque strings and
   * odoo_backup_sh with an empty Path writes exactly such keys; elsewhere `.` means "this folder".
   */
  readonly leadingDotSegment?: boolean;
  /**
   * A key may have empty segments, a leading `/` included (`backups//name.zip`, or `/name.zip`
   * below the prefix `backups/`): on S3 these are ordinary keys, and odoo_backup_sh writes them
   * when its Path ends with a slash. A trailing `/` is still not a key (it is a folder).
   */
  readonly emptySegments?: boolean;
}

/** What a provider can do; data, not methods. */
export interface Capabilities {
  /** `write` is implemented. */
  readonly write: boolean;
  /** `remove` is implemented. */
  readonly remove: boolean;
  /** `read` honours `range` without reading from the start. */
  readonly rangeReads: boolean;
  /** How many transfers may run at once against this storage. */
  readonly maxConcurrency: number;
  /** Names differ only by case cannot coexist. */
  readonly caseInsensitive: boolean;
  /** Key-rule relaxations (none when omitted). */
  readonly keyRules?: KeyRules;
}

/** Options every call takes. */
export interface CallOptions {
  readonly signal?: AbortSignal;
}

/** Options for `list`. */
export interface ListOptions extends CallOptions {
  /** Ask the server for pages this small (tests force pagination with it). */
  readonly pageSize?: number;
}

/** Options for `read`. */
export interface ReadOptions extends CallOptions {
  readonly range?: ByteRange;
}

/** Options for `write`. */
export interface WriteOptions extends CallOptions {
  /** The size, when known in advance (lets providers choose single vs multi-part). */
  readonly size?: number;
  /** Called with the number of bytes sent so far. */
  readonly onProgress?: (sentBytes: number) => void;
  /** Content type to record, where the storage keeps one. */
  readonly contentType?: string;
  /**
   * Fail with `Conflict` instead of replacing an object already at `key`. Local folders and SFTP
   * decide it atomically when the write is committed (a backup made at the same second elsewhere
   * is never overwritten); the other storages ignore it (callers stat the key beforehand).
   */
  readonly ifAbsent?: boolean;
  /**
   * Called once, after the whole body was taken and stored out of sight, right before the object
   * becomes visible under `key` (a rename, a multipart completion, an upload session's finish).
   * When it rejects, nothing is committed, the write's temporaries are removed where the storage
   * can, and `write` rejects with its error. Backups write their companion here, so that an
   * archive is never listed without it.
   */
  readonly beforeCommit?: () => Promise<void>;
}

/** A temporary object an interrupted write left behind (hidden from `list`). */
export interface TemporaryObject {
  /** Where it is, in the provider's terms (a hidden file's key, `key (upload ID)`…), for messages. */
  readonly id: string;
  /** The key the write was for. */
  readonly forKey: string;
  /** Bytes it holds, when known. */
  readonly size?: number;
  /** When it was last written to (a write still running keeps this recent). */
  readonly modified: Date;
  /** What the provider needs to remove it (e.g. an S3 upload ID); opaque to callers. */
  readonly handle?: string;
}

/**
 * The temporary objects of writes (hidden temp files, uncommitted uploads), on storages that keep
 * them after a hard kill mid-write. A write still running has them too: callers tell the two apart
 * by age.
 */
export interface StorageTemporaries {
  /** Every temporary object on the storage, each once. */
  list(options?: CallOptions): AsyncIterable<TemporaryObject>;
  /** Removes one that `list` yielded; `NotFound` when it is already gone. */
  remove(temp: TemporaryObject, options?: CallOptions): Promise<void>;
}

/** The bucket (S3) or container (Swift) a provider is pointed at, on object stores. */
export interface StorageRoot {
  /** Its name, for messages. */
  readonly name: string;
  /** Creates it when it is missing; true when it was created, false when it existed. */
  create(options?: CallOptions): Promise<boolean>;
  /** Deletes it, which must be empty (`Conflict` otherwise); `NotFound` when it is absent. */
  remove(options?: CallOptions): Promise<void>;
}

/** A connected storage. */
export interface StorageProvider {
  /** The storage type. */
  readonly kind: ProviderKind;
  /** What it can do. */
  readonly capabilities: Capabilities;
  /** Every object below `prefix`, recursively. */
  list(prefix: string, options?: ListOptions): AsyncIterable<ObjectInfo>;
  /** One object's info; `NotFound` when absent. */
  stat(key: string, options?: CallOptions): Promise<ObjectInfo>;
  /** A stream of the object's bytes (or of `range`); `NotFound` when absent. */
  read(key: string, options?: ReadOptions): Promise<Readable>;
  /** Stores `body` under `key`, replacing any object there; atomically where the storage can. */
  write?(key: string, body: Readable, options?: WriteOptions): Promise<ObjectInfo>;
  /** Deletes one object; `NotFound` when absent. */
  remove?(key: string, options?: CallOptions): Promise<void>;
  /** Leftovers of interrupted writes, where the storage keeps any (absent: it keeps none we can reach). */
  readonly temporaries?: StorageTemporaries;
  /** The bucket/container itself, on object stores (S3, Swift). */
  readonly bucketRoot?: StorageRoot;
  /** Releases connections. */
  close(): Promise<void>;
}

/** What a factory gets besides the config. */
export interface ProviderDeps {
  /** Where the storage's secrets are (keychain, or vault). */
  readonly secrets: SecretStore;
  readonly log: Logger;
  /** Override of global fetch (tests point SDKs at local servers with it). */
  readonly fetch?: typeof fetch;
  /** The storage's configured name, for messages (the secret scope is an opaque id). */
  readonly storageName?: string;
}

/** The CLI flag of a setting: `secretAccessKey` -> `--secret-access-key`. */
export function settingFlag(name: string): string {
  return `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** Describes one setting of a provider, to drive forms and `storage add` flags. */
export interface SettingField {
  /** Config key (camelCase), also the CLI flag in kebab-case. */
  readonly name: string;
  readonly label: string;
  readonly type: 'string' | 'number' | 'boolean' | 'path' | 'select';
  readonly required: boolean;
  /** Secrets are never stored in config: they go to the secret store. */
  readonly secret: boolean;
  readonly help?: string;
  readonly options?: readonly string[];
  readonly default?: string | number | boolean;
  /** Several lines (a private key): a text area in the app. */
  readonly multiline?: boolean;
  /** A setting that goes with the secrets (an access key ID): changed with them by `storages:set-secrets`. */
  readonly credential?: boolean;
  /** Used only when another setting has one of these values (SFTP's password: when "Log in with" is password). */
  readonly when?: { readonly field: string; readonly is: readonly string[] };
}

/** Creates providers of one kind from validated, non-secret config. */
export interface ProviderFactory<C> {
  readonly kind: ProviderKind;
  /** Human name, e.g. "S3-compatible". */
  readonly label: string;
  /** The settings, for the UI form and CLI flags. */
  readonly fields: readonly SettingField[];
  /** Validates non-secret settings. */
  readonly configSchema: ZodType<C>;
  /** Connects; secrets are read from `deps.secrets` under `secretScope`. */
  create(config: C, secretScope: string, deps: ProviderDeps): Promise<StorageProvider>;
  /** A short description of where the storage points, for lists and logs (never secrets). */
  describe(config: C): string;
}

/** `Conflict` of a write with `ifAbsent` that found `key` taken: the one message every provider gives. */
export function keyTakenError(key: string): AppError {
  return new AppError('Conflict', `"${key}" already exists; it was not replaced.`);
}
