/**
 * The storages area of the Desk: configured storages (add, list, test, remove), their
 * connected providers, OAuth connect, the "needs reconnect" state, and refs `NAME:KEY`.
 */
import { resolve as resolvePath } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { AreaApi, StorageSummary, storagesMethods } from '../../contract/api';
import { apiMethods, type ApiArgs, type ApiResult } from '../../contract/api';
import { clearConnectionStatus, connectionStatus, markNeedsReconnect } from '../auth/connection-status';
import { connectStorage } from '../auth/oauth-flow';
import { isOAuthKind } from '../auth/oauth-providers';
import { credentialKind } from '../auth/storage-tokens';
import { STORAGE_NAME_PATTERN, type StorageEntry } from '../config';
import { AppError, messageWithHint, toAppError } from '../errors';
import { SECRET_NAMES } from '../secrets/names';
import type { StorageProvider } from '../storage/provider';
import { getFactory, listFactories, openStorage, parseSettings } from '../storage/registry';
import type { DeskKernel } from './kernel';
import { probeStorage } from './storage-probe';
import { checkNewStorage, checkSecretNames, credentialSettings } from './storage-settings';
import { findStorageTemporaries, KINDS_WITH_TEMPORARIES, removeStorageTemporaries, type StorageTemporary, type TemporariesFound, type TemporariesRemoved, type TemporariesSearch } from './storage-temporaries';
import { unknownStorageError } from '../storage/unknown-storage';

/** A parsed `NAME:KEY` catalog reference. */
export interface ParsedRef {
  readonly storage: string;
  readonly key: string;
}

/** The storages area: implements the `storages:*` methods of the contract. */
export class StorageService implements AreaApi<typeof storagesMethods> {
  private readonly providers = new Map<string, { entry: StorageEntry; provider: Promise<StorageProvider> }>();

  /** The scheduled jobs that use a storage (wired by the Desk): a storage they use is not removed. */
  usedBy: (name: string) => Promise<string[]> = async () => [];

  constructor(private readonly k: DeskKernel) {}

  /** Every configured storage entry. */
  async entries(): Promise<StorageEntry[]> {
    return (await this.k.config.read()).storages;
  }

  /** One configured storage; `NotFound` naming the configured ones. */
  async entry(name: string): Promise<StorageEntry> {
    const all = await this.entries();
    const e = all.find((s) => s.name === name);
    if (!e) throw unknownStorageError([name], all.map((s) => s.name));
    return e;
  }

  /** A connected provider for a configured storage (cached until removed, reconnected or closed). */
  async provider(name: string): Promise<StorageProvider> {
    const entry = await this.entry(name);
    const cached = this.providers.get(name);
    if (cached && cached.entry.id === entry.id) return cached.provider;
    const provider = openStorage(entry, this.k.storageDeps());
    provider.catch((err: unknown) => {
      this.providers.delete(name);
      void this.noteAuthFailure(name, err);
    });
    this.providers.set(name, { entry, provider });
    return provider;
  }

  /** A fresh provider for `entry` that the caller closes (the catalog closes what it opens). */
  openFresh(entry: StorageEntry): Promise<StorageProvider> {
    return openStorage(entry, this.k.storageDeps());
  }

  /** Closes and forgets the cached provider of `name` (it holds an old credential, or the storage is gone). */
  private async dropProvider(name: string): Promise<void> {
    const cached = this.providers.get(name);
    this.providers.delete(name);
    if (cached) await (await cached.provider.catch(() => undefined))?.close().catch(() => undefined);
  }

  /** Closes every connected storage. */
  async close(): Promise<void> {
    const all = [...this.providers.values()];
    this.providers.clear();
    await Promise.all(all.map(async (p) => (await p.provider.catch(() => undefined))?.close().catch(() => undefined)));
  }

  /** The storages of `names` (default: every configured one; `NotFound` for an unknown name) whose kind can list unfinished uploads: the ones a search looks on. */
  async storagesWithTemporaries(names?: readonly string[]): Promise<string[]> {
    const entries = names ? await Promise.all(names.map((n) => this.entry(n))) : await this.entries();
    return entries.filter((e) => KINDS_WITH_TEMPORARIES.has(e.kind)).map((e) => e.name);
  }

