/**
 * Binds the typed contract to IPC: every `apiMethods` entry to the Desk, every
 * `hostMethods` entry to the host (dialogs, links), and the core's job events to windows.
 *
 * Pure over small interfaces (`IpcMainLike`, `SenderCheck`, `DeskApi`), so it is tested
 * without the Electron binary; `ipc-main.ts` adapts Electron's `ipcMain` to `IpcMainLike`.
 * Every handler (a) refuses a sender that is not one of our windows showing our page,
 * (b) validates the argument with the method's zod schema before anything else runs, and
 * (c) replies with an `IpcReply` envelope, so an error's kind and hint survive IPC.
 */
import type { z } from 'zod';
import { API_METHOD_NAMES, apiMethods, type ApiError, type ApiMethod, type DeskApi, type JobSnapshotDto } from '../../../shared/contract/api';
import { AppError, invalidArgumentsError, serializeError } from '../../../shared/core/errors';
import type { JobSnapshot } from '../../../shared/core/jobs/job';
import { nullLogger, type Logger } from '../../../shared/core/util/logger';
import { HOST_METHOD_NAMES, hostMethods, type JOB_EVENT_CHANNELS, type HostApi, type HostMethod, type IpcReply } from '../../common/protocol';
import { isAppUrl, type AppLocation } from '../security';

/** The parts of an invoke event we look at (Electron's `IpcMainInvokeEvent` fits). */
export interface IpcInvokeEventLike {
  readonly sender: { readonly id: number };
  readonly senderFrame: { readonly url: string; readonly parent: unknown } | null;
}

/** An invoke listener: the event and the renderer's arguments. */
export type IpcInvokeListener = (event: IpcInvokeEventLike, ...args: unknown[]) => Promise<unknown>;

/** The request/response half of Electron's `ipcMain`. */
export interface IpcMainLike {
  handle(channel: string, listener: IpcInvokeListener): void;
  removeHandler(channel: string): void;
}

/** Decides whether an invoke comes from our own page in one of our windows. */
export type SenderCheck = (event: IpcInvokeEventLike) => boolean;

/** A handler map keyed by method, for the exhaustiveness check of `registerApi`. */
type Bindings<K extends string> = { readonly [M in K]: (args: never) => Promise<unknown> };

/**
 * The standard sender check: the frame is still there, is a top-level frame, shows one of
 * our pages (`isAppUrl`), and belongs to a webContents we created.
 */
export function senderCheck(opts: { readonly location: AppLocation; readonly isOwnWebContents: (id: number) => boolean }): SenderCheck {
  return (event) => {
    const frame = event.senderFrame;
    if (!frame || frame.parent) return false;
    if (!opts.isOwnWebContents(event.sender.id)) return false;
    return isAppUrl(frame.url, opts.location);
  };
}

const untrusted = (channel: string): ApiError => ({
  kind: 'PermissionDenied',
  message: `The request ${channel} was refused: it did not come from the app's own window.`,
  hint: 'Only the Odoo Backup Desk window may call the app; reload the window.',
});

type MethodTable = Readonly<Record<string, { readonly args: z.ZodType }>>;

/** Registers one handler per method of `table`, each validating then calling `impl[method]`. */
function registerTable(
  ipc: IpcMainLike,
  table: MethodTable,
  names: readonly string[],
  impl: Readonly<Record<string, unknown>>,
  isTrusted: SenderCheck,
  log: Logger,
): () => void {
  const missing = names.filter((n) => typeof impl[n] !== 'function');
  if (missing.length > 0) {
    throw new AppError('Fatal', `The app cannot start: no implementation for ${missing.join(', ')}.`, {
      hint: 'This is a bug in Odoo Backup Desk; please report it.',
    });
  }
  for (const name of names) {
    const schema = table[name]?.args;
    if (!schema) throw new AppError('Fatal', `No argument schema for ${name}.`);
    ipc.handle(name, async (event, ...args): Promise<IpcReply<unknown>> => {
      if (!isTrusted(event)) {
        log.warn('ipc: refused an untrusted sender', { channel: name, frame: event.senderFrame?.url ?? null });
        return { ok: false, error: untrusted(name) };
      }
      if (args.length > 1) {
        return { ok: false, error: serializeError(new AppError('InvalidInput', `${name} takes one object argument, got ${args.length}.`)) };
      }
      const parsed = schema.safeParse(args[0] === undefined ? {} : args[0]);
      if (!parsed.success) return { ok: false, error: serializeError(invalidArgumentsError(name, parsed.error)) };
      try {
        const fn = impl[name] as (a: unknown) => Promise<unknown>;
        const value = await fn.call(impl, parsed.data);
        return { ok: true, value };
      } catch (err) {
        const error = serializeError(err);
        log.warn('ipc: request failed', { channel: name, kind: error.kind });
        return { ok: false, error };
      }
    });
  }
  return () => {
    for (const name of names) ipc.removeHandler(name);
  };
}

