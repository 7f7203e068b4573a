/** `list`: the catalog across storages. */
import type { Command } from 'commander';
import type { BackupEntry, StrayEntry } from '../../contract/api';
import type { CliContext } from '../context';
import { formatBytes, table } from '../format';
import type { CommandModule } from './index';

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/** `2024-01-02T03:04:05.000Z` -> `2024-01-02 03:04:05Z` (or `…  (local)` for local-time names). */
function when(b: BackupEntry): string {
  const t = b.createdAt.replace('T', ' ').replace(/\.\d{3}Z$/, b.timeIsLocal ? ' ' : 'Z');
  return b.timeIsLocal ? `${t}(local)` : t;
}

/** The `list` command. */
export const listCommand: CommandModule = {
  register(program: Command, ctx: CliContext) {
    program
      .command('list')
      .description('list every backup on the configured storages, newest first')
      .option('--storage <name>', 'only this storage (repeatable)', collect)
      .option('--db <db>', 'only backups of this database')
      .option('--all', 'also list stray files (not backups; never touched)')
      .option('--json', 'print a JSON array (backups, then strays with --all)')
      .addHelpText('after', '\nA storage that cannot be listed is reported on stderr and the others still show (exit 1 when any could not be listed).')
      .action(async (opts: { storage?: string[]; db?: string; all?: boolean; json?: boolean }, cmd: Command) => {
        const desk = await ctx.desk(cmd);
        const cat = await desk['catalog:list'](
          { ...(opts.storage ? { storages: opts.storage } : {}), ...(opts.db ? { db: opts.db } : {}), includeStrays: opts.all === true },
          ctx.interrupt.signal,
        );
        for (const f of cat.failures) {
          ctx.err(`warning: storage ${f.storage} could not be listed: ${f.error.message}`);
          // The CLI's own words when the error has them (a command to run, not the app's screen).
          const hint = typeof f.error.details?.cliHint === 'string' ? f.error.details.cliHint : f.error.hint;
          if (hint) ctx.err(`hint: ${hint}`);
        }
        const queried = opts.storage?.length ?? (await desk.storageEntries()).length;
        if (cat.failures.length > 0) ctx.exitCode = 1;
        const strays: StrayEntry[] = opts.all ? cat.strays : [];
        if (opts.json) {
          ctx.out(JSON.stringify([...cat.backups, ...strays], null, 2));
          return;
        }
        if (cat.backups.length === 0 && strays.length === 0) {
          ctx.err(nothingListed(queried, cat.failures.length));
          return;
        }
        if (cat.backups.length > 0) {
          ctx.out(
            table(
              ['CREATED', 'DATABASE', 'FORMAT', 'SIZE', 'CONVENTION', 'REF'],
              cat.backups.map((b) => [when(b), b.database, `${b.format}${b.encrypted ? '+gpg' : ''}`, formatBytes(b.size), b.convention, `${b.ref}${b.warnings?.length ? '  (!)' : ''}`]),
            ).trimEnd(),
          );
          const warned = cat.backups.filter((b) => b.warnings?.length);
          if (warned.length) ctx.err(`${warned.length} backup${warned.length === 1 ? ' has' : 's have'} warnings (!): see \`list --json\`.`);
        }
        if (strays.length > 0) {
          ctx.out('\nStray files (not backups; never touched):');
          ctx.out(table(['REF', 'SIZE', 'WHY'], strays.map((s) => [s.ref, formatBytes(s.size), s.stray])).trimEnd());
        }
      });
  },
};

/** Why the list is empty: no storage, storages that could not be listed (not "no backups"), or none found. */
function nothingListed(queried: number, failed: number): string {
  if (queried === 0) return 'no storages configured: add one with `backup-desk storage add NAME --type local --path DIR`';
  if (failed >= queried) return `no backups listed: ${queried === 1 ? 'the storage could not' : `none of the ${queried} storages could`} be listed (see above)`;
  if (failed > 0) return `no backups found on the ${queried - failed} of ${queried} storages that could be listed`;
  return 'no backups found';
}
