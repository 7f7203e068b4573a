/** Downloads with verification. */
export { downloadBackup, resolveOutPath, type DownloadOptions, type DownloadResult } from './download';
export { verifyZip, checksummer, type Checksummer } from './verify';
