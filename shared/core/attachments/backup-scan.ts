/**
 * Where a backup's attachments live: its dump's `ir_attachment` rows and storage parameters
 * (`dump-scan.ts`), checked against the objects its own filestore holds (a complete backup made
 * with `--attachments include` keeps each remote object as `filestore/<sha[:2]>/<sha>`).
 * Zips are read through the central directory when the source is seekable, else in one pass;
 * custom-format dumps through `pg_restore -a -t ir_attachment -t ir_config_parameter -f -`.
 */
import { pipeline as streamPipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { AttachmentReport } from '../../contract/attachments';
import { AppError } from '../errors';
import type { DecryptKeys } from '../crypto';
import type { BackupSource, FolderSource, MultiPartBackup } from '../archive/source';
import { openZipRandomAccess } from '../archive/source-reader';
import { memberReadError, readZipStream } from '../archive/zip-stream';
import { parseDumpHeader } from '../archive/dump-header';
import { openBackup } from '../restore/open-backup';
import { readPgRestoreSql } from '../pg/pg-restore-sql';
import { requirePgRestore } from '../pg/tools';
import { scanSqlDump, type DumpScan } from './dump-scan';
import { parseStoreFname } from './store-fname';
import { filestorePath } from '../archive/odoo-zip';

/** Options of a backup scan. */
export interface BackupScanOptions {
  readonly decrypt?: DecryptKeys;
  readonly signal?: AbortSignal;
  /** The database name (from the manifest or the catalog), for Catalyst containers. */
  readonly dbName?: string;
}

/**
 * The SHA-1 of a filestore member (`filestore/ab/<sha>`, or `ab/<sha>` in a filestore folder), if it
 * is one. Odoo's garbage-collection marks (`checklist/ab/<sha>`, empty files) are not objects.
 */
export function shaOfMember(name: string): string | undefined {
  const at = parseStoreFname(filestorePath(name) ?? name);
  return at.kind === 'filestore' && at.sha1 !== undefined && at.path.indexOf('/') <= 3 ? at.sha1 : undefined;
}

/** The report, counting remote objects present in `held` (SHA-1s of the backup's filestore); `hasFilestore` false for a backup without one. */
function finish(scan: DumpScan, held: ReadonlySet<string>, hasFilestore: boolean): AttachmentReport | undefined {
  if (!scan.sawAttachments) return undefined;
  return scan.tally.finish((name) => {
    const at = parseStoreFname(name);
    const sha = 'sha1' in at ? at.sha1 : undefined;
    return sha !== undefined && held.has(sha);
  }, hasFilestore);
}

async function scanZipRandomAccess(source: BackupSource, size: number, opts: BackupScanOptions): Promise<AttachmentReport | undefined> {
  const zip = await openZipRandomAccess(source, size, opts.signal);
  const held = new Set<string>();
  let files = 0;
  let scan: DumpScan | undefined;
  try {
    for await (const entry of zip.eachEntry()) {
      if (opts.signal?.aborted) throw new AppError('Cancelled', 'Inspect was cancelled.');
      if (entry.fileName === 'dump.sql') {
        const s = await zip.openReadStreamPromise(entry);
        try {
          scan = await scanSqlDump(s as AsyncIterable<Buffer>, opts).catch((err: unknown) => {
            throw memberReadError(err, source.name, 'dump.sql');
          });
        } finally {
          s.destroy();
        }
      } else if (filestorePath(entry.fileName) !== undefined) {
        files++;
        const sha = shaOfMember(entry.fileName);
        if (sha) held.add(sha);
      }
    }
  } finally {
    zip.close();
  }
  return scan ? finish(scan, held, files > 0) : undefined;
}

async function scanZipStream(input: Readable, name: string, opts: BackupScanOptions): Promise<AttachmentReport | undefined> {
  const held = new Set<string>();
  let files = 0;
  let scan: DumpScan | undefined;
  for await (const entry of readZipStream(input, { name })) {
    if (entry.name === 'dump.sql') scan = await scanSqlDump(entry.data(), { ...opts, readToEnd: true });
    else if (filestorePath(entry.name) !== undefined) {
      files++;
      const sha = shaOfMember(entry.name);
      if (sha) held.add(sha);
    }
  }
  return scan ? finish(scan, held, files > 0) : undefined;
}

/** The data of `ir_attachment` and `ir_config_parameter` of a custom-format dump, as plain SQL. */
async function scanCustomDump(source: BackupSource, head: Buffer, stream: Readable, opts: BackupScanOptions): Promise<DumpScan> {
  const tool = await requirePgRestore(parseDumpHeader(head)?.version);
  const useFile = source.localPath !== undefined;
  if (useFile) stream.destroy();
  return readPgRestoreSql(
    {
      tool: tool.path,
      args: ['-a', '-t', 'ir_attachment', '-t', 'ir_config_parameter', '-f', '-'],
      ...(useFile ? { path: source.localPath! } : { input: stream }),
      failed: (tail) => new AppError('Integrity', `pg_restore could not read the dump's attachments: ${tail.replace(/^pg_restore: (error: )?/, '')}`, { hint: 'The dump is damaged or incomplete.' }),
    },
    (sql) => scanSqlDump(sql, { ...opts, readToEnd: true }),
  );
}

/** The SHA-1s of a filestore folder's files. */
async function heldInFolder(folder: FolderSource, signal: AbortSignal | undefined): Promise<Set<string>> {
  const held = new Set<string>();
  for await (const f of folder.list(signal)) {
    const sha = shaOfMember(f.path);
    if (sha) held.add(sha);
  }
  return held;
}

/**
 * Where the attachments of a backup live, or undefined when it holds no Odoo attachment table.
 * Reads the dump's attachment rows (never the filestore's contents).
 */
export async function scanBackupAttachments(source: BackupSource | MultiPartBackup, opts: BackupScanOptions = {}): Promise<AttachmentReport | undefined> {
  const multi = (source as MultiPartBackup).kind === 'multipart' ? (source as MultiPartBackup) : undefined;
  const main = multi ? multi.dump : (source as BackupSource);
  const opened = await openBackup(main, { ...(opts.decrypt ? { decrypt: opts.decrypt } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
  try {
    // Inside the try: a listing that fails still closes the dump's read.
    const held = multi?.filestore ? await heldInFolder(multi.filestore, opts.signal) : new Set<string>();
    if (opened.format === 'zip') {
      if (!opened.encrypted && main.seekable && main.size !== undefined) {
        opened.stream.destroy();
        return await scanZipRandomAccess(main, main.size, opts);
      }
      return await scanZipStream(opened.stream, main.name, opts);
    }
    if (opened.format === 'sql') return finish(await scanSqlDump(opened.stream, opts), held, multi?.filestore !== undefined);
    // pipeline, not pipe: a read that fails half way fails the scan (piped, its error went unheard and the scan waited for good).
    if (opened.format === 'sql-gz') return finish(await scanSqlDump(streamPipeline(opened.stream, createGunzip(), () => undefined), opts), held, multi?.filestore !== undefined);
    if (opened.format === 'dump') {
      // An encrypted dump is piped in decrypted; a plain local one is given to pg_restore by path.
      const src: BackupSource = opened.encrypted ? { name: main.name, size: main.size, seekable: false, open: main.open.bind(main) } : main;
      return finish(await scanCustomDump(src, opened.head, opened.stream, opts), held, multi?.filestore !== undefined);
    }
    return undefined;
  } finally {
    opened.stream.destroy();
  }
}
