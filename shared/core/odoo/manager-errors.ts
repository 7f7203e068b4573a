/**
 * Turning what an Odoo database manager (or the proxy in front of it) answers into classified
 * errors that say what happened and what to change. Odoo 12–19 answers a failed POST with
 * HTTP 200 and its manager page carrying `<div class="alert alert-danger">Database <op> error:
 * …</div>`; post-19 builds answer 4xx with `Could not <verb> database. …`; proxies answer 413,
 * 502, 504 with their own pages; a killed worker just drops the connection.
 */
import { AppError, type ErrorKind } from '../errors';
import type { HttpFailure } from './http';
import { formatBytes } from '../../contract/units';

/** The database-manager operations, as named in messages. */
export type ManagerOp = 'backup' | 'restore' | 'duplicate' | 'drop' | 'rename' | 'list' | 'version' | 'check';

const DISABLED_BANNER = 'The database manager has been disabled by the administrator';

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/** Decodes the HTML entities QWeb/markupsafe and proxies emit (named, decimal, hex). */
export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(code) ? String.fromCodePoint(code) : m;
    }
    return ENTITIES[e.toLowerCase()] ?? m;
  });
}

/** Text of an HTML fragment: tags dropped, entities decoded, whitespace collapsed. */
export function htmlText(fragment: string): string {
  return decodeEntities(fragment.replace(/<[^>]*>/g, ' ')).replace(/\s+/g, ' ').trim();
}

/** What an Odoo manager error page says. */
export interface ManagerPage {
  /** Odoo's message (`Database restore error: …`), when the page has one. */
  readonly error: string | undefined;
  /** True when the page carries the "database manager has been disabled" banner (`list_db = False`). */
  readonly disabled: boolean;
  /** The page's `<title>`, for non-Odoo pages. */
  readonly title: string | undefined;
}

