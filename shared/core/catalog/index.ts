/** The catalog: every backup on every storage, recognised by its tool's conventions. */
export { classifyName, guessDatabase, stripEncryption, utcDate, type NameInfo, type NameClass } from './conventions';
export { parseListing, sortNewestFirst, GENERIC_WARNING, MISSING_INFO_WARNING, type ListingContent, type ParsedListing, type ContentWant } from './parse';
export { parseInfoFile, type BackupShInfo } from './info-file';
export { parseSidecar, sidecarSchema, ownBackupKeys, type Sidecar } from './sidecar';
export { sniffHead, HEAD_BYTES } from './sniff';
export { scanStorage, listCatalog, singleEntry, type CatalogStorage, type CatalogOptions, type ScanOptions, type StorageScan } from './catalog';
export { BackupFactsCache, FACTS_CACHE_LIMIT, type BackupFacts } from './facts-cache';
