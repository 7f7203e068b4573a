/**
 * Restores an Odoo backup into PostgreSQL + an Odoo filestore, safely and in one streamed pass.
 *
 * 1. preflight: target reachable, name valid/free, filestore path free, CREATEDB, server version.
 * 2. load into a temporary database (created like Odoo: UTF8, C collation, template0) and a
 *    temporary filestore folder next to the final one: zip and plain SQL through our own parser
 *    and loader (no client tools needed), custom-format dumps through the newest pg_restore.
 * 3. Odoo's after-restore steps on the temporary database (copy identity, neutralization).
 * 4. finalize: only when everything is complete, swap the temporaries into place (with `replace`
 *    the old database and filestore are renamed aside first and dropped only after the swap).
 * Any error or cancel drops the temporary database and folder; existing data is left untouched.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { basename, dirname, join, posix } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type pg from 'pg';
import { AppError, cancelledError, toAppError } from '../errors';
import type { JobContext } from '../jobs/job';
import type { DecryptKeys } from '../crypto';
import type { BackupSource, FolderSource, MultiPartBackup } from '../archive/source';
import { readZipStream } from '../archive/zip-stream';
import { readZipMemberHead } from '../archive/inspect';
import { majorOf, parseDumpHeader } from '../archive/dump-header';
import { sniffFormat } from '../archive/sniff';
import { classifyPgError, connect, connectAdmin, libpqEnv, quoteIdent, serverVersion, targetLabel } from '../pg/connection';
import { requirePgRestore } from '../pg/tools';
import { parseSqlStream } from './sql-stream';
import { loadSqlItems } from './sql-loader';
import { neutralize, regenerateIdentity } from './odoo-post';
import { countingStream, openBackup, peekStream } from './open-backup';
import { assertDatabaseName, defaultOdooDataDir } from './targets';
import { describeLeftovers, findLeftovers } from './leftovers';
import { pathExists } from '../util/fs';

/** What to restore where, and how. */
export interface RestoreOptions {
  source: BackupSource | MultiPartBackup;
  /** Target database name (Odoo's DBNAME_PATTERN). */
  db: string;
  /** `postgres://` URL; undefined uses libpq's environment (PGHOST, PGPORT, PGUSER, PGPASSWORD). */
  pgUrl?: string;
  /** Odoo data dir; the filestore goes to DATA_DIR/filestore/<db>. Default: `defaultOdooDataDir()`. */
  dataDir?: string;
  mode: 'copy' | 'move';
  neutralize: boolean;
  replace: boolean;
  /** false = database only. */
  filestore: boolean;
  /** Needed when the source is OpenPGP-encrypted. */
  decrypt?: DecryptKeys;
}

/** What a restore did. */
export interface RestoreResult {
  db: string;
  filestorePath?: string;
  format: 'zip' | 'dump' | 'sql' | 'folder';
  tables: number;
  filestoreFiles: number;
  bytesRead: number;
  durationMs: number;
  odooVersion?: string;
  warnings: string[];
}

function isMultiPart(s: BackupSource | MultiPartBackup): s is MultiPartBackup {
  return (s as MultiPartBackup).kind === 'multipart';
}


function tmpName(prefix: string, db: string, id = randomBytes(4).toString('hex')): string {
  let name = `${prefix}_${id}_${db}`;
  while (Buffer.byteLength(name) > 63) name = name.slice(0, -1);
  return name;
}

/** Throttled progress reporting. */
function progressReporter(ctx: JobContext): (p: Parameters<JobContext['progress']>[0], force?: boolean) => void {
  let last = 0;
  return (p, force = false) => {
    const now = Date.now();
    if (force || now - last >= 200) {
      last = now;
      ctx.progress(p);
    }
  };
}

/** Mutable state of one restore, for cleanup. */
interface RestoreState {
  admin?: pg.Client;
  loader?: pg.Client;
  child?: ChildProcess;
  tempDb?: string;
  tempDbCreated: boolean;
  tempFs?: string;
  streams: Readable[];
}

