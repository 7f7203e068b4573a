/** `serve`: the app's API and UI over loopback HTTP, for servers, remote use and tests. */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { isLoopback } from '../../serve/auth';
import { findUiDir, openInBrowser } from '../../serve/launch';
import { startServer } from '../../serve/server';
import { UsageError, type CliContext } from '../context';
import type { CommandModule } from './index';
import { aborted } from '../../core/util/abort';

/** The `serve` command. */
export const serveCommand: CommandModule = {
  register(program: Command, ctx: CliContext) {
    program
      .command('serve')
      .description('serve the app in a web browser: the same API and UI as the desktop app, on 127.0.0.1, guarded by a random token')
      .option('--port <n>', 'TCP port (0 picks a free one)', '8719')
      .option('--host <addr>', 'address to listen on (default 127.0.0.1; anything else exposes the app to the network)', '127.0.0.1')
      .option('--open', 'open the app in the system browser')
      .action(async (opts: { port: string; host: string; open?: boolean }, cmd: Command) => {
        const port = Number(opts.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a number from 0 to 65535, not "${opts.port}".`);
        const desk = await ctx.desk(cmd);
        // The first-run default storage and the UI's default download folder: make sure they exist.
        await mkdir(join(desk.home, 'backups'), { recursive: true });
        await mkdir(join(desk.home, 'downloads'), { recursive: true });
        const staticDir = findUiDir(ctx.io.env);
        if (!staticDir) ctx.err('warning: the UI is not built (run `npm run build`); serving the API only.');
        if (!isLoopback(opts.host)) {
          ctx.err(`warning: listening on ${opts.host}: anyone who can reach this address and has the token can restore and read backups. Prefer an SSH tunnel to 127.0.0.1.`);
        }
        const srv = await startServer({ api: desk, events: desk.jobs, home: desk.home, staticDir, host: opts.host, port });
        ctx.out(srv.url);
        ctx.err(`Odoo Backup Desk is being served at ${srv.origin}/ — open the URL above (it holds the access token). Press Ctrl-C to stop.`);
        if (opts.open) await openInBrowser(srv.url).catch((e: unknown) => ctx.err(`warning: could not open a browser: ${(e as Error).message}`));
        const signal = ctx.interrupt.signal;
        await aborted(signal);
        for (const j of desk.jobs.list()) if (j.state === 'running') desk.jobs.cancel(j.id);
        await srv.close();
      });
  },
};
