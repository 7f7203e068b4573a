/**
 * A client for a running Odoo's database manager (Odoo 12–19 and later), speaking its HTTP
 * routes exactly as the server answers them:
 * - version from `/web/webclient/version_info` (needs no `list_db`), databases from `/jsonrpc`
 *   `db.list` (falls back to `/web/database/list`), existence from `db.db_exist`;
 * - the master password checked without side effects through `/jsonrpc` `db.list_countries`
 *   (a db-service method that runs `check_super` and changes nothing — unlike the HTTP routes,
 *   which on 14.0+ *set* a still-default `admin` password to whatever they are sent): backup,
 *   duplicate and drop check it first, so a wrong stored password never goes to those routes;
 * - backup as a stream (`POST /web/database/backup`, no Content-Length, name in `filename*`);
 * - restore as a streamed multipart POST; `neutralize_database` is sent only when neutralizing
 *   (16.0+ neutralizes on any non-empty value, `false` included);
 * - success is a 303 to `/web/database/manager`; a 200 page is Odoo's error message.
 */
import type { Readable } from 'node:stream';
import { AppError, isAppError } from '../errors';
import { exchange, HttpFailure, readText, type HttpAnswer, type HttpExchange } from './http';
import { httpAnswerError, networkError, odooMessageError, type ManagerOp } from './manager-errors';
import { multipartBody } from './multipart';
import { odooMajor, type OdooServerVersion } from './version';

/** Options of the client. */
export interface OdooManagerOptions {
  /** Base URL of the server (normalised: no trailing slash). */
  readonly url: string;
  /** The master password (needed by backup, restore, duplicate, drop and the check). */
  readonly masterPassword?: string;
  /** Longest wait for an answer once a restore/duplicate/drop request was sent (default 2 h). */
  readonly responseTimeoutMs?: number;
  /** Longest wait for version/list answers (default 30 s). */
  readonly quickTimeoutMs?: number;
  /** The instance's name in hints (`odoo set-password NAME`). */
  readonly instance?: string;
}

/** A database on the server. */
export interface OdooDatabase {
  readonly name: string;
  /** Bytes, when the server tells (Odoo 12–19 never does; kept for servers that will). */
  readonly size?: number;
}

/** A backup being streamed from the server. */
export interface OdooBackupStream {
  /** The archive's bytes, as the server sends them (read it to the end, or destroy it). */
  readonly stream: Readable;
  /** The file name Odoo gave it (`<db>_<UTC timestamp>.<format>`). */
  readonly filename: string;
  readonly format: 'zip' | 'dump';
  /** Content-Length when the server sent one (Odoo does not). */
  readonly size: number | undefined;
}

/** A restore upload. */
export interface OdooRestoreUpload {
  readonly name: string;
  /** The backup's bytes: an Odoo zip or a pg_dump custom-format dump. */
  readonly data: AsyncIterable<Buffer>;
  /** Exact size when known (sent as Content-Length; otherwise chunked). */
  readonly size?: number;
  readonly filename: string;
  /** A copy regenerates the database's uuid/secret (and Odoo resets web.base.url). */
  readonly copy: boolean;
  readonly neutralize: boolean;
  readonly signal?: AbortSignal;
  /** Body bytes handed to the socket so far. */
  readonly onSent?: (bytes: number) => void;
  /** The whole backup is sent; Odoo now loads it. */
  readonly onUploaded?: () => void;
}

/** How a restore request ended (errors throw). */
export interface OdooRestoreOutcome {
  readonly bytesSent: number;
  readonly elapsedMs: number;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Talks to one Odoo server's database manager. */
export class OdooManagerClient {
  private rpcId = 0;

  constructor(private readonly opts: OdooManagerOptions) {}

  /** The server's base URL. */
  get url(): string {
    return this.opts.url;
  }

  /** The server's version (`/web/webclient/version_info`). */
  async version(signal?: AbortSignal): Promise<OdooServerVersion> {
    const r = (await this.rpc('version', '/web/webclient/version_info', {}, signal)) as Record<string, Json> | null;
    const version = typeof r?.server_version === 'string' ? r.server_version : undefined;
    const serie = typeof r?.server_serie === 'string' ? r.server_serie : version;
    const info = Array.isArray(r?.server_version_info) ? r.server_version_info : [];
    const major = typeof info[0] === 'number' ? info[0] : odooMajor(serie ?? version);
    if (version === undefined || major === undefined) {
      throw new AppError('Fatal', `${this.url} answered version_info without a version: is it an Odoo server?`, { hint: 'Check the URL.' });
    }
    return { version, serie: serie ?? version, major };
  }

