/** Downloads with verification. */
export { downloadBackup, downloadFolder, existingAt, folderOutPath, resolveOutPath, type ExistingDestination, type DownloadOptions, type DownloadResult, type FolderDownloadOptions, type FolderItem } from './download';
export { verifyZip, checksummer, type Checksummer } from './verify';
