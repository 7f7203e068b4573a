/** Attachment migrations between the filestore and object storage, as resumable jobs. */
export { MigrationBook, migrationSpecSchema, migrationStateSchema, type MigrationSpec, type MigrationState, type ObjectJournal } from './book';
export { runMigration, rollbackMigration, type MigrationDeps, type MigrationResult } from './run';
export { runDuplicate, rollbackDuplicate, stagingName } from './duplicate';
export { runDrop, rollbackDrop, guardDrop, otherReferences } from './drop';
export { ownStore, copyStoreName, type OwnStore } from './plan';