/** Restores a backup; see the module comment for the guarantees. */
export async function restoreBackup(opts: RestoreOptions, ctx: JobContext): Promise<RestoreResult> {
  const started = Date.now();
  const signal = ctx.signal;
  const report = progressReporter(ctx);
  const warnings: string[] = [];
  const warn = (m: string): void => {
    warnings.push(m);
    ctx.log('warn', m);
  };
  assertDatabaseName(opts.db);
  const dataDir = opts.dataDir ?? defaultOdooDataDir();
  const filestoreRoot = join(dataDir, 'filestore');
  const finalFs = join(filestoreRoot, opts.db);
  const st: RestoreState = { tempDbCreated: false, streams: [] };
  const check = (): void => {
    if (signal.aborted) throw cancelledError('The restore');
  };

  const onAbort = (): void => {
    for (const s of st.streams) s.destroy();
    st.child?.kill('SIGTERM');
    if (st.admin && st.tempDb) {
      st.admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [st.tempDb]).catch(() => undefined);
    }
  };
  signal.addEventListener('abort', onAbort, { once: true });

  try {
    // ---- preflight
    ctx.progress({ phase: 'preflight', label: 'Checking the target' });
    check();
    st.admin = await connectAdmin(opts.pgUrl);
    const admin = st.admin;
    const server = await serverVersion(admin);
    const priv = await admin.query<{ ok: boolean; superuser: boolean }>('SELECT rolcreatedb OR rolsuper AS ok, rolsuper AS superuser FROM pg_roles WHERE rolname = current_user');
    const superuser = priv.rows[0]?.superuser === true;
    if (!priv.rows[0]?.ok) {
      throw new AppError('PermissionDenied', `The PostgreSQL role used on ${targetLabel(opts.pgUrl)} may not create databases.`, {
        hint: 'Use a role with CREATEDB (ALTER ROLE … CREATEDB), as Odoo needs.',
      });
    }
    // Leftovers of a hard-killed earlier restore: say so (never fails the restore, never removes anything here).
    try {
      const left = await findLeftovers(opts.pgUrl, dataDir, { admin });
      if (left.length > 0) warn(describeLeftovers(left));
    } catch (err) {
      ctx.log('info', `Looking for leftovers of interrupted restores failed: ${(err as Error).message}`);
    }
    const dbExists = await databaseExists(admin, opts.db);
    if (dbExists && !opts.replace) {
      throw new AppError('Conflict', `A database named "${opts.db}" already exists on ${targetLabel(opts.pgUrl)}.`, {
        hint: 'Choose another name, or replace it (--replace).',
      });
    }
    if (opts.filestore && !opts.replace && (await pathExists(finalFs))) {
      throw new AppError('Conflict', `The filestore folder ${finalFs} already exists.`, {
        hint: 'Choose another database name, remove that folder, or replace (--replace).',
      });
    }
    const source = opts.source;
    const multi = isMultiPart(source) ? source : undefined;
    const mainSource = multi ? multi.dump : (source as BackupSource);

    // Custom-format dumps from a local file: check pg_restore, versions and extensions before anything is created.
    let preHeader = undefined as ReturnType<typeof parseDumpHeader>;
    if (mainSource.localPath && mainSource.seekable) {
      let head = await readHead(mainSource, 64 * 1024, signal);
      const kind = sniffFormat(head);
      if (kind === 'dump') head = await readHead(mainSource, 8 * 1024 * 1024, signal);
      if (kind === 'zip' && mainSource.size !== undefined) {
        // Odoo zips start with dump.sql: its head names the server version and the extensions.
        const sqlHead = await readZipMemberHead(mainSource, mainSource.size, 'dump.sql', 512 * 1024, signal).catch(() => undefined);
        if (sqlHead) {
          const text = sqlHead.toString('latin1');
          checkServerVersion(majorOf(/-- Dumped from database version (\d+(?:\.\d+)?)/.exec(text)?.[1]), server, opts.pgUrl);
          const exts = [...text.matchAll(/^CREATE EXTENSION (?:IF NOT EXISTS )?"?([A-Za-z0-9_]+)"?/gm)].map((m) => m[1]!);
          await checkExtensions(admin, exts, opts.pgUrl);
        }
      }
      if (kind === 'dump') {
        preHeader = parseDumpHeader(head);
        if (preHeader) {
          await requirePgRestore(preHeader.version);
          checkServerVersion(majorOf(preHeader.serverVersion), server, opts.pgUrl);
          if (preHeader.extensions) await checkExtensions(admin, preHeader.extensions, opts.pgUrl);
        }
      }
    }
    check();

    // Open (and, when encrypted, start decrypting: a wrong passphrase fails here) before creating anything.
    const opened = await openBackup(mainSource, { ...(opts.decrypt ? { decrypt: opts.decrypt } : {}), signal });
    st.streams.push(opened.stream);

    // ---- temporary database and folder
    // The temporary database and folder share one id, so the cleanup can tell a running restore's folder.
    const tmpId = randomBytes(4).toString('hex');
    st.tempDb = tmpName('bd_tmp', opts.db, tmpId);
    await admin.query(`CREATE DATABASE ${quoteIdent(st.tempDb)} ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`).catch((err: unknown) => {
      throw classifyPgError(err, opts.pgUrl, 'Creating the database');
    });
    st.tempDbCreated = true;
    let filestoreFiles = 0;
    const ensureTempFs = async (): Promise<string> => {
      if (!st.tempFs) {
        await mkdir(filestoreRoot, { recursive: true });
        st.tempFs = join(filestoreRoot, `.bd-tmp-${tmpId}-${opts.db}`);
        await mkdir(st.tempFs);
      }
      return st.tempFs;
    };
    st.loader = await connect(opts.pgUrl, st.tempDb);
    const loader = st.loader;
    // Commits of the temporary database need not wait for the WAL flush: if the server crashed
    // mid-restore the temporary database is discarded anyway, and the final rename commits synchronously
    // (flushing everything before it).
    await loader.query('SET synchronous_commit = off');

    // ---- database (+ filestore)
    ctx.progress({ phase: 'database', label: 'Loading the database' });
    let format: RestoreResult['format'];
    let bytesRead = 0;
    let odooVersion: string | undefined;
    let hasFilestore = false;
    const rawTotal = mainSource.size;

    const loadPlain = async (input: AsyncIterable<Buffer>, total: number | undefined, name: string, countRaw: boolean): Promise<void> => {
      let done = 0;
      const counted = countingStream(input, (n) => {
        done += n;
        report({ phase: 'database', label: 'Loading the database', done: countRaw ? opened.rawBytes() : done, ...(total !== undefined ? { total } : {}), unit: 'bytes' });
      });
      const checked = versionGate(counted, server, opts.pgUrl);
      const tempDb = st.tempDb!;
      await loadSqlItems(parseSqlStream(checked), loader, {
        signal,
        dumpName: name,
        warn,
        parallel: { workers: Math.max(2, Math.min(4, cpus().length)), open: () => connect(opts.pgUrl, tempDb) },
      });
    };

    if (opened.format === 'zip') {
      format = multi ? 'folder' : 'zip';
      let sawDump = false;
      for await (const entry of readZipStream(opened.stream, { name: mainSource.name })) {
        check();
        if (entry.name === 'dump.sql') {
          sawDump = true;
          const total = opened.encrypted ? undefined : entry.size;
          await loadPlain(entry.data(), total, 'dump.sql', false);
          report({ phase: 'filestore', label: 'Restoring the filestore', done: 0, unit: 'items' }, true);
        } else if (entry.name === 'manifest.json') {
          const text = await readSmall(entry.data(), 4 * 1024 * 1024);
          try {
            const m = JSON.parse(text) as { version?: string; major_version?: string };
            odooVersion = m.version ?? m.major_version;
          } catch {
            warn('manifest.json in the backup is not valid JSON; ignored.');
          }
        } else if (entry.name.startsWith('filestore/') && !entry.directory) {
          hasFilestore = true;
          if (!opts.filestore) continue;
          const rel = safeRelative(entry.name.slice('filestore/'.length));
          const dir = await ensureTempFs();
          const dest = join(dir, ...rel.split('/'));
          await mkdirCached(dirname(dest));
          await pipeline(Readable.from(entry.data()), createWriteStream(dest, { flags: 'wx' }), { signal });
          filestoreFiles++;
          report({ phase: 'filestore', label: 'Restoring the filestore', done: filestoreFiles, unit: 'items' });
        }
      }
      if (!sawDump) {
        throw new AppError('InvalidInput', `${mainSource.name} is a zip but holds no dump.sql: it is not an Odoo backup.`, {
          hint: 'Choose an Odoo backup made by the database manager or a backup module.',
        });
      }
    } else if (opened.format === 'sql' || opened.format === 'sql-gz') {
      format = multi ? 'folder' : 'sql';
      const input = opened.format === 'sql-gz' ? gunzipped(opened.stream, mainSource.name) : (opened.stream as AsyncIterable<Buffer>);
      await loadPlain(input, opened.encrypted ? undefined : rawTotal, mainSource.name, opened.format === 'sql-gz');
    } else if (opened.format === 'dump') {
      format = multi ? 'folder' : 'dump';
      const header = parseDumpHeader(opened.head);
      if (!header) throw new AppError('InvalidInput', `${mainSource.name} has a damaged pg_dump header.`, { hint: 'Use another backup.' });
      const tool = await requirePgRestore(header.version);
      checkServerVersion(majorOf(header.serverVersion), server, opts.pgUrl);
      if (header.extensions && header.tocComplete) await checkExtensions(admin, header.extensions, opts.pgUrl);
      const useFile = !!mainSource.localPath && !opened.encrypted;
      if (useFile) opened.stream.destroy();
      // A non-superuser may not COMMENT ON an extension it does not own (odoo/odoo#31115: "must be
      // owner of extension plpgsql"), and --exit-on-error would fail the whole restore on it. From a
      // local file, restore every TOC entry except those comments (pg_restore -l, then -L). A stream
      // (stdin, a decrypting pipe) cannot be read twice: it is not spooled to disk (that would put a
      // decrypted copy of the backup on disk); instead the error says what to do (runPgRestore's hint).
      let tocList: { dir: string; file: string } | undefined;
      if (useFile && !superuser) {
        const dir = await mkdtemp(join(tmpdir(), 'bd-toc-'));
        try {
          const skipped = await writeTocWithoutExtensionComments(tool.path, mainSource.localPath!, join(dir, 'toc.list'), signal);
          tocList = { dir, file: join(dir, 'toc.list') };
          if (skipped.length > 0) {
            warn(`Skipped COMMENT ON EXTENSION ${skipped.join(', ')}: only a superuser or the extension's owner may set it, and the connected role is neither (the comment is cosmetic).`);
          }
        } catch (err) {
          await rm(dir, { recursive: true, force: true }).catch(() => undefined);
          throw err;
        }
      }
      try {
        await runPgRestore(st, tool.path, {
          tempDb: st.tempDb,
          pgUrl: opts.pgUrl,
          ...(tocList ? { tocList: tocList.file } : {}),
          ...(useFile ? { file: mainSource.localPath! } : { input: opened.stream }),
        signal,
        onBytes: (n) => report({ phase: 'database', label: 'Loading the database', done: n, ...(rawTotal !== undefined && !opened.encrypted ? { total: rawTotal } : {}), unit: 'bytes' }),
        onItem: (n, total) => report({ phase: 'database', label: 'Loading the database', done: n, ...(total ? { total } : {}), unit: 'items' }),
        total: header.entries,
        });
      } finally {
        if (tocList) await rm(tocList.dir, { recursive: true, force: true }).catch(() => undefined);
      }
    } else {
      throw new AppError('InvalidInput', `${mainSource.name} is not a backup this app can restore (not a zip, pg_dump or SQL file).`, {
        hint: 'Choose an Odoo backup (.zip or .dump), a plain .sql/.sql.gz dump, or an OpenPGP-encrypted one.',
      });
    }
    bytesRead = opened.format === 'dump' && mainSource.localPath && !opened.encrypted ? (mainSource.size ?? opened.rawBytes()) : opened.rawBytes();
    check();

    // Multi-part: the filestore folder next to the dump.
    if (multi?.filestore) {
      hasFilestore = true;
      if (opts.filestore) {
        filestoreFiles += await copyFolder(multi.filestore, await ensureTempFs(), signal, (n) =>
          report({ phase: 'filestore', label: 'Restoring the filestore', done: n, unit: 'items' }),
        );
      }
    }
    if (multi?.manifest && !odooVersion) {
      try {
        const m = JSON.parse(await readSmall((await multi.manifest.open(undefined, signal)) as AsyncIterable<Buffer>, 4 * 1024 * 1024)) as { version?: string };
        odooVersion = m.version;
      } catch {
        warn('manifest.json of the backup could not be read; ignored.');
      }
    }

    // ---- Odoo's after-restore steps, on the temporary database
    ctx.progress({ phase: 'finalize', label: 'Finishing' });
    check();
    // The dump changed session settings (search_path = '', …): back to the connection's defaults.
    await loader.query('RESET ALL');
    if (opts.mode === 'copy') {
      const ok = await regenerateIdentity(loader).catch((err: unknown) => {
        throw classifyPgError(err, opts.pgUrl, 'Regenerating the database identity');
      });
      if (!ok) warn('No ir_config_parameter table: this does not look like an Odoo database; the identity was not regenerated.');
    }
    if (opts.neutralize) {
      const done = await neutralize(loader).catch((err: unknown) => {
        throw classifyPgError(err, opts.pgUrl, 'Neutralizing the database');
      });
      for (const d of done) ctx.log('info', `Neutralize: ${d}`);
    }
    const tables = Number((await loader.query<{ n: string }>("SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public'")).rows[0]?.n ?? 0);
    if (!odooVersion) odooVersion = await odooVersionFromDb(loader);
    if (!opts.filestore || !hasFilestore) {
      const n = await attachmentsInFilestore(loader);
      if (n > 0) {
        warn(
          !opts.filestore && hasFilestore
            ? `${n} attachments point into the filestore, which was not restored (database only): they will be missing.`
            : `${n} attachments point into the filestore, which this backup does not contain: they will be missing unless you copy the filestore to ${finalFs}.`,
        );
      }
    }
    check();
    await loader.end();
    st.loader = undefined;

    // ---- finalize: swap into place
    const placedFs = await finalizeSwap(st, admin, opts, finalFs, warn);
    signal.removeEventListener('abort', onAbort);
    ctx.progress({ phase: 'finalize', label: 'Done', done: 1, total: 1 });
    return {
      db: opts.db,
      ...(placedFs ? { filestorePath: placedFs } : {}),
      format,
      tables,
      filestoreFiles,
      bytesRead,
      durationMs: Date.now() - started,
      ...(odooVersion ? { odooVersion } : {}),
      warnings,
    };
  } catch (err) {
    signal.removeEventListener('abort', onAbort);
    const e = signal.aborted ? cancelledError('The restore') : toAppError(err);
    await cleanup(st, ctx);
    throw e;
  } finally {
    if (st.admin) await st.admin.end().catch(() => undefined);
  }
}

