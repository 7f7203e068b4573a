/**
 * `cleanup [--target URL] [--data-dir DIR] [--older-than MIN] [--yes]`: lists (and with --yes
 * removes) the leftovers of interrupted restores — temporary `bd_tmp_*`/`bd_old_*` databases and
 * `.bd-tmp-*`/`.bd-old-*` filestore folders. Nothing else is ever touched.
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { Desk, type Leftover } from '../../core/desk';
import { UsageError, type CliContext } from '../context';
import type { CommandModule } from './index';
import { urlHasPassword } from './restore';

function describe(l: Leftover): string {
  const age = l.ageMs !== undefined ? ` (${Math.round(l.ageMs / 60_000)} min old)` : '';
  return `${l.kind === 'database' ? 'database' : 'folder  '} ${l.name}${age}`;
}

/** The `cleanup` command. */
export const cleanupCommand: CommandModule = {
  register(program: Command, ctx: CliContext) {
    program
      .command('cleanup')
      .description('list leftovers of interrupted restores (temporary databases bd_tmp_*/bd_old_*, filestore folders .bd-tmp-*/.bd-old-*); --yes removes them')
      .option('--target <url>', 'PostgreSQL server as a postgres:// URL (default: libpq environment, PGHOST etc.)')
      .option('--data-dir <dir>', "Odoo data dir whose filestore/ to look in (default: Odoo's default for this OS)")
      .option('--older-than <minutes>', 'only leftovers at least this old (younger ones may belong to a restore still running)', String(Desk.leftoverMinAgeMs / 60_000))
      .option('--yes', 'remove them (without it, only list what would be removed)')
      .action(async (opts: { target?: string; dataDir?: string; olderThan: string; yes?: boolean }, cmd: Command) => {
        if (opts.target !== undefined && urlHasPassword(opts.target)) {
          throw new UsageError(
            '--target must not contain a password: a command line is visible to other users of this machine (ps, shell history).',
            "Drop the password from the URL (postgres://USER@HOST:PORT/DB) and give it through libpq's environment instead: PGPASSWORD, PGPASSFILE, or ~/.pgpass.",
          );
        }
        if (opts.target !== undefined && !/^postgres(ql)?:\/\//.test(opts.target)) {
          throw new UsageError(`--target must be a postgres:// URL (got "${opts.target}").`, 'For example postgres://odoo@localhost:5432/postgres');
        }
        const minutes = Number(opts.olderThan);
        if (!Number.isFinite(minutes) || minutes < 0) throw new UsageError(`--older-than must be a number of minutes (got "${opts.olderThan}").`, 'For example --older-than 30');
        const desk = await ctx.desk(cmd);
        const { leftovers: all } = await desk.findLeftovers({
          ...(opts.target !== undefined ? { targetUrl: opts.target } : {}),
          ...(opts.dataDir ? { dataDir: resolve(opts.dataDir) } : {}),
          minAgeMs: 0,
        });
        const isYoung = (l: Leftover): boolean => l.ageMs !== undefined && l.ageMs < minutes * 60_000;
        const found = all.filter((l) => !isYoung(l));
        const young = all.length - found.length;
        if (young > 0) {
          ctx.err(
            `${young} leftover(s) younger than ${minutes} min not shown: they may belong to a restore still running (--older-than 0 includes them).`,
          );
        }
        if (found.length === 0) {
          ctx.out(young > 0 ? 'no leftovers of interrupted restores old enough to remove' : 'no leftovers of interrupted restores');
          return;
        }
        if (!opts.yes) {
          ctx.out(`would remove ${found.length} leftover(s) of interrupted restores:`);
          for (const l of found) ctx.out(`  ${describe(l)}`);
          ctx.out('run again with --yes to remove them');
          return;
        }
        const r = await desk.removeLeftovers(opts.target, found);
        for (const l of r.removed) ctx.out(`removed ${describe(l)}`);
        for (const f of r.failed) ctx.err(`could not remove ${describe(f.leftover)}: ${f.error}`);
        if (r.failed.length > 0) ctx.exitCode = 1;
      });
  },
};
