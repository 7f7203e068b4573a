/**
 * The zip loader stage: one pass over an Odoo zip as it streams by — `dump.sql` into the SQL
 * loader, `manifest.json` read for the Odoo version, `filestore/…` to the filestore writer.
 * Every entry's CRC and size are checked by the zip reader.
 */
import { AppError } from '../errors';
import type { BackupDescription } from './describe';
import { readSmall } from './describe';
import type { FilestoreWriter } from './filestore-writer';
import { loadSql } from './load-sql';
import type { RestoreRun, TargetServer } from './pipeline';

/** What the zip held besides the database. */
export interface ZipLoadResult {
  /** The Odoo version from manifest.json. */
  readonly odooVersion: string | undefined;
  /** True when the zip has filestore files (restored or not). */
  readonly hasFilestore: boolean;
}

/** Loads a described zip into the staging database and folder. */
export async function loadZip(run: RestoreRun, server: TargetServer, desc: BackupDescription, files: FilestoreWriter): Promise<ZipLoadResult> {
  let sawDump = false;
  let odooVersion: string | undefined;
  let hasFilestore = false;
  for await (const entry of desc.zipEntries!) {
    run.check();
    if (entry.name === 'dump.sql') {
      sawDump = true;
      await loadSql(run, server, { data: entry.data(), name: 'dump.sql', total: desc.encrypted ? undefined : entry.size });
      run.report({ phase: 'filestore', label: 'Restoring the filestore', done: 0, unit: 'items' }, true);
    } else if (entry.name === 'manifest.json') {
      odooVersion = manifestVersion(await readSmall(entry.data(), 4 * 1024 * 1024), run) ?? odooVersion;
    } else if (entry.name.startsWith('filestore/') && !entry.directory) {
      hasFilestore = true;
      if (run.opts.filestore) await files.write(entry.name.slice('filestore/'.length), entry.data());
    }
  }
  if (!sawDump) {
    throw new AppError('InvalidInput', `${desc.name} is a zip but holds no dump.sql: it is not an Odoo backup.`, {
      hint: 'Choose an Odoo backup made by the database manager or a backup module.',
    });
  }
  return { odooVersion, hasFilestore };
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
