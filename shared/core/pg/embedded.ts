/**
 * The embedded restore target: a private PostgreSQL cluster owned by the app, made with the
 * newest PostgreSQL server binaries on this machine (initdb, pg_ctl, postgres), listening on a
 * Unix socket only (no TCP: `listen_addresses = ''`, socket directory mode 0700), started on
 * demand and stopped when the Desk closes.
 *
 * Layout: `<home>/embedded-pg/{data,run,server.log}` (all 0700), always under the home (never a
 * temp folder that a reboot clears while the filestore stays). PostgreSQL refuses to run as root,
 * so when we run as root (CI, servers) its programs run in a user namespace (`unshare --user`)
 * where root's uid is mapped to the `postgres` user's: the server sees itself as an ordinary user
 * while its files stay root's, under root's own private home. The Odoo data dir (filestore) of the
 * target is `<home>/embedded-pg/odoo-data`.
 */
import { execFile } from 'node:child_process';
import { appendFile, chmod, lstat, mkdir, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AppError } from '../errors';
import { nullLogger, type Logger } from '../util/logger';
import { connect, serverVersion } from './connection';
import { candidateBinDirs, parseToolVersion } from './tools';
import { isExecutable, pathExists } from '../util/fs';

const run = promisify(execFile);

/** The port the private server's socket file is named after (`.s.PGSQL.<port>`); no TCP port is opened. */
export const EMBEDDED_PORT = 5432;

/** A directory with a complete set of PostgreSQL server binaries. */
export interface PgServerBinaries {
  readonly binDir: string;
  readonly initdb: string;
  readonly pgCtl: string;
  readonly postgres: string;
  readonly major: number;
  readonly version: string;
}

/** Where the running embedded server is. */
export interface EmbeddedPgInfo {
  /** `postgres://postgres@localhost/postgres?host=<socketDir>&port=5432` (the `host` parameter wins). */
  readonly pgUrl: string;
  readonly socketDir: string;
  /** The socket file itself, e.g. `/…/run/.s.PGSQL.5432`. */
  readonly socketPath: string;
  readonly port: number;
  readonly dataDir: string;
  /** Full server version, e.g. `15.18`. */
  readonly version: string;
  readonly binDir: string;
}

/** What `backup-desk embedded status` shows: where it is, whether it runs, its databases and size on disk. */
export interface EmbeddedPgOverview {
  readonly root: string;
  readonly socketPath: string;
  readonly initialised: boolean;
  readonly running: boolean;
  /** Set while running: the server's version. */
  readonly version?: string;
  /** Set while running: each database (not the templates) and its size in bytes. */
  readonly databases?: readonly { readonly name: string; readonly bytes: number }[];
  /** Bytes on disk under `root` (cluster, log and the filestores of restores into it). */
  readonly diskBytes: number;
}

/** Total size in bytes of the files under `dir` (0 when it does not exist). */
export async function folderBytes(dir: string): Promise<number> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  let total = 0;
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += await folderBytes(p);
    else if (e.isFile()) total += (await lstat(p).catch(() => undefined))?.size ?? 0;
  }
  return total;
}

/** What `targets:detect` shows about the embedded target. */
export interface EmbeddedPgStatus {
  readonly available: boolean;
  readonly running: boolean;
  readonly detail: string;
}

const exe = (name: string): string => (process.platform === 'win32' ? `${name}.exe` : name);


/** Every directory on this machine holding initdb, pg_ctl and postgres, newest major first. */
export async function listServerBinaries(): Promise<PgServerBinaries[]> {
  const dirs = [...(await candidateBinDirs()), '/usr/local/pgsql/bin'];
  const found = new Map<string, PgServerBinaries>();
  for (const dir of dirs) {
    if (found.has(dir)) continue;
    const [initdb, pgCtl, postgres] = ['initdb', 'pg_ctl', 'postgres'].map((n) => join(dir, exe(n))) as [string, string, string];
    if (!(await isExecutable(initdb)) || !(await isExecutable(pgCtl)) || !(await isExecutable(postgres))) continue;
    try {
      const { stdout } = await run(postgres, ['--version'], { timeout: 10_000 });
      const v = parseToolVersion(stdout);
      if (v) found.set(dir, { binDir: dir, initdb, pgCtl, postgres, ...v });
    } catch {
      /* not runnable */
    }
  }
  return [...found.values()].sort((a, b) => b.major - a.major);
}

/** The newest server binaries, or undefined. */
export async function findServerBinaries(): Promise<PgServerBinaries | undefined> {
  return (await listServerBinaries())[0];
}

