/**
 * `attachments …`: move a database's attachments between its filestore and object storage, as
 * resumable jobs (`migrate`, `migrations`, `resume`, `rollback`).
 */
import { Option, type Command } from 'commander';
import { resolve } from 'node:path';
import { DBNAME_PATTERN, PG_URL_PREFIX, type RestoreTargetSpec } from '../../contract/api';
import { UsageError, type CliContext } from '../context';
import { table } from '../format';
import type { CommandModule } from './index';
import { commandGroup } from './index';
import { urlHasPassword } from './restore';

interface MigrateOpts {
  db: string;
  to: 'filestore' | 's3' | 'swift';
  storage?: string;
  bucket?: string;
  container?: string;
  target?: string;
  dataDir?: string;
}

function targetOf(opts: { target?: string; dataDir?: string }): RestoreTargetSpec {
  const t = opts.target;
  if (t !== undefined && t !== 'embedded' && (!PG_URL_PREFIX.test(t) || urlHasPassword(t))) {
    throw new UsageError('--target must be a postgres:// URL without a password, or "embedded".', 'Give the password through PGPASSWORD or ~/.pgpass.');
  }
  const dataDir = opts.dataDir ? { dataDir: resolve(opts.dataDir) } : {};
  return t === 'embedded' ? { type: 'embedded', ...dataDir } : { type: 'postgres', ...(t ? { url: t } : {}), ...dataDir };
}

/** An object a job could not handle. */
interface ObjectProblem {
  storeFname: string;
  reason: string;
  message: string;
}

/** Prints a job's warnings and the objects it could not handle, on stderr. */
function printIssues(ctx: CliContext, r: { warnings?: string[]; problems?: ObjectProblem[] }): void {
  for (const w of r.warnings ?? []) ctx.warn(w);
  for (const p of r.problems ?? []) ctx.err(`${p.reason}: ${p.storeFname}: ${p.message}`);
}

function printResult(ctx: CliContext, r: unknown): void {
  const x = r as { id?: string; status?: string; objects?: number; rewrittenRows?: number; problems?: ObjectProblem[]; warnings?: string[] };
  printIssues(ctx, x);
  ctx.out(`migration ${x.id ?? '?'} ${x.status ?? ''}: ${x.objects ?? 0} objects, ${x.rewrittenRows ?? 0} attachment rows rewritten${x.problems?.length ? `, ${x.problems.length} not moved` : ''}`);
}

interface DuplicateOpts {
  db: string;
  as: string;
  storage?: string;
  fromStore?: string;
  toStore?: string;
  target?: string;
  dataDir?: string;
}

function registerDuplicate(group: Command, ctx: CliContext): void {
  group
    .command('duplicate')
    .description("copy a database together with its own bucket/container (Catalyst's <prefix>-<db> container, or one named after the database): every object copied and SHA-1 checked, the copy's rows pointed at its own; resumable, and rolled back with `attachments rollback ID`")
    .requiredOption('--db <name>', 'the database to copy (nobody may be connected to it: stop Odoo first)')
    .requiredOption('--as <name>', "the copy's name")
    .option('--storage <name>', 'the configured storage whose credentials reach both buckets/containers (default: the one whose bucket/container is the original\'s)')
    .option('--from-store <name>', "the original's bucket/container (default: the one named after the database)")
    .option('--to-store <name>', "the copy's bucket/container (default: the original's with the database name replaced; created when missing)")
    .option('--target <url|embedded>', 'the PostgreSQL server (postgres:// URL without a password, or "embedded"); default: libpq environment')
    .option('--data-dir <dir>', "Odoo data dir holding filestore/DB (default: Odoo's default for this OS)")
    .action(async (opts: DuplicateOpts, cmd: Command) => {
      for (const n of [opts.db, opts.as]) if (!DBNAME_PATTERN.test(n)) throw new UsageError(`"${n}" is not a valid Odoo database name.`);
      const desk = await ctx.desk(cmd);
      const job = await desk.attachments.startDuplicate({
        db: opts.db,
        newDb: opts.as,
        target: targetOf(opts),
        ...(opts.storage ? { storage: opts.storage } : {}),
        ...(opts.fromStore ? { fromStore: opts.fromStore } : {}),
        ...(opts.toStore ? { toStore: opts.toStore } : {}),
      });
      ctx.err(`duplicate ${job.id} (resume it with \`backup-desk attachments resume ${job.id}\`, or undo it with \`backup-desk attachments rollback ${job.id}\`, if it is interrupted)`);
      const r = (await ctx.runJob(desk, job)) as { id: string; status: string; objects: number; problems: ObjectProblem[]; warnings: string[] };
      printIssues(ctx, r);
      ctx.out(`duplicate ${r.id} ${r.status}: ${opts.as} is a copy of ${opts.db}; ${r.objects} objects copied${r.problems.length ? `, ${r.problems.length} not copied` : ''}`);
    });
}

interface DropOpts {
  db: string;
  confirm?: string;
  storage?: string;
  store?: string;
  target?: string;
  dataDir?: string;
}

