/**
 * `cleanup [--target URL|embedded|local-odoo|odoo:NAME] [--odoo-conf FILE] [--data-dir DIR] [--storage NAME…] [--older-than MIN] [--yes]`: lists
 * (and with --yes removes) the leftovers of interrupted runs — of restores, temporary
 * `bd_tmp_*`/`bd_old_*` databases and `.bd-tmp-*`/`.bd-old-*` filestore folders (on an Odoo
 * instance, the `bd_tmp_*` databases of `--replace` restores); of backups, the
 * temporary files (uncommitted uploads) a killed backup left on the storages, which `list` never
 * shows. Nothing else is ever touched. The two searches are independent: one failing (no
 * PostgreSQL reachable, a storage offline) is reported and the other still runs.
 */
import type { Command } from 'commander';
import { Desk, type Leftover } from '../../core/desk';
import { oldEnough } from '../../core/restore';
import { resolveTarget } from '../../core/desk/engine';
import { KINDS_WITH_TEMPORARIES, type StorageTemporary } from '../../core/desk/storage-temporaries';
import { toAppError } from '../../core/errors';
import { UsageError, type CliContext } from '../context';
import { formatBytes } from '../format';
import type { CommandModule } from './index';
import { ODOO_TARGET_NEEDS_NAME, odooTargetName, pgTargetSpec, urlHasPassword } from './restore';
import { PG_URL_PREFIX } from '../../contract/api';
import { countOf } from '../../contract/units';

interface CleanupOptions {
  target?: string;
  odooConf?: string;
  dataDir?: string;
  storage?: string[];
  olderThan: string;
  yes?: boolean;
}

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

function describe(l: Leftover): string {
  const age = l.ageMs !== undefined ? ` (${Math.round(l.ageMs / 60_000)} min old)` : '';
  return `${l.kind === 'database' ? 'database' : 'folder  '} ${l.name}${age}`;
}

function describeTemp(t: StorageTemporary): string {
  const size = t.temp.size !== undefined ? `${formatBytes(t.temp.size)}, ` : '';
  return `${t.storage}: ${t.temp.id} (unfinished upload of ${t.temp.forKey}; ${size}${Math.round(t.ageMs / 60_000)} min old)`;
}

function checkOptions(opts: CleanupOptions): number {
  if (opts.target !== undefined && urlHasPassword(opts.target)) {
    throw new UsageError(
      '--target must not contain a password: a command line is visible to other users of this machine (ps, shell history).',
      "Drop the password from the URL (postgres://USER@HOST:PORT/DB) and give it through libpq's environment instead: PGPASSWORD, PGPASSFILE, or ~/.pgpass.",
    );
  }
  if (odooTargetName(opts.target) === '') throw new UsageError(ODOO_TARGET_NEEDS_NAME);
  if (opts.target !== undefined && !NAMED_TARGETS.has(opts.target) && !PG_URL_PREFIX.test(opts.target) && odooTargetName(opts.target) === undefined) {
    throw new UsageError(`--target must be a postgres:// URL, "embedded", "local-odoo" or odoo:NAME (got "${opts.target}").`, 'For example postgres://odoo@localhost:5432/postgres, --target embedded for the private PostgreSQL, or --target odoo:prod for an Odoo instance.');
  }
  if (opts.dataDir !== undefined && odooTargetName(opts.target) !== undefined) {
    throw new UsageError('--data-dir goes with a PostgreSQL target: an Odoo instance keeps no filestore folders of this app.', 'Drop --data-dir.');
  }
  if (opts.odooConf !== undefined && opts.target !== undefined && opts.target !== 'local-odoo') {
    throw new UsageError('--odoo-conf goes with the Odoo on this machine as the target, not with --target URL|embedded.', 'Drop --target, or use --target local-odoo.');
  }
  const minutes = Number(opts.olderThan);
  if (!Number.isFinite(minutes) || minutes < 0) throw new UsageError(`--older-than must be a number of minutes (got "${opts.olderThan}").`, 'For example --older-than 30');
  return minutes;
}

/** The targets named rather than given as a URL, as `restore --target` takes them. */
const NAMED_TARGETS: ReadonlySet<string> = new Set(['embedded', 'local-odoo']);

