/**
 * Runs one restore in its own process so the benchmark can report this process's peak RSS
 * (`process.resourceUsage().maxRSS`) and wall time. Args: FILE DB PGURL DATADIR. Prints JSON.
 */
import { localFileSource } from '../../../shared/core/archive';
import { restoreBackup } from '../../../shared/core/restore';
import { silentContext } from '../../../shared/core/jobs/job';

async function main(): Promise<void> {
  const [file, db, pgUrl, dataDir] = process.argv.slice(2);
  if (!file || !db || !pgUrl || !dataDir) throw new Error('usage: restore-child FILE DB PGURL DATADIR');
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const t0 = performance.now();
  const r = await restoreBackup({ source: localFileSource(file), db, pgUrl, dataDir, mode: 'move', neutralize: false, replace: false, filestore: true }, silentContext());
  const ms = performance.now() - t0;
  clearInterval(timer);
  const maxRssBytes = Math.max(peak, process.resourceUsage().maxRSS * 1024);
  process.stdout.write(`${JSON.stringify({ ms, maxRssBytes, tables: r.tables, files: r.filestoreFiles, bytesRead: r.bytesRead })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${String((err as Error).stack ?? err)}\n`);
  process.exit(1);
});
