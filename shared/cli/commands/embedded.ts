/**
 * `embedded start|stop|status`: the private PostgreSQL under the home (the `--target embedded`
 * restore target). `start` leaves it running after the command ends, so the printed `psql` line
 * works; `stop` stops it whoever started it; `status` shows its socket, databases and size.
 */
import type { Command } from 'commander';
import type { EmbeddedPg } from '../../core/pg/embedded';
import type { CliContext } from '../context';
import { formatBytes, table } from '../format';
import { commandGroup, type CommandModule } from './index';

/** The `psql` line that reaches database `db` on the private server (valid for any OS user: the role is named). */
export function embeddedPsqlLine(socketDir: string, port: number, db: string): string {
  const q = (s: string): string => (/^[\w./:-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return `psql -h ${q(socketDir)} -p ${port} -U postgres ${q(db)}`;
}

async function printStatus(ctx: CliContext, emb: EmbeddedPg): Promise<void> {
  const o = await emb.overview();
  ctx.out(`folder:    ${o.root}${o.initialised ? '' : ' (not created yet: `backup-desk embedded start` creates it)'}`);
  ctx.out(`state:     ${o.running ? `running${o.version ? ` (PostgreSQL ${o.version})` : ''}` : 'stopped'}`);
  ctx.out(`socket:    ${o.socketPath}${o.running ? '' : ' (only while running)'}`);
  ctx.out(`size:      ${formatBytes(o.diskBytes)} on disk`);
  if (o.databases) {
    ctx.out(`databases: ${o.databases.length}`);
    if (o.databases.length) ctx.out(table(['  NAME', 'SIZE'], o.databases.map((d) => [`  ${d.name}`, formatBytes(d.bytes)])).trimEnd());
    ctx.out(`connect:   ${embeddedPsqlLine(emb.socketDir, 5432, 'postgres')}`);
  } else if (o.initialised) ctx.out('databases: (start it to list them)');
}

/** The `embedded` command group. */
export const embeddedCommand: CommandModule = {
  register(program: Command, ctx: CliContext) {
    const group = commandGroup(program, 'embedded', 'the private PostgreSQL under the home (restore target "embedded"): start, stop, status');
    group
      .command('start')
      .description('start the private PostgreSQL (creating it the first time) and leave it running; prints how to connect')
      .action(async (_o: unknown, cmd: Command) => {
        const desk = await ctx.desk(cmd);
        const info = await desk.embedded.start();
        desk.embedded.keepRunning();
        ctx.out(`the private PostgreSQL ${info.version} is running (socket ${info.socketPath}); stop it with \`backup-desk embedded stop\``);
        ctx.out(`connect: ${embeddedPsqlLine(info.socketDir, info.port, 'postgres')}`);
      });
    group
      .command('stop')
      .description('stop the private PostgreSQL (its databases stay; open sessions are ended)')
      .action(async (_o: unknown, cmd: Command) => {
        const desk = await ctx.desk(cmd);
        if (!(await desk.embedded.isRunning())) {
          ctx.out('the private PostgreSQL is not running');
          return;
        }
        await desk.embedded.stop({ force: true });
        ctx.out('stopped the private PostgreSQL');
      });
    group
      .command('status')
      .description('where the private PostgreSQL is, whether it runs, its socket, databases and size')
      .action(async (_o: unknown, cmd: Command) => printStatus(ctx, (await ctx.desk(cmd)).embedded));
  },
};
