/**
 * The OS keychain as a `SecretStore`: macOS Keychain, Windows Credential Manager, and on
 * Linux the freedesktop Secret Service (gnome-keyring, KWallet's bridge, KeePassXC…).
 *
 * Library choice: `@napi-rs/keyring` (Rust `keyring` crate behind N-API). It ships prebuilt
 * binaries for Linux/macOS/Windows on x64 and arm64 and, being N-API, loads unchanged in
 * Node and in Electron (no `electron-rebuild`); it is maintained. `keytar` is archived/
 * unmaintained and builds from source (needs `libsecret-1-dev` and a compiler per Electron
 * version), which is why we do not use it.
 *
 * Entries: service `odoo-backup-desk`, account `<scope>/<name>`. On Linux the entries are
 * pinned to the Secret Service: the library would otherwise fall back silently to the
 * kernel keyring (keyutils), which forgets everything at logout/reboot — a silent fallback
 * we refuse.
 *
 * `deleteScope` must know the names of a scope. Keychains cannot be listed portably, so a
 * non-secret index of `(scope, name)` pairs is kept in `<home>/secrets-index.json` (names
 * only, never values); the keychain's own search (`findCredentials`) is consulted too, so
 * entries whose index was lost are still removed.
 */
import type * as KeyringBinding from '@napi-rs/keyring';
import type { AsyncEntry, EntryOptions } from '@napi-rs/keyring';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../errors';
import type { SecretStore } from './secret-store';

/** The keychain service name every entry is filed under. */
export const KEYCHAIN_SERVICE = 'odoo-backup-desk';

/** The non-secret index of secret names, in the home folder. */
export const SECRETS_INDEX_FILE = 'secrets-index.json';

/** The hint shown whenever no keychain can be reached. */
export const NO_KEYCHAIN_HINT =
  'Use an encrypted vault instead: `backup-desk secrets vault init` (passphrase from a prompt or ' +
  'BACKUP_DESK_VAULT_PASSPHRASE_FILE), or start a Secret Service (gnome-keyring, KeePassXC) on the session bus.';

const ENTRY_OPTIONS: EntryOptions = { linux: { store: 'secret-service' } };

/** The native keychain module's shape. */
export type KeyringModule = typeof KeyringBinding;

/**
 * A memoized loader of the native keychain binding, loaded on first use (never at start-up):
 * a machine without a matching prebuilt binary gets an `Unsupported` error with the vault
 * hint, not a crash of the whole app.
 */
export function keyringLoader(load: () => Promise<KeyringModule>): () => Promise<KeyringModule> {
  let binding: Promise<KeyringModule> | undefined;
  return () => {
    binding ??= load().catch((err: unknown) => {
      binding = undefined;
      throw new AppError('Unsupported', `No OS keychain is available: its native binding (@napi-rs/keyring) could not be loaded on this machine (${process.platform}-${process.arch}).`, {
        hint: NO_KEYCHAIN_HINT,
        cause: err,
        details: { operation: 'load binding' },
      });
    });
    return binding;
  };
}

const loadKeyringBinding = keyringLoader(() => import('@napi-rs/keyring'));

/** Options of the keychain store. */
export interface KeychainOptions {
  /** The keychain service name (tests use their own). */
  readonly service?: string;
}

/** The account string of one secret. */
export function keychainAccount(scope: string, name: string): string {
  return `${scope}/${name}`;
}

function classify(err: unknown, what: string): AppError {
  if (err instanceof AppError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (/dbus|secret service|no such file|connect|autolaunch|org\.freedesktop|platform failure|no storage access|NoStorageAccess/i.test(message)) {
    const why = process.platform === 'linux' ? ' (no Secret Service on the session bus)' : '';
    return new AppError('Unsupported', `No OS keychain is available${why}.`, {
      hint: NO_KEYCHAIN_HINT,
      cause: err,
      details: { operation: what },
    });
  }
  if (/locked|denied|cancel|dismiss/i.test(message)) {
    return new AppError('PermissionDenied', `The OS keychain refused access (${what}): it may be locked.`, {
      hint: 'Unlock your keychain/login keyring and try again.',
      cause: err,
    });
  }
  return new AppError('Fatal', `The OS keychain failed (${what}).`, { cause: err, hint: NO_KEYCHAIN_HINT });
}

interface IndexFile {
  version: 1;
  service: string;
  scopes: Record<string, string[]>;
}

/** The `(scope, name)` index kept beside the config; values are never written here. */
class NameIndex {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly home: string,
    private readonly service: string,
  ) {}

  private get file(): string {
    return join(this.home, SECRETS_INDEX_FILE);
  }

  async read(): Promise<IndexFile> {
    try {
      const raw = JSON.parse(await readFile(this.file, 'utf8')) as Partial<IndexFile>;
      if (raw && typeof raw === 'object' && raw.scopes && typeof raw.scopes === 'object') {
        return { version: 1, service: this.service, scopes: raw.scopes };
      }
    } catch {
      /* missing or unreadable: start empty (the keychain search still finds entries) */
    }
    return { version: 1, service: this.service, scopes: {} };
  }

  update(fn: (scopes: Record<string, string[]>) => void): Promise<void> {
    const run = this.chain.then(async () => {
      const idx = await this.read();
      fn(idx.scopes);
      await mkdir(this.home, { recursive: true, mode: 0o700 });
      const tmp = join(this.home, `.${SECRETS_INDEX_FILE}.${randomUUID()}.tmp`);
      try {
        const fh = await open(tmp, 'w', 0o600);
        try {
          await fh.writeFile(JSON.stringify(idx, null, 2) + '\n', 'utf8');
          await fh.sync();
        } finally {
          await fh.close();
        }
        await rename(tmp, this.file);
      } catch (err) {
        await rm(tmp, { force: true });
        throw new AppError('Fatal', `Cannot write ${this.file}: ${(err as Error).message}`, {
          cause: err,
          hint: 'Check that the home folder is writable and the disk is not full.',
        });
      }
    });
    this.chain = run.catch(() => undefined);
    return run;
  }
}