/** Reads an HTML page answered by Odoo's manager, a post-19 error body, or a proxy. */
export function parseManagerPage(html: string): ManagerPage {
  const alerts = [...html.matchAll(/<div\b[^>]*class="alert alert-danger[^"]*"[^>]*>([\s\S]*?)<\/div>/gi)].map((m) => htmlText(m[1] ?? ''));
  const disabled = html.includes(DISABLED_BANNER);
  let error = alerts.find((a) => a !== '' && !a.startsWith(DISABLED_BANNER));
  if (error === undefined) {
    const text = htmlText(html.replace(/<(script|style|title)\b[\s\S]*?<\/\1>/gi, ' '));
    const m = /((?:Database \w+|Master password update) error: .*?)(?: Odoo\b|$)|(Could not \w+ database\. .*)$/.exec(text);
    error = m ? (m[1] ?? m[2])?.trim() : undefined;
  }
  const title = /<title>([\s\S]*?)<\/title>/i.exec(html)?.[1];
  return { error, disabled, title: title === undefined ? undefined : htmlText(title) };
}

/** Odoo's message without its `Database restore error: ` / `Could not restore database. ` prefix. */
function stripPrefix(msg: string): string {
  return msg.replace(/^(Database \w+|Master password update) error: /, '').replace(/^Could not \w+ database\. /, '');
}

/** What to do about a disabled database manager, for the operation that met it. */
function disabledHint(op: ManagerOp): string {
  const enable = "Set list_db = True in the server's Odoo configuration";
  if (op === 'restore' || op === 'list' || op === 'check') return `${enable}, or restore through PostgreSQL directly (--target postgres://…).`;
  if (op === 'backup') return `${enable}, or back up from PostgreSQL directly (a postgres:// source).`;
  return `${enable}.`;
}

/** The classified error for an Odoo message from a manager page (or a JSON-RPC error). */
export function odooMessageError(op: ManagerOp, message: string, opts: { disabled?: boolean; url: string; db?: string; instance?: string }): AppError {
  const inner = stripPrefix(message);
  const details = { odooMessage: message, op, url: opts.url, ...(opts.db ? { db: opts.db } : {}) };
  const err = (kind: ErrorKind, text: string, hint: string): AppError => new AppError(kind, text, { hint, details });
  if (/^Access denied$/i.test(inner)) {
    if (opts.disabled) return err('PermissionDenied', `The database manager of ${opts.url} is disabled (list_db = False).`, disabledHint(op));
    const check = "Check the master password (admin_passwd in the server's odoo.conf) and store the right one";
    return new AppError('AuthFailed', `Odoo refused the master password (${op}: "${message}").`, {
      hint: `${check}: Master password… on the Odoo instances screen.`,
      details: { ...details, cliHint: `${check} with \`backup-desk odoo set-password ${opts.instance ?? 'NAME'}\`.` },
    });
  }
  if (/^Database already exists$/i.test(inner) || /already exists/i.test(inner)) {
    return err('Conflict', `A database${opts.db ? ` named "${opts.db}"` : ''} already exists on ${opts.url} (Odoo: "${message}").`, 'Choose another name, or replace it (--replace drops it first).');
  }
  if (/Houston, we have a database naming issue/i.test(inner)) {
    return err('InvalidInput', `Odoo refused the database name${opts.db ? ` "${opts.db}"` : ''}: "${inner}"`, 'Use letters, digits, "_", "." or "-", starting with a letter or digit.');
  }
  if (/does not exist|is not known/i.test(inner)) {
    const lists = opts.instance ? `\`backup-desk odoo dbs ${opts.instance}\` lists them` : '`backup-desk odoo dbs NAME` lists them';
    return new AppError('NotFound', `Odoo says: "${message}".`, {
      hint: 'Check the database name (the Odoo instances screen lists them); with a dbfilter, use the hostname the filter expects.',
      details: { ...details, cliHint: `Check the database name (${lists}); with a dbfilter, use the hostname the filter expects.` },
    });
  }
  if (/CPU time limit exceeded/i.test(inner)) {
    return err('Fatal', `Odoo stopped the ${op}: "${message}".`, 'The worker hit limit_time_cpu (default 60 s): raise limit_time_cpu in odoo.conf, or use PostgreSQL directly for large databases.');
  }
  if (op === 'restore' && /Couldn't restore database/i.test(inner)) {
    return err('Fatal', `Odoo could not load the backup: "${message}".`, 'psql or pg_restore failed on the server (see its log): a backup from another PostgreSQL/Odoo version, or a damaged dump. Odoo leaves the half-built database behind.');
  }
  return err('Fatal', `Odoo's ${op} failed: "${message}".`, 'See the Odoo server log for details.');
}

/** The classified error for a non-success HTTP answer (its page already read into `text`). */
export function httpAnswerError(op: ManagerOp, status: number, server: string | undefined, text: string, ctx: { url: string; db?: string; bytes?: number; instance?: string }): AppError {
  const page = parseManagerPage(text);
  if (page.error && (status === 200 || (status >= 400 && status < 500 && status !== 413))) {
    return odooMessageError(op, page.error, { disabled: page.disabled, url: ctx.url, ...(ctx.db ? { db: ctx.db } : {}), ...(ctx.instance ? { instance: ctx.instance } : {}) });
  }
  if (status === 200 && page.disabled) return odooMessageError(op, 'Access Denied', { disabled: true, url: ctx.url, ...(ctx.instance ? { instance: ctx.instance } : {}) });
  const what = page.title ?? `HTTP ${status}`;
  const details = { status, op, url: ctx.url, ...(server ? { server } : {}), ...(ctx.bytes !== undefined ? { bytes: ctx.bytes } : {}) };
  if (status === 413) return tooLargeError(server, text, ctx, details);
  if (status === 502 || status === 504) {
    return new AppError('Transient', `The proxy in front of Odoo answered ${what} during the ${op}.`, {
      hint: 'Odoo took too long or its worker was killed: raise limit_time_real in odoo.conf (default 120 s) and proxy_read_timeout in nginx (default 60 s), then check whether the database appeared anyway.',
      details,
    });
  }
  if (status === 401 || status === 403) {
    return new AppError('PermissionDenied', `${ctx.url} refused the ${op} with ${what} (not Odoo's own answer: a proxy rule or HTTP authentication in front of /web/database).`, {
      hint: 'Allow /web/database/* for this machine on the proxy, or use PostgreSQL directly.',
      details,
    });
  }
  if (status === 404) {
    return new AppError('NotFound', `${ctx.url} has no Odoo database manager (${what}).`, { hint: 'Check the URL: it is the address you open Odoo at, e.g. https://odoo.example.com', details });
  }
  if (status === 200) {
    return new AppError('Fatal', `${ctx.url} answered the ${op} with an HTML page that is neither success nor an Odoo error${page.title ? ` ("${page.title}")` : ''}.`, { hint: 'Check that the URL points at Odoo itself.', details });
  }
  return new AppError(status >= 500 ? 'Transient' : 'Fatal', `${ctx.url} answered the ${op} with ${what}.`, { hint: 'See the Odoo server and proxy logs.', details });
}

/** HTTP 413: which limit refused the upload, and what to change. */
function tooLargeError(server: string | undefined, text: string, ctx: { url: string; bytes?: number }, details: Record<string, unknown>): AppError {
  const size = ctx.bytes !== undefined ? ` (${formatBytes(ctx.bytes)})` : '';
  const isNginx = /nginx/i.test(server ?? '') || /<center>nginx/i.test(text);
  const isWerkzeug = /werkzeug/i.test(server ?? '') || /exceeds the capacity limit/i.test(text);
  if (isWerkzeug && !isNginx) {
    return new AppError('Unsupported', `Odoo itself refused the upload${size} as too large (HTTP 413 from Werkzeug).`, {
      hint: 'Early Odoo 17.0 builds cap restores at 128 MiB (DEFAULT_MAX_CONTENT_LENGTH); update Odoo 17 to a build with the restore fix (odoo/odoo#147506), or restore through PostgreSQL directly.',
      details: { ...details, limit: 'odoo' },
    });
  }
  return new AppError('Unsupported', `The web server in front of Odoo${isNginx ? ' (nginx)' : ''} refused the upload${size} as too large (HTTP 413).`, {
    hint: 'Raise client_max_body_size (nginx; default 1m) for /web/database/restore above the backup\'s size, or the equivalent limit of your proxy, then retry.',
    details: { ...details, limit: 'proxy' },
  });
}

/** The classified error for an exchange that got no answer at all. */
export function networkError(op: ManagerOp, f: HttpFailure, ctx: { url: string; bytes?: number; elapsedMs?: number }): AppError {
  const details = { op, url: ctx.url, code: f.code, stage: f.stage, bytesSent: f.bytesSent };
  if (f.stage === 'connect') {
    const tls = /cert|self[- ]signed|SSL|TLS/i.test(`${f.code ?? ''} ${f.message}`);
    return new AppError('Transient', `Cannot reach ${ctx.url}: ${f.message}.`, {
      hint: tls ? 'The server\'s TLS certificate is not trusted by this machine: fix the certificate, or add its CA to the system trust store.' : 'Check the URL, that the server is up, and that this machine can reach it.',
      details,
    });
  }
  if (f.stage === 'upload') {
    return new AppError('Transient', `The connection to ${ctx.url} was closed while sending the backup, after ${formatBytes(f.bytesSent)}${f.timedOut ? ` (${f.message})` : ''}.`, {
      hint: 'A proxy or Odoo may refuse uploads this large without saying so (client_max_body_size in nginx, Odoo 17\'s 128 MiB cap), or the server restarted; check its logs.',
      details,
    });
  }
  const secs = ctx.elapsedMs !== undefined ? ` after ${Math.round(ctx.elapsedMs / 1000)} s` : '';
  return new AppError('Transient', `${ctx.url} stopped answering${secs} while it worked on the ${op}${f.timedOut ? ` (${f.message})` : ''}.`, {
    hint: 'Odoo kills requests that run past limit_time_real (default 120 s): raise limit_time_real in odoo.conf (and proxy_read_timeout in nginx) for large databases, then check whether the database appeared anyway.',
    details: { ...details, timeout: true },
  });
}
