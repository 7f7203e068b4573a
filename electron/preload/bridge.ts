/**
 * Builds the `window.api` object the preload exposes: a `DeskClient`
 * (`shared/contract/client.ts`) over IPC.
 *
 * Pure (no Electron import) so the allowlist logic is tested without the binary. The
 * object has one function per contract method (`api['storages:list']({})`), the host
 * extras (`pickFile`, `pickFolder`, `pickSaveFile`, `showInFolder`, `getPathForFile`,
 * `onOpenBackup`, `onVaultLocked`, `unlockVault`) and `on` for the two job event channels. Every channel name is checked
 * again at run time against the contract's lists, so the page can never reach an
 * arbitrary IPC channel through it.
 */
import { API_METHOD_NAMES, type ApiError } from '../../shared/contract/api';
import type { DeskClient, HostExtras } from '../../shared/contract/client';
import { isApiMethod, isEventChannel, isHostMethod, JOB_EVENT_CHANNELS, type InvokeChannel, type IpcReply } from '../common/protocol';

/** What the preload gives the bridge: Electron's ipcRenderer/webUtils, narrowed. */
export interface PreloadTransport {
  invoke(channel: string, args: unknown): Promise<unknown>;
  /** Subscribes to a channel; the listener receives the payload only (never the IPC event). */
  on(channel: string, listener: (payload: unknown) => void): () => void;
  getPathForFile(file: unknown): string;
}

/** `window.api` in the desktop app: a `DeskClient` with every host extra present. */
export type DesktopApi = DeskClient & Required<HostExtras> & { readonly host: 'electron' };

/**
 * How a failed call rejects: the contract's `ApiError` as a plain object with
 * `name: 'ApiError'` (contextBridge would strip an `Error` down to its message).
 */
export type BridgeError = ApiError & { readonly name: 'ApiError' };

function isReply(x: unknown): x is IpcReply<unknown> {
  return typeof x === 'object' && x !== null && typeof (x as { ok?: unknown }).ok === 'boolean';
}

const bridgeError = (kind: ApiError['kind'], message: string): BridgeError => ({ name: 'ApiError', kind, message });

/**
 * Builds the object; `methodNames` defaults to the contract's list (tests pass others to
 * prove that names outside the contract are refused).
 */
export function buildDesktopApi(t: PreloadTransport, methodNames: readonly string[] = API_METHOD_NAMES): DesktopApi {
  const call = async (channel: InvokeChannel, args: unknown): Promise<unknown> => {
    if (!isApiMethod(channel) && !isHostMethod(channel)) throw bridgeError('InvalidInput', `Unknown method ${String(channel)}.`);
    const reply = await t.invoke(channel, args === undefined ? {} : args);
    if (!isReply(reply)) throw bridgeError('Fatal', `Malformed reply to ${channel}.`);
    if (reply.ok) return reply.value;
    throw { ...reply.error, name: 'ApiError' } satisfies BridgeError;
  };
  const subscribe = (channel: string, listener: (payload: unknown) => void): (() => void) => {
    if (!isEventChannel(channel)) throw new Error(`Unknown event ${String(channel)}.`);
    if (typeof listener !== 'function') throw new Error('The listener must be a function.');
    return t.on(channel, listener);
  };

  const api: Record<string, unknown> = {};
  for (const name of methodNames) {
    if (!isApiMethod(name)) throw new Error(`preload: ${name} is not a contract method`);
    api[name] = (args?: unknown) => call(name, args);
  }
  const jobEvents: ReadonlySet<string> = new Set(JOB_EVENT_CHANNELS);
  const extras: Required<HostExtras> = {
    pickFile: (opts) => call('host:pick-file', opts) as Promise<string | undefined>,
    pickFolder: (opts) => call('host:pick-folder', opts) as Promise<string | undefined>,
    pickSaveFile: (opts) => call('host:pick-save-file', opts) as Promise<string | undefined>,
    showInFolder: async (path) => {
      await call('host:show-in-folder', { path });
    },
    getPathForFile: (file) => t.getPathForFile(file),
    onOpenBackup: (cb) => subscribe('app:open-backup', (p) => cb((p as { path: string }).path)),
    onVaultLocked: (cb) => subscribe('app:vault-locked', (p) => cb(p as { requestId: string; retry: boolean })),
    unlockVault: async (requestId, passphrase) => {
      await call('host:unlock-vault', passphrase ? { requestId, passphrase } : { requestId });
    },
  };
  const on = (event: string, cb: (payload: never) => void): (() => void) => {
    // Only the core's job events here; host events have their own named subscriptions.
    if (!jobEvents.has(event)) throw new Error(`Unknown event ${String(event)}.`);
    if (typeof cb !== 'function') throw new Error('The listener must be a function.');
    return subscribe(event, (payload) => cb(payload as never));
  };
  return Object.freeze({ ...api, ...extras, on, host: 'electron' as const }) as unknown as DesktopApi;
}