/** `MissingTool` naming the package that provides PostgreSQL server binaries on this OS. */
export function missingServerError(): AppError {
  const hint =
    process.platform === 'darwin'
      ? 'Install PostgreSQL: "brew install postgresql@16" (or Postgres.app), or set PG_BIN_DIR to its bin folder.'
      : process.platform === 'win32'
        ? 'Install PostgreSQL with the EDB installer (https://www.postgresql.org/download/windows/), or set PG_BIN_DIR.'
        : 'Install the PostgreSQL server: "sudo apt-get install postgresql" (Debian/Ubuntu), "sudo dnf install postgresql-server" (Fedora/RHEL), or set PG_BIN_DIR to its bin folder.';
  return new AppError('MissingTool', 'The private PostgreSQL needs the PostgreSQL server programs (initdb, pg_ctl, postgres), which were not found.', { hint });
}

const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

/** The ids root's uid is mapped to in the server's user namespace: the `postgres` user's, else `nobody`'s (initdb needs a named user). */
async function namespaceIds(): Promise<{ uid: number; gid: number }> {
  for (const user of ['postgres', 'nobody']) {
    try {
      const uid = Number((await run('id', ['-u', user])).stdout.trim());
      const gid = Number((await run('id', ['-g', user])).stdout.trim());
      if (Number.isInteger(uid) && Number.isInteger(gid) && uid > 0) return { uid, gid };
    } catch {
      /* no such user: try the next */
    }
  }
  throw new AppError('Unsupported', 'Running as root, the private PostgreSQL needs a "postgres" or "nobody" user to run as, and neither exists.', {
    hint: 'Install the PostgreSQL server package (it creates the "postgres" user), or run the app as a normal user.',
  });
}

/**
 * Makes `dir` a private directory (0700) owned by us. An existing one is used only when it is a
 * real directory owned by us with no group/other permissions.
 */
async function privateDir(dir: string, recursive = false): Promise<void> {
  let created = false;
  try {
    await mkdir(dir, { mode: 0o700, recursive });
    created = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new AppError('PermissionDenied', `Cannot create ${dir}: ${(err as Error).message}`, { hint: 'Check the permissions of its parent folder.', cause: err });
    }
  }
  if (created) await chmod(dir, 0o700);
  if (process.platform === 'win32') return;
  const st = await lstat(dir);
  if (!st.isDirectory() || st.isSymbolicLink() || st.uid !== (process.getuid?.() ?? 0) || (st.mode & 0o077) !== 0) {
    throw new AppError('PermissionDenied', `Refusing to use ${dir} for the private PostgreSQL: it is not a private folder (owner ${st.uid}, mode ${(st.mode & 0o777).toString(8)}).`, {
      hint: `Remove ${dir} (another user may have created it) and try again.`,
    });
  }
}

const quoteConf = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;

/** The app's private PostgreSQL cluster for one home folder. */
export class EmbeddedPg {
  /** Folder holding `data/`, `run/` (the socket) and `server.log`. */
  readonly root: string;
  readonly dataDir: string;
  readonly socketDir: string;
  readonly logFile: string;
  /** Default Odoo data dir (filestores) of restores into this target: `<home>/embedded-pg/odoo-data`. */
  readonly odooDataDir: string;
  private readonly log: Logger;
  private starting: Promise<EmbeddedPgInfo> | undefined;
  private binaries: PgServerBinaries | undefined;
  /** Set when this instance started the server: `stop` leaves alone one that was running already (another process's, `embedded start`'s). */
  private used = false;

  constructor(opts: { home: string; log?: Logger }) {
    this.root = join(opts.home, 'embedded-pg');
    this.dataDir = join(this.root, 'data');
    this.socketDir = join(this.root, 'run');
    this.logFile = join(this.root, 'server.log');
    this.odooDataDir = join(opts.home, 'embedded-pg', 'odoo-data');
    this.log = opts.log ?? nullLogger;
  }

  /** The socket file. */
  get socketPath(): string {
    return join(this.socketDir, `.s.PGSQL.${EMBEDDED_PORT}`);
  }

  /** The URL the restore engine uses. */
  get pgUrl(): string {
    return `postgres://postgres@localhost/postgres?host=${encodeURIComponent(this.socketDir)}&port=${EMBEDDED_PORT}`;
  }

