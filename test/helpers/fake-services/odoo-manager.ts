/**
 * A local Odoo database manager for tests, answering the routes the way Odoo 16.0 and 17.0
 * do (addons/web/controllers/database.py, odoo/service/db.py; facts in
 * ../shared/docs/odoo-manager-scheduling-object-storage.md §1):
 * - every POST takes its whole form first (werkzeug parses — and spools to disk — the body
 *   before the route runs), then checks the master password;
 * - success is `303` to `/web/database/manager` (absolute in 16.0's werkzeug 2.0, relative in
 *   17.0), failure is `200` with the manager page carrying `Database <op> error: …` in
 *   `div.alert-danger` (escaped like QWeb `t-out`), plus the "disabled" banner when
 *   `list_db = False`;
 * - on 14.0+, a still-default `admin` master password becomes whatever `master_pwd` a POST sends;
 * - restore: "Database already exists"; the empty database is created first; a zip must hold
 *   `dump.sql`, anything else goes to pg_restore (a `PGDMP` header); a failure leaves the
 *   half-built database behind; `neutralize_database` neutralizes on any non-empty value;
 *   `copy` goes through str2bool;
 * - duplicate checks the new name, drop of an unknown name still answers 303;
 * - backup streams `application/octet-stream` without Content-Length, named with `filename*`;
 * - `/jsonrpc` db.list / db_exist / server_version / list_countries (master password),
 *   `/web/database/list`, `/web/webclient/version_info`, with Odoo's JSON-RPC error envelope;
 * - limits: nginx's `client_max_body_size` (its own 413 page), Odoo 17.0's early 128 MiB cap
 *   (Werkzeug's 413), `limit_time_real` (the worker is killed: the connection drops and
 *   whatever the request did so far stays).
 * Uploads are written to a temp file under os.tmpdir() as they arrive (hashed on the way), so
 * tests can check the bytes the server got.
 */
import busboy from 'busboy';
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, open, readFile, rm, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { writeZip, type ZipEntry } from '../../../shared/core/backup/zip-writer';
import { startServer } from './common';

/** A database on the fake server. */
export interface FakeOdooDatabase {
  name: string;
  /** How it came to be. */
  origin: 'seed' | 'restore' | 'duplicate';
  /** True while a restore that created it has not finished (or never will: a failed restore leaves it so). */
  halfBuilt: boolean;
  /** `neutralize_database` reached restore_db/duplicate with a truthy (non-empty) value. */
  neutralized: boolean;
  /** `copy` was true (restore) or it is a duplicate (Odoo always regenerates then). */
  newIdentity: boolean;
  /** For restored ones: what was uploaded. */
  upload?: FakeOdooUpload;
  /** The backup file `/web/database/backup` streams for it (zip); generated when absent. */
  backupFile?: string;
}

/** One upload the server received, complete or not. */
export interface FakeOdooUpload {
  /** The form fields, exactly as sent (`master_pwd` included, for assertions). */
  fields: Record<string, string>;
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
  /** The spooled file (under os.tmpdir(); removed on close). */
  path: string;
  /** The `version` in the zip's manifest.json, when there was one. */
  manifestVersion?: string;
  /** What the server then did. */
  outcome: 'restored' | 'refused' | 'failed' | 'killed';
  message?: string;
}

/** Options of the fake. */
export interface FakeOdooOptions {
  /** `server_version` (default `17.0`); the major picks 16/17 behaviour. */
  readonly version?: string;
  /** The master password (default `s3cret-master`); `admin` is the insecure default. */
  readonly masterPassword?: string;
  /** `list_db` (default true). */
  readonly listDb?: boolean;
  /** Databases present at start. */
  readonly databases?: ReadonlyArray<{ name: string; backupFile?: string }>;
  /** nginx `client_max_body_size` in bytes: larger bodies get nginx's 413. */
  readonly proxyMaxBodySize?: number;
  /** Odoo's own request cap (early 17.0 builds: 128 MiB): larger bodies get Werkzeug's 413. */
  readonly odooMaxContentLength?: number;
  /** `limit_time_real` in ms: a request running longer has its connection dropped (worker killed). */
  readonly limitTimeRealMs?: number;
  /** How long loading a restored backup takes (default 0). */
  readonly restoreWorkMs?: number;
  /** Makes the next restores fail after the empty database was created (psql/pg_restore failure). */
  readonly failRestore?: boolean;
  /** Reads restore uploads at most this fast (a slow link), so tests can act mid-upload. */
  readonly uploadBytesPerSecond?: number;
}