async function databaseExists(admin: pg.Client, db: string): Promise<boolean> {
  const r = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [db]);
  return (r.rowCount ?? 0) > 0;
}

async function readHead(source: BackupSource, n: number, signal: AbortSignal): Promise<Buffer> {
  const s = await source.open({ offset: 0, length: n }, signal);
  const { head, stream } = await peekStream(s, n);
  stream.destroy();
  return head.subarray(0, n);
}

async function readSmall(input: AsyncIterable<Buffer>, max: number): Promise<string> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of input) {
    n += c.length;
    if (n <= max) parts.push(c);
  }
  return Buffer.concat(parts).toString('utf8');
}

function checkServerVersion(dumpMajor: number | undefined, server: { major: number; text: string }, pgUrl: string | undefined): void {
  if (dumpMajor !== undefined && dumpMajor > server.major) {
    throw new AppError('Unsupported', `The backup comes from PostgreSQL ${dumpMajor}; the target ${targetLabel(pgUrl)} runs PostgreSQL ${server.text}, which is older.`, {
      hint: `Restore into PostgreSQL ${dumpMajor} or newer.`,
      details: { dumpMajor, serverVersion: server.text },
    });
  }
}

async function checkExtensions(admin: pg.Client, extensions: string[], pgUrl: string | undefined): Promise<void> {
  if (extensions.length === 0) return;
  const r = await admin.query<{ name: string }>('SELECT name FROM pg_available_extensions WHERE name = ANY($1)', [extensions]);
  const have = new Set(r.rows.map((x) => x.name));
  const missing = extensions.filter((e) => e !== 'plpgsql' && !have.has(e));
  if (missing.length > 0) {
    throw new AppError('MissingTool', `The backup needs the PostgreSQL extension(s) ${missing.join(', ')}, not available on ${targetLabel(pgUrl)}.`, {
      hint: 'Install them on the database server (usually the postgresql-contrib package), then restore again.',
      details: { missing },
    });
  }
}

