/**
 * Asking for the secrets vault's passphrase in the app: when the core opens a vault-only
 * secret store it calls `ask()`, which sends `app:vault-locked` to the window; the page's
 * unlock dialog answers through `host:unlock-vault`. Pure over an injected `send`, so it is
 * tested without Electron. Concurrent asks share one request.
 */
import { randomUUID } from 'node:crypto';
import { AppError } from '../../shared/core/errors';

/** What the window is told when the vault needs its passphrase. */
export interface VaultLockedNotice {
  readonly requestId: string;
  /** True when a passphrase was given before in this run and the vault still asks (it was wrong). */
  readonly retry: boolean;
}

interface Pending {
  readonly requestId: string;
  readonly promise: Promise<string>;
  resolve(passphrase: string): void;
  reject(err: AppError): void;
}

/** The passphrase request/answer broker between the core and the window. */
export class VaultPrompt {
  private pending: Pending | undefined;
  private answered = false;

  /** `send` delivers the notice to the window (and shows it, creating it when needed). */
  constructor(private readonly send: (notice: VaultLockedNotice) => void) {}

  /** Asks the window for the passphrase; rejects `Cancelled` when the person keeps the vault locked. */
  ask(): Promise<string> {
    if (this.pending) return this.pending.promise;
    let resolve!: (p: string) => void;
    let reject!: (e: AppError) => void;
    const promise = new Promise<string>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const pending: Pending = { requestId: randomUUID(), promise, resolve, reject };
    this.pending = pending;
    this.send({ requestId: pending.requestId, retry: this.answered });
    return promise;
  }

  /** The page's answer: a passphrase, or none to keep the vault locked. */
  answer(requestId: string, passphrase?: string): void {
    const p = this.pending;
    if (!p || p.requestId !== requestId) {
      throw new AppError('InvalidInput', 'No vault passphrase is being asked for.', { hint: 'Close the dialog; the app asks again when it needs the vault.' });
    }
    this.pending = undefined;
    if (passphrase) {
      this.answered = true;
      p.resolve(passphrase);
    } else {
      p.reject(new AppError('Cancelled', 'The secrets vault stays locked, so stored passwords and keys cannot be used.', { hint: 'Unlock the vault when the app asks again (any action that needs a secret asks).' }));
    }
  }
}
