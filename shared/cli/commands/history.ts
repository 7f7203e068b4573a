/** `history`: past backups, restores, rotations and drills, newest first. */
import type { Command } from 'commander';
import { runFailure, runKindSchema, type Run } from '../../contract/history';
import { UsageError, type CliContext } from '../context';
import { formatBytes, formatDuration, table } from '../format';
import type { CommandModule } from './index';

/** `2024-01-02T03:04:05.000Z` -> `2024-01-02 03:04:05Z`. */
function when(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

/** One table row of a run. */
function row(r: Run): string[] {
  const what = r.refs.length === 1 ? r.refs[0]! : r.refs.length > 1 ? `${r.refs.length} refs` : '';
  const failure = runFailure(r);
  return [
    when(r.startedAt),
    r.kind,
    r.db ?? '',
    r.outcome,
    r.bytes === null ? '' : formatBytes(r.bytes),
    r.durationMs === null ? '' : formatDuration(r.durationMs / 1000),
    failure ? `${what ? `${what}: ` : ''}${failure.message}` : what,
  ];
}

/** The `history` command. */
export const historyCommand: CommandModule = {
  register(program: Command, ctx: CliContext) {
    program
      .command('history')
      .description('list past backups, restores, rotations and drills (kept in the home folder), newest first')
      .option('--db <db>', 'only runs about this database')
      .option('--kind <kind>', `only runs of this kind (${runKindSchema.options.join(', ')})`)
      .option('--limit <n>', 'only the newest N runs')
      .option('--json', 'print a JSON array of runs (kind, db, startedAt, endedAt, outcome, bytes, refs, destinations, error, durationMs, details)')
      .action(async (opts: { db?: string; kind?: string; limit?: string; json?: boolean }, cmd: Command) => {
        const kind = opts.kind === undefined ? undefined : runKindSchema.safeParse(opts.kind);
        if (kind && !kind.success) throw new UsageError(`Unknown --kind "${opts.kind}".`, `Use one of: ${runKindSchema.options.join(', ')}.`);
        const limit = opts.limit === undefined ? undefined : Number(opts.limit);
        if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new UsageError(`--limit must be a positive whole number, not "${opts.limit}".`);
        const desk = await ctx.desk(cmd);
        const runs = await desk['history:list']({ ...(opts.db ? { db: opts.db } : {}), ...(kind?.data ? { kind: kind.data } : {}), ...(limit ? { limit } : {}) });
        if (opts.json) {
          ctx.out(JSON.stringify(runs, null, 2));
          return;
        }
        if (runs.length === 0) {
          const filters = [...(opts.db ? [`of database ${opts.db}`] : []), ...(kind?.data ? [`of kind ${kind.data}`] : [])];
          ctx.err(filters.length ? `no runs ${filters.join(' ')} recorded` : 'no runs recorded yet');
          return;
        }
        ctx.out(table(['STARTED', 'KIND', 'DATABASE', 'OUTCOME', 'SIZE', 'TOOK', 'REFS / ERROR'], runs.map(row)).trimEnd());
      });
  },
};
