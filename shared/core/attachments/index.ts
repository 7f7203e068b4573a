/** Odoo attachments kept in object storage (S3, Swift, fs_attachment, odoo_openstack_storage): know them, bring them home, back them up, migrate them. */
export * from './store-fname';
export { AttachmentTally, STORAGE_PARAM_KEYS, type AttachmentRow, type StorageParams } from './report';
export { copyColumns, copyRows, copyTable, decodeCopyText, type CopyField } from './copy-rows';
export { scanSqlDump, type DumpScan } from './dump-scan';
export { scanBackupAttachments, shaOfMember, type BackupScanOptions } from './backup-scan';
export { scanDatabaseAttachments, readStorageParams, remoteNames, hasAttachmentTable, serialQuery, type Query, type RemoteName } from './db-scan';
export { storageResolver, storeLabel, type ObjectHandle, type ObjectResolver, type ResolverDeps } from './resolver';
export { fetchObjectTo, openObject, sha1Meter, type FetchOutcome } from './fetch-object';
export { runAttachmentsStage, attachmentsStage, notSelfContainedError, setParam, type AttachmentsStageOptions, type AttachmentsStageResult, type ObjectProblem, type RestoreAttachmentsOptions, type RestoreAttachmentsSummary } from './restore-stage';
export { runPool } from './pool';
export { objectStorageEntries, openPgSourceWithObjects, type ObjectEntriesOptions, type ObjectEntriesReport, type IncludeObjects, type SourceWithObjects } from './backup-entries';
