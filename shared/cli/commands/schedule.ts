/**
 * `schedule preview SPEC [--from ISO] [--count N] [--tz ZONE] [--json]`: the next runs of a
 * calendar event or cron expression, and what it means in words.
 */
import type { Command } from 'commander';
import { formatInZone, localZone, nextRuns, parseSchedule } from '../../core/schedule';
import { isAppError } from '../../core/errors';
import { UsageError, type CliContext } from '../context';
import { commandGroup, type CommandModule } from './index';
import { registerScheduleJobs } from './schedule-jobs';

/** Parses `--count`: 1…1000. */
function parseCount(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new UsageError(`--count must be a whole number from 1 to 1000 (got "${text}").`, 'For example --count 10');
  return n;
}

/** Parses `--from`: an ISO-8601 instant. */
function parseFrom(text: string | undefined): Date {
  if (text === undefined) return new Date();
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) throw new UsageError(`--from must be an ISO-8601 date and time (got "${text}").`, 'For example --from 2026-03-29T00:00:00Z');
  return d;
}

/** Runs `fn`, turning its `InvalidInput` (a bad spec or zone) into a usage error (exit 2), hinted in the CLI's words when it has them. */
export function asUsageError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (isAppError(err, 'InvalidInput')) throw new UsageError(err.message, typeof err.details?.cliHint === 'string' ? err.details.cliHint : err.hint);
    throw err;
  }
}

/** The `schedule preview` subcommand. */
function registerPreview(group: Command, ctx: CliContext): void {
  group
    .command('preview <spec>')
    .description('show the next runs of a schedule: a systemd calendar event ("Mon..Fri 02:00", "*:0/15", "daily Europe/Berlin") or a cron expression ("0 2 * * *")')
    .option('--from <iso>', 'start after this instant (ISO 8601; default: now)')
    .option('--count <n>', 'how many runs', '5')
    .option('--tz <zone>', 'time zone the schedule is read in, unless it names its own (default: this machine\'s)')
    .option('--json', 'print a JSON array of ISO-8601 UTC instants')
    .action((spec: string, opts: { from?: string; count: string; tz?: string; json?: boolean }) => {
      const count = parseCount(opts.count);
      const from = parseFrom(opts.from);
      const schedule = asUsageError(() => parseSchedule(spec, { timeZone: opts.tz ?? localZone() }));
      const runs = nextRuns(schedule, from, count);
      if (opts.json) {
        ctx.out(JSON.stringify(runs.map((d) => d.toISOString())));
        return;
      }
      ctx.out(`${schedule.kind === 'cron' ? 'Cron' : 'Normalized form'}: ${schedule.normalized}`);
      ctx.out(`In words: ${schedule.describe()}`);
      if (runs.length === 0) ctx.out('It never runs after that time.');
      else ctx.out(`Next ${runs.length === 1 ? 'run' : `${runs.length} runs`}:`);
      for (const d of runs) ctx.out(`  ${formatInZone(d, schedule.zone)}   ${d.toISOString()}`);
    });
}

/** The `schedule` command group. */
export const scheduleCommand: CommandModule = {
  register(program: Command, ctx: CliContext) {
    const group = commandGroup(program, 'schedule', 'scheduled backups and restore drills');
    registerPreview(group, ctx);
    registerScheduleJobs(group, ctx);
  },
};