/** The server and data dir `--target`/`--data-dir` name: a URL, the private PostgreSQL, or the Odoo on this machine (its odoo.conf). */
async function pgTarget(desk: Desk, opts: CleanupOptions): Promise<{ targetUrl?: string; dataDir?: string }> {
  const t = await resolveTarget(pgTargetSpec(opts), desk.embedded);
  return { ...(t.pgUrl ? { targetUrl: t.pgUrl } : {}), ...(t.dataDir ? { dataDir: t.dataDir } : {}) };
}

/** Temporary databases of interrupted `--replace` restores on an Odoo instance; Odoo tells no age, so all are listed. */
async function cleanOdoo(desk: Desk, ctx: CliContext, instance: string, yes: boolean | undefined): Promise<void> {
  const { url, names } = await desk.odoo.leftovers(instance, ctx.interrupt.signal);
  if (names.length === 0) return ctx.out(`no leftovers of interrupted restores on ${instance} (${url})`);
  if (!yes) {
    ctx.out(`would drop ${countOf(names.length, 'temporary database')} of interrupted restores on ${instance} (${url}); Odoo tells no age, so make sure no restore with --replace into ${instance} is running:`);
    for (const n of names) ctx.out(`  database ${n}`);
    ctx.out('run again with --yes to drop them');
    return;
  }
  const r = await desk.odoo.dropLeftovers(instance, names, ctx.interrupt.signal);
  for (const n of r.removed) ctx.out(`dropped database ${n} on ${instance}`);
  for (const f of r.failed) ctx.err(`could not drop database ${f.name} on ${instance}: ${f.error}`);
  if (r.failed.length > 0) ctx.exitCode = 1;
}

/** Leftovers of interrupted restores: temporary databases and filestore folders. */
async function cleanRestores(desk: Desk, ctx: CliContext, opts: CleanupOptions, minutes: number): Promise<void> {
  const instance = odooTargetName(opts.target);
  if (instance !== undefined) return cleanOdoo(desk, ctx, instance, opts.yes);
  const where = await pgTarget(desk, opts);
  const { leftovers: all } = await desk.findLeftovers({ ...where, minAgeMs: 0 });
  const found = all.filter((l) => oldEnough(l, minutes * 60_000));
  const young = all.length - found.length;
  if (young > 0) {
    ctx.err(`${countOf(young, 'leftover')} younger than ${minutes} min not shown: ${young === 1 ? 'it' : 'they'} may belong to a restore still running (--older-than 0 includes ${young === 1 ? 'it' : 'them'}).`);
  }
  if (found.length === 0) {
    ctx.out(young > 0 ? 'no leftovers of interrupted restores old enough to remove' : 'no leftovers of interrupted restores');
    return;
  }
  if (!opts.yes) {
    ctx.out(`would remove ${countOf(found.length, 'leftover')} of interrupted restores:`);
    for (const l of found) ctx.out(`  ${describe(l)}`);
    ctx.out('run again with --yes to remove them');
    return;
  }
  const r = await desk.removeLeftovers(where.targetUrl, found);
  for (const l of r.removed) ctx.out(`removed ${describe(l)}`);
  for (const f of r.failed) ctx.err(`could not remove ${describe(f.leftover)}: ${f.error}`);
  if (r.failed.length > 0) ctx.exitCode = 1;
}

