/** The restore engine's public API. */
export { restoreBackup, listLeftovers, type RestoreOptions, type RestoreResult } from './restore';
export { checkDatabaseName, defaultOdooDataDir, detectLocalTargets } from './targets';
export { parseSqlStream, type SqlItem, type SqlCopyItem, type SqlMetaItem, type SqlStatementItem } from './sql-stream';
export { loadSqlItems, type LoadOptions, type LoadStats } from './sql-loader';
export { neutralize, regenerateIdentity } from './odoo-post';