/** A running fake Odoo. */
export interface FakeOdoo {
  readonly url: string;
  readonly databases: Map<string, FakeOdooDatabase>;
  /** Every restore upload, in order. */
  readonly uploads: FakeOdooUpload[];
  /** Every request: method, path, status (-1 when the connection was dropped). */
  readonly requests: Array<{ method: string; path: string; status: number }>;
  /** The current master password (changes through the 14.0+ `admin` quirk). */
  readonly masterPassword: string;
  /** Changes options at run time (limits, failures, list_db). */
  set(opts: Partial<Pick<FakeOdooOptions, 'listDb' | 'proxyMaxBodySize' | 'odooMaxContentLength' | 'limitTimeRealMs' | 'restoreWorkMs' | 'failRestore' | 'uploadBytesPerSecond'>>): void;
  /** Bytes of the latest restore upload's body received so far (0 before any). */
  readonly bodyBytesSeen: number;
  close(): Promise<void>;
}

const DBNAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const HOUSTON = "Houston, we have a database naming issue! Make sure you only use letters, numbers, underscores, hyphens, or dots in the database name, and you'll be golden.";

/** markupsafe's escape, as QWeb `t-out` applies it. */
function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&#34;').replace(/'/g, '&#39;');
}

/** The manager page (trimmed to what matters), with an error and the list_db banner as 17.0's template renders them. */
function managerPage(error: string | undefined, listDb: boolean, databases: string[]): string {
  return [
    '<!DOCTYPE html><html><head><meta charset="utf-8"/><title>Odoo</title></head><body><div class="container">',
    listDb ? '' : '<div class="alert alert-danger text-center">The database manager has been disabled by the administrator</div>',
    error === undefined ? '' : `<div class="alert alert-danger">${escapeHtml(error)}</div>`,
    '<div class="list-group">',
    ...(listDb ? databases.map((d) => `<a class="list-group-item" href="/odoo?db=${encodeURIComponent(d)}">${escapeHtml(d)}</a>`) : []),
    '</div></div></body></html>',
  ].join('\n');
}

const NGINX_413 = '<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n<center><h1>413 Request Entity Too Large</h1></center>\r\n<hr><center>nginx/1.24.0 (Ubuntu)</center>\r\n</body>\r\n</html>\r\n';
const WERKZEUG_413 = '<!doctype html>\n<html lang=en>\n<title>413 Request Entity Too Large</title>\n<h1>Request Entity Too Large</h1>\n<p>The data value transmitted exceeds the capacity limit.</p>\n';
const WERKZEUG_404 = '<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n<p>The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.</p>\n';

/** Odoo's `str2bool` (odoo/tools/misc.py). */
function str2bool(s: string): boolean {
  const v = s.toLowerCase();
  if (['y', 'yes', '1', 'true', 't', 'on'].includes(v)) return true;
  if (['n', 'no', '0', 'false', 'f', 'off'].includes(v)) return false;
  throw new Error('Use 0/1/yes/no/true/false/on/off');
}

class Killed extends Error {}