  /** The databases (`db.list`; `/web/database/list` when the db service refuses). */
  async listDatabases(signal?: AbortSignal): Promise<OdooDatabase[]> {
    let names: Json;
    try {
      names = await this.rpc('list', '/jsonrpc', { service: 'db', method: 'list', args: [] }, signal);
    } catch (err) {
      if (!isAppError(err, 'NotFound')) throw err;
      names = await this.rpc('list', '/web/database/list', {}, signal);
    }
    if (!Array.isArray(names)) throw new AppError('Fatal', `${this.url} answered the database list with something else than a list.`);
    return names.filter((n): n is string => typeof n === 'string').map((name) => ({ name }));
  }

  /** True when the server can connect to database `name` (`db.db_exist`; needs no password and no `list_db`). */
  async databaseExists(name: string, signal?: AbortSignal): Promise<boolean> {
    return (await this.rpc('list', '/jsonrpc', { service: 'db', method: 'db_exist', args: [name] }, signal)) === true;
  }

  /** Checks the master password without side effects; `AuthFailed` when wrong. */
  async checkMasterPassword(signal?: AbortSignal): Promise<void> {
    await this.rpc('check', '/jsonrpc', { service: 'db', method: 'list_countries', args: [this.password('check')] }, signal);
  }

  /** Starts a backup and returns its byte stream as the server sends it (never buffered). */
  async streamBackup(db: string, format: 'zip' | 'dump', signal?: AbortSignal): Promise<OdooBackupStream> {
    await this.checkMasterPassword(signal);
    const form = new URLSearchParams({ master_pwd: this.password('backup'), name: db, backup_format: format });
    const started = Date.now();
    const ans = await this.send('backup', { url: `${this.url}/web/database/backup`, method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: Buffer.from(form.toString()), ...(signal ? { signal } : {}) }, started);
    const type = String(ans.headers['content-type'] ?? '');
    if (ans.status !== 200 || /^text\/html/i.test(type)) {
      throw httpAnswerError('backup', ans.status, header(ans, 'server'), await readText(ans.body), { ...this.at, db });
    }
    const length = Number(ans.headers['content-length']);
    return { stream: ans.body, filename: dispositionFilename(header(ans, 'content-disposition')) ?? `${db}.${format}`, format, size: Number.isFinite(length) && length > 0 ? length : undefined };
  }

  /** Uploads a backup to `/web/database/restore`; resolves when Odoo says it restored it. */
  async restore(up: OdooRestoreUpload): Promise<OdooRestoreOutcome> {
    const fields: Array<[string, string]> = [
      ['master_pwd', this.password('restore')],
      ['name', up.name],
      ['copy', up.copy ? 'true' : 'false'],
    ];
    // 16.0+ neutralizes on ANY non-empty value ("false" too): the field is present only to neutralize.
    if (up.neutralize) fields.push(['neutralize_database', 'on']);
    const isZip = /\.zip$/i.test(up.filename);
    const body = multipartBody(fields, { field: 'backup_file', filename: up.filename, contentType: isZip ? 'application/zip' : 'application/octet-stream', data: up.data, ...(up.size !== undefined ? { size: up.size } : {}) });
    const started = Date.now();
    const ans = await this.send('restore', {
      url: `${this.url}/web/database/restore`,
      method: 'POST',
      headers: { 'content-type': body.contentType },
      body: body.stream,
      ...(body.length !== undefined ? { contentLength: body.length } : {}),
      ...(up.signal ? { signal: up.signal } : {}),
      ...(up.onSent ? { onSent: up.onSent } : {}),
      ...(up.onUploaded ? { onBodySent: up.onUploaded } : {}),
      responseTimeoutMs: this.opts.responseTimeoutMs ?? 2 * 3600_000,
    }, started, up.size);
    await this.expectManagerRedirect('restore', ans, up.name);
    return { bytesSent: ans.bytesSent, elapsedMs: Date.now() - started };
  }

  /** Duplicates `name` as `newName` (Odoo always gives the copy a new uuid/secret); optionally neutralized (16.0+). */
  async duplicate(name: string, newName: string, opts: { neutralize?: boolean; signal?: AbortSignal } = {}): Promise<void> {
    const fields: Record<string, string> = { master_pwd: this.password('duplicate'), name, new_name: newName };
    if (opts.neutralize) fields.neutralize_database = 'on';
    await this.postForm('duplicate', '/web/database/duplicate', fields, newName, opts.signal);
  }

