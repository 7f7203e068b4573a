/**
 * What every area service of the Desk shares: the home folder, its config, the logger, the
 * secret store (opened on first use), the job manager, the run history and the options the
 * host gave.
 */
import { resolve as resolvePath } from 'node:path';
import { ConfigStore } from '../config';
import { RunHistory } from '../history';
import { JobManager } from '../jobs/job-manager';
import { openSecretStore } from '../secrets';
import type { SecretStore } from '../secrets/secret-store';
import type { OpenStorageDeps } from '../storage/registry';
import { nullLogger, type Logger } from '../util/logger';

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
  /** Asks a person for the vault's passphrase, for the default secret store of a home with a vault. */
  readonly vaultPassphrase?: () => Promise<string>;
  /**
   * Opens an OAuth sign-in URL in the system browser (Electron: `shell.openExternal` after URL
   * validation). Without it (serve), the face opens the URL it finds in the connect job's progress.
   */
  readonly openUrl?: (url: string) => Promise<void>;
  /** Wraps every storage provider the Desk opens instead of `composeProvider` (tests count transfer slots). */
  readonly wrapStorage?: OpenStorageDeps['wrap'];
}

/** The shared state of one Desk, handed to each area service. */
export class DeskKernel {
  /** Long work (restore, download, connect) runs here. */
  readonly jobs = new JobManager();
  readonly home: string;
  readonly log: Logger;
  readonly config: ConfigStore;
  /** The run history (backups, restores, rotations, drills) of this home. */
  readonly history: RunHistory;
  readonly fetchImpl: typeof fetch | undefined;
  readonly openUrl: ((url: string) => Promise<void>) | undefined;
  private readonly wrapStorage: OpenStorageDeps['wrap'];
  private secretsPromise: Promise<SecretStore> | undefined;
  private readonly openSecrets: (home: string) => Promise<SecretStore>;

  constructor(opts: DeskOptions) {
    this.home = resolvePath(opts.home);
    this.log = opts.log ?? nullLogger;
    this.config = new ConfigStore(this.home);
    this.history = RunHistory.forHome(this.home);
    this.fetchImpl = opts.fetch;
    this.openUrl = opts.openUrl;
    this.wrapStorage = opts.wrapStorage;
    // The OS keychain, or the vault when the home has one (see secrets/index.ts).
    const vaultPassphrase = opts.vaultPassphrase;
    this.openSecrets = opts.openSecrets ?? ((home) => openSecretStore(home, vaultPassphrase ? { vaultPassphrase } : {}));
    if (opts.secrets) this.secretsPromise = Promise.resolve(opts.secrets);
  }

  /** The secret store, opened on first use (a failed open is retried next time). */
  async secrets(): Promise<SecretStore> {
    if (!this.secretsPromise) {
      this.secretsPromise = this.openSecrets(this.home);
      this.secretsPromise.catch(() => (this.secretsPromise = undefined));
    }
    return this.secretsPromise;
  }

  /** A secret store that opens the real one only when a secret is actually read or written. */
  lazySecrets(): SecretStore {
    const get = (): Promise<SecretStore> => this.secrets();
    return {
      backend: 'memory',
      get: async (s, n) => (await get()).get(s, n),
      set: async (s, n, v) => (await get()).set(s, n, v),
      delete: async (s, n) => (await get()).delete(s, n),
      deleteScope: async (s) => (await get()).deleteScope(s),
    };
  }

  /** What a storage provider is opened with: lazy secrets, the logger, the fetch override. */
  storageDeps(): OpenStorageDeps {
    return {
      secrets: this.lazySecrets(),
      log: this.log,
      ...(this.fetchImpl ? { fetch: this.fetchImpl } : {}),
      ...(this.wrapStorage ? { wrap: this.wrapStorage } : {}),
    };
  }
}
