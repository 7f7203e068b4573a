/** Making backups: the pipeline's public API (see backup.ts for the stages). */
export { runBackup, type BackupOptions, type BackupResult, type BackupEncryption, type DestinationResult } from './backup';
export { openPgSource, type PgSourceOptions, type SourceOutput } from './pg-source';
export { odooSourceConflicts, openOdooSource, type OdooSourceConflict } from './odoo-source';
export { layoutKeys, checkLayout, dashStamp, infoFileText, type BackupLayout, type LayoutKeys } from './layouts';
export { verifyFilestore, type FilestoreVerification } from './verify';
export { filestoreEntries, fileEntry, walkFilestore, type FilestoreEntriesOptions } from './filestore';
export { writeZip, zipStream, type ZipEntry, type ZipWrittenEntry } from './zip-writer';
export { requirePgDump } from './pg-dump';
export type { BackupDestination } from './commit';
export type { ColdOptions } from './cold';
export { BackupService, type BackupServiceDeps } from './service';
