/**
 * Choosing the secret store for a home folder: the vault when `<home>/secrets.vault` exists
 * (or is preferred), else the OS keychain. When neither works, one error explains both ways
 * out. Never a silent plain-text fallback.
 */
import { AppError, isAppError } from '../errors';
import { NO_KEYCHAIN_HINT, openKeychainStore, type KeychainOptions } from './keychain';
import type { SecretStore } from './secret-store';
import { passphraseFromEnvFile, vaultExists, vaultPath, VaultSecretStore, VAULT_PASSPHRASE_FILE_ENV } from './vault';

export { MemorySecretStore, type SecretStore } from './secret-store';
export { SECRET_NAMES, type SecretName } from './names';
export { KeychainSecretStore, openKeychainStore, keychainAccount, KEYCHAIN_SERVICE, SECRETS_INDEX_FILE, NO_KEYCHAIN_HINT, type KeychainOptions } from './keychain';
export { VaultSecretStore, vaultPath, vaultExists, passphraseFromEnvFile, VAULT_FILE, VAULT_PASSPHRASE_FILE_ENV, type VaultCreateOptions } from './vault';

/** Options of `openSecretStore`. */
export interface OpenSecretStoreOptions {
  /** Use this backend even when the other would be chosen. */
  readonly prefer?: 'keychain' | 'vault';
  /** Asks a person for the vault passphrase (used when `BACKUP_DESK_VAULT_PASSPHRASE_FILE` is unset). */
  readonly vaultPassphrase?: () => Promise<string>;
  /** Environment (for `BACKUP_DESK_VAULT_PASSPHRASE_FILE`). */
  readonly env?: NodeJS.ProcessEnv;
  /** Keychain options (tests use their own service name). */
  readonly keychain?: KeychainOptions;
}

/** The vault passphrase: the env-named file first, else the prompt callback; `InvalidInput` when neither. */
export async function resolveVaultPassphrase(opts: Pick<OpenSecretStoreOptions, 'vaultPassphrase' | 'env'> = {}): Promise<string> {
  const fromFile = await passphraseFromEnvFile(opts.env ?? process.env);
  if (fromFile !== undefined) return fromFile;
  if (opts.vaultPassphrase) return opts.vaultPassphrase();
  throw new AppError('InvalidInput', 'The secrets vault is locked and no passphrase was given.', {
    hint: `Set ${VAULT_PASSPHRASE_FILE_ENV} to a file holding the passphrase, or run the command in a terminal to be asked for it.`,
  });
}

/** Opens the secret store for `home` (see module comment for the choice). */
export async function openSecretStore(home: string, opts: OpenSecretStoreOptions = {}): Promise<SecretStore> {
  const hasVault = await vaultExists(home);
  if (hasVault || opts.prefer === 'vault') {
    if (!hasVault) {
      throw new AppError('NotFound', `There is no secrets vault at ${vaultPath(home)}.`, {
        hint: 'Create one with `backup-desk secrets vault init`, or use the OS keychain.',
      });
    }
    if (opts.prefer !== 'keychain') return VaultSecretStore.open(home, await resolveVaultPassphrase(opts));
  }
  try {
    return await openKeychainStore(home, opts.keychain);
  } catch (err) {
    if (isAppError(err, 'Unsupported')) {
      throw new AppError('Unsupported', `${err.message} No encrypted vault exists either.`, {
        hint: `${NO_KEYCHAIN_HINT} Secrets are never stored in plain text.`,
        cause: err,
        details: { keychain: false, vault: false, vaultPath: vaultPath(home) },
      });
    }
    throw err;
  }
}
