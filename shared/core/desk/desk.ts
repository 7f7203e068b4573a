/**
 * The Desk: the one facade the CLI, `serve` and the Electron app call. It implements every
 * method of the API contract (`DeskApi`), owns the job manager, the config of one home
 * folder, the secret store, and the connected storages.
 */
import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { basename, dirname, resolve as resolvePath } from 'node:path';
import { Readable } from 'node:stream';
import { connectStorage } from '../auth/oauth-flow';
import { clearConnectionStatus, connectionStatus, markNeedsReconnect } from '../auth/connection-status';
import { credentialKind } from '../auth/storage-tokens';
import { isOAuthKind } from '../auth/oauth-providers';
import { apiMethods, type ApiArgs, type ApiResult, type BackupEntry, type DeskApi, type RestoreTargetSpec, type StorageSummary } from '../../contract/api';
import { localFileSource } from '../archive';
import type { BackupSource, MultiPartBackup } from '../archive/source';
import { BackupFactsCache, classifyName, listCatalog, parseSidecar, scanStorage, type CatalogStorage } from '../catalog';
import { ConfigStore, STORAGE_NAME_PATTERN, type StorageEntry } from '../config';
import type { DecryptKeys } from '../crypto';
import { downloadBackup, downloadFolder, type DownloadResult, type FolderItem } from '../download';
import { AppError, toAppError } from '../errors';
import type { JobContext, JobSnapshot } from '../jobs/job';
import { JobManager } from '../jobs/job-manager';
import { EmbeddedPg } from '../pg/embedded';
import { RunHistory, trackRun } from '../history';
import { scanDatabaseAttachments } from '../attachments';
import { connect as connectDb } from '../pg/connection';
import { RotationService } from '../rotation';
import { openSecretStore } from '../secrets';
import type { SecretStore } from '../secrets/secret-store';
import { SECRET_NAMES } from '../secrets/names';
import { LocalProvider } from '../storage/local';
import type { StorageProvider } from '../storage/provider';
import { getFactory, listFactories, openStorage, parseSettings } from '../storage/registry';
import { readAll } from '../storage/wrappers/streams';
import { nullLogger, type Logger } from '../util/logger';
import { embeddedTargetEntry, resolveTarget, restoreEngine, withTargetInfo } from './engine';
import { providerMultiPart, providerSource } from './sources';
import { APP_VERSION } from './version';

/** Options of `Desk.open`. */
export interface DeskOptions {
  /** The home folder (already resolved: see `resolveHome`). */
  readonly home: string;
  /** The secret store; default: `openSecretStore(home)` on first use. */
  readonly secrets?: SecretStore;
  readonly log?: Logger;
  /** Override of global fetch for providers (tests point SDKs at local servers). */
  readonly fetch?: typeof fetch;
  /** Opens the default secret store lazily (injected by hosts that can prompt for a vault passphrase). */
  readonly openSecrets?: (home: string) => Promise<SecretStore>;
  /**
   * Opens an OAuth sign-in URL in the system browser (Electron: `shell.openExternal` after URL
   * validation). Without it (serve), the face opens the URL it finds in the connect job's progress.
   */
  readonly openUrl?: (url: string) => Promise<void>;
}

/** A parsed `NAME:KEY` catalog reference. */
export interface ParsedRef {
  readonly storage: string;
  readonly key: string;
}

/** A backup located on a storage or on disk, ready to read. */
export interface ResolvedBackup {
  readonly source: BackupSource | MultiPartBackup;
  /** The catalog entry (for refs, and for local files parsed like a one-file storage). */
  readonly entry: BackupEntry | undefined;
  /** The storage it is on, and its key. */
  readonly provider: StorageProvider;
  readonly key: string;
  /** The storage name (`undefined` for a local path). */
  readonly storage: string | undefined;
}

/** Settings passed to `storages:add` as typed values, or strings from the CLI to coerce. */
type Settings = Record<string, unknown>;

/** The facade over the core for one home folder. */
export class Desk implements DeskApi {
  /** Long work (restore, download) runs here. */
  readonly jobs = new JobManager();
  readonly home: string;
  readonly log: Logger;
  private readonly config: ConfigStore;
  private readonly fetchImpl: typeof fetch | undefined;
  private secretsPromise: Promise<SecretStore> | undefined;
  private readonly openSecrets: ((home: string) => Promise<SecretStore>) | undefined;
  private readonly openUrl: ((url: string) => Promise<void>) | undefined;
  private readonly providers = new Map<string, { entry: StorageEntry; provider: Promise<StorageProvider> }>();
  /** The private PostgreSQL of the `{ type: 'embedded' }` restore target (started on demand, stopped by `close`). */
  readonly embedded: EmbeddedPg;
  /** What inspect and restores learned about backups (Odoo version…), shown in later listings. */
  private readonly facts: BackupFactsCache;
  /** The run history (backups, restores, rotations, drills) of this home. */
  readonly history: RunHistory;
  /** Rotation policies (per storage) and rotations. */
  readonly rotation: RotationService;

  private constructor(opts: DeskOptions) {
    this.home = resolvePath(opts.home);
    this.log = opts.log ?? nullLogger;
    this.embedded = new EmbeddedPg({ home: this.home, log: this.log });
    this.facts = BackupFactsCache.forHome(this.home);
    this.history = RunHistory.forHome(this.home);
    this.config = new ConfigStore(this.home);
    this.rotation = new RotationService({ config: this.config, history: this.history, log: this.log, provider: (name) => this.provider(name) });
    this.fetchImpl = opts.fetch;
    this.openSecrets = opts.openSecrets;
    this.openUrl = opts.openUrl;
    if (opts.secrets) this.secretsPromise = Promise.resolve(opts.secrets);
  }

