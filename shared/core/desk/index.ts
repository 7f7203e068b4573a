/** The Desk facade: the one entry point of every face (CLI, serve, Electron). */
export { Desk, toDto, type DeskOptions, type ParsedRef, type ResolvedBackup } from './desk';
export { APP_VERSION } from './version';
export { providerSource, providerFolder, providerMultiPart } from './sources';