/** Starts the fake on 127.0.0.1. */
export async function startFakeOdoo(options: FakeOdooOptions = {}): Promise<FakeOdoo> {
  const version = options.version ?? '17.0';
  const major = Number(/^(\d+)/.exec(version)?.[1] ?? 17);
  const spool = await mkdtemp(join(tmpdir(), 'fake-odoo-'));
  const o = { listDb: options.listDb ?? true, proxyMaxBodySize: options.proxyMaxBodySize, odooMaxContentLength: options.odooMaxContentLength, limitTimeRealMs: options.limitTimeRealMs, restoreWorkMs: options.restoreWorkMs ?? 0, failRestore: options.failRestore ?? false, uploadBytesPerSecond: options.uploadBytesPerSecond };
  const databases = new Map<string, FakeOdooDatabase>();
  for (const d of options.databases ?? []) databases.set(d.name, { name: d.name, origin: 'seed', halfBuilt: false, neutralized: false, newIdentity: false, ...(d.backupFile ? { backupFile: d.backupFile } : {}) });
  const uploads: FakeOdooUpload[] = [];
  const requests: FakeOdoo['requests'] = [];
  let password = options.masterPassword ?? 's3cret-master';
  let bodyBytesSeen = 0;
  let base = '';

  const page = (res: ServerResponse, error: string | undefined): void => {
    const body = Buffer.from(managerPage(error, o.listDb, [...databases.keys()].sort()));
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': String(body.length), server: 'Werkzeug/2.0.2 Python/3.10.12' });
    res.end(body);
  };
  const redirectToManager = (res: ServerResponse): void => {
    const location = major >= 17 ? '/web/database/manager' : `${base}/web/database/manager`;
    const body = Buffer.from(`<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>\n<h1>Redirecting...</h1>\n<p>You should be redirected automatically to the target URL: <a href="${location}">${location}</a>. If not, click the link.\n`);
    res.writeHead(303, { location, 'content-type': 'text/html; charset=utf-8', 'content-length': String(body.length) });
    res.end(body);
  };
  const insecureAdminQuirk = (masterPwd: string | undefined): void => {
    if (major >= 14 && password === 'admin' && masterPwd) password = masterPwd;
  };
  const checkSuper = (masterPwd: string | undefined): void => {
    if (!masterPwd || masterPwd !== password) throw new Error('Access Denied');
  };
  const managementEnabled = (): void => {
    if (!o.listDb) throw new Error('Access Denied');
  };

  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const entry = { method: req.method ?? '', path, status: 0 };
    requests.push(entry);
    res.on('finish', () => (entry.status = res.statusCode));
    res.on('close', () => {
      if (!res.writableFinished) entry.status = -1;
    });
    const started = Date.now();
    const killTimer = o.limitTimeRealMs !== undefined ? setTimeout(() => req.socket.destroy(), o.limitTimeRealMs) : undefined;
    try {
      if (!(await bodyWithinLimits(req, res))) return;
      await route(req, res, path, started);
    } catch (err) {
      if (err instanceof Killed) return;
      throw err;
    } finally {
      clearTimeout(killTimer);
    }
  };

  /** nginx first, then Werkzeug: an announced length over a limit gets its 413 before the body is read. */
  const bodyWithinLimits = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const len = Number(req.headers['content-length'] ?? NaN);
    const over = (limit: number | undefined): boolean => limit !== undefined && Number.isFinite(len) && len > limit;
    if (over(o.proxyMaxBodySize)) return tooLarge(req, res, NGINX_413, 'nginx/1.24.0 (Ubuntu)');
    if (over(o.odooMaxContentLength) && req.url?.startsWith('/web/database/restore')) return tooLarge(req, res, WERKZEUG_413, 'Werkzeug/2.0.2 Python/3.10.12');
    return true;
  };
  const tooLarge = (req: IncomingMessage, res: ServerResponse, body: string, server: string): false => {
    res.writeHead(413, { 'content-type': 'text/html', 'content-length': String(Buffer.byteLength(body)), server, connection: 'close' });
    res.end(body);
    // Like nginx's lingering close: read (and drop) what the client still sends, so it sees the answer.
    req.resume();
    return false;
  };

  const route = async (req: IncomingMessage, res: ServerResponse, path: string, started: number): Promise<void> => {
    if (req.method === 'POST' && path === '/jsonrpc') return jsonRpc(res, await jsonParams(req));
    if (req.method === 'POST' && path === '/web/webclient/version_info') {
      const { id } = await jsonParams(req);
      return sendRpc(res, id, { result: versionInfo() });
    }
    if (req.method === 'POST' && path === '/web/database/list') {
      const { id } = await jsonParams(req);
      return o.listDb ? sendRpc(res, id, { result: [...databases.keys()].sort() }) : sendRpc(res, id, { error: accessDenied() });
    }
    if ((req.method === 'GET' || req.method === 'HEAD') && (path === '/web/database/manager' || path === '/web/database/selector')) return page(res, undefined);
    if (req.method === 'POST' && path === '/web/database/restore') return restore(req, res, started);
    if (req.method === 'POST' && path === '/web/database/backup') return backup(res, await urlencoded(req));
    if (req.method === 'POST' && path === '/web/database/duplicate') return duplicate(res, await urlencoded(req));
    if (req.method === 'POST' && path === '/web/database/drop') return drop(res, await urlencoded(req));
    req.resume();
    res.writeHead(404, { 'content-type': 'text/html; charset=utf-8', 'content-length': String(Buffer.byteLength(WERKZEUG_404)) });
    res.end(WERKZEUG_404);
  };

  const versionInfo = (): Record<string, unknown> => ({ server_version: version, server_version_info: [major, 0, 0, 'final', 0, ''], server_serie: `${major}.0`, protocol_version: 1 });
  const serverError = (message: string): Record<string, unknown> => ({ code: 200, message: 'Odoo Server Error', data: { name: 'builtins.Exception', debug: `Traceback…\nException: ${message}`, message, arguments: [message], context: {} } });
  const accessDenied = (): Record<string, unknown> => ({
    code: 200,
    message: 'Odoo Server Error',
    data: { name: 'odoo.exceptions.AccessDenied', debug: 'Traceback (most recent call last):\n…\nodoo.exceptions.AccessDenied: Access Denied\n', message: 'Access Denied', arguments: ['Access Denied'], context: {} },
  });

  const jsonRpc = (res: ServerResponse, body: { id: unknown; params: Record<string, unknown> }): void => {
    const { service, method, args } = body.params as { service?: string; method?: string; args?: unknown[] };
    const a = Array.isArray(args) ? args : [];
    if (service !== 'db') return sendRpc(res, body.id, { error: { code: 200, message: 'Odoo Server Error', data: { name: 'builtins.KeyError', message: `'${String(service)}'`, arguments: [String(service)], context: {} } } });
    try {
      if (method === 'list') {
        managementEnabled();
        return sendRpc(res, body.id, { result: [...databases.keys()].sort() });
      }
      if (method === 'db_exist') return sendRpc(res, body.id, { result: databases.has(String(a[0])) });
      if (method === 'server_version') return sendRpc(res, body.id, { result: version });
      if (method === 'list_countries') {
        checkSuper(typeof a[0] === 'string' ? a[0] : undefined);
        return sendRpc(res, body.id, { result: [['BE', 'Belgium'], ['FR', 'France']] });
      }
      if (method === 'rename') {
        checkSuper(typeof a[0] === 'string' ? a[0] : undefined);
        managementEnabled();
        const [from, to] = [String(a[1]), String(a[2])];
        const db = databases.get(from);
        if (!db) return sendRpc(res, body.id, { error: serverError(`Couldn't rename database ${from} to ${to}: database "${from}" does not exist\n`) });
        if (databases.has(to)) return sendRpc(res, body.id, { error: serverError(`Couldn't rename database ${from} to ${to}: database "${to}" already exists\n`) });
        databases.delete(from);
        databases.set(to, { ...db, name: to });
        return sendRpc(res, body.id, { result: true });
      }
      return sendRpc(res, body.id, { error: { code: 200, message: 'Odoo Server Error', data: { name: 'builtins.KeyError', message: `'Method not found: ${String(method)}'`, arguments: [`Method not found: ${String(method)}`], context: {} } } });
    } catch {
      return sendRpc(res, body.id, { error: accessDenied() });
    }
  };

  const restore = async (req: IncomingMessage, res: ServerResponse, started: number): Promise<void> => {
    const up = await receiveUpload(req, res);
    if (up === undefined) return; // the client went away mid-body: werkzeug gives up, nothing is created
    uploads.push(up);
    insecureAdminQuirk(up.fields.master_pwd);
    const name = up.fields.name ?? '';
    try {
      checkSuper(up.fields.master_pwd);
      const copy = str2bool(up.fields.copy ?? 'false');
      await restoreDb(up, name, copy, up.fields.neutralize_database, started);
      up.outcome = 'restored';
      return redirectToManager(res);
    } catch (err) {
      if (err instanceof Killed) {
        up.outcome = 'killed';
        throw err;
      }
      up.outcome = databases.get(name)?.halfBuilt ? 'failed' : 'refused';
      up.message = (err as Error).message;
      return page(res, `Database restore error: ${(err as Error).message}`);
    }
  };

  /** odoo.service.db.restore_db, step by step (DB16/DB17). */
  const restoreDb = async (up: FakeOdooUpload, name: string, copy: boolean, neutralize: string | undefined, started: number): Promise<void> => {
    managementEnabled();
    if (databases.has(name)) throw new Error('Database already exists');
    const db: FakeOdooDatabase = { name, origin: 'restore', halfBuilt: true, neutralized: false, newIdentity: false, upload: up };
    databases.set(name, db); // _create_empty_database: from here on a failure leaves it behind
    const kind = await sniffUpload(up);
    if (kind === 'zip-without-dump') throw new Error("There is no item named 'dump.sql' in the archive");
    if (kind === 'other' || o.failRestore) throw new Error("Couldn't restore database");
    await workFor(o.restoreWorkMs, started);
    db.newIdentity = copy;
    db.neutralized = neutralize !== undefined && neutralize !== ''; // no str2bool: any non-empty value neutralizes
    db.halfBuilt = false;
  };

  /** Waits like a busy worker; past limit_time_real the worker is killed (the socket is already destroyed by then). */
  const workFor = async (ms: number, started: number): Promise<void> => {
    if (ms > 0) await new Promise((r) => setTimeout(r, ms));
    if (o.limitTimeRealMs !== undefined && Date.now() - started >= o.limitTimeRealMs) throw new Killed('killed');
  };

  const sniffUpload = async (up: FakeOdooUpload): Promise<'zip' | 'zip-without-dump' | 'dump' | 'other'> => {
    const fh = await open(up.path, 'r');
    const head = Buffer.alloc(5);
    await fh.read(head, 0, 5, 0);
    await fh.close();
    if (head.subarray(0, 5).toString('latin1') === 'PGDMP') return 'dump';
    const entries = await zipEntries(up.path);
    if (entries === undefined) return 'other';
    if (!entries.has('dump.sql')) return 'zip-without-dump';
    const manifest = entries.get('manifest.json');
    if (manifest) {
      try {
        up.manifestVersion = (JSON.parse(manifest) as { version?: string }).version;
      } catch {
        // Odoo does not read the manifest on restore either.
      }
    }
    return 'zip';
  };

  /** werkzeug's form parsing: the whole body, the file part spooled to disk. Undefined when the client left. */
  const receiveUpload = async (req: IncomingMessage, res: ServerResponse): Promise<FakeOdooUpload | undefined> => {
    const fields: Record<string, string> = {};
    const path = join(spool, `upload-${randomUUID()}`);
    const hash = createHash('sha256');
    let size = 0;
    let filename = '';
    let contentType = '';
    let seen = 0;
    bodyBytesSeen = 0;
    const proxyFirst = (o.proxyMaxBodySize ?? Infinity) <= (o.odooMaxContentLength ?? Infinity);
    const limit = proxyFirst ? o.proxyMaxBodySize : o.odooMaxContentLength;
    const t0 = Date.now();
    req.on('data', (c: Buffer) => {
      seen += c.length;
      bodyBytesSeen = seen;
      const rate = o.uploadBytesPerSecond;
      const ahead = rate ? (seen / rate) * 1000 - (Date.now() - t0) : 0;
      if (ahead > 20) {
        req.pause();
        setTimeout(() => req.resume(), ahead);
      }
    });
    const bb = busboy({ headers: req.headers, limits: { fieldSize: 10 * 1024 * 1024 } });
    const files: Array<Promise<void>> = [];
    bb.on('field', (n, v) => (fields[n] = v));
    bb.on('file', (n, stream, info) => {
      if (n !== 'backup_file') return void stream.resume();
      filename = info.filename ?? '';
      contentType = info.mimeType;
      stream.on('data', (c: Buffer) => {
        size += c.length;
        hash.update(c);
      });
      files.push(pipeline(stream, createWriteStream(path)));
    });
    try {
      await new Promise<void>((resolve, reject) => {
        bb.on('close', resolve);
        bb.on('error', reject);
        req.on('aborted', () => reject(new Error('client went away')));
        req.on('close', () => {
          if (!req.complete) reject(new Error('client went away'));
        });
        if (limit !== undefined && req.headers['content-length'] === undefined) {
          // A chunked body has no announced length: the limit bites once that much has arrived.
          const watch = (): void => {
            if (seen <= limit) return;
            req.off('data', watch);
            req.unpipe(bb);
            if (proxyFirst) tooLarge(req, res, NGINX_413, 'nginx/1.24.0 (Ubuntu)');
            else tooLarge(req, res, WERKZEUG_413, 'Werkzeug/2.0.2 Python/3.10.12');
            reject(new Error('chunked body over the limit'));
          };
          req.on('data', watch);
        }
        req.pipe(bb);
      });
      await Promise.all(files);
    } catch {
      await rm(path, { force: true });
      return undefined;
    }
    return { fields, filename, contentType, size, sha256: hash.digest('hex'), path, outcome: 'refused' };
  };

  const backup = async (res: ServerResponse, f: Record<string, string>): Promise<void> => {
    insecureAdminQuirk(f.master_pwd);
    const name = f.name ?? '';
    const format = f.backup_format ?? 'zip';
    try {
      checkSuper(f.master_pwd);
      managementEnabled();
      const db = databases.get(name);
      if (!db || db.halfBuilt) throw new Error(`connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed: FATAL:  database "${name}" does not exist`);
      const ts = new Date().toISOString().slice(0, 19).replace('T', '_').replace(/:/g, '-');
      res.writeHead(200, {
        'content-type': 'application/octet-stream; charset=binary',
        'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(`${name}_${ts}.${format}`)}`,
      });
      await pipeline(await backupStream(db, format), res);
    } catch (err) {
      if (res.headersSent) return void res.destroy();
      return page(res, `Database backup error: ${(err as Error).message}`);
    }
  };

  const backupStream = async (db: FakeOdooDatabase, format: string): Promise<Readable> => {
    const { createReadStream } = await import('node:fs');
    const file = db.backupFile ?? (db.upload && /zip/.test(db.upload.contentType) ? db.upload.path : undefined);
    if (format === 'zip' && file) return createReadStream(file);
    if (format !== 'zip') return Readable.from([Buffer.concat([Buffer.from('PGDMP'), Buffer.from([1, 14, 0, 4, 8, 8, 1]), Buffer.from(`fake custom dump of ${db.name}\n`)])]);
    const manifest = { odoo_dump: '1', db_name: db.name, version, major_version: `${major}.0`, pg_version: '15.0', modules: { base: `${major}.0.1.3` } };
    const entries: ZipEntry[] = [
      { name: 'dump.sql', deflate: true, data: { kind: 'buffer', buffer: Buffer.from(`-- fake dump of ${db.name}\nSELECT 1;\n`) } },
      { name: 'manifest.json', deflate: true, data: { kind: 'buffer', buffer: Buffer.from(JSON.stringify(manifest, null, 4)) } },
    ];
    return Readable.from(writeZip(Readable.from(entries)));
  };

  const duplicate = (res: ServerResponse, f: Record<string, string>): void => {
    insecureAdminQuirk(f.master_pwd);
    try {
      if (!DBNAME.test(f.new_name ?? '')) throw new Error(HOUSTON);
      checkSuper(f.master_pwd);
      managementEnabled();
      const from = databases.get(f.name ?? '');
      if (!from) throw new Error(`template database "${f.name ?? ''}" does not exist\n`);
      if (databases.has(f.new_name!)) throw new Error(`database "${f.new_name!}" already exists\n`);
      databases.set(f.new_name!, { name: f.new_name!, origin: 'duplicate', halfBuilt: false, neutralized: f.neutralize_database !== undefined && f.neutralize_database !== '', newIdentity: true, ...(from.backupFile ? { backupFile: from.backupFile } : {}) });
      return redirectToManager(res);
    } catch (err) {
      return page(res, `Database duplication error: ${(err as Error).message}`);
    }
  };

  const drop = (res: ServerResponse, f: Record<string, string>): void => {
    insecureAdminQuirk(f.master_pwd);
    try {
      checkSuper(f.master_pwd);
      managementEnabled();
      databases.delete(f.name ?? ''); // exp_drop returns False for an unknown name: still a 303
      return redirectToManager(res);
    } catch (err) {
      return page(res, `Database deletion error: ${(err as Error).message}`);
    }
  };

  const server = await startServer(handler);
  base = server.url;
  return {
    url: server.url,
    databases,
    uploads,
    requests,
    get masterPassword() {
      return password;
    },
    get bodyBytesSeen() {
      return bodyBytesSeen;
    },
    set(patch) {
      Object.assign(o, patch);
    },
    async close() {
      await server.close();
      await rm(spool, { recursive: true, force: true });
    },
  };
}

