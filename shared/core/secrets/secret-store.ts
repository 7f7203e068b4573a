/**
 * The one small interface behind which every secret lives: storage keys and passwords, OAuth
 * refresh tokens, Odoo master passwords, PostgreSQL passwords, remembered passphrases.
 * Implementations: the OS keychain, an explicit passphrase-encrypted vault file, and an
 * in-memory store for one process (tests, `--secret-stdin` one-shots).
 *
 * Config files hold only references: a `scope` (e.g. `storage:<id>`) and a `name`
 * (e.g. `secretAccessKey`).
 */

/** Reads and writes secrets by scope and name. */
export interface SecretStore {
  /** Which backend this is, for `doctor`-style reports. */
  readonly backend: 'keychain' | 'vault' | 'memory';
  /** The secret, or undefined when none is stored. */
  get(scope: string, name: string): Promise<string | undefined>;
  /** Stores (replaces) a secret. */
  set(scope: string, name: string, value: string): Promise<void>;
  /** Deletes one secret; no error when absent. */
  delete(scope: string, name: string): Promise<void>;
  /** Deletes every secret of a scope (used by `storage remove`). */
  deleteScope(scope: string): Promise<void>;
}

/** A process-local secret store (tests, one-shot CLI runs). */
export class MemorySecretStore implements SecretStore {
  readonly backend = 'memory' as const;
  private readonly map = new Map<string, string>();

  /** @inheritdoc */
  async get(scope: string, name: string): Promise<string | undefined> {
    return this.map.get(`${scope}\u0000${name}`);
  }

  /** @inheritdoc */
  async set(scope: string, name: string, value: string): Promise<void> {
    this.map.set(`${scope}\u0000${name}`, value);
  }

  /** @inheritdoc */
  async delete(scope: string, name: string): Promise<void> {
    this.map.delete(`${scope}\u0000${name}`);
  }

  /** @inheritdoc */
  async deleteScope(scope: string): Promise<void> {
    for (const k of [...this.map.keys()]) if (k.startsWith(`${scope}\u0000`)) this.map.delete(k);
  }
}