  /** Whether it can be started here, and a line for the target list. */
  async status(): Promise<EmbeddedPgStatus> {
    if (process.platform === 'win32') return { available: false, running: false, detail: 'not supported on Windows yet' };
    const existing = await this.clusterMajor();
    const all = await listServerBinaries();
    const bins = existing !== undefined ? all.find((b) => b.major === existing) : all[0];
    if (!bins) {
      return { available: false, running: false, detail: existing !== undefined ? `needs PostgreSQL ${existing} server programs (cluster in ${this.root})` : missingServerError().hint ?? 'PostgreSQL server programs not found' };
    }
    const running = await this.isRunning();
    return { available: true, running, detail: `private PostgreSQL ${bins.version} in ${this.root}; ${running ? `running (socket ${this.socketDir})` : 'started on demand'}` };
  }

  /** Where it is, whether it runs, its databases (read from the server while it runs) and its size on disk. */
  async overview(): Promise<EmbeddedPgOverview> {
    const base = { root: this.root, socketPath: this.socketPath, initialised: await this.initialised(), diskBytes: await folderBytes(this.root) };
    if (!(await this.isRunning())) return { ...base, running: false };
    const c = await connect(this.pgUrl, 'postgres');
    try {
      const version = (await serverVersion(c)).text;
      const r = await c.query<{ name: string; bytes: string }>('SELECT datname AS name, pg_database_size(datname)::text AS bytes FROM pg_database WHERE NOT datistemplate ORDER BY 1');
      return { ...base, running: true, version, databases: r.rows.map((x) => ({ name: x.name, bytes: Number(x.bytes) })) };
    } finally {
      await c.end().catch(() => undefined);
    }
  }

  /** Leaves the server running when this instance's owner closes (`stop` without `force` then does nothing). */
  keepRunning(): void {
    this.used = false;
  }

  /** Whether the server of this data dir is running (by its postmaster.pid). */
  async isRunning(): Promise<boolean> {
    return (await this.livePid()) !== undefined;
  }

