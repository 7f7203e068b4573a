/**
 * Finds the credentials for an attachment's bucket or container. Odoo keeps them in the server's
 * environment, never in the database (Camptocamp), so they come from a configured storage: the S3
 * storage whose bucket is the URI's bucket (Swift: whose container is the URI's container), or the
 * storage named with `--attachments-storage NAME`, whose credentials and endpoint are then used for
 * the URI's bucket/container (a bucket per database, Catalyst's `<prefix>-<db>` containers).
 * Objects are addressed at the bucket/container root, whatever folder the storage is set to.
 */
import { AppError } from '../errors';
import type { StorageProvider } from '../storage/provider';
import type { OpenableStorage } from '../storage/registry';
import { keyOf, storeOf, type StoredAt } from './store-fname';
import { unknownStorageError } from '../storage/unknown-storage';

/** Where an object is read or written: a connected provider and the key in it. */
export interface ObjectHandle {
  readonly provider: StorageProvider;
  readonly key: string;
  /** The configured storage whose credentials are used. */
  readonly storage: string;
  /** `s3://bucket`, `swift://container`… for messages. */
  readonly label: string;
}

/** Gives providers for object-storage locations. */
export interface ObjectResolver {
  /** The provider and key of a location; `NotFound` when no configured storage matches. */
  handleFor(at: StoredAt): Promise<ObjectHandle>;
  /** Closes the providers it opened. */
  close(): Promise<void>;
}

/** What the resolver needs: the configured storages and a way to open one (with wrappers). */
export interface ResolverDeps {
  readonly storages: readonly OpenableStorage[];
  readonly open: (entry: OpenableStorage) => Promise<StorageProvider>;
  /** `--attachments-storage NAME`. */
  readonly named?: string | undefined;
}

function kindFor(at: StoredAt): 's3' | 'swift' | undefined {
  if (at.kind === 's3') return 's3';
  if (at.kind === 'swift' || at.kind === 'openstack') return 'swift';
  return undefined;
}

/** The label of a location's bucket/container. */
export function storeLabel(at: StoredAt): string {
  if (at.kind === 'openstack') return `Swift container ${at.container ?? '(unknown)'}`;
  return `${at.kind}://${storeOf(at) ?? ''}`;
}

function noStorage(at: StoredAt, hint: string): AppError {
  return new AppError('NotFound', `No configured storage gives access to ${storeLabel(at)}.`, { hint, details: { store: storeOf(at) } });
}

/** The storage entry to use for `at` (before settings are pointed at the URI's bucket). */
function pick(at: StoredAt, deps: ResolverDeps): OpenableStorage {
  if (deps.named !== undefined) {
    const e = deps.storages.find((s) => s.name === deps.named);
    if (!e) throw unknownStorageError([deps.named], deps.storages.map((s) => s.name));
    const want = kindFor(at);
    if (want && e.kind !== want) throw new AppError('InvalidInput', `Storage "${e.name}" is ${e.kind}; ${storeLabel(at)} needs a ${want} storage.`, { hint: 'Name a storage of the right type with --attachments-storage.' });
    return e;
  }
  const want = kindFor(at);
  const store = storeOf(at);
  if (!want || store === undefined || store === '') {
    throw noStorage(at, at.kind === 'fs' ? `fs_attachment storage "${storeOf(at) ?? ''}" is configured inside Odoo; name a storage holding its files with --attachments-storage.` : 'Name the storage with --attachments-storage.');
  }
  const field = want === 's3' ? 'bucket' : 'container';
  const matches = deps.storages.filter((s) => s.kind === want && s.settings[field] === store);
  if (matches.length === 0) throw noStorage(at, `Add a ${want} storage for ${field} "${store}" (backup-desk storage add), or name one whose credentials reach it with --attachments-storage.`);
  if (matches.length > 1) {
    throw new AppError('Conflict', `Several storages point at ${storeLabel(at)}: ${matches.map((m) => m.name).join(', ')}.`, { hint: 'Choose one with --attachments-storage.' });
  }
  return matches[0]!;
}

/** Settings pointing the storage at the URI's bucket/container root. */
function pointed(entry: OpenableStorage, at: StoredAt): OpenableStorage {
  const store = storeOf(at);
  if (at.kind === 's3' && store) return { ...entry, settings: { ...entry.settings, bucket: store, prefix: '' } };
  if ((at.kind === 'swift' || at.kind === 'openstack') && store) return { ...entry, settings: { ...entry.settings, container: store, prefix: '' } };
  return entry;
}

/** A resolver over configured storages (providers opened once per storage and bucket). */
export function storageResolver(deps: ResolverDeps): ObjectResolver {
  const open = new Map<string, Promise<StorageProvider>>();
  return {
    async handleFor(at) {
      const key = keyOf(at);
      if (key === undefined || key === '') throw new AppError('InvalidInput', `${storeLabel(at)} names no object.`);
      const entry = pointed(pick(at, deps), at);
      const id = `${entry.name}\u0000${storeOf(at) ?? ''}`;
      let p = open.get(id);
      if (!p) {
        p = deps.open(entry);
        p.catch(() => open.delete(id));
        open.set(id, p);
      }
      return { provider: await p, key, storage: entry.name, label: storeLabel(at) };
    },
    async close() {
      const all = [...open.values()];
      open.clear();
      await Promise.all(all.map(async (p) => (await p.catch(() => undefined))?.close().catch(() => undefined)));
    },
  };
}