/** Temporary files that killed backups left on the storages. */
async function cleanStorages(desk: Desk, ctx: CliContext, opts: CleanupOptions, minutes: number): Promise<void> {
  const entries = opts.storage ? await Promise.all(opts.storage.map((n) => desk.storageEntry(n))) : await desk.storageEntries();
  const names = entries.filter((e) => KINDS_WITH_TEMPORARIES.has(e.kind)).map((e) => e.name);
  for (const e of entries) if (opts.storage && !KINDS_WITH_TEMPORARIES.has(e.kind)) ctx.err(`storage "${e.name}" is not searched: the app cannot find unfinished uploads on a ${e.kind} storage`);
  if (names.length === 0) return;
  const { found, young, failed } = await desk.storages.findTemporaries(minutes * 60_000, names, { signal: ctx.interrupt.signal });
  for (const f of failed) ctx.err(`could not search storage "${f.storage}" for temporary files: ${f.error.message}`);
  if (failed.length > 0) ctx.exitCode = 1;
  if (young.length > 0) {
    const where = [...new Set(young.map((t) => t.storage))].join(', ');
    const it = young.length === 1 ? 'it' : 'they';
    ctx.err(`${countOf(young.length, 'temporary file')} younger than ${minutes} min left alone on ${where}: ${it} may belong to a backup still running (--older-than 0 includes ${it === 'it' ? 'it' : 'them'}).`);
  }
  if (found.length === 0) {
    ctx.out(`no temporary files of interrupted backups${young.length > 0 ? ' old enough to remove' : ''} on ${names.join(', ')}`);
    return;
  }
  if (!opts.yes) {
    ctx.out(`would remove ${countOf(found.length, 'temporary file')} of interrupted backups:`);
    for (const t of found) ctx.out(`  ${describeTemp(t)}`);
    ctx.out('run again with --yes to remove them');
    return;
  }
  const r = await desk.storages.removeTemporaries(found, ctx.interrupt.signal);
  for (const t of r.removed) ctx.out(`removed ${describeTemp(t)}`);
  for (const f of r.failed) ctx.err(`could not remove ${describeTemp(f.temp)}: ${f.error.message}`);
  if (r.failed.length > 0) ctx.exitCode = 1;
}

/** Runs one of the two searches; a failure is reported and does not stop the other. */
async function part(ctx: CliContext, what: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    const e = toAppError(err);
    if (e.kind === 'Cancelled' || ctx.interrupt.signal.aborted) throw e; // Ctrl-C: the command stops (exit 130)
    ctx.err(`could not look for ${what}: ${e.message}${e.hint ? `\n  ${e.hint}` : ''}`);
    ctx.exitCode = 1;
  }
}

/** The `cleanup` command. */
export const cleanupCommand: CommandModule = {
  register(program: Command, ctx: CliContext) {
    program
      .command('cleanup')
      .description(
        'list leftovers of interrupted runs: of restores (temporary databases bd_tmp_*/bd_old_*, filestore folders .bd-tmp-*/.bd-old-*) and of backups (temporary files of unfinished uploads on the storages); --yes removes them',
      )
      .option('--target <target>', 'PostgreSQL server: a postgres:// URL, "embedded" (the private PostgreSQL) or "local-odoo" (the Odoo on this machine) (default: libpq environment, PGHOST etc.); or odoo:NAME, an Odoo instance, for the temporary databases bd_tmp_* of interrupted --replace restores')
      .option('--odoo-conf <file>', 'the odoo.conf of the Odoo on this machine (implies --target local-odoo; default: /etc/odoo/odoo.conf, /etc/odoo*.conf, ~/.odoorc, ~/.openerp_serverrc)')
      .option('--data-dir <dir>', "Odoo data dir whose filestore/ to look in (default: the target's: Odoo's default for this OS, the local Odoo's data_dir, or the private PostgreSQL's)")
      .option('--storage <name>', 'a storage to search for temporary files of interrupted backups (repeatable; default: every storage); alone, without --target or --data-dir, only storages are searched', collect)
      .option('--older-than <minutes>', 'only leftovers at least this old (younger ones may belong to a restore or backup still running)', String(Desk.leftoverMinAgeMs / 60_000))
      .option('--yes', 'remove them (without it, only list what would be removed)')
      .action(async (opts: CleanupOptions, cmd: Command) => {
        const minutes = checkOptions(opts);
        const desk = await ctx.desk(cmd);
        for (const n of opts.storage ?? []) await desk.storageEntry(n); // a misspelt name fails before anything is searched
        // --storage alone asks about storages only; --target or --data-dir (or neither flag) about restores too.
        const storagesOnly = opts.storage !== undefined && opts.target === undefined && opts.odooConf === undefined && opts.dataDir === undefined;
        if (!storagesOnly) await part(ctx, 'leftovers of interrupted restores', () => cleanRestores(desk, ctx, opts, minutes));
        await part(ctx, 'temporary files of interrupted backups', () => cleanStorages(desk, ctx, opts, minutes));
      });
  },
};
