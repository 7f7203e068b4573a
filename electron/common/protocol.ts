/**
 * The IPC protocol between the Electron main process and the preload: channel names,
 * host-only methods (native dialogs, opening links), and the reply envelope.
 *
 * Pure (zod and the contract only): the main process, the sandboxed preload bundle and the
 * tests all import it. Contract methods travel on a channel named after the method
 * (`storages:list`); host methods on `host:*`; events on their event name.
 */
import { z } from 'zod';
import { API_METHOD_NAMES, type ApiError, type ApiEvents, type ApiMethod } from '../../shared/contract/api';

/** A file-type filter of an open dialog (`extensions` without dots, `*` for all). */
export const fileFilterSchema = z.object({
  name: z.string().max(200),
  extensions: z.array(z.string().regex(/^(\*|[A-Za-z0-9._-]{1,32})$/)).min(1).max(50),
});

const dialogBase = {
  title: z.string().max(300).optional(),
  defaultPath: z.string().max(4096).optional(),
};

/**
 * Host-only methods: what only a desktop process can do. Same shape as the contract's
 * `apiMethods` (`args` validated in main, `result` documented). A cancelled dialog
 * resolves `undefined`, as `HostExtras` in `shared/contract/client.ts` says.
 */
export const hostMethods = {
  /** Native "open file" dialog; the chosen absolute path. */
  'host:pick-file': {
    args: z.object({ ...dialogBase, filters: z.array(fileFilterSchema).max(20).optional() }).strict(),
    result: z.string().optional(),
  },
  /** Native "choose folder" dialog; the chosen absolute path. */
  'host:pick-folder': {
    args: z.object({ ...dialogBase }).strict(),
    result: z.string().optional(),
  },
  /** Native "save as" dialog; the chosen absolute path. */
  'host:pick-save-file': {
    args: z.object({ ...dialogBase, filters: z.array(fileFilterSchema).max(20).optional() }).strict(),
    result: z.string().optional(),
  },
  /** Shows a file or folder in the OS file manager. */
  'host:show-in-folder': {
    args: z.object({ path: z.string().min(1).max(4096) }).strict(),
    result: z.object({}),
  },
  /** Answers `app:vault-locked`: the secrets vault's passphrase, or none to keep it locked. */
  'host:unlock-vault': {
    args: z.object({ requestId: z.string().min(1).max(100), passphrase: z.string().min(1).max(4096).optional() }).strict(),
    result: z.object({}),
  },
} as const;

/** Host method names. */
export type HostMethod = keyof typeof hostMethods;
/** A host method's argument type. */
export type HostArgs<M extends HostMethod> = z.input<(typeof hostMethods)[M]['args']>;
/** A host method's result type. */
export type HostResult<M extends HostMethod> = z.infer<(typeof hostMethods)[M]['result']>;
/** The host methods as an object of async functions (what main implements). */
export type HostApi = { [M in HostMethod]: (args: z.output<(typeof hostMethods)[M]['args']>) => Promise<HostResult<M>> };

/** Host method names, for allowlists. */
export const HOST_METHOD_NAMES = Object.keys(hostMethods) as HostMethod[];

/** Events main pushes that are not part of the core contract (menu actions). */
export interface HostEvents {
  /** File > Open backup… chose a file: the UI should offer to inspect/restore it. */
  'app:open-backup': { readonly path: string };
  /** The core needs the secrets vault's passphrase: answer with `host:unlock-vault`. */
  'app:vault-locked': { readonly requestId: string; readonly retry: boolean };
}

/** Every event the preload lets the page subscribe to. */
export type DesktopEvents = ApiEvents & HostEvents;
/** An event name. */
export type DesktopEvent = keyof DesktopEvents;

/** The core's job events, forwarded from `desk.jobs`. */
export const JOB_EVENT_CHANNELS = ['job:update', 'job:done'] as const satisfies readonly (keyof ApiEvents)[];
/** Every event channel, for the preload's allowlist. */
export const EVENT_CHANNELS = [...JOB_EVENT_CHANNELS, 'app:open-backup', 'app:vault-locked'] as const satisfies readonly DesktopEvent[];

// Compile-time: the lists above name every event exactly (a new event must be added here).
type Missing = Exclude<DesktopEvent, (typeof EVENT_CHANNELS)[number]>;
const _everyEventListed: [Missing] extends [never] ? true : never = true;
void _everyEventListed;

/** Every invoke channel: the contract's methods and the host methods. */
export type InvokeChannel = ApiMethod | HostMethod;

/** The reply of every invoke: errors travel as data so their kind and hint survive IPC. */
export type IpcReply<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ApiError };

const API_SET: ReadonlySet<string> = new Set(API_METHOD_NAMES);
const HOST_SET: ReadonlySet<string> = new Set(HOST_METHOD_NAMES);
const EVENT_SET: ReadonlySet<string> = new Set(EVENT_CHANNELS);

/** True for a contract method name. */
export function isApiMethod(name: unknown): name is ApiMethod {
  return typeof name === 'string' && API_SET.has(name);
}

/** True for a host method name. */
export function isHostMethod(name: unknown): name is HostMethod {
  return typeof name === 'string' && HOST_SET.has(name);
}

/** True for an event channel the page may subscribe to. */
export function isEventChannel(name: unknown): name is DesktopEvent {
  return typeof name === 'string' && EVENT_SET.has(name);
}