  /**
   * Drops `name`. Odoo answers an unknown name with the same 303 as a success, so the result is
   * checked against the list: `NotFound` when it was not there, `Fatal` when it still is.
   */
  async drop(name: string, signal?: AbortSignal): Promise<void> {
    if (!(await this.databaseExists(name, signal))) {
      throw new AppError('NotFound', `There is no database "${name}" on ${this.url}.`, { hint: 'The Odoo instances screen lists its databases.', details: { cliHint: `List them with \`backup-desk odoo dbs ${this.opts.instance ?? 'NAME'}\`.` } });
    }
    await this.postForm('drop', '/web/database/drop', { master_pwd: this.password('drop'), name }, name, signal);
    if (await this.databaseExists(name, signal)) {
      throw new AppError('Fatal', `Odoo answered the drop of "${name}" as done, but the database is still there.`, { hint: 'It may be in use by a session Odoo could not end; see the Odoo server log.' });
    }
  }

  /** Renames a database and its filestore (`db.rename`; the manager page has no form for it). */
  async rename(oldName: string, newName: string, signal?: AbortSignal): Promise<void> {
    await this.rpc('rename', '/jsonrpc', { service: 'db', method: 'rename', args: [this.password('rename'), oldName, newName] }, signal);
  }

  /**
   * Asks the server whether it takes a restore upload of `bytes` without sending it: a request
   * announcing that Content-Length and no body. nginx (client_max_body_size) and Odoo 17.0's
   * early cap answer 413 at once; a server that starts reading instead is left after `waitMs`
   * (the truncated body makes the route fail before it runs, so nothing is created).
   * Resolves with the classified 413, or undefined when none came.
   */
  async probeUploadLimit(bytes: number, signal?: AbortSignal, waitMs = 3000): Promise<AppError | undefined> {
    // A body that never comes: after `waitMs` it fails, which ends the request.
    const wait: AsyncIterable<Buffer> = {
      [Symbol.asyncIterator]: () => ({ next: () => new Promise<IteratorResult<Buffer>>((_r, reject) => setTimeout(() => reject(new Error('probe over')), waitMs)) }),
    };
    try {
      const ans = await exchange({ url: `${this.url}/web/database/restore`, method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=backup-desk-probe' }, body: wait, contentLength: bytes, ...(signal ? { signal } : {}) });
      const text = await readText(ans.body);
      return ans.status === 413 ? httpAnswerError('restore', 413, header(ans, 'server'), text, { ...this.at, bytes }) : undefined;
    } catch (err) {
      if (err instanceof HttpFailure && err.stage !== 'connect') return undefined;
      if (err instanceof HttpFailure) throw networkError('restore', err, { ...this.at });
      throw err;
    }
  }

  /** Where errors happened: the server's URL and the instance's name. */
  private get at(): { url: string; instance?: string } {
    return { url: this.url, ...(this.opts.instance ? { instance: this.opts.instance } : {}) };
  }

  private password(op: ManagerOp): string {
    const pw = this.opts.masterPassword;
    if (pw === undefined || pw === '') throw new AppError('AuthFailed', `The ${op} needs the master password of ${this.url}, and none is stored.`, { hint: `Store it with \`backup-desk odoo set-password ${this.opts.instance ?? 'NAME'}\`.` });
    return pw;
  }

  /** Posts a manager form (duplicate, drop) once the master password checked out without side effects. */
  private async postForm(op: ManagerOp, path: string, fields: Record<string, string>, db: string, signal?: AbortSignal): Promise<void> {
    await this.checkMasterPassword(signal);
    const started = Date.now();
    const body = Buffer.from(new URLSearchParams(fields).toString());
    const ans = await this.send(op, { url: `${this.url}${path}`, method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body, responseTimeoutMs: this.opts.responseTimeoutMs ?? 2 * 3600_000, ...(signal ? { signal } : {}) }, started);
    await this.expectManagerRedirect(op, ans, db);
  }

  /** 303 → `/web/database/manager` is success; anything else is classified from its page. */
  private async expectManagerRedirect(op: ManagerOp, ans: HttpAnswer, db: string): Promise<void> {
    const location = header(ans, 'location') ?? '';
    if (ans.status >= 300 && ans.status < 400 && /\/web\/database\/manager(\?.*)?$/.test(location)) {
      ans.body.resume();
      return;
    }
    const text = await readText(ans.body);
    if (ans.status >= 300 && ans.status < 400) {
      throw new AppError('Fatal', `${this.url} answered the ${op} with a redirect to ${location || '(nowhere)'} instead of the database manager.`, { hint: 'Check the URL: it must reach Odoo itself (a login page or another site redirects elsewhere).', details: { status: ans.status, op } });
    }
    throw httpAnswerError(op, ans.status, header(ans, 'server'), text, { ...this.at, db, ...(ans.bodyComplete ? {} : { bytes: ans.bytesSent }) });
  }

  private async send(op: ManagerOp, x: HttpExchange, started = Date.now(), size?: number): Promise<HttpAnswer> {
    try {
      return await exchange(x);
    } catch (err) {
      if (err instanceof HttpFailure) throw networkError(op, err, { ...this.at, elapsedMs: Date.now() - started, ...(size !== undefined ? { bytes: size } : {}) });
      throw err;
    }
  }

  /** One JSON-RPC call (`method: call`); Odoo's error envelope becomes a classified error. */
  private async rpc(op: ManagerOp, path: string, params: Record<string, Json>, signal?: AbortSignal): Promise<Json> {
    const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', method: 'call', params, id: ++this.rpcId }));
    const ans = await this.send(op, { url: `${this.url}${path}`, method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body, responseTimeoutMs: this.opts.quickTimeoutMs ?? 30_000, ...(signal ? { signal } : {}) });
    if (ans.status >= 300 && ans.status < 400 && header(ans, 'location')) {
      ans.body.resume();
      throw redirectedError(this.url, path, ans.status, header(ans, 'location')!);
    }
    const text = await readText(ans.body);
    let parsed: { result?: Json; error?: { code?: number; message?: string; data?: { name?: string; message?: string } } } | undefined;
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      parsed = undefined;
    }
    if (ans.status !== 200 || parsed === undefined || typeof parsed !== 'object' || parsed === null) {
      throw httpAnswerError(op, ans.status === 200 ? 404 : ans.status, header(ans, 'server'), text, { ...this.at });
    }
    if (parsed.error) throw this.rpcError(op, parsed.error);
    return parsed.result ?? null;
  }

  private rpcError(op: ManagerOp, e: { code?: number; message?: string; data?: { name?: string; message?: string } }): AppError {
    const name = e.data?.name ?? '';
    const message = e.data?.message ?? e.message ?? 'Odoo Server Error';
    if (e.code === 404 || /KeyError/.test(name) || /Method not found/i.test(message)) {
      return new AppError('NotFound', `${this.url} has no ${op === 'check' ? 'master-password check' : op} method (${message}).`, { hint: 'An Odoo older than 12.0, or not Odoo.' });
    }
    if (/AccessDenied/.test(name)) {
      if (op === 'list') return odooMessageError('list', 'Access Denied', { disabled: true, ...this.at });
      return odooMessageError(op, 'Access Denied', { ...this.at });
    }
    return odooMessageError(op, message, { ...this.at });
  }
}

/**
 * `InvalidInput` for a JSON route that answers with a redirect (http → https, another host):
 * the client does not follow it (a POST with the master password must reach the address given),
 * so it says where to and that the instance needs that address.
 */
function redirectedError(url: string, path: string, status: number, location: string): AppError {
  let target = location;
  try {
    const to = new URL(location, `${url}${path}`);
    target = `${to.origin}${to.pathname.endsWith(path) ? to.pathname.slice(0, -path.length) : to.pathname}`.replace(/\/+$/, '');
  } catch {
    // an unparsable Location is shown as it is
  }
  return new AppError('InvalidInput', `${url} redirects to ${target} (HTTP ${status}): the database manager is not reached at this address.`, {
    hint: `Give the instance the address it redirects to: ${target}`,
    details: { status, location, cliHint: `Use --url ${target} (an instance already added: \`backup-desk odoo remove NAME\`, then \`odoo add NAME --url ${target}\`).` },
  });
}

function header(ans: HttpAnswer, name: string): string | undefined {
  const v = ans.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The file name in a Content-Disposition header: RFC 6266 `filename*=UTF-8''…` first (Odoo sends only that), then `filename=`. */
export function dispositionFilename(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const star = /filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i.exec(value);
  if (star?.[2]) {
    try {
      return decodeURIComponent(star[2].trim());
    } catch {
      return star[2].trim();
    }
  }
  const plain = /filename\s*=\s*"?([^";]+)"?/i.exec(value);
  return plain?.[1]?.trim();
}