/** A `SecretStore` in the OS keychain. Create it with `openKeychainStore` (which probes). */
export class KeychainSecretStore implements SecretStore {
  readonly backend = 'keychain' as const;
  private readonly service: string;
  private readonly index: NameIndex;

  constructor(home: string, opts: KeychainOptions = {}) {
    this.service = opts.service ?? KEYCHAIN_SERVICE;
    this.index = new NameIndex(home, this.service);
  }

  private async entry(scope: string, name: string): Promise<AsyncEntry> {
    const { AsyncEntry: Entry } = await loadKeyringBinding();
    return new Entry(this.service, keychainAccount(scope, name), ENTRY_OPTIONS);
  }

  /** Sets, reads back and deletes a probe entry; `Unsupported` when no keychain answers. */
  async probe(): Promise<void> {
    const account = `probe/${randomUUID()}`;
    const value = randomBytes(16).toString('hex');
    const { AsyncEntry: Entry } = await loadKeyringBinding();
    try {
      const entry = new Entry(this.service, account, ENTRY_OPTIONS);
      await entry.setPassword(value);
      const back = await entry.getPassword();
      await entry.deleteCredential();
      if (back !== value) throw new Error('probe value did not read back');
    } catch (err) {
      throw classify(err, 'probe');
    }
  }

  /** @inheritdoc */
  async get(scope: string, name: string): Promise<string | undefined> {
    try {
      return (await (await this.entry(scope, name)).getPassword()) ?? undefined;
    } catch (err) {
      throw classify(err, `reading ${scope}/${name}`);
    }
  }

  /** @inheritdoc */
  async set(scope: string, name: string, value: string): Promise<void> {
    // Index first: a name in the index without an entry is harmless; an entry nobody can find is not.
    await this.index.update((scopes) => {
      const names = new Set(scopes[scope] ?? []);
      names.add(name);
      scopes[scope] = [...names].sort();
    });
    try {
      await (await this.entry(scope, name)).setPassword(value);
    } catch (err) {
      throw classify(err, `storing ${scope}/${name}`);
    }
  }

  /** @inheritdoc */
  async delete(scope: string, name: string): Promise<void> {
    try {
      await (await this.entry(scope, name)).deleteCredential();
    } catch (err) {
      throw classify(err, `deleting ${scope}/${name}`);
    }
    await this.index.update((scopes) => {
      const names = (scopes[scope] ?? []).filter((n) => n !== name);
      if (names.length) scopes[scope] = names;
      else delete scopes[scope];
    });
  }

  /** @inheritdoc */
  async deleteScope(scope: string): Promise<void> {
    const names = new Set((await this.index.read()).scopes[scope] ?? []);
    try {
      const prefix = `${scope}/`;
      const { findCredentialsAsync } = await loadKeyringBinding();
      for (const c of await findCredentialsAsync(this.service)) {
        if (c.account.startsWith(prefix)) names.add(c.account.slice(prefix.length));
      }
    } catch {
      /* the search is a safety net; the index is the primary list */
    }
    for (const name of names) {
      try {
        await (await this.entry(scope, name)).deleteCredential();
      } catch (err) {
        throw classify(err, `deleting ${scope}/${name}`);
      }
    }
    await this.index.update((scopes) => {
      delete scopes[scope];
    });
  }

  /** The secret names stored for `scope` (from the index; never values). */
  async names(scope: string): Promise<string[]> {
    return [...((await this.index.read()).scopes[scope] ?? [])];
  }
}

/** Opens the keychain store for `home` after a probe; `Unsupported` with a vault hint when none is reachable. */
export async function openKeychainStore(home: string, opts: KeychainOptions = {}): Promise<KeychainSecretStore> {
  const store = new KeychainSecretStore(home, opts);
  await store.probe();
  return store;
}