  /** Temporaries of interrupted writes on `names` (default: every storage of a kind that keeps any), split at `minAgeMs`. */
  async findTemporaries(minAgeMs: number, names?: readonly string[], search: TemporariesSearch = {}): Promise<TemporariesFound> {
    return findStorageTemporaries(await this.storagesWithTemporaries(names), (n) => this.provider(n), minAgeMs, search);
  }

  /** Removes temporaries that `findTemporaries` found (a stop ends it between two). */
  removeTemporaries(found: readonly StorageTemporary[], signal?: AbortSignal): Promise<TemporariesRemoved> {
    return removeStorageTemporaries(found, (n) => this.provider(n), signal);
  }

  /** Parses `NAME:KEY` when NAME is a configured storage; undefined otherwise. */
  async parseRef(ref: string): Promise<ParsedRef | undefined> {
    const i = ref.indexOf(':');
    if (i <= 0) return undefined;
    const storage = ref.slice(0, i);
    if (!STORAGE_NAME_PATTERN.test(storage)) return undefined;
    const entries = await this.entries();
    if (!entries.some((s) => s.name === storage)) return undefined;
    return { storage, key: ref.slice(i + 1) };
  }

  /** The configured storage a `NAME:KEY` ref is on; undefined for local paths. */
  async refStorage(ref: string): Promise<StorageEntry | undefined> {
    const parsed = await this.parseRef(ref);
    return parsed ? this.entry(parsed.storage) : undefined;
  }

  /**
   * Records "needs-reconnect" for `storage` when `err` is an `AuthFailed` whose details ask for
   * a reconnect (revoked/expired grant, missing credential); never throws.
   */
  async noteAuthFailure(storage: string | undefined, err: unknown): Promise<void> {
    if (!storage) return;
    const e = toAppError(err);
    if (e.kind !== 'AuthFailed' || !e.details?.reconnect) return;
    if ((await this.entries().catch(() => [])).every((s) => s.name !== storage)) return;
    await markNeedsReconnect(this.k.home, storage, e.message).catch((werr: unknown) =>
      this.k.log.warn('could not record that a storage needs reconnecting', { storage, error: toAppError(werr).message }),
    );
  }

