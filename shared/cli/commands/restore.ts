/** `restore REF|FILE --db NAME …`: restore a backup into PostgreSQL + the Odoo filestore. */
import { Option, type Command } from 'commander';
import { resolve } from 'node:path';
import { DBNAME_PATTERN, PG_URL_PREFIX, type RestoreTargetSpec } from '../../contract/api';
import { UsageError, type CliContext } from '../context';
import type { CommandModule } from './index';
import { addPassphraseOptions, backupPassphrase, privateKeyFrom, type PrivateKeyFlags } from './passphrase';
import { embeddedPsqlLine } from './embedded';
import { formatBytes } from '../../contract/units';

/** True when a connection URL carries a password (`scheme://user:password@host…`). */
export function urlHasPassword(url: string): boolean {
  try {
    return new URL(url).password !== '';
  } catch {
    // Not parseable: look for `user:something@` in the authority.
    return /^[a-z][a-z0-9+.-]*:\/\/[^/@?#]*:[^/@?#]+@/i.test(url);
  }
}

/** The `restore` command. */
export const restoreCommand: CommandModule = {
  register(program: Command, ctx: CliContext) {
    addPassphraseOptions(
      program
        .command('restore')
        .description('restore a backup into PostgreSQL (and its filestore into the Odoo data dir), safely: nothing is replaced until the restore is complete')
        .argument('<ref|file>', 'a ref NAME:KEY from `list`, or a backup file or folder on this machine')
        .requiredOption('--db <name>', 'name of the database to create')
        .option(
          '--target <url|embedded|local-odoo|odoo:NAME>',
          'PostgreSQL server as a postgres:// URL (default: libpq environment, PGHOST etc.); the word "embedded": ' +
            'the private PostgreSQL Backup Desk runs under its home (Unix socket only, started on demand; filestore under the home unless --data-dir); ' +
            '"local-odoo": the Odoo on this machine, from its odoo.conf (its PostgreSQL, role, password and data dir); ' +
            'or odoo:NAME: a running Odoo added with `odoo add`, through its database manager (a streamed upload)',
        )
        .option('--odoo-conf <file>', 'the odoo.conf of the Odoo on this machine (implies --target local-odoo; default: /etc/odoo/odoo.conf, /etc/odoo*.conf, ~/.odoorc, ~/.openerp_serverrc)')
        .option('--owner <role>', "the role that owns the database and all its objects (default: the local Odoo's db_user when one is found, else the connecting role)")
        .option('--data-dir <dir>', "Odoo data dir; the filestore goes to DATA_DIR/filestore/NAME (default: Odoo's default for this OS)")
        .addOption(new Option('--copy', 'the restored database is a copy: new uuid, secret and create date (default)').conflicts('move'))
        .addOption(new Option('--move', 'the restored database replaces the original: keep its uuid and secret').conflicts('copy'))
        .option('--neutralize', 'disable outgoing mail servers and scheduled actions (and odoo_backup_sh schedules) in the copy')
        .option('--replace', 'replace an existing database (and filestore) of that name, only once the new one is complete')
        .option('--no-filestore', 'restore the database only')
        .addOption(
          new Option(
            '--attachments <mode>',
            'attachments the backup does not hold because they live in S3/Swift: bring-home (download them into the filestore, SHA-1 checked: a self-contained copy), keep-remote (the copy reads production\'s storage, read-only: location set to file, neutralized), skip (they read as empty). Default: brought home from the backup when it holds them all, else the restore stops and asks',
          ).choices(['bring-home', 'keep-remote', 'skip']),
        )
        .option('--attachments-storage <name>', 'with --attachments bring-home: the configured storage whose credentials read those buckets/containers (default: the storage whose bucket/container matches)'),
    ).action(
      async (
        source: string,
        opts: { db: string; target?: string; odooConf?: string; owner?: string; dataDir?: string; copy?: boolean; move?: boolean; neutralize?: boolean; replace?: boolean; filestore: boolean; passphraseFile?: string; passphraseEnv?: string; rememberPassphrase?: boolean; attachments?: 'bring-home' | 'keep-remote' | 'skip'; attachmentsStorage?: string } & PrivateKeyFlags,
        cmd: Command,
      ) => {
        if (!DBNAME_PATTERN.test(opts.db) || Buffer.byteLength(opts.db) > 63) {
          throw new UsageError(`"${opts.db}" is not a valid Odoo database name.`, 'Use letters, digits, "_", "." or "-", starting with a letter or digit (2 to 63 characters).');
        }
        const embedded = opts.target === 'embedded';
        const localOdoo = opts.target === 'local-odoo' || (opts.odooConf !== undefined && opts.target === undefined);
        if (opts.odooConf !== undefined && !localOdoo) throw new UsageError('--odoo-conf goes with the Odoo on this machine as the target, not with --target URL|embedded|odoo:NAME.', 'Drop --target, or use --target local-odoo.');
        const odoo = odooTargetName(opts.target);
        if (odoo !== undefined && (odoo === '' || opts.dataDir !== undefined || opts.filestore === false || opts.owner !== undefined)) {
          throw new UsageError(odoo === '' ? ODOO_TARGET_NEEDS_NAME : 'An Odoo server keeps its database and filestore itself: --data-dir, --no-filestore and --owner do not apply to --target odoo:NAME.');
        }
        if (opts.target !== undefined && !embedded && !localOdoo && odoo === undefined && urlHasPassword(opts.target)) {
          // It is already in this process's argv; refuse, so it is not also logged, stored or passed on.
          throw new UsageError(
            '--target must not contain a password: a command line is visible to other users of this machine (ps, shell history).',
            'Drop the password from the URL (postgres://USER@HOST:PORT/DB) and give it through libpq\'s environment instead: PGPASSWORD, PGPASSFILE, or ~/.pgpass.',
          );
        }
        if (opts.target !== undefined && !embedded && !localOdoo && odoo === undefined && !PG_URL_PREFIX.test(opts.target)) {
          throw new UsageError(`--target must be a postgres:// URL, "embedded", "local-odoo" or odoo:NAME (got "${opts.target}").`, 'For example postgres://odoo@localhost:5432/postgres, or --target embedded for the private PostgreSQL.');
        }
        const desk = await ctx.desk(cmd);
        const privateKey = await privateKeyFrom(ctx, opts);
        const passphrase = await backupPassphrase(ctx, desk, source, opts);
        const job = desk.startRestore({
          source,
          db: opts.db,
          target: odoo !== undefined ? { type: 'odoo', instance: odoo } : pgTargetSpec(opts),
          ...(opts.owner ? { owner: opts.owner } : {}),
          mode: opts.move ? 'move' : 'copy',
          neutralize: opts.neutralize === true,
          replace: opts.replace === true,
          filestore: opts.filestore !== false,
          ...(passphrase !== undefined ? { passphrase } : {}),
          ...(privateKey ? { privateKey } : {}),
          ...(opts.rememberPassphrase ? { rememberPassphrase: true } : {}),
          ...(opts.attachments ? { attachments: opts.attachments } : {}),
          ...(opts.attachmentsStorage ? { attachmentsStorage: opts.attachmentsStorage } : {}),
        });
        const result = await ctx.runJob(desk, job);
        // The printed psql line must work: the private server stays up until `backup-desk embedded stop`.
        if (embedded) desk.embedded.keepRunning();
        const warnings = (result as { warnings?: unknown } | undefined)?.warnings;
        if (Array.isArray(warnings)) for (const w of warnings) ctx.warn(String(w));
        const flags = result as { ownerFallback?: boolean; leftoversFound?: boolean } | undefined;
        if (flags?.ownerFallback) ctx.err(`hint: restore again with --owner ROLE, the role Odoo connects as (db_user in its odoo.conf).`);
        if (flags?.leftoversFound) ctx.err(`hint: \`backup-desk cleanup${cleanupFlags(opts)}\` lists the leftovers; with --yes it removes them.`);
        ctx.out(describeResult(opts.db, result));
      },
    );
  },
};

/** Where an embedded restore went (`withTargetInfo` in the Desk engine). */
interface EmbeddedInfo {
  readonly type?: string;
  readonly socketPath?: string;
  readonly socketDir?: string;
  readonly port?: number;
  readonly version?: string;
}

/** What a restore into a running Odoo reports (remote-restore.ts's result). */
interface RemoteResult {
  readonly target?: unknown;
  readonly instance?: string;
  readonly url?: string;
  readonly serverVersion?: string;
  readonly bytesSent?: number;
  readonly uploadSeconds?: number;
  readonly serverSeconds?: number;
  readonly sent?: string;
  readonly replaced?: boolean;
  readonly mode?: string;
  readonly neutralized?: boolean;
  readonly odooUrl?: string;
}

/** A restore into a running Odoo: where, as what (copy or moved, neutralized), how long, and where to open it. */
function describeRemote(db: string, r: RemoteResult): string {
  const as = `${r.mode === 'move' ? 'moved (its uuid and secret kept)' : 'a copy (new uuid and secret)'}${r.neutralized ? ', neutralized' : ''}`;
  const line = `restored database ${db} on ${r.instance} (Odoo ${r.serverVersion}, ${r.url}) as ${as}${r.replaced ? ', replacing the old one' : ''}: ${formatBytes(r.bytesSent ?? 0)} uploaded${r.sent === 'packed-zip' ? ' as an Odoo zip packed on the way' : ''} and loaded by Odoo in ${((r.uploadSeconds ?? 0) + (r.serverSeconds ?? 0)).toFixed(1)} s (all sent after ${(r.uploadSeconds ?? 0).toFixed(1)} s)`;
  return r.odooUrl ? `${line}\nopen: ${r.odooUrl}` : line;
}

function describeResult(db: string, result: unknown): string {
  const remote = result as RemoteResult | undefined;
  if (remote?.target === 'odoo') return describeRemote(db, remote);
  if (result && typeof result === 'object') {
    const r = result as { db?: string; filestorePath?: string; filestoreFiles?: number; seconds?: number; durationMs?: number; target?: EmbeddedInfo; owner?: string; filestoreOwner?: string; odooUrl?: string; psql?: string };
    const t = r.target?.type === 'embedded' ? r.target : undefined;
    const parts = [`restored database ${r.db ?? db}${t ? ` into the embedded PostgreSQL${t.version ? ` ${t.version}` : ''} (socket ${t.socketPath ?? t.socketDir ?? '?'})` : ''}`];
    if (r.filestorePath) parts.push(`filestore ${r.filestorePath}${r.filestoreFiles !== undefined ? ` (${r.filestoreFiles} files)` : ''}`);
    const secs = r.seconds ?? (r.durationMs !== undefined ? r.durationMs / 1000 : undefined);
    if (secs !== undefined) parts.push(`in ${secs.toFixed(1)} s`);
    const att = (result as { attachments?: { mode: string; remoteObjects: number; downloaded: number; fromBackup: number; problems: unknown[] } }).attachments;
    if (att && (att.remoteObjects > 0 || att.mode !== 'skip')) parts.push(`attachments in S3/Swift: ${att.mode} (${att.remoteObjects} objects${att.mode === 'bring-home' ? `: ${att.downloaded} downloaded, ${att.fromBackup} from the backup, ${att.problems.length} not brought home` : ''})`);
    // Where it went, and how to reach it (the private server is left running for that line to work).
    if (t?.socketDir !== undefined) {
      return `${parts.join(', ')}\nconnect: ${embeddedPsqlLine(t.socketDir, t.port ?? 5432, r.db ?? db)}\nthe private PostgreSQL keeps running; stop it with \`backup-desk embedded stop\``;
    }
    const lines = [parts.join(', ')];
    if (r.owner) lines.push(`owner: ${r.owner} (the database and all its objects)${r.filestoreOwner ? `; filestore owned by ${r.filestoreOwner}` : ''}`);
    if (r.odooUrl) lines.push(`open: ${r.odooUrl}`);
    if (r.psql) lines.push(`connect: ${r.psql}`);
    return lines.join('\n');
  }
  return `restored database ${db}`;
}

/** The `cleanup` flags that search where this restore went (the same --target, --odoo-conf and --data-dir). */
function cleanupFlags(opts: { target?: string; odooConf?: string; dataDir?: string }): string {
  const flags = [...(opts.target !== undefined ? ['--target', opts.target] : []), ...(opts.odooConf !== undefined ? ['--odoo-conf', opts.odooConf] : []), ...(opts.dataDir !== undefined ? ['--data-dir', opts.dataDir] : [])];
  return flags.map((f) => ` ${f}`).join('');
}

/** The instance a `--target odoo:NAME` names ('' when the name is missing), else undefined. */
export function odooTargetName(target: string | undefined): string | undefined {
  return target?.startsWith('odoo:') ? target.slice('odoo:'.length) : undefined;
}

/** The refusal of `--target odoo:` without an instance name. */
export const ODOO_TARGET_NEEDS_NAME = '--target odoo:NAME needs the instance name (see `backup-desk odoo list`).';

/**
 * The PostgreSQL target that `--target`, `--odoo-conf` and `--data-dir` name (not odoo:NAME): the
 * private PostgreSQL, the Odoo on this machine (its odoo.conf), or a server (a URL, else libpq's
 * environment); paths made absolute.
 */
export function pgTargetSpec(o: { target?: string; odooConf?: string; dataDir?: string }): RestoreTargetSpec {
  const dataDir = o.dataDir ? { dataDir: resolve(o.dataDir) } : {};
  if (o.target === 'embedded') return { type: 'embedded', ...dataDir };
  if (o.target === 'local-odoo' || (o.odooConf !== undefined && o.target === undefined)) return { type: 'local-odoo', ...(o.odooConf ? { conf: resolve(o.odooConf) } : {}), ...dataDir };
  return { type: 'postgres', ...(o.target ? { url: o.target } : {}), ...dataDir };
}
