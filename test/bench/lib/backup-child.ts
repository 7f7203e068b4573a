/**
 * Runs one backup in its own process so the benchmark can report this process's peak RSS and wall
 * time. Arg: JSON `{ db, pgUrl, dataDir, dests: [folder…] }` (each folder a local storage). Prints JSON.
 */
import { openPgSource, runBackup } from '../../../shared/core/backup';
import { silentContext } from '../../../shared/core/jobs/job';
import { LocalProvider } from '../../../shared/core/storage/local';

async function main(): Promise<void> {
  const o = JSON.parse(process.argv[2] ?? '{}') as { db: string; pgUrl: string; dataDir: string; dests: string[] };
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const t0 = performance.now();
  const r = await runBackup(
    {
      db: o.db,
      format: 'zip',
      layout: 'odoo-backup-sh',
      destinations: o.dests.map((d, i) => ({ name: `d${i}`, provider: new LocalProvider(d) })),
      openSource: (ctx) => openPgSource({ db: o.db, pgUrl: o.pgUrl, dataDir: o.dataDir, filestore: true, format: 'zip' }, ctx),
    },
    silentContext(),
  );
  const ms = performance.now() - t0;
  clearInterval(timer);
  if (r.destinations.some((d) => !d.ok)) throw new Error(JSON.stringify(r.destinations));
  const maxRssBytes = Math.max(peak, process.resourceUsage().maxRSS * 1024);
  process.stdout.write(`${JSON.stringify({ ms, maxRssBytes, size: r.size, verification: r.verification.status })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${String((err as Error).stack ?? err)}\n`);
  process.exit(1);
});
