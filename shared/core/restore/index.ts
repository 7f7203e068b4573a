/** The restore engine's public API. */
export { restoreBackup, type RestoreOptions, type RestoreResult } from './restore';
export type { StagedRestore } from './pipeline';
export {
  findLeftovers,
  listLeftovers,
  removeLeftovers,
  describeLeftovers,
  oldEnough,
  LEFTOVER_DB_PATTERN,
  LEFTOVER_FOLDER_PATTERN,
  LEFTOVER_MIN_AGE_MS,
  type Leftover,
  type FindLeftoversOptions,
  type RemoveLeftoversResult,
} from './leftovers';
export { checkDatabaseName, checkDatabaseNameSyntax, defaultOdooDataDir, detectLocalTargets } from './targets';
export { parseSqlStream, type SqlItem, type SqlCopyItem, type SqlMetaItem, type SqlStatementItem } from './sql-stream';
export { loadSqlItems, type LoadOptions, type LoadStats } from './sql-loader';
export { neutralize, regenerateIdentity } from './odoo-post';