/** Passes the dump through, checking its "Dumped from database version" header against the server. */
function versionGate(input: AsyncIterable<Buffer>, server: { major: number; text: string }, pgUrl: string | undefined): AsyncGenerator<Buffer> {
  return (async function* () {
    let head = Buffer.alloc(0);
    let checked = false;
    for await (const c of input) {
      if (!checked) {
        head = Buffer.concat([head, c.subarray(0, 8192)]);
        if (head.length >= 4096) {
          checked = true;
          const m = /-- Dumped from database version (\d+(?:\.\d+)?)/.exec(head.toString('latin1'));
          checkServerVersion(majorOf(m?.[1]), server, pgUrl);
        }
      }
      yield c;
    }
    if (!checked) {
      const m = /-- Dumped from database version (\d+(?:\.\d+)?)/.exec(head.toString('latin1'));
      checkServerVersion(majorOf(m?.[1]), server, pgUrl);
    }
  })();
}

function gunzipped(input: Readable, name: string): AsyncIterable<Buffer> {
  const gz = createGunzip({ chunkSize: 256 * 1024 });
  input.on('error', (err) => gz.destroy(err));
  input.pipe(gz);
  return (async function* () {
    try {
      for await (const c of gz as AsyncIterable<Buffer>) yield c;
    } catch (err) {
      if (err instanceof AppError) throw err;
      throw new AppError('Integrity', `${name} is corrupt or truncated (gzip: ${(err as Error).message}).`, {
        hint: 'The backup is damaged or incomplete; download it again or use another backup.',
      });
    }
  })();
}

