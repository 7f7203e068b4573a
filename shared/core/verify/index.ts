/** Verifying a backup without restoring it: read through, decrypted, CRC- and SHA-1-checked, its references checked. */
export { verifyBackup, type VerifyOptions } from './verify';
export { checkSqlDump, type DumpCheck } from './dump-check';
export { FilestoreCheck, LISTED, type FilestoreResult } from './filestore-check';
export { judge, type Findings } from './judge';
