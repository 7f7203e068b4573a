/**
 * `daemon`: runs the home folder's scheduled jobs headless, as the app does, logging JSON lines
 * on stdout. SIGTERM (or Ctrl-C) stops it: a running job is cancelled and removes what it
 * half-wrote (with `--finish`, it is let finish first). A systemd unit is in docs/.
 */
import type { Command } from 'commander';
import type { CliContext } from '../context';
import type { CommandModule } from './index';
import { aborted } from '../../core/util/abort';

/** The `daemon` command. */
export const daemonCommand: CommandModule = {
  register(program: Command, ctx: CliContext) {
    program
      .command('daemon')
      .description('run the scheduled jobs headless (JSON lines on stdout); SIGTERM stops it, cancelling a running job without leaving a partial backup')
      .option('--finish', 'on SIGTERM, let a running job finish instead of cancelling it')
      .action(async (o: { finish?: boolean }, cmd: Command) => {
        ctx.interruptIsStop = true;
        const desk = await ctx.desk(cmd);
        const s = desk.schedules.scheduler;
        const line = (level: string, event: string, fields: Record<string, unknown> = {}): void =>
          ctx.out(JSON.stringify({ at: new Date().toISOString(), level, event, ...fields }));
        s.on('run-start', (e) => line('info', 'run-start', { job: e.name, trigger: e.trigger }));
        s.on('run-end', (e) => line(e.outcome === 'failed' ? 'warn' : 'info', 'run-end', { job: e.name, trigger: e.trigger, outcome: e.outcome, ...(e.error ? { error: e.error } : {}) }));
        s.on('alert', (e) => line('error', 'alert', { job: e.name, message: e.message, failures: e.failures }));
        s.on('overdue', (e) => line('warn', 'overdue', { job: e.name, since: e.since }));
        s.on('next-run', (e) => line('debug', 'next-run', { job: e.name, nextRunAt: e.at }));
        const keepAlive = setInterval(() => undefined, 1 << 30);
        try {
          line('info', 'started', { pid: process.pid, home: desk.home });
          await s.start();
          const jobs = await s.status();
          line('info', 'jobs', { jobs: jobs.map((j) => ({ job: j.name, every: j.every, tz: j.tz, nextRunAt: j.nextRunAt, overdueSince: j.overdueSince })) });
          await aborted(ctx.interrupt.signal);
          line('info', 'stopping', { cancelRunning: !o.finish });
          await s.stop({ abort: !o.finish });
          line('info', 'stopped');
        } finally {
          clearInterval(keepAlive);
        }
      });
  },
};
