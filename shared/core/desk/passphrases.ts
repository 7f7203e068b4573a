/**
 * Remembered backup passphrases: one per storage, in the secret store. Opening an encrypted
 * backup uses the given passphrase, or else the one remembered for its storage; a given one is
 * remembered only once it has opened the backup.
 */
import { stripEncryption } from '../catalog/conventions';
import type { DecryptKeys } from '../crypto';
import { AppError, messageWithHint, toAppError } from '../errors';
import { SECRET_NAMES } from '../secrets/names';
import type { DeskKernel } from './kernel';
import type { StorageService } from './storages';

/** A private key given for one call (the contract's `privateKey`). */
export interface GivenPrivateKey {
  readonly armored: string;
  readonly passphrase?: string | undefined;
}

/** The keys that open a backup: the passphrase picked (given or remembered) and a private key given for this once. */
export function decryptWith(passphrase: string | undefined, privateKey: GivenPrivateKey | undefined): { decrypt?: DecryptKeys } {
  if (passphrase === undefined && !privateKey) return {};
  const key = privateKey ? { privateKeys: [{ armored: privateKey.armored, ...(privateKey.passphrase !== undefined ? { passphrase: privateKey.passphrase } : {}) }] } : {};
  return { decrypt: { ...(passphrase !== undefined ? { passphrase } : {}), ...key } };
}

/** How `withPassphrase` picks and keeps a passphrase. */
export interface PassphraseChoice {
  /** The passphrase the person gave, if any. */
  readonly given: string | undefined;
  /** Remember `given` for the storage once it opened the backup. */
  readonly remember: boolean | undefined;
  /** Fall back to the passphrase remembered for the storage when none is given. */
  readonly useRemembered: boolean;
  /** Told when remembering failed (the work itself succeeded). */
  readonly warn?: (message: string) => void;
}

/** Remembered passphrases, shared by inspect, download and restore. */
export class PassphraseService {
  constructor(
    private readonly k: DeskKernel,
    private readonly storages: StorageService,
  ) {}

  /** True when the name of a backup (ref or path) says it is encrypted (`.gpg`, `.enc`, …). */
  looksEncrypted(refOrPath: string): boolean {
    return stripEncryption(refOrPath).encrypted;
  }

  /** The backup passphrase remembered for the storage of `ref`, if any (an unavailable secret store counts as none). */
  async remembered(ref: string): Promise<string | undefined> {
    const entry = await this.storages.refStorage(ref);
    if (!entry) return undefined;
    try {
      return await (await this.k.secrets()).get(entry.secretScope, SECRET_NAMES.backupPassphrase);
    } catch (err) {
      this.k.log.warn('could not read a remembered backup passphrase', { storage: entry.name, error: toAppError(err).message });
      return undefined;
    }
  }

  /**
   * Runs `open` (which decrypts the backup at `ref`) with the given passphrase, or else the one
   * remembered for its storage (`useRemembered`). Only after `open` succeeded, and only when
   * `remember` is set, the given passphrase is stored for the storage: a wrong one never is.
   * A remembered passphrase that is wrong fails as `AuthFailed` saying so and how to replace it.
   */
  async withPassphrase<T>(ref: string, opts: PassphraseChoice, open: (passphrase: string | undefined) => Promise<T>, decrypted: (result: T) => boolean = () => true): Promise<T> {
    const entry = await this.storages.refStorage(ref);
    if (opts.remember && !entry) {
      throw new AppError('InvalidInput', `"${ref}" is not on a configured storage, so there is no storage to remember its passphrase for.`, {
        hint: 'Drop "remember passphrase", or use a ref NAME:KEY from `backup-desk list`.',
      });
    }
    let passphrase = opts.given;
    let remembered = false;
    if (passphrase === undefined && opts.useRemembered && entry) {
      passphrase = await this.remembered(ref);
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
      // Kept only once it has opened the backup: a backup that is not encrypted proves nothing.
      if (decrypted(result)) await this.remember(entry.name, entry.secretScope, opts.given, opts.warn);
      else opts.warn?.(`The backup is not encrypted, so the passphrase was not remembered for storage "${entry.name}".`);
    }
    return result;
  }

  /** Stores a passphrase that opened a backup; a failure only warns. */
  private async remember(storage: string, scope: string, passphrase: string, warn: ((m: string) => void) | undefined): Promise<void> {
    try {
      await (await this.k.secrets()).set(scope, SECRET_NAMES.backupPassphrase, passphrase);
      this.k.log.info('backup passphrase remembered', { storage });
    } catch (err) {
      const e = toAppError(err);
      const vault = 'To remember passphrases on a machine without a keychain, create an encrypted vault: backup-desk secrets vault init (then open the app again).';
      const msg = `The passphrase opened the backup but was not remembered for storage "${storage}": ${messageWithHint(e)} ${vault}`;
      this.k.log.warn(msg);
      warn?.(msg);
    }
  }
}
