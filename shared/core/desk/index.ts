/** The Desk facade: the one entry point of every face (CLI, serve, Electron). */
export { Desk, toDto, type DeskOptions, type SignalledApi } from './open-desk';
export { DeskCore } from './desk';
export type { ParsedRef } from './storages';
export type { ResolvedBackup } from './backup-locator';
export type { Leftover } from '../restore';
export { APP_VERSION } from './version';
export { providerSource, providerFolder, providerMultiPart } from './sources';