/** Validates a filestore-relative path from an archive (no absolute paths, no `..`). */
function safeRelative(rel: string): string {
  const norm = posix.normalize(rel);
  if (!rel || rel.includes('\\') || rel.includes('\0') || norm.startsWith('/') || norm === '.' || norm.split('/').includes('..')) {
    throw new AppError('Integrity', `The backup holds an unsafe filestore path "${rel}".`, { hint: 'The archive is malformed; use another backup.' });
  }
  return norm;
}

const madeDirs = new Set<string>();
async function mkdirCached(dir: string): Promise<void> {
  if (madeDirs.has(dir)) return;
  await mkdir(dir, { recursive: true });
  madeDirs.add(dir);
  if (madeDirs.size > 10_000) madeDirs.clear();
}

async function copyFolder(folder: FolderSource, dest: string, signal: AbortSignal, onFile: (n: number) => void): Promise<number> {
  let n = 0;
  for await (const f of folder.list(signal)) {
    if (signal.aborted) throw cancelledError('The restore');
    const rel = safeRelative(f.path);
    const target = join(dest, ...rel.split('/'));
    await mkdirCached(dirname(target));
    await pipeline(await folder.open(f.path, signal), createWriteStream(target, { flags: 'wx' }), { signal });
    n++;
    onFile(n);
  }
  return n;
}

