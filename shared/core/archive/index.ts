/** Reading backups: sources, format sniffing, inspection, streaming zip and pg_dump headers. */
export { localFileSource, readRange } from './local-file';
export { sniffFormat, type SniffedFormat } from './sniff';
export { inspectBackup } from './inspect';
export { readZipStream, type ZipStreamEntry } from './zip-stream';
export { parseDumpHeader, isCustomDump, type DumpHeader } from './dump-header';
export type { BackupSource, FolderSource, MultiPartBackup } from './source';