  /** Runs `fn`; an `AuthFailed` asking for a reconnect marks the storage of `ref` (a `NAME:KEY` ref) before it is rethrown. */
  async withAuthNote<T>(ref: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      await this.noteAuthFailure((await this.parseRef(ref).catch(() => undefined))?.storage, err);
      throw err;
    }
  }

  /** What the storage list shows of one entry: its description and whether it needs a secret or a reconnect. */
  private async summary(entry: StorageEntry): Promise<StorageSummary> {
    let description: string;
    let status: StorageSummary['status'];
    try {
      const factory = getFactory(entry.kind);
      description = factory.describe(parseSettings(entry));
      status = await this.status(entry, factory.oauth === true, factory.fields.filter((f) => f.secret && f.required));
    } catch (err) {
      description = `${entry.kind} (${toAppError(err).message})`;
    }
    return { name: entry.name, kind: entry.kind, description, settings: { ...entry.settings }, ...(status ? { status } : {}) };
  }

  /** A storage's status; undefined when it cannot be known (no secret store) or it has nothing to check. */
  private async status(entry: StorageEntry, oauth: boolean, required: readonly { name: string }[]): Promise<StorageSummary['status']> {
    try {
      if (oauth) {
        const kindOfCredential = await credentialKind(await this.k.secrets(), entry.secretScope);
        return kindOfCredential === 'none' ? 'needs-secret' : await connectionStatus(this.k.home, entry.name);
      }
      if (required.length === 0) return undefined;
      const store = await this.k.secrets();
      let status: StorageSummary['status'];
      for (const f of required) if ((await store.get(entry.secretScope, f.name)) === undefined) status = 'needs-secret';
      return status ?? 'ok';
    } catch {
      return undefined; // secret store unavailable: status unknown
    }
  }

  /** Adds a storage: checks the name, splits secrets from settings, validates, saves (secrets to the secret store only). */
  async add(args: ApiArgs<'storages:add'>): Promise<StorageSummary> {
    const { name, kind } = args;
    const { factory, settings, secrets } = checkNewStorage(args);
    const taken = (): AppError => new AppError('Conflict', `A storage named "${name}" already exists.`, { hint: 'Choose another name, or remove the existing one first.' });
    assertNewStorage(await this.entries(), name, kind, settings);
    const id = randomUUID();
    const secretScope = `storage:${id}`;
    await factory.preflight?.(settings, this.k.storageDeps());
    const store = Object.keys(secrets).length > 0 ? await this.k.secrets() : undefined;
    try {
      for (const [key, v] of Object.entries(secrets)) await store!.set(secretScope, key, v);
      const entry: StorageEntry = { id, name, kind, settings, secretScope, createdAt: new Date().toISOString() };
      await this.k.config.update((cfg) => {
        if (cfg.storages.some((s) => s.name.toLowerCase() === name.toLowerCase())) throw taken();
        return { config: { ...cfg, storages: [...cfg.storages, entry] }, result: undefined };
      });
      this.k.log.info('storage added', { storage: name, kind });
      return this.summary(entry);
    } catch (err) {
      if (store) await store.deleteScope(secretScope).catch(() => undefined);
      throw err;
    }
  }

  /** Replaces some secrets of a storage; its cached connection is dropped so the next use logs in with them. */
  async setSecrets(name: string, secrets: Record<string, string>, credentials: Record<string, string> = {}): Promise<StorageSummary> {
    const entry = await this.entry(name);
    const factory = getFactory(entry.kind);
    if (factory.oauth) throw new AppError('InvalidInput', `Storage "${name}" signs in through the browser; it has no secrets to set.`, { hint: 'Connect it again instead.' });
    checkSecretNames(factory, secrets);
    const settings = credentialSettings(factory, entry.settings, credentials);
    if (Object.keys(secrets).length === 0 && Object.keys(credentials).length === 0) {
      throw new AppError('InvalidInput', 'No secret was given.', { hint: `Its secrets are: ${factory.fields.filter((f) => f.secret).map((f) => f.name).join(', ')}.` });
    }
    const store = await this.k.secrets();
    for (const [key, v] of Object.entries(secrets)) await store.set(entry.secretScope, key, v);
    const updated = Object.keys(credentials).length ? await this.updateSettings(name, settings) : entry;
    await this.dropProvider(name);
    this.k.log.info('storage secrets replaced', { storage: name, secrets: Object.keys(secrets), settings: Object.keys(credentials) });
    return this.summary(updated);
  }

  /** Stores new settings for a storage (its name, kind, secrets and rotation policy stay). */
  private async updateSettings(name: string, settings: Record<string, unknown>): Promise<StorageEntry> {
    return this.k.config.update((cfg) => {
      const i = cfg.storages.findIndex((s) => s.name === name);
      if (i < 0) throw unknownStorageError([name], cfg.storages.map((s) => s.name));
      const storages = [...cfg.storages];
      const next = { ...storages[i]!, settings };
      storages[i] = next;
      return { config: { ...cfg, storages }, result: next };
    });
  }

  /** Removes a storage from the config and deletes its secrets; never touches its files. */
  async remove(name: string): Promise<void> {
    const jobs = await this.usedBy(name);
    if (jobs.length > 0) {
      throw new AppError('Conflict', `Storage "${name}" is used by the scheduled job${jobs.length === 1 ? '' : 's'} ${jobs.map((j) => `"${j}"`).join(', ')}: removing it would make ${jobs.length === 1 ? 'that job' : 'them'} fail at every run.`, {
        hint: `Edit or remove ${jobs.length === 1 ? 'that job' : 'those jobs'} first (Schedules), then remove the storage.`,
        details: { cliHint: `Remove or change ${jobs.length === 1 ? 'that job' : 'those jobs'} first (backup-desk schedule remove ${jobs[0]}, or schedule add ${jobs[0]} --replace … with other storages), then remove the storage.` },
      });
    }
    const entry = await this.k.config.update((cfg) => {
      const e = cfg.storages.find((s) => s.name === name);
      if (!e) throw unknownStorageError([name], cfg.storages.map((s) => s.name));
      return { config: { ...cfg, storages: cfg.storages.filter((s) => s.name !== name) }, result: e };
    });
    await this.dropProvider(name);
    // Whatever the kind: a credential may have been imported or connected outside the kind's fields.
    try {
      await (await this.k.secrets()).deleteScope(entry.secretScope);
    } catch (err) {
      this.k.log.warn('could not delete the secrets of a removed storage', { storage: name, error: toAppError(err).message });
    }
    await clearConnectionStatus(this.k.home, name).catch((err: unknown) =>
      this.k.log.warn('could not clear the connection status of a removed storage', { storage: name, error: toAppError(err).message }),
    );
    this.k.log.info('storage removed', { storage: name });
  }

  /** Starts the browser sign-in of an OAuth storage as a job; its progress carries the sign-in URL. */
  startConnect(name: string): { jobId: string; result: Promise<unknown> } {
    const handle = this.k.jobs.start('connect', `Connect ${name}`, async (ctx) => {
      const entry = await this.entry(name);
      if (!isOAuthKind(entry.kind)) {
        throw new AppError('InvalidInput', `Storage "${name}" is a ${entry.kind} storage: only Dropbox and Google Drive storages connect through the browser.`, {
          hint: 'Give its credentials in its settings instead.',
        });
      }
      ctx.progress({ phase: 'authorize', label: 'Starting the sign-in…' });
      const result = await connectStorage({
        kind: entry.kind,
        storageName: name,
        scope: entry.secretScope,
        settings: entry.settings,
        secrets: await this.k.secrets(),
        home: this.k.home,
        signal: ctx.signal,
        log: this.k.log,
        ...(this.k.fetchImpl ? { fetch: this.k.fetchImpl } : {}),
        openUrl: async (url) => {
          ctx.progress({ phase: 'authorize', label: 'Sign in in your browser', message: url });
          ctx.log('info', 'Waiting for the sign-in in the browser.');
          if (this.k.openUrl) await this.k.openUrl(url);
        },
      });
      // A cached provider holds the old credential: open a fresh one next time.
      await this.dropProvider(name);
      this.k.log.info('storage connected', { storage: name });
      return result;
    });
    return { jobId: handle.id, result: handle.result };
  }

  /** Lists, writes, reads back and deletes a probe object, saying exactly what fails. */
  async test(name: string, signal?: AbortSignal): Promise<ApiResult<'storages:test'>> {
    const checks: { name: string; ok: boolean; message: string }[] = [];
    const onError = (err: unknown): void => void this.noteAuthFailure(name, err);
    let provider: StorageProvider;
    try {
      provider = await this.provider(name);
    } catch (err) {
      const e = toAppError(err);
      onError(e);
      checks.push({ name: 'open', ok: false, message: messageWithHint(e) });
      for (const c of ['list', 'write', 'read', 'delete']) checks.push({ name: c, ok: false, message: 'skipped: could not open the storage' });
      return { ok: false, checks };
    }
    // Opening reads the settings and secrets (and logs in where the protocol has a session, SFTP);
    // an HTTP server (S3, Swift, Dropbox, Drive) is first contacted by the listing below.
    checks.push({ name: 'open', ok: true, message: 'settings and secrets read' });
    return probeStorage(provider, checks, onError, signal);
  }

  /** Forgets the backup passphrase remembered for storage `name`; true when one was stored. */
  async forgetPassphrase(name: string): Promise<boolean> {
    const entry = await this.entry(name);
    const store = await this.k.secrets();
    const had = (await store.get(entry.secretScope, SECRET_NAMES.backupPassphrase)) !== undefined;
    if (had) await store.delete(entry.secretScope, SECRET_NAMES.backupPassphrase);
    if (had) this.k.log.info('backup passphrase forgotten', { storage: name });
    return had;
  }

  /** @inheritdoc */
  async 'storages:kinds'(_args: ApiArgs<'storages:kinds'> = {}): Promise<ApiResult<'storages:kinds'>> {
    return listFactories().map((f) => ({
      kind: f.kind,
      label: f.label,
      oauth: f.oauth === true,
      fields: f.fields.map(({ options, when, ...rest }) => ({ ...rest, ...(options ? { options: [...options] } : {}), ...(when ? { when: { field: when.field, is: [...when.is] } } : {}) })),
    }));
  }

  /** @inheritdoc */
  async 'storages:list'(_args: ApiArgs<'storages:list'> = {}): Promise<ApiResult<'storages:list'>> {
    return Promise.all((await this.entries()).map((e) => this.summary(e)));
  }

  /** @inheritdoc */
  async 'storages:add'(args: ApiArgs<'storages:add'>): Promise<ApiResult<'storages:add'>> {
    return this.add(apiMethods['storages:add'].args.parse(args));
  }

  /** @inheritdoc */
  async 'storages:set-secrets'(args: ApiArgs<'storages:set-secrets'>): Promise<ApiResult<'storages:set-secrets'>> {
    const a = apiMethods['storages:set-secrets'].args.parse(args);
    return this.setSecrets(a.name, a.secrets, a.credentials);
  }

  /** @inheritdoc */
  async 'storages:test'(args: ApiArgs<'storages:test'>): Promise<ApiResult<'storages:test'>> {
    return this.test(args.name);
  }

  /** @inheritdoc */
  async 'storages:remove'(args: ApiArgs<'storages:remove'>): Promise<ApiResult<'storages:remove'>> {
    await this.remove(args.name);
    return {};
  }

  /** @inheritdoc */
  async 'storages:connect'(args: ApiArgs<'storages:connect'>): Promise<ApiResult<'storages:connect'>> {
    await this.entry(args.name); // NotFound now, not as a failed job
    return { jobId: this.startConnect(args.name).jobId };
  }

  /** @inheritdoc */
  async 'storages:passphrase-remembered'(args: ApiArgs<'storages:passphrase-remembered'>): Promise<ApiResult<'storages:passphrase-remembered'>> {
    const entry = await this.entry(args.name);
    const pw = await (await this.k.secrets()).get(entry.secretScope, SECRET_NAMES.backupPassphrase).catch(() => undefined);
    return { remembered: pw !== undefined };
  }

  /** @inheritdoc */
  async 'storages:forget-passphrase'(args: ApiArgs<'storages:forget-passphrase'>): Promise<ApiResult<'storages:forget-passphrase'>> {
    return { forgotten: await this.forgetPassphrase(args.name) };
  }
}