function registerDrop(group: Command, ctx: CliContext): void {
  group
    .command('drop')
    .description("drop a database, then the objects it referenced in its own bucket/container (Catalyst's <prefix>-<db> container, or one named after the database) and the bucket/container once empty; refused while another database on the server references it")
    .requiredOption('--db <name>', 'the database to drop (nobody may be connected to it: stop Odoo first)')
    .option('--confirm <name>', 'the database name typed again: nothing happens unless it matches')
    .option('--storage <name>', "the configured storage whose credentials reach the bucket/container (default: the one whose bucket/container it is)")
    .option('--store <name>', 'the bucket/container (default: the one named after the database)')
    .option('--target <url|embedded>', 'the PostgreSQL server (postgres:// URL without a password, or "embedded"); default: libpq environment')
    .option('--data-dir <dir>', "Odoo data dir holding filestore/DB (its folder is removed too)")
    .action(async (opts: DropOpts, cmd: Command) => {
      if (opts.confirm !== opts.db) {
        throw new UsageError(opts.confirm === undefined ? `Dropping "${opts.db}" with its bucket/container cannot be undone: confirm with --confirm ${opts.db}.` : `--confirm "${opts.confirm}" is not the database's name, "${opts.db}": nothing was dropped.`, `backup-desk attachments drop --db ${opts.db} --confirm ${opts.db}`);
      }
      const desk = await ctx.desk(cmd);
      const job = await desk.attachments.startDrop({ db: opts.db, confirm: opts.confirm, target: targetOf(opts), ...(opts.storage ? { storage: opts.storage } : {}), ...(opts.store ? { store: opts.store } : {}) });
      ctx.err(`drop ${job.id} (finish it with \`backup-desk attachments resume ${job.id}\` if it is interrupted)`);
      const r = (await ctx.runJob(desk, job)) as { id: string; status: string; objects: number; warnings: string[] };
      printIssues(ctx, r);
      ctx.out(`drop ${r.id} ${r.status}: ${opts.db} dropped; ${r.objects} objects removed`);
    });
}

/** The `attachments` command group. */
export const attachmentsCommand: CommandModule = {
  register(program: Command, ctx: CliContext) {
    const group = commandGroup(program, 'attachments', 'move attachments between the filestore and S3/Swift, duplicate or drop a database with its bucket/container (resumable, verified)');
    registerDuplicate(group, ctx);
    registerDrop(group, ctx);
    group
      .command('migrate')
      .description('move a database\'s attachments: --to s3|swift moves its filestore into a bucket/container (store_fname s3://…/<sha1>); --to filestore brings every object home')
      .requiredOption('--db <name>', 'the database')
      .addOption(new Option('--to <where>', 'filestore, s3 or swift').choices(['filestore', 's3', 'swift']).makeOptionMandatory())
      .option('--storage <name>', 'the configured storage whose credentials to use (required for s3/swift; for filestore, one to read every bucket/container with)')
      .option('--bucket <name>', 'with --to s3: the bucket (default: the storage\'s)')
      .option('--container <name>', 'with --to swift: the container (default: the storage\'s)')
      .option('--target <url|embedded>', 'the PostgreSQL server (postgres:// URL without a password, or "embedded"); default: libpq environment')
      .option('--data-dir <dir>', "Odoo data dir holding filestore/DB (default: Odoo's default for this OS)")
      .action(async (opts: MigrateOpts, cmd: Command) => {
        if (!DBNAME_PATTERN.test(opts.db)) throw new UsageError(`"${opts.db}" is not a valid Odoo database name.`);
        const desk = await ctx.desk(cmd);
        const store = opts.bucket ?? opts.container;
        const job = await desk.attachments.startMigration({ db: opts.db, target: targetOf(opts), to: opts.to, ...(opts.storage ? { storage: opts.storage } : {}), ...(store ? { store } : {}) });
        ctx.err(`migration ${job.id} (resume it with \`backup-desk attachments resume ${job.id}\` if it is interrupted)`);
        printResult(ctx, await ctx.runJob(desk, job));
      });
    group
      .command('migrations')
      .description('list the migrations of this home')
      .option('--json', 'print JSON')
      .action(async (opts: { json?: boolean }, cmd: Command) => {
        const desk = await ctx.desk(cmd);
        const all = await desk['attachments:migrations']({});
        if (opts.json) return ctx.out(JSON.stringify(all, null, 2));
        ctx.out(table(['id', 'status', 'db', 'direction', 'store', 'updated'], all.map((m) => [m.id, m.status, m.copy ? `${m.db} → ${m.copy}` : m.db, m.direction, m.store ?? '', m.updatedAt])).trimEnd());
      });
    for (const [name, what] of [['resume', 'resume an interrupted or failed migration, duplicate or drop'], ['rollback', 'roll a migration back: rows pointed back where the originals still are, copies it created removed (an unfinished duplicate: its copy dropped; a drop: called off while its database is still there)']] as const) {
      group
        .command(name)
        .description(what)
        .argument('<id>', 'the migration id (see `attachments migrations`)')
        .action(async (id: string, _opts: unknown, cmd: Command) => {
          const desk = await ctx.desk(cmd);
          const job = name === 'resume' ? await desk.attachments.resumeMigration(id) : await desk.attachments.rollbackMigration(id);
          printResult(ctx, await ctx.runJob(desk, job));
        });
    }
  },
};
