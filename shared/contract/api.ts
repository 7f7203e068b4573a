/**
 * The typed API contract between the core and every face (Electron IPC, `serve` over
 * HTTP, the React UI): the one index of the per-area contract modules. Pure: zod schemas
 * and types only, no Node or DOM APIs, so the renderer may import it at run time for
 * validation.
 *
 * Every method takes one object argument and returns a promise. Long work returns a
 * `{ jobId }` and reports through the `job:update` / `job:done` events.
 *
 * Adding an area: write `shared/contract/<area>.ts` with its schemas and a `<area>Methods`
 * table, re-export it below and spread the table into `apiMethods`.
 */
import type { z } from 'zod';
import { appMethods } from './app';
import { backupMethods } from './backups';
import { attachmentsMethods } from './attachments';
import { catalogMethods } from './catalog';
import { cleanupMethods } from './cleanup';
import { historyMethods } from './history';
import { jobsMethods } from './jobs';
import { rotationMethods } from './rotation';
import { odooMethods } from './odoo';
import { restoreMethods } from './restores';
import { storagesMethods } from './storages';
import { transferMethods } from './transfers';
import { scheduleMethods } from './schedules';
import { verifyMethods } from './verify';

export * from './common';
export * from './app';
export * from './storages';
export * from './catalog';
export * from './attachments';
export * from './restores';
export * from './transfers';
export * from './jobs';
export * from './history';
export * from './rotation';
export * from './backups';
export * from './schedules';
export * from './odoo';
export * from './verify';
export * from './cleanup';

/**
 * Every request/response method: `args` validates input at the boundary (IPC, HTTP),
 * `result` documents (and in tests, checks) the output.
 */
export const apiMethods = {
  ...appMethods,
  ...storagesMethods,
  ...catalogMethods,
  ...restoreMethods,
  ...attachmentsMethods,
  ...transferMethods,
  ...jobsMethods,
  ...historyMethods,
  ...rotationMethods,
  ...backupMethods,
  ...scheduleMethods,
  ...odooMethods,
  ...verifyMethods,
  ...cleanupMethods,
} as const;

/** The method names. */
export type ApiMethod = keyof typeof apiMethods;
/** A method's validated argument type. */
export type ApiArgs<M extends ApiMethod> = z.input<(typeof apiMethods)[M]['args']>;
/** A method's argument as its schema parsed it (defaults filled in). */
export type ApiArgsParsed<M extends ApiMethod> = z.infer<(typeof apiMethods)[M]['args']>;
/** A method's result type. */
export type ApiResult<M extends ApiMethod> = z.infer<(typeof apiMethods)[M]['result']>;

/** The whole API as an object of async methods (what the UI calls, what faces implement). */
export type DeskApi = { [M in ApiMethod]: (args: ApiArgs<M>) => Promise<ApiResult<M>> };

/** The names of all methods, for allowlists at the boundaries. */
export const API_METHOD_NAMES = Object.keys(apiMethods) as ApiMethod[];
