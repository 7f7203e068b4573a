/**
 * Every storage type the app knows, by kind: each provider folder's factory imported
 * explicitly (rclone's `backend/all`, without side effects). To add a provider, add one
 * import and one entry to `FACTORIES`.
 */
import { AppError, issueText, type SchemaIssue } from '../errors';
import type { Logger } from '../util/logger';
import type { SecretStore } from '../secrets/secret-store';
import type { ProviderDeps, ProviderFactory, StorageProvider } from './provider';
import { composeProvider } from './wrappers/compose';
import { localFactory } from './local';
import { memoryFactory } from './memory';
import { s3Factory } from './s3';
import { sftpFactory } from './sftp';
import { dropboxFactory } from './dropbox';
import { swiftFactory } from './swift';
import { gdriveFactory } from './gdrive';

/** A registered factory, plus optional extras a factory may declare. */
export type RegisteredFactory = ProviderFactory<unknown> & {
  /** True for storages connected through an OAuth grant (Dropbox, Google Drive). */
  readonly oauth?: boolean;
  /** Checks done once when the storage is added (e.g. the folder exists). */
  preflight?(config: unknown, deps: ProviderDeps): Promise<void>;
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFactory = ProviderFactory<any> & { readonly oauth?: boolean; preflight?(config: any, deps: ProviderDeps): Promise<void> };

const FACTORIES: readonly AnyFactory[] = [
  localFactory,
  memoryFactory,
  s3Factory,
  sftpFactory,
  dropboxFactory,
  swiftFactory,
  gdriveFactory,
];

/** Kinds that exist for tests and development only: hidden from forms, `--type` and `storages:kinds`. */
const INTERNAL_KINDS: ReadonlySet<string> = new Set(['memory']);

/**
 * The registered factories people can choose, in registration order. The in-memory test
 * double is included only with `includeInternal` (or `BACKUP_DESK_DEV_STORAGES=1`);
 * `getFactory` still finds it.
 */
export function listFactories(opts: { includeInternal?: boolean } = {}): readonly RegisteredFactory[] {
  const all = opts.includeInternal || process.env.BACKUP_DESK_DEV_STORAGES === '1';
  return (all ? FACTORIES : FACTORIES.filter((f) => !INTERNAL_KINDS.has(f.kind))) as readonly RegisteredFactory[];
}

/** The factory of `kind`; `InvalidInput` naming the known kinds when there is none. */
export function getFactory(kind: string): RegisteredFactory {
  const f = FACTORIES.find((x) => x.kind === kind);
  if (!f) {
    throw new AppError('InvalidInput', `Unknown storage type "${kind}".`, {
      hint: `Use one of: ${FACTORIES.map((x) => x.kind).join(', ')}.`,
    });
  }
  return f as RegisteredFactory;
}

/** What `openStorage` needs to know about a configured storage. */
export interface OpenableStorage {
  readonly name: string;
  readonly kind: string;
  readonly settings: Readonly<Record<string, unknown>>;
  readonly secretScope: string;
}

/** Dependencies of `openStorage`. */
export interface OpenStorageDeps {
  readonly secrets: SecretStore;
  readonly log: Logger;
  readonly fetch?: typeof fetch;
  /** Composes wrappers around the raw provider (default: `composeProvider`: retry, logging, concurrency limit). */
  readonly wrap?: (provider: StorageProvider, ctx: { name: string; log: Logger }) => StorageProvider;
}

/**
 * What is wrong with a storage's settings, each by its form label ("Bucket: Bucket names are…;
 * Region: is missing") or, with `name`, as that names a field (the CLI: its flag), without a final full stop.
 */
export function settingsIssues(factory: Pick<RegisteredFactory, 'fields'>, issues: readonly SchemaIssue[], name?: (field: string) => string): string {
  const label = (key: PropertyKey | undefined): string => {
    if (key === undefined) return 'Settings';
    if (name && typeof key === 'string') return name(key);
    return factory.fields.find((f) => f.name === key)?.label ?? String(key);
  };
  return issues.map((i) => `${label(i.path[0])}: ${issueText(i).replace(/\.$/, '')}`).join('; ');
}

/** Validates a storage's settings with its factory's schema; `InvalidInput` naming the storage. */
export function parseSettings(entry: Pick<OpenableStorage, 'name' | 'kind' | 'settings'>): unknown {
  const factory = getFactory(entry.kind);
  const parsed = factory.configSchema.safeParse(entry.settings);
  if (!parsed.success) {
    throw new AppError('InvalidInput', `The settings of storage "${entry.name}" are invalid: ${settingsIssues(factory, parsed.error.issues)}.`, {
      hint: 'Remove the storage and add it again with correct settings.',
    });
  }
  return parsed.data;
}

/** Builds a connected provider for a configured storage, with the standard wrappers composed. */
export async function openStorage(entry: OpenableStorage, deps: OpenStorageDeps): Promise<StorageProvider> {
  const factory = getFactory(entry.kind);
  const config = parseSettings(entry);
  const log = deps.log.child({ storage: entry.name, kind: entry.kind });
  const raw = await factory.create(config, entry.secretScope, { secrets: deps.secrets, log, storageName: entry.name, ...(deps.fetch ? { fetch: deps.fetch } : {}) });
  return deps.wrap ? deps.wrap(raw, { name: entry.name, log }) : composeProvider(raw, { log });
}
