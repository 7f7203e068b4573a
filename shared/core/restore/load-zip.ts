/**
 * The zip loader stage: one pass over an Odoo zip as it streams by — `dump.sql` into the SQL
 * loader, `manifest.json` read for the Odoo version, `filestore/…` to the filestore writer. A
 * plain seekable zip has its filestore written during the load instead, by a second reader
 * (`filestore-alongside.ts`). Every entry's CRC and size are checked by the zip reader.
 */
import { AppError, isAppError } from '../errors';
import type { BackupDescription } from './describe';
import { readSmall } from './describe';
import { scoutBuilds, type EarlyBuildSource } from './early-builds';
import { filestoreAlongside, randomAccessSource, type FilestoreAlongside } from './filestore-alongside';
import type { FilestoreWriter } from './filestore-writer';
import { loadSql, type SqlInput } from './load-sql';
import type { RestoreRun, TargetServer } from './pipeline';
import { filestorePath } from '../archive/odoo-zip';

/** What the zip held besides the database. */
export interface ZipLoadResult {
  /** The Odoo version from manifest.json. */
  readonly odooVersion: string | undefined;
  /** True when the zip has filestore files (restored or not). */
  readonly hasFilestore: boolean;
  /** Bytes read by the second reader that wrote the filestore (the sequential pass counts its own). */
  readonly bytesReadBeside?: number;
}

/** Loads a described zip into the staging database and folder (the filestore beside the load when the zip allows). */
export async function loadZip(run: RestoreRun, server: TargetServer, desc: BackupDescription, files: FilestoreWriter): Promise<ZipLoadResult> {
  const scoutStop = new AbortController();
  const zip = randomAccessSource(run, desc);
  const dump = desc.zipDirectory?.find((e) => e.fileName === 'dump.sql');
  const early = zip && dump ? scoutBuilds(zip, dump, AbortSignal.any([run.signal, scoutStop.signal])) : undefined;
  try {
    return await loadZipWith(run, server, desc, files, early, filestoreAlongside(run, zip, desc, files));
  } finally {
    scoutStop.abort();
  }
}

/** `loadZip` with the scouted builds and the filestore walk, when the zip allows them. */
async function loadZipWith(run: RestoreRun, server: TargetServer, desc: BackupDescription, files: FilestoreWriter, early: EarlyBuildSource | undefined, alongside: FilestoreAlongside | undefined): Promise<ZipLoadResult> {
  if (!alongside) return sequentialPass(run, server, desc, files, undefined, early);
  files.mute();
  let seq: ZipLoadResult;
  try {
    seq = await sequentialPass(run, server, desc, files, alongside, early);
  } catch (err) {
    // A failed filestore write stopped the load: that failure is the one to report.
    const walkErr = await alongside.stop();
    throw walkErr !== undefined && !isAppError(walkErr, 'Cancelled') ? walkErr : err;
  }
  if (run.opts.filestore) {
    filestorePhase(run, desc);
    files.unmute();
  }
  const walked = await alongside.finish();
  return { odooVersion: (walked.manifest !== undefined ? manifestVersion(walked.manifest, run) : undefined) ?? seq.odooVersion, hasFilestore: walked.hasFilestore, bytesReadBeside: walked.bytesRead };
}

/**
 * The one sequential pass over the zip: `dump.sql` into the SQL loader, `manifest.json` read, the
 * filestore written — or, when it is written `alongside`, the pass ends after `dump.sql`.
 */
async function sequentialPass(run: RestoreRun, server: TargetServer, desc: BackupDescription, files: FilestoreWriter, alongside: FilestoreAlongside | undefined, early: EarlyBuildSource | undefined): Promise<ZipLoadResult> {
  let sawDump = false;
  let odooVersion: string | undefined;
  let hasFilestore = false;
  for await (const entry of desc.zipEntries!) {
    run.check();
    if (entry.name === 'dump.sql') {
      sawDump = true;
      await loadDumpSql(run, server, entry.data(), { ...dumpSqlProgress(desc, entry.size), ...(alongside ? { onPostData: alongside.start } : {}), ...(early ? { early } : {}) });
      if (alongside) break;
      filestorePhase(run, desc);
    } else if (entry.name === 'manifest.json') {
      odooVersion = manifestVersion(await readSmall(entry.data(), 4 * 1024 * 1024), run) ?? odooVersion;
    } else {
      const rel = entry.directory ? undefined : filestorePath(entry.name);
      if (rel === undefined) continue;
      hasFilestore = true;
      if (run.opts.filestore && !alongside) await files.write(rel, entry.data());
    }
  }
  if (!sawDump) {
    throw new AppError('InvalidInput', `${desc.name} is a zip but holds no dump.sql: it is not an Odoo backup.`, {
      hint: 'Choose an Odoo backup made by the database manager or a backup module.',
    });
  }
  return { odooVersion, hasFilestore };
}

/** Starts the filestore phase of the progress. */
function filestorePhase(run: RestoreRun, desc: BackupDescription): void {
  run.report({ phase: 'filestore', label: 'Restoring the filestore', done: 0, ...(desc.filestoreFiles !== undefined ? { total: desc.filestoreFiles } : {}), unit: 'items' }, true);
}

/**
 * Loads `dump.sql`. When the load fails while the entry's CRC is still unchecked, the rest of
 * the entry is read first: a corrupt archive is reported as such, not as an SQL error.
 */
async function loadDumpSql(run: RestoreRun, server: TargetServer, data: AsyncIterable<Buffer>, measure: Pick<SqlInput, 'total' | 'rawBytes' | 'onPostData' | 'early'>): Promise<void> {
  const it = data[Symbol.asyncIterator]();
  // The loader's early exit must not end the entry: its remaining bytes are still to be checked.
  const shielded: AsyncIterable<Buffer> = { [Symbol.asyncIterator]: () => ({ next: () => it.next() }) };
  try {
    await loadSql(run, server, { data: shielded, name: 'dump.sql', ...measure });
  } catch (err) {
    if (run.signal.aborted || isAppError(err, 'Integrity') || isAppError(err, 'Cancelled')) throw err;
    await checkRest(run, it);
    throw err;
  }
}

/**
 * What `dump.sql`'s progress counts: its own bytes against the size its header declares (also in
 * an encrypted zip: that is the decrypted zip's header); without one (a streamed zip), the
 * backup's bytes read against its size, when known.
 */
function dumpSqlProgress(desc: BackupDescription, entrySize: number | undefined): Pick<SqlInput, 'total' | 'rawBytes'> {
  if (entrySize !== undefined) return { total: entrySize };
  return desc.size !== undefined ? { total: desc.size, rawBytes: desc.rawBytes } : { total: undefined };
}

/** Reads an entry to its end (the zip reader checks its CRC and size there); only an `Integrity` failure is raised. */
async function checkRest(run: RestoreRun, it: AsyncIterator<Buffer>): Promise<void> {
  try {
    for (;;) {
      run.check();
      if ((await it.next()).done) return;
    }
  } catch (err) {
    if (isAppError(err, 'Integrity')) throw err;
  }
}

/** The version in an Odoo manifest.json (`version`, else `major_version`); invalid JSON only warns. */
function manifestVersion(text: string, run: RestoreRun): string | undefined {
  try {
    const m = JSON.parse(text) as { version?: string; major_version?: string };
    return m.version ?? m.major_version;
  } catch {
    run.warn('manifest.json in the backup is not valid JSON; ignored.');
    return undefined;
  }
}