async function odooVersionFromDb(client: pg.Client): Promise<string | undefined> {
  try {
    const r = await client.query<{ v: string | null }>("SELECT latest_version AS v FROM ir_module_module WHERE name = 'base'");
    const v = r.rows[0]?.v;
    const m = v ? /^(saas~)?\d+\.\d+/.exec(v) : null;
    return m?.[0];
  } catch {
    return undefined;
  }
}

async function attachmentsInFilestore(client: pg.Client): Promise<number> {
  try {
    const r = await client.query<{ n: string }>('SELECT count(*) AS n FROM ir_attachment WHERE store_fname IS NOT NULL');
    return Number(r.rows[0]?.n ?? 0);
  } catch {
    return 0;
  }
}

interface PgRestoreRun {
  tempDb: string;
  /** A `pg_restore -L` list file: restore only the entries it names. */
  tocList?: string;
  pgUrl: string | undefined;
  file?: string;
  input?: Readable;
  signal: AbortSignal;
  onBytes: (n: number) => void;
  onItem: (n: number, total: number | undefined) => void;
  total: number | undefined;
}

async function runPgRestore(st: RestoreState, tool: string, run: PgRestoreRun): Promise<void> {
  const args = ['--no-owner', '--exit-on-error', '--verbose', '-d', run.tempDb];
  if (run.tocList) args.push('-L', run.tocList);
  if (run.file) args.push('-j', String(Math.max(1, Math.min(4, cpus().length))), run.file);
  const env = libpqEnv(run.pgUrl, run.tempDb);
  env.PGOPTIONS = `${env.PGOPTIONS ?? ''} -c synchronous_commit=off`.trim();
  const child = spawn(tool, args, { env, stdio: [run.input ? 'pipe' : 'ignore', 'ignore', 'pipe'] });
  st.child = child;
  let stderrTail = '';
  let errors = '';
  let items = 0;
  child.stderr!.setEncoding('utf8');
  let partial = '';
  child.stderr!.on('data', (d: string) => {
    partial += d;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (/^pg_restore: (creating|processing data|processing item|launching item)/.test(line)) {
        items++;
        // From a file there is no byte count to show: count the archive's TOC items instead.
        if (run.file) run.onItem(Math.min(items, run.total ?? items), run.total);
      } else if (/error|fatal|warning/i.test(line)) {
        errors = (errors + line + '\n').slice(-4000);
      }
      stderrTail = (stderrTail + line + '\n').slice(-4000);
    }
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
  let feedError: unknown;
  if (run.input) {
    let fed = 0;
    const counted = countingStream(run.input as AsyncIterable<Buffer>, (n) => {
      fed += n;
      run.onBytes(fed);
    });
    try {
      await pipeline(counted, child.stdin!, { signal: run.signal });
    } catch (err) {
      feedError = err;
      child.kill('SIGTERM');
    }
  }
  const code = await exited.catch((err: unknown) => {
    throw new AppError('MissingTool', `pg_restore could not be started: ${(err as Error).message}`, { hint: 'Install the PostgreSQL client tools.' });
  });
  st.child = undefined;
  if (run.signal.aborted) throw cancelledError('The restore');
  if (feedError && (feedError as { code?: string }).code !== 'EPIPE') {
    throw feedError instanceof AppError ? feedError : toAppError(feedError);
  }
  if (code !== 0) {
    const detail = (errors || stderrTail).trim().split('\n').slice(-6).join('\n');
    throw new AppError('Fatal', `pg_restore failed (exit ${code}): ${detail}`, {
      hint: /unsupported version|input file appears to be a text format dump/i.test(detail)
        ? 'Install newer PostgreSQL client tools (postgresql-client-NN).'
        : /must be owner of extension/i.test(detail)
          ? 'The dump sets a comment on an extension, which only a superuser or the extension\'s owner may do. Restore as a superuser (or the database owner), or restore from a local, unencrypted file: then the app skips those comments for a non-superuser.'
        : /does not exist|permission denied|must be owner/i.test(detail)
          ? 'Create the missing role/extension on the target, or restore with a superuser.'
          : 'The dump does not load into this server; see the error above.',
      details: { stderr: detail },
    });
  }
}

/**
 * Writes `pg_restore -l FILE` to `listFile` without the `COMMENT - EXTENSION` entries (streamed
 * line by line); returns the names of the extensions whose comments were left out.
 */
async function writeTocWithoutExtensionComments(tool: string, file: string, listFile: string, signal: AbortSignal): Promise<string[]> {
  const child = spawn(tool, ['-l', file], { stdio: ['ignore', 'pipe', 'pipe'], signal });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => (stderr = (stderr + d).slice(-2000)));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
  const skipped: string[] = [];
  const out = createWriteStream(listFile, { flags: 'wx', mode: 0o600 });
  // TOC lines look like `3345; 0 0 COMMENT - EXTENSION plpgsql ` (id; catalog oid, object oid, description).
  const filter = async function* (lines: AsyncIterable<string>): AsyncGenerator<string> {
    for await (const line of lines) {
      const m = /^\s*\d+;\s+\d+\s+\d+\s+COMMENT\s+-\s+EXTENSION\s+(\S+)/.exec(line);
      if (m) {
        skipped.push(m[1]!);
        continue;
      }
      yield line + '\n';
    }
  };
  const rl = createInterface({ input: child.stdout, crlfDelay: Infinity });
  try {
    await pipeline(Readable.from(filter(rl)), out);
  } finally {
    rl.close();
  }
  const code = await exited.catch((err: unknown) => {
    if (signal.aborted) throw cancelledError('The restore');
    throw new AppError('MissingTool', `pg_restore could not be started: ${(err as Error).message}`, { hint: 'Install the PostgreSQL client tools.' });
  });
  if (signal.aborted) throw cancelledError('The restore');
  if (code !== 0) {
    throw new AppError('Integrity', `pg_restore could not read the table of contents of ${basename(file)}: ${stderr.trim().split('\n').slice(-3).join(' ')}`, {
      hint: 'The dump is damaged or incomplete; download it again or use another backup.',
    });
  }
  return skipped;
}

