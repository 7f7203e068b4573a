/**
 * The PostgreSQL + filestore source: snapshot → pg_dump of that snapshot → Odoo's zip (dump.sql,
 * manifest.json, filestore) or Odoo's dump, as one stream, with what verification needs.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { AppError } from '../errors';
import type { JobContext } from '../jobs/job';
import { odooDumpStream, odooZipStream } from './archive';
import { filestoreEntries } from './filestore';
import { manifestJson, odooPgVersion, odooRelease } from './manifest';
import { requirePgDump, startPgDump } from './pg-dump';
import { openSnapshot, type SnapshotFacts } from './snapshot';
import type { ZipEntry } from './zip-writer';
import { filestorePath } from '../archive/odoo-zip';

/** Where the database and its filestore are. */
export interface PgSourceOptions {
  readonly db: string;
  /** `postgres://` URL of the server (no password in it), else libpq's environment. */
  readonly pgUrl?: string;
  /** Odoo's data dir (the filestore is `<dataDir>/filestore/<db>`); required unless `filestore` is false. */
  readonly dataDir?: string;
  readonly filestore: boolean;
  readonly format: 'zip' | 'dump';
  /** Entries to add after the filestore folder's (another stage's, e.g. object-storage attachments), given the snapshot's facts. */
  readonly extraEntries?: (snap: SnapshotFacts) => AsyncIterable<ZipEntry>;
  /** Deflate level of dump.sql. */
  readonly level?: number;
  /** Where to look for pg_dump (default: PG_BIN_DIR, PATH and the usual install folders). */
  readonly pgBinDirs?: readonly string[];
}

/** What a source hands the rest of the pipeline. */
export interface SourceOutput {
  /** The archive's bytes; it ends only when the archive is complete and sound. */
  readonly stream: Readable;
  /** Files the database references (`store_fname`), when the source knows them. */
  readonly referenced?: ReadonlySet<string>;
  /** Filestore members written into the archive so far (complete once `stream` ended); undefined without a filestore. */
  readonly archived?: ReadonlySet<string>;
  readonly odooVersion?: string;
  readonly pgVersion?: string;
  readonly notes: string[];
  /** Releases what the source holds (the snapshot's transaction); call once the stream is done. */
  close(): Promise<void>;
}

/**
 * Whether the filestore folder is there; refuses a backup when it is missing while attachments
 * point into it (a mistyped or forgotten data dir): every such backup would lack all their files,
 * and look fine.
 */
async function filestoreFolderExists(dir: string, storeFnames: ReadonlySet<string>): Promise<boolean> {
  if (await stat(dir).then((s) => s.isDirectory(), () => false)) return true;
  const inFilestore = [...storeFnames].filter((f) => !f.includes('://')).length;
  if (inFilestore === 0) return false;
  throw new AppError('NotFound', `There is no filestore folder ${dir}, though the database's attachments point to ${inFilestore} files in it: the backup would lack them all.`, {
    hint: "Give Odoo's data dir (data_dir in odoo.conf), whose filestore/<database> holds the files; or back up the database only.",
    details: { cliHint: "Give Odoo's data dir with --data-dir (data_dir in odoo.conf); or back up the database only with --no-filestore." },
  });
}

/** Opens the source: its stream starts pg_dump's work as it is read. */
export async function openPgSource(o: PgSourceOptions, ctx: JobContext): Promise<SourceOutput> {
  const snap = await openSnapshot(o.pgUrl, o.db);
  try {
    const tool = await requirePgDump(snap.serverMajor, o.pgBinDirs);
    ctx.log('info', `pg_dump ${tool.version} (${tool.path}) on PostgreSQL ${snap.serverMajor}; snapshot ${snap.snapshot}.`);
    const notes: string[] = [];
    if (snap.attachmentLocation !== 'file') notes.push(`Attachments are stored in "${snap.attachmentLocation}" (ir_attachment.location), not only in the filestore.`);
    const withFilestore = o.format === 'zip' && o.filestore;
    const dir = join(o.dataDir ?? '', 'filestore', o.db);
    const folderThere = withFilestore ? await filestoreFolderExists(dir, snap.storeFnames) : false;
    const dump = startPgDump({ tool, pgUrl: o.pgUrl, db: o.db, format: o.format === 'zip' ? 'plain' : 'custom', snapshot: snap.snapshot, signal: ctx.signal });
    const archived = withFilestore ? new Set<string>() : undefined;
    let stream: Readable;
    if (o.format === 'zip') {
      if (withFilestore && !folderThere) notes.push(`There is no filestore folder ${dir}: the backup has the database only (no attachment points into it).`);
      const filestore = withFilestore ? filestoreEntries(dir, o.extraEntries ? { extra: o.extraEntries(snap) } : {}) : undefined;
      stream = odooZipStream({ dump, manifest: manifestJson(o.db, snap), ...(filestore ? { filestore } : {}), ...(o.level !== undefined ? { level: o.level } : {}) }, (e) => {
        const inFilestore = filestorePath(e.name);
        if (archived && inFilestore !== undefined) archived.add(inFilestore);
      });
    } else {
      stream = odooDumpStream(dump);
    }
    const rel = odooRelease(snap.modules);
    return {
      stream,
      referenced: snap.storeFnames,
      ...(archived ? { archived } : {}),
      ...(rel ? { odooVersion: rel.version } : {}),
      pgVersion: odooPgVersion(snap.serverVersionNum),
      notes,
      close: async () => {
        dump.kill();
        await dump.done.catch(() => undefined);
        await snap.close();
      },
    };
  } catch (err) {
    await snap.close();
    throw err;
  }
}