  /** The PID in postmaster.pid when that process is alive and a postgres server. */
  async livePid(): Promise<number | undefined> {
    let text: string;
    try {
      text = await readFile(join(this.dataDir, 'postmaster.pid'), 'utf8');
    } catch {
      return undefined;
    }
    const pid = Number(text.split('\n')[0]);
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    try {
      process.kill(pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EPERM') return undefined;
    }
    if (process.platform === 'linux') {
      // The PID may have been reused by an unrelated process after a crash.
      try {
        const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8');
        if (!/postgres|postmaster/.test(cmd)) return undefined;
      } catch {
        return undefined;
      }
    }
    return pid;
  }

  /** Starts the server (initialising the cluster the first time); concurrent calls share one start. */
  async start(): Promise<EmbeddedPgInfo> {
    const pending = this.starting;
    if (pending) {
      const info = await pending.catch(() => undefined);
      // Still up? (It may have been stopped or killed from outside since.)
      if (info && (await this.livePid())) return info;
      if (this.starting !== pending) return this.start();
    }
    const next = this.doStart();
    this.starting = next;
    next.catch(() => {
      if (this.starting === next) this.starting = undefined;
    });
    return next;
  }

  private async clusterMajor(): Promise<number | undefined> {
    try {
      const v = (await readFile(join(this.dataDir, 'PG_VERSION'), 'utf8')).trim();
      return Number(v);
    } catch {
      return undefined;
    }
  }

  private async asServerUser(cmd: string, args: string[]): Promise<void> {
    try {
      if (isRoot()) {
        const ids = await namespaceIds();
        await run('unshare', ['--user', `--map-user=${ids.uid}`, `--map-group=${ids.gid}`, '--', cmd, ...args], { timeout: 120_000 });
      } else await run(cmd, args, { timeout: 120_000 });
    } catch (err) {
      const e = err as { stderr?: string; message?: string; code?: unknown };
      if (e.code === 'ENOENT' && isRoot()) {
        throw new AppError('MissingTool', 'Running as root, the private PostgreSQL runs in a user namespace, and the "unshare" program was not found.', {
          hint: 'Install util-linux (it provides unshare), or run the app as a normal user.',
          cause: err,
        });
      }
      let logTail = '';
      try {
        logTail = (await readFile(this.logFile, 'utf8')).split('\n').slice(-8).join('\n');
      } catch {
        /* no log */
      }
      throw new AppError('Fatal', `The private PostgreSQL failed (${cmd.split(/[\\/]/).pop()}): ${(e.stderr || e.message || String(err)).trim()}${logTail ? `\n${logTail}` : ''}`, {
        hint: `See ${this.logFile}. Removing ${this.root} resets the private PostgreSQL (its databases are lost).`,
        cause: err,
      });
    }
  }

  private async doStart(): Promise<EmbeddedPgInfo> {
    if (process.platform === 'win32') {
      throw new AppError('Unsupported', 'The private PostgreSQL is not supported on Windows yet.', { hint: 'Install PostgreSQL (EDB installer) and restore into it as a PostgreSQL target.' });
    }
    const existing = await this.clusterMajor();
    const all = await listServerBinaries();
    const bins = existing !== undefined ? all.find((b) => b.major === existing) : all[0];
    if (!bins) {
      if (existing === undefined) throw missingServerError();
      throw new AppError('MissingTool', `The private PostgreSQL in ${this.root} was made by PostgreSQL ${existing}, whose server programs are no longer installed.`, {
        hint: `Install the PostgreSQL ${existing} server (e.g. "sudo apt-get install postgresql-${existing}"), or remove ${this.root} to start afresh (its databases are lost).`,
      });
    }
    this.binaries = bins;
    await privateDir(this.root, true);
    await privateDir(this.socketDir);
    if (Buffer.byteLength(this.socketPath) > 103) {
      throw new AppError('Unsupported', `The socket path ${this.socketPath} is too long for a Unix socket.`, { hint: 'Use a shorter home folder path (--home).' });
    }
    if (existing === undefined) {
      this.log.info('initialising the private PostgreSQL', { dir: this.dataDir, version: bins.version });
      await rm(this.dataDir, { recursive: true, force: true });
      await this.asServerUser(bins.initdb, ['-D', this.dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C']);
      await appendFile(join(this.dataDir, 'postgresql.conf'), "\n# Odoo Backup Desk: private server, Unix socket only\ninclude_if_exists 'backup-desk.conf'\n");
    }
    // Written at every start so the socket folder follows the home; no shell quoting involved.
    const conf = join(this.dataDir, 'backup-desk.conf');
    await writeFile(
      conf,
      [
        "listen_addresses = ''",
        `unix_socket_directories = ${quoteConf(this.socketDir)}`,
        'unix_socket_permissions = 0700',
        `port = ${EMBEDDED_PORT}`,
        'max_connections = 30',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    if (!(await this.livePid())) {
      // A crash leaves postmaster.pid and the socket lock file behind: remove stale ones.
      for (const stale of [join(this.dataDir, 'postmaster.pid'), `${this.socketPath}.lock`, this.socketPath]) {
        await unlink(stale).catch(() => undefined);
      }
      this.log.info('starting the private PostgreSQL', { socket: this.socketDir });
      await this.asServerUser(bins.pgCtl, ['-D', this.dataDir, '-l', this.logFile, '-w', '-t', '60', 'start']);
      this.used = true;
    }
    let version: string;
    try {
      const c = await connect(this.pgUrl, 'postgres');
      try {
        version = (await serverVersion(c)).text;
      } finally {
        await c.end().catch(() => undefined);
      }
    } catch (err) {
      throw new AppError('Fatal', `The private PostgreSQL started but does not answer on ${this.socketDir}: ${(err as Error).message}`, {
        hint: `See ${this.logFile}.`,
        cause: err,
      });
    }
    return { pgUrl: this.pgUrl, socketDir: this.socketDir, socketPath: this.socketPath, port: EMBEDDED_PORT, dataDir: this.dataDir, version, binDir: bins.binDir };
  }

  /**
   * Stops the server if this instance started it (fast shutdown: open sessions are ended);
   * `force` stops it whoever started it.
   */
  async stop(opts: { force?: boolean } = {}): Promise<void> {
    const pending = this.starting;
    this.starting = undefined;
    await pending?.catch(() => undefined);
    if (!this.used && !opts.force) return;
    this.used = false;
    if (!(await this.livePid())) return;
    const major = await this.clusterMajor();
    const bins = this.binaries ?? (await listServerBinaries()).find((b) => b.major === major);
    if (!bins) return;
    this.log.info('stopping the private PostgreSQL', { dir: this.dataDir });
    await this.asServerUser(bins.pgCtl, ['-D', this.dataDir, '-m', 'fast', '-w', '-t', '60', 'stop']);
  }

  /** Stops the server and deletes the cluster with every database in it. */
  async destroy(): Promise<void> {
    await this.stop({ force: true });
    await rm(this.root, { recursive: true, force: true });
  }

  /** Whether a cluster was ever initialised here. */
  async initialised(): Promise<boolean> {
    return pathExists(join(this.dataDir, 'PG_VERSION'));
  }
}
