/**
 * Stage 5 of a restore: Odoo's after-restore steps on the staging database — back to the
 * connection's defaults, a copy's new identity, neutralization — and the facts the result
 * reports (tables, Odoo version, attachments the missing filestore leaves dangling).
 */
import type pg from 'pg';
import { classifyPgError } from '../pg/connection';
import { neutralize, regenerateIdentity } from './odoo-post';
import type { RestoreRun } from './pipeline';

/** What the finished staging database holds. */
export interface FinishedFacts {
  readonly tables: number;
  readonly odooVersion: string | undefined;
}

/** Runs the after-restore steps; `hasFilestore` says whether the backup had filestore files. */
export async function finishDatabase(run: RestoreRun, loader: pg.Client, known: { odooVersion: string | undefined; hasFilestore: boolean }): Promise<FinishedFacts> {
  const { opts } = run;
  run.report({ phase: 'finalize', label: 'Finishing' }, true);
  run.check();
  // The dump changed session settings (search_path = '', …): back to the connection's defaults.
  await loader.query('RESET ALL');
  if (opts.mode === 'copy') {
    const ok = await regenerateIdentity(loader).catch((err: unknown) => {
      throw classifyPgError(err, opts.pgUrl, 'Regenerating the database identity');
    });
    if (!ok) run.warn('No ir_config_parameter table: this does not look like an Odoo database; the identity was not regenerated.');
  }
  if (opts.neutralize) {
    const done = await neutralize(loader).catch((err: unknown) => {
      throw classifyPgError(err, opts.pgUrl, 'Neutralizing the database');
    });
    for (const d of done) run.ctx.log('info', `Neutralize: ${d}`);
  }
  const tables = Number((await loader.query<{ n: string }>("SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public'")).rows[0]?.n ?? 0);
  const odooVersion = known.odooVersion || (await odooVersionFromDb(loader));
  if (!opts.filestore || !known.hasFilestore) await warnOfMissingFiles(run, loader, known.hasFilestore);
  run.check();
  return { tables, odooVersion };
}

/** Warns when attachments point into a filestore that was not restored (database only, or none in the backup). */
async function warnOfMissingFiles(run: RestoreRun, loader: pg.Client, hasFilestore: boolean): Promise<void> {
  const n = await attachmentsInFilestore(loader);
  if (n === 0) return;
  run.warn(
    !run.opts.filestore && hasFilestore
      ? `${n} attachments point into the filestore, which was not restored (database only): they will be missing.`
      : `${n} attachments point into the filestore, which this backup does not contain: they will be missing unless you copy the filestore to ${run.finalFs}.`,
  );
}

async function odooVersionFromDb(client: pg.Client): Promise<string | undefined> {
  try {
    const r = await client.query<{ v: string | null }>("SELECT latest_version AS v FROM ir_module_module WHERE name = 'base'");
    const v = r.rows[0]?.v;
    const m = v ? /^(saas~)?\d+\.\d+/.exec(v) : null;
    return m?.[0];
  } catch {
    return undefined;
  }
}

async function attachmentsInFilestore(client: pg.Client): Promise<number> {
  try {
    const r = await client.query<{ n: string }>('SELECT count(*) AS n FROM ir_attachment WHERE store_fname IS NOT NULL');
    return Number(r.rows[0]?.n ?? 0);
  } catch {
    return 0;
  }
}