async function jsonParams(req: IncomingMessage): Promise<{ id: unknown; params: Record<string, unknown> }> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { id?: unknown; params?: Record<string, unknown> };
  return { id: body.id ?? null, params: body.params ?? {} };
}

function sendRpc(res: ServerResponse, id: unknown, payload: { result?: unknown; error?: unknown }): void {
  const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id, ...payload }));
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) });
  res.end(body);
}

async function urlencoded(req: IncomingMessage): Promise<Record<string, string>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
}

/** The zip's entries (small text ones read: manifest.json), or undefined when it is no zip (`zipfile.is_zipfile` false). */
async function zipEntries(path: string): Promise<Map<string, string | undefined> | undefined> {
  if ((await stat(path)).size < 22) return undefined;
  return new Promise((resolve) => {
    yauzl.open(path, { lazyEntries: true, autoClose: true }, (err, zip) => {
      if (err || !zip) return resolve(undefined);
      const out = new Map<string, string | undefined>();
      zip.on('entry', (e: yauzl.Entry) => {
        if (e.fileName !== 'manifest.json') {
          out.set(e.fileName, undefined);
          return zip.readEntry();
        }
        zip.openReadStream(e, (e2, s) => {
          if (e2 || !s) return zip.readEntry();
          const parts: Buffer[] = [];
          s.on('data', (c: Buffer) => parts.push(c));
          s.on('end', () => {
            out.set(e.fileName, Buffer.concat(parts).toString('utf8'));
            zip.readEntry();
          });
        });
      });
      zip.on('end', () => resolve(out));
      zip.on('error', () => resolve(undefined));
      zip.readEntry();
    });
  });
}

/** Reads a spooled upload back (small ones, for byte-exact assertions). */
export function uploadBytes(up: FakeOdooUpload): Promise<Buffer> {
  return readFile(up.path);
}