  /** Opens the Desk for `home` (validates the config file now, so a corrupt one is reported at once). */
  static async open(opts: DeskOptions): Promise<Desk> {
    const desk = new Desk(opts);
    await desk.config.read();
    return desk;
  }

  /** The secret store, opened on first use. */
  async secrets(): Promise<SecretStore> {
    if (!this.secretsPromise) {
      const opener = this.openSecrets ?? defaultSecretOpener;
      this.secretsPromise = opener(this.home);
      this.secretsPromise.catch(() => (this.secretsPromise = undefined));
    }
    return this.secretsPromise;
  }

  /** A secret store that opens the real one only when a secret is actually read or written. */
  private lazySecrets(): SecretStore {
    const get = (): Promise<SecretStore> => this.secrets();
    return {
      backend: 'memory',
      get: async (s, n) => (await get()).get(s, n),
      set: async (s, n, v) => (await get()).set(s, n, v),
      delete: async (s, n) => (await get()).delete(s, n),
      deleteScope: async (s) => (await get()).deleteScope(s),
    };
  }

  /** Closes every connected storage. */
  async close(): Promise<void> {
    const all = [...this.providers.values()];
    this.providers.clear();
    await Promise.all(all.map(async (p) => (await p.provider.catch(() => undefined))?.close().catch(() => undefined)));
    await this.embedded.stop().catch((err: unknown) => this.log.warn('could not stop the private PostgreSQL', { error: toAppError(err).message }));
  }

  // ---------------------------------------------------------------- storages

  /** Every configured storage entry. */
  async storageEntries(): Promise<StorageEntry[]> {
    return (await this.config.read()).storages;
  }

  /** One configured storage; `NotFound` naming the configured ones. */
  async storageEntry(name: string): Promise<StorageEntry> {
    const all = await this.storageEntries();
    const e = all.find((s) => s.name === name);
    if (!e) {
      throw new AppError('NotFound', `There is no storage named "${name}".`, {
        hint: all.length ? `Configured storages: ${all.map((s) => s.name).join(', ')}.` : 'Add one with `backup-desk storage add`.',
      });
    }
    return e;
  }

  /** A connected provider for a configured storage (cached until removed or closed). */
  async provider(name: string): Promise<StorageProvider> {
    const entry = await this.storageEntry(name);
    const cached = this.providers.get(name);
    if (cached && cached.entry.id === entry.id) return cached.provider;
    const provider = openStorage(entry, { secrets: this.lazySecrets(), log: this.log, ...(this.fetchImpl ? { fetch: this.fetchImpl } : {}) });
    provider.catch((err: unknown) => {
      this.providers.delete(name);
      void this.noteAuthFailure(name, err);
    });
    this.providers.set(name, { entry, provider });
    return provider;
  }

  private async summary(entry: StorageEntry): Promise<StorageSummary> {
    let description: string;
    let status: StorageSummary['status'];
    try {
      const factory = getFactory(entry.kind);
      description = factory.describe(parseSettings(entry));
      const required = factory.fields.filter((f) => f.secret && f.required);
      if (factory.oauth) {
        try {
          const kindOfCredential = await credentialKind(await this.secrets(), entry.secretScope);
          status = kindOfCredential === 'none' ? 'needs-secret' : await connectionStatus(this.home, entry.name);
        } catch {
          /* secret store unavailable: status unknown */
        }
      } else if (required.length > 0) {
        try {
          const store = await this.secrets();
          for (const f of required) if ((await store.get(entry.secretScope, f.name)) === undefined) status = 'needs-secret';
          status ??= 'ok';
        } catch {
          /* secret store unavailable: status unknown */
        }
      }
    } catch (err) {
      description = `${entry.kind} (${toAppError(err).message})`;
    }
    return { name: entry.name, kind: entry.kind, description, settings: { ...entry.settings }, ...(status ? { status } : {}) };
  }

