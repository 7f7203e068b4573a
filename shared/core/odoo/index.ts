/** Odoo instances reached through their database manager: the registry and the HTTP client. */
export { OdooInstanceStore, normalizeInstanceUrl, instanceSecretScope, INSTANCE_NAME_PATTERN, ODOO_INSTANCES_FILE, odooInstanceSchema, type OdooInstance } from './instances';
export { OdooManagerClient, dispositionFilename, type OdooManagerOptions, type OdooDatabase, type OdooBackupStream, type OdooRestoreUpload, type OdooRestoreOutcome } from './manager-client';
export { parseManagerPage, httpAnswerError, networkError, odooMessageError, decodeEntities, htmlText, type ManagerOp, type ManagerPage } from './manager-errors';
export { multipartBody, type MultipartBody, type MultipartFile } from './multipart';
export { odooMajor, type OdooServerVersion } from './version';
export { openInstance, streamInstanceBackup, type OpenedInstance } from './connect';
export { OdooService, type OdooArgs, type OdooResult } from './service';
export { restoreToOdoo, preflightRemote, type RemoteRestoreOptions, type RemoteRestoreResult } from './remote-restore';
export { prepareUpload, manifestVersion, type UploadSource } from './upload-source';