async function finalizeSwap(
  st: RestoreState,
  admin: pg.Client,
  opts: RestoreOptions,
  finalFs: string,
  warn: (m: string) => void,
): Promise<string | undefined> {
  const tempDb = st.tempDb!;
  let oldFs: string | undefined;
  let placedFs: string | undefined;
  // Filestore first: renames are atomic and reversible.
  if (st.tempFs) {
    if (await pathExists(finalFs)) {
      if (!opts.replace) throw new AppError('Conflict', `The filestore folder ${finalFs} appeared during the restore.`, { hint: 'Remove it or restore with --replace.' });
      oldFs = join(dirname(finalFs), `.bd-old-${randomBytes(4).toString('hex')}-${opts.db}`);
      await rename(finalFs, oldFs);
    }
    try {
      await rename(st.tempFs, finalFs);
    } catch (err) {
      if (oldFs) await rename(oldFs, finalFs).catch(() => undefined);
      throw new AppError('Fatal', `Could not move the filestore into ${finalFs}: ${(err as Error).message}`, { cause: err });
    }
    st.tempFs = undefined;
    placedFs = finalFs;
  }
  let oldDb: string | undefined;
  try {
    if (await databaseExists(admin, opts.db)) {
      if (!opts.replace) throw new AppError('Conflict', `A database named "${opts.db}" appeared during the restore.`, { hint: 'Choose another name or restore with --replace.' });
      oldDb = tmpName('bd_old', opts.db);
      await renameDatabase(admin, opts.db, oldDb);
    }
    try {
      await renameDatabase(admin, tempDb, opts.db);
      st.tempDbCreated = false;
    } catch (err) {
      if (oldDb) await admin.query(`ALTER DATABASE ${quoteIdent(oldDb)} RENAME TO ${quoteIdent(opts.db)}`).catch(() => undefined);
      oldDb = undefined;
      throw err;
    }
  } catch (err) {
    // Put the filestore back as it was.
    if (placedFs) {
      st.tempFs = join(dirname(finalFs), `.bd-tmp-${randomBytes(4).toString('hex')}-${opts.db}`);
      await rename(finalFs, st.tempFs).catch(() => undefined);
      if (oldFs) await rename(oldFs, finalFs).catch(() => undefined);
    }
    throw classifyPgError(err, opts.pgUrl, 'Renaming the restored database into place');
  }
  if (oldDb) {
    try {
      await terminate(admin, oldDb);
      await admin.query(`DROP DATABASE ${quoteIdent(oldDb)}`);
    } catch (err) {
      warn(`The previous database was renamed to "${oldDb}" but could not be dropped: ${(err as Error).message}`);
    }
  }
  if (oldFs) {
    await rm(oldFs, { recursive: true, force: true }).catch((err: unknown) => warn(`The previous filestore ${oldFs} could not be removed: ${(err as Error).message}`));
  }
  return placedFs;
}