/**
 * `Conflict` for a storage that would repeat one already configured: a name that differs only in
 * case (refs `NAME:KEY` would be ambiguous to read), or the same folder, here or over SFTP, whose
 * backups would all be listed twice. A bucket or container may be added twice: with other
 * credentials (a read-only key beside one that writes) it is another way in.
 */
function assertNewStorage(existing: readonly StorageEntry[], name: string, kind: string, settings: Record<string, unknown>): void {
  const same = existing.find((e) => e.name.toLowerCase() === name.toLowerCase());
  if (same) {
    throw new AppError('Conflict', same.name === name ? `A storage named "${name}" already exists.` : `A storage named "${same.name}" already exists; names that differ only in case are not told apart.`, {
      hint: 'Choose another name, or remove the existing one first.',
    });
  }
  const place = placeOf(kind, settings);
  const twin = place === undefined ? undefined : existing.find((e) => placeOf(e.kind, e.settings) === place);
  if (twin) {
    throw new AppError('Conflict', `Storage "${twin.name}" is that place already (${place!.slice(place!.indexOf(' ') + 1)}): its backups would all be listed twice.`, {
      hint: `Use the storage "${twin.name}", or remove it first.`,
    });
  }
}

/** The folder a local or SFTP storage lists, as one comparable string; undefined for the other kinds. */
function placeOf(kind: string, s: Record<string, unknown>): string | undefined {
  const str = (v: unknown): string => (typeof v === 'string' ? v : '');
  if (kind === 'local') return `local ${resolvePath(str(s.path))}`;
  if (kind === 'sftp') return `sftp ${str(s.username)}@${str(s.host).toLowerCase()}:${typeof s.port === 'number' ? s.port : 22}/${str(s.path).replace(/^\.\//, '').replace(/\/+$/, '')}`;
  return undefined;
}