/** Dependencies of `registerApi`. */
export interface RegisterApiOptions {
  readonly ipc: IpcMainLike;
  /** The core facade (the `Desk`). */
  readonly api: DeskApi;
  /** Host-only methods (native dialogs, open link). */
  readonly host: HostApi;
  readonly isTrustedSender: SenderCheck;
  readonly log?: Logger;
}

/**
 * Registers every contract method and every host method; returns a function that
 * removes them all. Throws `Fatal` at start-up if an implementation lacks a method.
 */
export function registerApi(opts: RegisterApiOptions): () => void {
  const log = opts.log ?? nullLogger;
  // Compile-time exhaustiveness: the Desk and the host implement every method by name.
  const api = opts.api satisfies Bindings<ApiMethod>;
  const host = opts.host satisfies Bindings<HostMethod>;
  const offApi = registerTable(opts.ipc, apiMethods, API_METHOD_NAMES, api as unknown as Record<string, unknown>, opts.isTrustedSender, log);
  const offHost = registerTable(opts.ipc, hostMethods, HOST_METHOD_NAMES, host as unknown as Record<string, unknown>, opts.isTrustedSender, log);
  return () => {
    offApi();
    offHost();
  };
}

/** Where job events come from (the core's `JobManager` fits). */
export interface JobEventSource {
  on(event: 'update' | 'done', listener: (snap: JobSnapshot) => void): unknown;
  off(event: 'update' | 'done', listener: (snap: JobSnapshot) => void): unknown;
}

/** Sends one event to every window of ours. */
export type Broadcast = (channel: (typeof JOB_EVENT_CHANNELS)[number], payload: JobSnapshotDto) => void;

/**
 * Forwards `desk.jobs` 'update'/'done' to windows on `job:update`/`job:done`, each snapshot
 * turned into the contract's DTO by `toDto` (the Desk's `toDto`); returns an unsubscribe.
 */
export function forwardJobEvents(
  jobs: JobEventSource,
  broadcast: Broadcast,
  toDto: (snap: JobSnapshot) => JobSnapshotDto,
  log: Logger = nullLogger,
): () => void {
  const send = (channel: Parameters<Broadcast>[0]) => (snap: JobSnapshot) => {
    try {
      broadcast(channel, toDto(snap));
    } catch (err) {
      log.warn('ipc: could not forward a job event', { channel, job: snap.id, error: String(err) });
    }
  };
  const onUpdate = send('job:update');
  const onDone = send('job:done');
  jobs.on('update', onUpdate);
  jobs.on('done', onDone);
  return () => {
    jobs.off('update', onUpdate);
    jobs.off('done', onDone);
  };
}

/** A window-like target of `broadcastTo` (Electron's `WebContents` fits). */
export interface EventTarget {
  isDestroyed(): boolean;
  send(channel: string, payload: unknown): void;
}

/** A `Broadcast` that sends to every live target returned by `targets()`. */
export function broadcastTo(targets: () => Iterable<EventTarget>): Broadcast {
  return (channel, payload) => {
    for (const t of targets()) if (!t.isDestroyed()) t.send(channel, payload);
  };
}