/** Renames a database, ending other sessions on it first (Odoo may reconnect: a few tries). */
async function renameDatabase(admin: pg.Client, from: string, to: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await terminate(admin, from);
    try {
      await admin.query(`ALTER DATABASE ${quoteIdent(from)} RENAME TO ${quoteIdent(to)}`);
      return;
    } catch (err) {
      // 55006: object_in_use ("database is being accessed by other users")
      if ((err as { code?: string }).code !== '55006' || attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
}

async function terminate(admin: pg.Client, db: string): Promise<void> {
  await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [db]);
}

async function cleanup(st: RestoreState, ctx: JobContext): Promise<void> {
  for (const s of st.streams) s.destroy();
  if (st.child) {
    st.child.kill('SIGKILL');
    st.child = undefined;
  }
  if (st.loader) {
    await st.loader.end().catch(() => undefined);
    st.loader = undefined;
  }
  if (st.tempDbCreated && st.tempDb) {
    let admin = st.admin;
    try {
      // The admin connection may have been broken by the failure; use a fresh one if needed.
      try {
        await admin!.query('SELECT 1');
      } catch {
        admin = undefined;
      }
      for (let attempt = 0; attempt < 5; attempt++) {
        try {
          if (!admin) break;
          await terminate(admin, st.tempDb);
          await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(st.tempDb)}`);
          st.tempDbCreated = false;
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
        }
      }
    } finally {
      if (st.tempDbCreated) ctx.log('error', `The temporary database "${st.tempDb}" could not be dropped; drop it by hand.`);
    }
  }
  if (st.tempFs) {
    await rm(st.tempFs, { recursive: true, force: true }).catch(() => ctx.log('error', `The temporary folder ${st.tempFs} could not be removed.`));
    st.tempFs = undefined;
  }
}