  /** Adds a storage: checks the name, splits secrets from settings, validates, saves (secrets to the secret store only). */
  async addStorage(args: ApiArgs<'storages:add'>): Promise<StorageSummary> {
    const { name, kind } = args;
    if (!STORAGE_NAME_PATTERN.test(name)) {
      throw new AppError('InvalidInput', `"${name}" is not a valid storage name.`, { hint: 'Use letters, digits, "_", "." or "-", starting with a letter or digit.' });
    }
    const factory = getFactory(kind);
    const secretFields = new Set(factory.fields.filter((f) => f.secret).map((f) => f.name));
    const settings: Settings = {};
    for (const [k, v] of Object.entries(args.settings)) {
      if (secretFields.has(k)) {
        throw new AppError('InvalidInput', `"${k}" is a secret and cannot be given as a setting.`, { hint: 'Pass secrets separately (a prompt, --secret-stdin or --secret-env).' });
      }
      if (v !== undefined && v !== '') settings[k] = v;
    }
    const secrets = args.secrets ?? {};
    for (const k of Object.keys(secrets)) {
      if (!secretFields.has(k)) {
        throw new AppError('InvalidInput', `A ${factory.label} storage has no secret "${k}".`, {
          hint: secretFields.size ? `Its secrets are: ${[...secretFields].join(', ')}.` : 'It needs no secrets.',
        });
      }
    }
    if (!factory.oauth) {
      const missing = factory.fields.filter((f) => f.secret && f.required && !secrets[f.name]);
      if (missing.length) {
        throw new AppError('InvalidInput', `Missing secret ${missing.map((f) => `"${f.name}"`).join(', ')} for a ${factory.label} storage.`, {
          hint: 'Give it at the prompt, with --secret-stdin or with --secret-env.',
        });
      }
    }
    const parsed = factory.configSchema.safeParse(settings);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'settings'}: ${i.message}`).join('; ');
      throw new AppError('InvalidInput', `Invalid settings for a ${factory.label} storage: ${issues}`, {
        hint: `Its settings are: ${factory.fields.filter((f) => !f.secret).map((f) => `${f.name}${f.required ? ' (required)' : ''}`).join(', ')}.`,
      });
    }
    const existing = await this.storageEntries();
    if (existing.some((s) => s.name === name)) {
      throw new AppError('Conflict', `A storage named "${name}" already exists.`, { hint: 'Choose another name, or remove the existing one first.' });
    }
    const id = randomUUID();
    const secretScope = `storage:${id}`;
    await factory.preflight?.(parsed.data, { secrets: this.lazySecrets(), log: this.log, ...(this.fetchImpl ? { fetch: this.fetchImpl } : {}) });
    const store = Object.keys(secrets).length > 0 ? await this.secrets() : undefined;
    try {
      for (const [k, v] of Object.entries(secrets)) await store!.set(secretScope, k, v);
      const entry: StorageEntry = { id, name, kind, settings: parsed.data as Record<string, unknown>, secretScope, createdAt: new Date().toISOString() };
      await this.config.update((cfg) => {
        if (cfg.storages.some((s) => s.name === name)) {
          throw new AppError('Conflict', `A storage named "${name}" already exists.`, { hint: 'Choose another name, or remove the existing one first.' });
        }
        return { config: { ...cfg, storages: [...cfg.storages, entry] }, result: undefined };
      });
      this.log.info('storage added', { storage: name, kind });
      return this.summary(entry);
    } catch (err) {
      if (store) await store.deleteScope(secretScope).catch(() => undefined);
      throw err;
    }
  }

  /** Removes a storage from the config and deletes its secrets; never touches its files. */
  async removeStorage(name: string): Promise<void> {
    const entry = await this.config.update((cfg) => {
      const e = cfg.storages.find((s) => s.name === name);
      if (!e) {
        throw new AppError('NotFound', `There is no storage named "${name}".`, {
          hint: cfg.storages.length ? `Configured storages: ${cfg.storages.map((s) => s.name).join(', ')}.` : 'Nothing is configured.',
        });
      }
      return { config: { ...cfg, storages: cfg.storages.filter((s) => s.name !== name) }, result: e };
    });
    const cached = this.providers.get(name);
    this.providers.delete(name);
    if (cached) await (await cached.provider.catch(() => undefined))?.close().catch(() => undefined);
    // Whatever the kind: a credential may have been imported or connected outside the kind's fields.
    try {
      await (await this.secrets()).deleteScope(entry.secretScope);
    } catch (err) {
      this.log.warn('could not delete the secrets of a removed storage', { storage: name, error: toAppError(err).message });
    }
    await clearConnectionStatus(this.home, name).catch((err: unknown) =>
      this.log.warn('could not clear the connection status of a removed storage', { storage: name, error: toAppError(err).message }),
    );
    this.log.info('storage removed', { storage: name });
  }

  /**
   * Records "needs-reconnect" for `storage` when `err` is an `AuthFailed` whose details ask for
   * a reconnect (revoked/expired grant, missing credential); never throws.
   */
  private async noteAuthFailure(storage: string | undefined, err: unknown): Promise<void> {
    if (!storage) return;
    const e = toAppError(err);
    if (e.kind !== 'AuthFailed' || !e.details?.reconnect) return;
    if ((await this.storageEntries().catch(() => [])).every((s) => s.name !== storage)) return;
    await markNeedsReconnect(this.home, storage, e.message).catch((werr: unknown) =>
      this.log.warn('could not record that a storage needs reconnecting', { storage, error: toAppError(werr).message }),
    );
  }

  /** Runs `fn`; an `AuthFailed` asking for a reconnect marks the storage of `ref` (a `NAME:KEY` ref) before it is rethrown. */
  private async withAuthNote<T>(ref: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      await this.noteAuthFailure((await this.parseRef(ref).catch(() => undefined))?.storage, err);
      throw err;
    }
  }

  /** Starts the browser sign-in of an OAuth storage as a job; its progress carries the sign-in URL. */
  startConnect(name: string): { jobId: string; result: Promise<unknown> } {
    const handle = this.jobs.start('connect', `Connect ${name}`, async (ctx) => {
      const entry = await this.storageEntry(name);
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
        secrets: await this.secrets(),
        home: this.home,
        signal: ctx.signal,
        log: this.log,
        ...(this.fetchImpl ? { fetch: this.fetchImpl } : {}),
        openUrl: async (url) => {
          ctx.progress({ phase: 'authorize', label: 'Sign in in your browser', message: url });
          ctx.log('info', 'Waiting for the sign-in in the browser.');
          if (this.openUrl) await this.openUrl(url);
        },
      });
      // A cached provider holds the old credential: open a fresh one next time.
      const cached = this.providers.get(name);
      this.providers.delete(name);
      if (cached) await (await cached.provider.catch(() => undefined))?.close().catch(() => undefined);
      this.log.info('storage connected', { storage: name });
      return result;
    });
    return { jobId: handle.id, result: handle.result };
  }

  /** Lists, writes, reads back and deletes a probe object, saying exactly what fails. */
  async testStorage(name: string, signal?: AbortSignal): Promise<ApiResult<'storages:test'>> {
    const checks: { name: string; ok: boolean; message: string }[] = [];
    const fail = (check: string, err: unknown): void => {
      const e = toAppError(err);
      void this.noteAuthFailure(name, e);
      checks.push({ name: check, ok: false, message: `${e.message}${e.hint ? ` ${e.hint}` : ''}` });
    };
    const skip = (check: string, why: string): void => void checks.push({ name: check, ok: false, message: `skipped: ${why}` });
    let provider: StorageProvider;
    try {
      provider = await this.provider(name);
      checks.push({ name: 'connect', ok: true, message: 'connected' });
    } catch (err) {
      fail('connect', err);
      for (const c of ['list', 'write', 'read', 'delete']) skip(c, 'could not connect');
      return { ok: false, checks };
    }
    try {
      let n = 0;
      for await (const _o of provider.list('', signal ? { signal } : {})) {
        if (++n >= 1000) break;
      }
      checks.push({ name: 'list', ok: true, message: n >= 1000 ? 'listed (1000+ objects)' : `listed ${n} object${n === 1 ? '' : 's'}` });
    } catch (err) {
      fail('list', err);
    }
    if (!provider.write || !provider.capabilities.write) {
      checks.push({ name: 'write', ok: false, message: 'this storage is read-only: backups cannot be written to it' });
      skip('read', 'nothing was written');
      skip('delete', 'nothing was written');
      return { ok: false, checks };
    }
    const key = `.backup-desk-probe-${randomUUID()}.txt`;
    const body = Buffer.from(`Odoo Backup Desk storage test ${new Date().toISOString()}\n`);
    try {
      await provider.write(key, Readable.from([body]), { size: body.length, ...(signal ? { signal } : {}) });
      checks.push({ name: 'write', ok: true, message: `wrote ${key} (${body.length} bytes)` });
    } catch (err) {
      fail('write', err);
      skip('read', 'the write failed');
      skip('delete', 'the write failed');
      return { ok: false, checks };
    }
    try {
      const back = await readAll(await provider.read(key, signal ? { signal } : {}));
      if (back.equals(body)) checks.push({ name: 'read', ok: true, message: 'read back the same bytes' });
      else checks.push({ name: 'read', ok: false, message: `read back ${back.length} bytes that differ from the ${body.length} written` });
    } catch (err) {
      fail('read', err);
    }
    if (!provider.remove || !provider.capabilities.remove) {
      checks.push({ name: 'delete', ok: false, message: `this storage cannot delete objects: remove ${key} by hand` });
    } else {
      try {
        await provider.remove(key, signal ? { signal } : {});
        checks.push({ name: 'delete', ok: true, message: `deleted ${key}` });
      } catch (err) {
        fail('delete', err);
      }
    }
    return { ok: checks.every((c) => c.ok), checks };
  }

  // ---------------------------------------------------------------- remembered passphrases

  /** The configured storage a `NAME:KEY` ref is on; undefined for local paths. */
  private async refStorage(ref: string): Promise<StorageEntry | undefined> {
    const parsed = await this.parseRef(ref);
    return parsed ? this.storageEntry(parsed.storage) : undefined;
  }

  /** The backup passphrase remembered for the storage of `ref`, if any (an unavailable secret store counts as none). */
  async rememberedPassphrase(ref: string): Promise<string | undefined> {
    const entry = await this.refStorage(ref);
    if (!entry) return undefined;
    try {
      return await (await this.secrets()).get(entry.secretScope, SECRET_NAMES.backupPassphrase);
    } catch (err) {
      this.log.warn('could not read a remembered backup passphrase', { storage: entry.name, error: toAppError(err).message });
      return undefined;
    }
  }

  /** Forgets the backup passphrase remembered for storage `name`; true when one was stored. */
  async forgetPassphrase(name: string): Promise<boolean> {
    const entry = await this.storageEntry(name);
    const store = await this.secrets();
    const had = (await store.get(entry.secretScope, SECRET_NAMES.backupPassphrase)) !== undefined;
    if (had) await store.delete(entry.secretScope, SECRET_NAMES.backupPassphrase);
    if (had) this.log.info('backup passphrase forgotten', { storage: name });
    return had;
  }

  /**
   * Runs `open` (which decrypts the backup at `ref`) with the given passphrase, or else the one
   * remembered for its storage (`useRemembered`). Only after `open` succeeded, and only when
   * `remember` is set, the given passphrase is stored for the storage: a wrong one never is.
   * A remembered passphrase that is wrong fails as `AuthFailed` saying so and how to replace it.
   */
  private async withPassphrase<T>(
    ref: string,
    opts: { given: string | undefined; remember: boolean | undefined; useRemembered: boolean; warn?: (message: string) => void },
    open: (passphrase: string | undefined) => Promise<T>,
  ): Promise<T> {
    const entry = await this.refStorage(ref);
    if (opts.remember && !entry) {
      throw new AppError('InvalidInput', `"${ref}" is not on a configured storage, so there is no storage to remember its passphrase for.`, {
        hint: 'Drop "remember passphrase", or use a ref NAME:KEY from `backup-desk list`.',
      });
    }
    let passphrase = opts.given;
    let remembered = false;
    if (passphrase === undefined && opts.useRemembered && entry) {
      passphrase = await this.rememberedPassphrase(ref);
      remembered = passphrase !== undefined;
    }
    let result: T;
    try {
      result = await open(passphrase);
    } catch (err) {
      const e = toAppError(err);
      if (remembered && entry && e.kind === 'AuthFailed' && /passphrase/i.test(e.message)) {
        throw new AppError('AuthFailed', `The passphrase remembered for storage "${entry.name}" does not open this encrypted backup.`, {
          hint: `Give the right passphrase and tick "remember" (CLI: --passphrase-file/--passphrase-env with --remember-passphrase) to replace it, or forget it with \`backup-desk storage forget-passphrase ${entry.name}\`.`,
          cause: err,
        });
      }
      throw err;
    }
    if (opts.remember && entry && opts.given !== undefined) {
      try {
        await (await this.secrets()).set(entry.secretScope, SECRET_NAMES.backupPassphrase, opts.given);
        this.log.info('backup passphrase remembered', { storage: entry.name });
      } catch (err) {
        const msg = `Could not remember the passphrase for storage "${entry.name}": ${toAppError(err).message}`;
        this.log.warn(msg);
        opts.warn?.(msg);
      }
    }
    return result;
  }

  // ---------------------------------------------------------------- sources

  /** Parses `NAME:KEY` when NAME is a configured storage; undefined otherwise. */
  async parseRef(ref: string): Promise<ParsedRef | undefined> {
    const i = ref.indexOf(':');
    if (i <= 0) return undefined;
    const storage = ref.slice(0, i);
    if (!STORAGE_NAME_PATTERN.test(storage)) return undefined;
    const entries = await this.storageEntries();
    if (!entries.some((s) => s.name === storage)) return undefined;
    return { storage, key: ref.slice(i + 1) };
  }

  /**
   * Locates a backup by catalog ref (`NAME:KEY`) or local path (a file, or a click-odoo
   * folder) and returns what restore/inspect/download read.
   */
  async resolveBackup(refOrPath: string, signal?: AbortSignal): Promise<ResolvedBackup> {
    const parsed = await this.parseRef(refOrPath);
    if (parsed) {
      const provider = await this.provider(parsed.storage);
      return this.resolveOn(provider, parsed.storage, parsed.key, signal);
    }
    const path = resolvePath(refOrPath);
    let st;
    try {
      st = await stat(path);
    } catch {
      const looksLikeRef = /^[A-Za-z0-9][A-Za-z0-9_.-]*:/.test(refOrPath) && !/^[A-Za-z]:[\\/]/.test(refOrPath);
      throw new AppError('NotFound', looksLikeRef ? `"${refOrPath}" is neither a file nor a ref to a configured storage.` : `No such file: ${refOrPath}`, {
        hint: looksLikeRef ? 'Refs look like NAME:KEY, where NAME is a storage from `backup-desk storage list`.' : 'Check the path.',
      });
    }
    if (st.isDirectory()) {
      const provider = new LocalProvider(path);
      return this.resolveOn(provider, undefined, '', signal);
    }
    const r = await this.resolveOn(new LocalProvider(dirname(path)), undefined, basename(path), signal);
    // A plain local file: the archive module's own source (it knows local files are seekable files).
    return 'kind' in r.source ? r : { ...r, source: localFileSource(path) };
  }

  /** The readable source of a backup given as ref or path. */
  async resolveSource(refOrPath: string, signal?: AbortSignal): Promise<BackupSource | MultiPartBackup> {
    return (await this.resolveBackup(refOrPath, signal)).source;
  }

  private async resolveOn(provider: StorageProvider, storage: string | undefined, key: string, signal?: AbortSignal): Promise<ResolvedBackup> {
    const label = storage ?? 'local';
    const isFolder = key === '' || key.endsWith('/');
    const baseName = basename(key.replace(/\/$/, ''));
    const n = isFolder ? undefined : classifyName(baseName);
    // Single files need no listing, except plain SQL dumps that may have a filestore folder
    // beside them. Names that follow no convention are still tried: the engine sniffs content.
    if (!isFolder && n && !(n.role === 'backup' && n.format === 'sql')) {
      const info = await provider.stat(key, signal ? { signal } : {});
      return { source: providerSource(provider, key, info.size), entry: undefined, provider, key, storage };
    }
    // Folder layouts: parse the listing of the folder it is in.
    const norm = key.replace(/^(\.\/)+/, '');
    const parentNorm = isFolder ? dirname(norm.replace(/\/$/, '')) : dirname(norm);
    const lead = key.slice(0, key.length - norm.length);
    const prefix = parentNorm === '.' || parentNorm === '' ? lead : `${lead}${parentNorm}/`;
    const scan = await scanStorage(label, provider, { prefix, ...(signal ? { signal } : {}) });
    const entry = scan.backups.find((b) => b.key === key);
    if (!entry && !isFolder && scan.objects.some((o) => o.key === key)) {
      return { source: providerSource(provider, key, scan.objects.find((o) => o.key === key)!.size), entry: undefined, provider, key, storage };
    }
    if (!entry) {
      const stray = scan.strays.find((s) => s.key === key);
      if (stray) throw new AppError('InvalidInput', `"${key}" is not a backup: ${stray.stray}.`, { hint: 'Choose a backup from `backup-desk list`.' });
      if (!scan.objects.some((o) => o.key === key || o.key.startsWith(key))) {
        throw new AppError('NotFound', `"${key}" does not exist on ${storage ? `storage "${storage}"` : 'disk'}.`, { hint: 'Check the ref with `backup-desk list`.' });
      }
      throw new AppError('InvalidInput', `"${key}" is not a backup.`, { hint: 'Choose a backup from `backup-desk list`.' });
    }
    const sizes = new Map(scan.objects.map((o) => [o.key, o.size]));
    const sizeOf = (k: string): number => sizes.get(k) ?? 0;
    const name = entry.key === '' ? label : basename(entry.key.replace(/\/$/, ''));
    if (entry.format === 'folder') {
      const dumpKey = `${entry.key}db.dump`;
      const manifestKey = `${entry.key}manifest.json`;
      const hasFs = scan.objects.some((o) => o.key.startsWith(`${entry.key}filestore/`));
      const source = providerMultiPart(provider, name, {
        dump: { key: dumpKey, size: sizeOf(dumpKey) },
        manifest: { key: manifestKey, size: sizeOf(manifestKey) },
        ...(hasFs ? { filestorePrefix: `${entry.key}filestore/` } : {}),
      });
      return { source, entry, provider, key, storage };
    }
    const fsPrefix = entry.companions?.find((c) => c.endsWith('/'));
    if (entry.convention === 'odoo-sh' || entry.convention === 'pg-dump-filestore') {
      const filestorePrefix = entry.convention === 'odoo-sh' && fsPrefix ? `${fsPrefix}home/odoo/data/filestore/${entry.database}/` : fsPrefix;
      const hasFs = filestorePrefix !== undefined && scan.objects.some((o) => o.key.startsWith(filestorePrefix));
      const source = providerMultiPart(provider, name, { dump: { key: entry.key, size: sizeOf(entry.key) }, ...(hasFs ? { filestorePrefix } : {}) });
      return { source, entry, provider, key, storage };
    }
    return { source: providerSource(provider, entry.key, sizeOf(entry.key)), entry, provider, key, storage };
  }

  // ---------------------------------------------------------------- jobs

  /** Starts a download job; the result is a `DownloadResult`. */
  startDownload(args: { ref: string; out: string; decrypt?: DecryptKeys; rememberPassphrase?: boolean }): { jobId: string; result: Promise<DownloadResult> } {
    const handle = this.jobs.start('download', `Download ${args.ref}`, (ctx) =>
      this.withAuthNote(args.ref, async () => {
      if (!args.decrypt) return this.runDownload(args.ref, args.out, undefined, ctx);
      const keys = args.decrypt;
      const hasKey = (keys.privateKeys?.length ?? 0) > 0;
      const opts = { given: keys.passphrase, remember: args.rememberPassphrase, useRemembered: !hasKey, warn: (m: string) => ctx.log('warn', m) };
      return this.withPassphrase(args.ref, opts, async (passphrase) => {
        if (passphrase === undefined && !hasKey) {
          throw new AppError('InvalidInput', 'Decrypting needs a passphrase, and none is remembered for this storage.', { hint: 'Give the passphrase of the encrypted backup.' });
        }
        return this.runDownload(args.ref, args.out, { ...keys, ...(passphrase !== undefined ? { passphrase } : {}) }, ctx);
      });
    }));
    return { jobId: handle.id, result: handle.result };
  }

  private async runDownload(ref: string, out: string, decrypt: DecryptKeys | undefined, ctx: JobContext): Promise<DownloadResult> {
    const args = { ref, out, ...(decrypt ? { decrypt } : {}) };
    {
      const r = await this.resolveBackup(args.ref, ctx.signal);
      if (!r.storage) throw new AppError('InvalidInput', `"${args.ref}" is a local file already.`, { hint: 'Give a ref NAME:KEY from `backup-desk list`.' });
      if ('kind' in r.source) {
        if (args.decrypt) throw new AppError('InvalidInput', `"${args.ref}" is a multi-file backup, which is never encrypted.`, { hint: 'Drop --decrypt.' });
        return downloadFolder({ provider: r.provider, name: r.source.name.replace(/(\.dump\.sql|\.sql\.gz|\.sql)$/i, ''), items: await this.folderItems(r, ctx.signal), out: args.out }, ctx);
      }
      const sidecarKey = r.entry?.convention === 'backup-desk' ? r.entry.companions?.find((c) => c.endsWith('.json')) : undefined;
      let sidecarSha256: string | undefined;
      if (sidecarKey) {
        try {
          sidecarSha256 = parseSidecar((await readAll(await r.provider.read(sidecarKey, { signal: ctx.signal }))).toString('utf8'))?.sha256;
        } catch (err) {
          ctx.log('warn', `Could not read the sidecar ${sidecarKey}: ${toAppError(err).message}`);
        }
      }
      const size = (r.source as BackupSource).size;
      return downloadBackup(
        {
          provider: r.provider,
          key: r.key,
          out: args.out,
          ...(size !== undefined ? { expectedSize: size } : {}),
          ...(sidecarSha256 ? { sidecarSha256 } : {}),
          ...(args.decrypt ? { decrypt: args.decrypt } : {}),
        },
        ctx,
      );
    }
  }

  /** The files of a multi-file backup, with paths relative to the backup's folder. */
  private async folderItems(r: ResolvedBackup, signal: AbortSignal): Promise<FolderItem[]> {
    const entry = r.entry!;
    const isFolder = entry.key === '' || entry.key.endsWith('/');
    const base = isFolder ? entry.key : entry.key.slice(0, entry.key.lastIndexOf('/') + 1);
    const prefixes = isFolder ? [entry.key] : (entry.companions ?? []).filter((c) => c.endsWith('/'));
    const items: FolderItem[] = [];
    if (!isFolder) items.push({ key: entry.key, rel: entry.key.slice(base.length), size: (await r.provider.stat(entry.key, { signal })).size });
    for (const prefix of prefixes) {
      for await (const o of r.provider.list(prefix, { signal })) items.push({ key: o.key, rel: o.key.slice(base.length), size: o.size });
    }
    return items;
  }

  /**
   * Remembers facts learned about a backup on a storage, keyed like its catalog entry (ref and
   * size); local files are not cached. A cache that cannot be written only costs a log line.
   */
  private async rememberFacts(r: ResolvedBackup, facts: { odooVersion?: string | undefined; pgVersion?: string | undefined; selfContained?: boolean | undefined }): Promise<void> {
    const size = r.entry?.size ?? ('kind' in r.source ? undefined : r.source.size);
    const ref = r.entry?.ref ?? (r.storage !== undefined ? `${r.storage}:${r.key}` : undefined);
    if (ref === undefined || size === undefined || r.storage === undefined) return;
    try {
      await this.facts.remember(ref, size, {
        ...(facts.odooVersion ? { odooVersion: facts.odooVersion } : {}),
        ...(facts.pgVersion ? { pgVersion: facts.pgVersion } : {}),
        ...(facts.selfContained !== undefined ? { selfContained: facts.selfContained } : {}),
      });
    } catch (err) {
      this.log.warn('Could not update the backup facts cache', { error: (err as Error).message });
    }
  }

  /** Starts a restore job. */
  startRestore(args: ApiArgs<'restore:start'>): { jobId: string; result: Promise<unknown> } {
    const req = apiMethods['restore:start'].args.parse(args);
    const runStart = { kind: 'restore' as const, db: req.db, refs: [req.source], destinations: [targetLabel(req.target)], details: { source: req.source, mode: req.mode, neutralize: req.neutralize } };
    const summarize = (r: { bytesRead: number; format: string; tables: number; filestoreFiles: number; warnings: string[] }) => ({ bytes: r.bytesRead, details: { format: r.format, tables: r.tables, filestoreFiles: r.filestoreFiles, warnings: r.warnings } });
    const handle = this.jobs.start('restore', `Restore ${req.source} as ${req.db}`, (ctx) => trackRun(this.history, runStart, () =>
      this.withAuthNote(req.source, async () => {
      const r = await this.resolveBackup(req.source, ctx.signal);
      const target = await resolveTarget(req.target, this.embedded);
      if (target.embedded) ctx.log('info', `Restoring into the private PostgreSQL ${target.embedded.version} (socket ${target.embedded.socketDir}).`);
      const restoreOpts = { given: req.passphrase, remember: req.rememberPassphrase, useRemembered: true, warn: (m: string) => ctx.log('warn', m) };
      const result = await this.withPassphrase(req.source, restoreOpts, (passphrase) => restoreEngine.restore(
        {
          source: r.source,
          db: req.db,
          ...(target.pgUrl ? { targetUrl: target.pgUrl } : {}),
          ...(target.dataDir ? { dataDir: target.dataDir } : {}),
          mode: req.mode,
          neutralize: req.neutralize,
          replace: req.replace,
          filestore: req.filestore,
          ...(passphrase !== undefined ? { decrypt: { passphrase } } : {}),
        },
        ctx,
      ));
      await this.rememberFacts(r, { odooVersion: result.odooVersion });
      return withTargetInfo(result, target);
    }), { summarize, log: this.log }));
    return { jobId: handle.id, result: handle.result };
  }

  // ---------------------------------------------------------------- DeskApi

  /** @inheritdoc */
  async 'app:info'(_args: ApiArgs<'app:info'> = {}): Promise<ApiResult<'app:info'>> {
    let secretsBackend = 'unavailable';
    try {
      secretsBackend = (await this.secrets()).backend;
    } catch {
      /* reported as unavailable */
    }
    return { version: APP_VERSION, home: this.home, secretsBackend, platform: process.platform };
  }

  /** @inheritdoc */
  async 'storages:kinds'(_args: ApiArgs<'storages:kinds'> = {}): Promise<ApiResult<'storages:kinds'>> {
    return listFactories().map((f) => ({
      kind: f.kind,
      label: f.label,
      oauth: f.oauth === true,
      fields: f.fields.map(({ options, ...rest }) => ({ ...rest, ...(options ? { options: [...options] } : {}) })),
    }));
  }

  /** @inheritdoc */
  async 'storages:list'(_args: ApiArgs<'storages:list'> = {}): Promise<ApiResult<'storages:list'>> {
    return Promise.all((await this.storageEntries()).map((e) => this.summary(e)));
  }

  /** @inheritdoc */
  async 'storages:add'(args: ApiArgs<'storages:add'>): Promise<ApiResult<'storages:add'>> {
    return this.addStorage(apiMethods['storages:add'].args.parse(args));
  }

  /** @inheritdoc */
  async 'storages:test'(args: ApiArgs<'storages:test'>): Promise<ApiResult<'storages:test'>> {
    return this.testStorage(args.name);
  }

  /** @inheritdoc */
  async 'storages:remove'(args: ApiArgs<'storages:remove'>): Promise<ApiResult<'storages:remove'>> {
    await this.removeStorage(args.name);
    return {};
  }

  /** @inheritdoc */
  async 'storages:connect'(args: ApiArgs<'storages:connect'>): Promise<ApiResult<'storages:connect'>> {
    await this.storageEntry(args.name); // NotFound now, not as a failed job
    return { jobId: this.startConnect(args.name).jobId };
  }

  /** @inheritdoc */
  async 'storages:forget-passphrase'(args: ApiArgs<'storages:forget-passphrase'>): Promise<ApiResult<'storages:forget-passphrase'>> {
    return { forgotten: await this.forgetPassphrase(args.name) };
  }

  /** @inheritdoc */
  async 'catalog:list'(args: ApiArgs<'catalog:list'>, signal?: AbortSignal): Promise<ApiResult<'catalog:list'>> {
    const entries = await this.storageEntries();
    let chosen = entries;
    if (args.storages && args.storages.length > 0) {
      for (const n of args.storages) await this.storageEntry(n);
      chosen = entries.filter((e) => args.storages!.includes(e.name));
    }
    const storages: CatalogStorage[] = chosen.map((e) => ({
      name: e.name,
      // The catalog closes what it opens: give it a fresh provider, not the cached one.
      open: () => openStorage(e, { secrets: this.lazySecrets(), log: this.log, ...(this.fetchImpl ? { fetch: this.fetchImpl } : {}) }),
    }));
    const catalog = await listCatalog(storages, { ...(args.db ? { db: args.db } : {}), includeStrays: args.includeStrays === true, ...(signal ? { signal } : {}) });
    for (const f of catalog.failures) await this.noteAuthFailure(f.storage, new AppError(f.error.kind, f.error.message, { ...(f.error.details ? { details: f.error.details } : {}) }));
    return this.facts.annotate(catalog);
  }

  /** @inheritdoc */
  async 'backups:inspect'(args: ApiArgs<'backups:inspect'>, signal?: AbortSignal): Promise<ApiResult<'backups:inspect'>> {
    const r = await this.withAuthNote(args.source, () => this.resolveBackup(args.source, signal));
    const inspectOpts = { given: args.passphrase, remember: args.rememberPassphrase, useRemembered: true };
    const result = await this.withAuthNote(args.source, () =>
      this.withPassphrase(args.source, inspectOpts, (passphrase) => restoreEngine.inspect(r.source, { ...(passphrase !== undefined ? { decrypt: { passphrase } } : {}), ...(signal ? { signal } : {}) })),
    );
    await this.rememberFacts(r, { odooVersion: result.odooVersion, pgVersion: result.pgVersion, selfContained: result.attachments?.selfContained });
    const warnings = [...(result.warnings ?? []), ...(r.entry?.warnings ?? [])];
    return { ...result, ...(warnings.length ? { warnings: [...new Set(warnings)] } : {}) };
  }

  /** @inheritdoc */
  async 'attachments:inspect-db'(args: ApiArgs<'attachments:inspect-db'>): Promise<ApiResult<'attachments:inspect-db'>> {
    const a = apiMethods['attachments:inspect-db'].args.parse(args);
    const t = await resolveTarget(a.target, this.embedded);
    const client = await connectDb(t.pgUrl, a.db);
    try {
      return (await scanDatabaseAttachments(client)) ?? null;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** @inheritdoc */
  async 'restore:check-name'(args: ApiArgs<'restore:check-name'>): Promise<ApiResult<'restore:check-name'>> {
    return restoreEngine.checkName((await resolveTarget(args.target, this.embedded)).pgUrl, args.db);
  }

  /** @inheritdoc */
  async 'targets:detect'(_args: ApiArgs<'targets:detect'> = {}): Promise<ApiResult<'targets:detect'>> {
    const [local, embedded] = await Promise.all([restoreEngine.detectTargets(), embeddedTargetEntry(this.embedded)]);
    return [...local, embedded];
  }

  /** @inheritdoc */
  async 'restore:start'(args: ApiArgs<'restore:start'>): Promise<ApiResult<'restore:start'>> {
    return { jobId: this.startRestore(args).jobId };
  }

  /** @inheritdoc */
  async 'download:start'(args: ApiArgs<'download:start'>): Promise<ApiResult<'download:start'>> {
    const req = apiMethods['download:start'].args.parse(args);
    if (req.decrypt && req.passphrase === undefined && (await this.rememberedPassphrase(req.ref)) === undefined) {
      throw new AppError('InvalidInput', 'Decrypting needs a passphrase, and none is remembered for this storage.', { hint: 'Give the passphrase of the encrypted backup.' });
    }
    const decrypt = req.decrypt ? { decrypt: req.passphrase !== undefined ? { passphrase: req.passphrase } : {} } : {};
    return { jobId: this.startDownload({ ref: req.ref, out: req.out, ...decrypt, ...(req.rememberPassphrase ? { rememberPassphrase: true } : {}) }).jobId };
  }

  /** @inheritdoc */
  async 'history:list'(args: ApiArgs<'history:list'> = {}): Promise<ApiResult<'history:list'>> {
    return this.history.list(apiMethods['history:list'].args.parse(args));
  }

  /** @inheritdoc */
  async 'rotation:run'(args: ApiArgs<'rotation:run'>, signal?: AbortSignal): Promise<ApiResult<'rotation:run'>> {
    const req = apiMethods['rotation:run'].args.parse(args);
    return this.rotation.rotate({ ...req, ...(signal ? { signal } : {}) });
  }

  /** @inheritdoc */
  async 'rotation:get-policy'(args: ApiArgs<'rotation:get-policy'>): Promise<ApiResult<'rotation:get-policy'>> {
    return (await this.rotation.rotationPolicyFor(args.storage)) ?? null;
  }

  /** @inheritdoc */
  async 'rotation:set-policy'(args: ApiArgs<'rotation:set-policy'>): Promise<ApiResult<'rotation:set-policy'>> {
    return this.rotation.setRotationPolicy(args.storage, args.policy);
  }

  /** @inheritdoc */
  async 'jobs:list'(_args: ApiArgs<'jobs:list'> = {}): Promise<ApiResult<'jobs:list'>> {
    return this.jobs.list().map(toDto);
  }

  /** @inheritdoc */
  async 'jobs:get'(args: ApiArgs<'jobs:get'>): Promise<ApiResult<'jobs:get'>> {
    const j = this.jobs.get(args.jobId);
    if (!j) throw new AppError('NotFound', `There is no job ${args.jobId}.`, { hint: 'List jobs to see the known ones.' });
    return toDto(j);
  }

  /** @inheritdoc */
  async 'jobs:cancel'(args: ApiArgs<'jobs:cancel'>): Promise<ApiResult<'jobs:cancel'>> {
    return { cancelled: this.jobs.cancel(args.jobId) };
  }
}

/** A job snapshot as the contract's DTO. */
export function toDto(j: JobSnapshot): ApiResult<'jobs:get'> {
  return {
    id: j.id,
    kind: j.kind,
    title: j.title,
    state: j.state,
    startedAt: j.startedAt,
    ...(j.finishedAt ? { finishedAt: j.finishedAt } : {}),
    ...(j.progress ? { progress: { ...j.progress } } : {}),
    ...(j.result !== undefined ? { result: j.result } : {}),
    ...(j.error ? { error: { ...j.error } } : {}),
    log: j.log.map((l) => ({ ...l })),
  };
}

/** The OS keychain, or the vault when the home has one (see secrets/index.ts). */
function defaultSecretOpener(home: string): Promise<SecretStore> {
  return openSecretStore(home);
}

/** A restore target as recorded in the history: `embedded`, or the server URL's host/port (never a password). */
function targetLabel(t: RestoreTargetSpec): string {
  if (t.type === 'embedded') return 'embedded';
  if (!t.url) return 'postgres (default)';
  try {
    const u = new URL(t.url);
    return `postgres://${u.username ? `${decodeURIComponent(u.username)}@` : ''}${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return 'postgres';
  }
}
