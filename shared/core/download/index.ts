/** Downloads with verification. */
export { downloadBackup, downloadFolder, resolveOutPath, type DownloadOptions, type DownloadResult, type FolderDownloadOptions, type FolderItem } from './download';
export { verifyZip, checksummer, type Checksummer } from './verify';
