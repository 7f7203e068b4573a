/**
 * Connections to a PostgreSQL target: a `postgres://` URL or libpq's usual environment
 * (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE — node-postgres honours them), with errors
 * classified where they arise and the environment for child tools (pg_restore) built without ever
 * putting a password on a command line.
 */
import pg from 'pg';
import { AppError } from '../errors';

/** The parts of a `postgres://user:pass@host:port/db?host=/socket&sslmode=…` URL. */
export interface PgUrlParts {
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
  sslmode?: string;
}

/** True when a `postgres://` URL carries a password (`user:secret@`), which must never be stored or shown. */
export function pgUrlHasPassword(url: string): boolean {
  return /^postgres(ql)?:\/\/[^/@]*:[^/@]*@/.test(url);
}

/** Parses a `postgres://` (or `postgresql://`) URL; throws `InvalidInput` on anything else. */
export function parsePgUrl(pgUrl: string): PgUrlParts {
  let u: URL;
  try {
    u = new URL(pgUrl);
  } catch {
    throw new AppError('InvalidInput', 'The PostgreSQL server address is not a valid postgres:// URL.', { hint: 'Use postgres://USER@HOST:PORT/ (password via PGPASSWORD or ~/.pgpass).' });
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    throw new AppError('InvalidInput', `A PostgreSQL server URL must start with postgres:// (got ${u.protocol}//).`, { hint: 'Use postgres://USER@HOST:PORT/' });
  }
  const q = u.searchParams;
  const host = q.get('host') ?? (u.hostname ? decodeURIComponent(u.hostname) : undefined);
  const port = q.get('port') ?? u.port;
  const db = decodeURIComponent(u.pathname.replace(/^\//, ''));
  return {
    ...(host ? { host: host.replace(/^\[(.*)\]$/, '$1') } : {}),
    ...(port ? { port: Number(port) } : {}),
    ...(u.username ? { user: decodeURIComponent(u.username) } : q.get('user') ? { user: q.get('user')! } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(db ? { database: db } : q.get('dbname') ? { database: q.get('dbname')! } : {}),
    ...(q.get('sslmode') ? { sslmode: q.get('sslmode')! } : {}),
  };
}

/** Where a target is, for messages (never includes a password). */
export interface PgTargetInfo {
  readonly host: string;
  readonly port: number;
  readonly user: string | undefined;
}

/** Client settings for `db` on the target given by `pgUrl` (or the libpq environment). */
export function clientConfig(pgUrl: string | undefined, db?: string): pg.ClientConfig {
  if (pgUrl) {
    // Parsed ourselves so `database` can be overridden (a connectionString wins over fields in pg).
    const p = parsePgUrl(pgUrl);
    const ssl = p.sslmode && p.sslmode !== 'disable' && p.sslmode !== 'prefer' && p.sslmode !== 'allow'
      ? { rejectUnauthorized: p.sslmode === 'verify-full' || p.sslmode === 'verify-ca' }
      : undefined;
    return {
      ...(p.host ? { host: p.host } : {}),
      ...(p.port ? { port: p.port } : {}),
      ...(p.user ? { user: p.user } : {}),
      ...(p.password ? { password: p.password } : {}),
      ...(db ?? p.database ? { database: db ?? p.database } : {}),
      ...(ssl ? { ssl } : {}),
    };
  }
  return db ? { database: db } : {};
}

/** Host/port/user of the target, for messages. */
export function targetInfo(pgUrl: string | undefined): PgTargetInfo {
  if (pgUrl) {
    const p = parsePgUrl(pgUrl);
    return { host: p.host ?? 'localhost', port: p.port ?? 5432, user: p.user };
  }
  return {
    host: process.env.PGHOST ?? 'localhost',
    port: Number(process.env.PGPORT ?? 5432),
    user: process.env.PGUSER ?? process.env.USER,
  };
}

/** A human label of the target, e.g. `127.0.0.1:5432`. */
export function targetLabel(pgUrl: string | undefined): string {
  const t = targetInfo(pgUrl);
  return t.host.startsWith('/') ? `socket ${t.host} (port ${t.port})` : `${t.host}:${t.port}`;
}

/** Classifies a node-postgres / socket error. */
export function classifyPgError(err: unknown, pgUrl: string | undefined, what = 'PostgreSQL'): AppError {
  if (err instanceof AppError) return err;
  const e = err as { code?: string; message?: string };
  const label = targetLabel(pgUrl);
  const msg = e.message ?? String(err);
  switch (e.code) {
    case 'ECONNREFUSED':
    case 'ENOENT':
    case 'EHOSTUNREACH':
    case 'ENOTFOUND':
    case 'ETIMEDOUT':
    case 'EAI_AGAIN':
      return new AppError('Transient', `${what} is not reachable at ${label} (${e.code}).`, {
        hint: `Start PostgreSQL or check the target host and port (${label}).`,
        cause: err,
      });
    case '28P01':
    case '28000':
      return new AppError('AuthFailed', `${what} at ${label} refused the login: ${msg}`, {
        hint: 'Check the user name and password of the target (URL or PGUSER/PGPASSWORD).',
        cause: err,
      });
    case '42501':
      return new AppError('PermissionDenied', `${what} at ${label}: ${msg}`, {
        hint: 'Use a PostgreSQL role allowed to create databases (CREATEDB), as Odoo needs.',
        cause: err,
      });
    case '3D000':
      return new AppError('NotFound', `${what} at ${label}: ${msg}`, {
        hint: 'Check the database name and that it exists on that server.',
        details: { cliHint: 'Check the database name (--db, or the one in the URL) and that it exists on that server.' },
        cause: err,
      });
    case '57P01':
    case '57P03':
      return new AppError('Transient', `${what} at ${label} is shutting down or starting: ${msg}`, { hint: 'Try again in a moment.', cause: err });
    default:
      // No answer in time, or the connection cut before PostgreSQL spoke (a firewall, something else on that port).
      if (e.code === undefined && /^(Connection terminated (unexpectedly|due to connection timeout)|timeout expired)$/.test(msg)) {
        return new AppError('Transient', `${what} at ${label} did not answer (${msg.toLowerCase()}).`, {
          hint: `Check that PostgreSQL runs there and that a firewall lets this machine reach ${label}.`,
          cause: err,
        });
      }
      return new AppError('Fatal', `${what} at ${label}: ${msg}`, { cause: err });
  }
}

/** Connects a client to `db` (default: the URL's or environment's database). */
export async function connect(pgUrl: string | undefined, db?: string): Promise<pg.Client> {
  const client = new pg.Client({ ...clientConfig(pgUrl, db), application_name: 'odoo-backup-desk', connectionTimeoutMillis: 15_000 });
  // A terminated backend must not crash the process; the failing query reports it.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw classifyPgError(err, pgUrl);
  }
  return client;
}

/**
 * Connects to a maintenance database (`postgres`, then `template1`) for CREATE/DROP/RENAME
 * DATABASE, as Odoo does.
 */
export async function connectAdmin(pgUrl: string | undefined): Promise<pg.Client> {
  try {
    return await connect(pgUrl, 'postgres');
  } catch (err) {
    if (err instanceof AppError && err.kind === 'NotFound') return connect(pgUrl, 'template1');
    throw err;
  }
}

/** Quotes an SQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Environment for libpq tools (pg_restore, psql) to reach `db`; the password travels only here. */
export function libpqEnv(pgUrl: string | undefined, db: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PGDATABASE: db, PGAPPNAME: 'odoo-backup-desk' };
  if (pgUrl) {
    const p = parsePgUrl(pgUrl);
    for (const k of ['PGHOST', 'PGPORT', 'PGUSER', 'PGPASSWORD', 'PGSSLMODE']) delete env[k];
    if (p.host) env.PGHOST = p.host;
    if (p.port) env.PGPORT = String(p.port);
    if (p.user) env.PGUSER = p.user;
    if (p.password) env.PGPASSWORD = p.password;
    if (p.sslmode) env.PGSSLMODE = p.sslmode;
  }
  return env;
}

/** The server's major version (e.g. 15) and full version string. */
export async function serverVersion(client: pg.Client): Promise<{ major: number; text: string }> {
  const r = await client.query<{ n: string; v: string }>("SELECT current_setting('server_version_num') AS n, current_setting('server_version') AS v");
  const num = Number(r.rows[0]?.n ?? 0);
  const major = num >= 100000 ? Math.floor(num / 10000) : Math.floor(num / 10000) + (Math.floor(num / 100) % 100) / 10;
  return { major, text: r.rows[0]?.v ?? '' };
}
