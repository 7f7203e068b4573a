/**
 * Opening a Desk: the area services of `DeskCore` bound to their slices of the contract and
 * composed into the one typed API every face calls (`Desk`).
 */
import type { AreaApi, DeskApi, MethodTable } from '../../contract/api';
import { appMethods, attachmentsMethods, backupMethods, catalogMethods, cleanupMethods, historyMethods, jobsMethods, odooMethods, restoreMethods, rotationMethods, scheduleMethods, storagesMethods, transferMethods, verifyMethods } from '../../contract/api';
import { LEFTOVER_MIN_AGE_MS } from '../restore';
import { DeskCore } from './desk';
import { DeskKernel, type DeskOptions } from './kernel';

/** The contract methods of one area, bound to the service that implements them. */
function bindArea<T extends MethodTable>(service: AreaApi<T>, methods: T): AreaApi<T> {
  const bound: Record<string, unknown> = {};
  for (const m of Object.keys(methods)) bound[m] = (service[m] as (...a: unknown[]) => unknown).bind(service);
  return bound as AreaApi<T>;
}

/** Opens the Desk for `opts.home` (validates the config file now, so a corrupt one is reported at once). */
async function openDesk(opts: DeskOptions): Promise<Desk> {
  const core = new DeskCore(new DeskKernel(opts));
  await core.kernel.config.read();
  const api: SignalledApi = {
    ...bindArea(core.app, appMethods),
    ...bindArea(core.storages, storagesMethods),
    ...bindArea(core.catalog, catalogMethods),
    ...bindArea(core.restores, restoreMethods),
    ...bindArea(core.attachments, attachmentsMethods),
    ...bindArea(core.transfers, transferMethods),
    ...bindArea(core.jobService, jobsMethods),
    ...bindArea(core.historyService, historyMethods),
    ...bindArea(core.rotationArea, rotationMethods),
    ...bindArea(core.backups, backupMethods),
    ...bindArea(core.schedules, scheduleMethods),
    ...bindArea(core.odoo, odooMethods),
    ...bindArea(core.verify, verifyMethods),
    ...bindArea(core.cleanup, cleanupMethods),
  };
  return Object.assign(core, api);
}

/**
 * Every method of the contract, as the faces in this process call it: with an optional
 * `AbortSignal`, honoured by the methods that read storages (`catalog:list`, `backups:inspect`).
 */
export type SignalledApi = { [M in keyof DeskApi]: (args: Parameters<DeskApi[M]>[0], signal?: AbortSignal) => ReturnType<DeskApi[M]> };

/** The facade over the core for one home folder: its area services, and every method of the contract. */
export type Desk = DeskCore & SignalledApi;
/** Opens Desks (`await Desk.open({ home })`), and what a face needs before it opens one. */
export const Desk = {
  open: openDesk,
  /** Default minimum age of a leftover of an interrupted restore, in ms. */
  leftoverMinAgeMs: LEFTOVER_MIN_AGE_MS,
};

export { toDto } from './jobs';
export type { DeskOptions } from './kernel';
