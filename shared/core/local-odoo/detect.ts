/**
 * "The Odoo on this machine": found through its configuration file, it is the one-click restore
 * target — its PostgreSQL (db_host/db_port/db_user, with db_password used to connect but never
 * shown), its data dir (where the filestore goes, and whose owner the filestore gets) and the URL
 * it answers on.
 */
import { readdir, stat } from 'node:fs/promises';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { defaultOdooDataDir } from '../restore/targets';
import { odooConfCandidates, readOdooConf, type OdooConf } from './odoo-conf';

/** A user and group id that owns files. */
export interface FileOwner {
  readonly uid: number;
  readonly gid: number;
  /** The user's name, when /etc/passwd knows it. */
  readonly user?: string;
}

/** The Odoo found on this machine. */
export interface LocalOdoo {
  /** The configuration file it was read from. */
  readonly confPath: string;
  /** Its data dir (the filestore goes to `<dataDir>/filestore/<db>`). */
  readonly dataDir: string;
  /** Who owns the data dir (or its nearest existing parent): the restored filestore gets this owner. */
  readonly dataDirOwner?: FileOwner;
  /** The role Odoo connects as (absent: libpq's default, the OS user Odoo runs as). */
  readonly dbUser?: string;
  /** Where its PostgreSQL is, as a URL without any password (safe to show). */
  readonly pgUrl: string;
  /** Whether the configuration has a db_password (used to connect; never shown). */
  readonly hasPassword: boolean;
  /** The URL Odoo answers on, e.g. `http://localhost:8069`. */
  readonly httpUrl: string;
}

/** A detected Odoo and its database password, which only the connection ever sees. */
export interface LocalOdooWithSecret {
  readonly odoo: LocalOdoo;
  /** The same URL with the password in it: for connecting only, never for messages, logs or results. */
  readonly connectUrl: string;
}

/** Users from /etc/passwd: uid → name and home. */
async function passwd(): Promise<Map<number, { name: string; home: string }>> {
  const out = new Map<number, { name: string; home: string }>();
  try {
    for (const line of (await readFile('/etc/passwd', 'utf8')).split('\n')) {
      const f = line.split(':');
      if (f.length >= 6) out.set(Number(f[2]), { name: f[0]!, home: f[5]! });
    }
  } catch {
    /* not a Unix-like system */
  }
  return out;
}

/** The owner of `path`, or of its nearest existing parent. */
export async function ownerOf(path: string): Promise<FileOwner | undefined> {
  const users = await passwd();
  for (let p = path; ; p = dirname(p)) {
    const s = await stat(p).catch(() => undefined);
    if (s) {
      const name = users.get(s.uid)?.name;
      return { uid: s.uid, gid: s.gid, ...(name ? { user: name } : {}) };
    }
    if (dirname(p) === p) return undefined;
  }
}

/** Odoo's own default data dir for the user who owns the configuration (Odoo runs as that user), else ours. */
async function defaultDataDirFor(confPath: string): Promise<string> {
  const s = await stat(confPath).catch(() => undefined);
  const user = s && s.uid !== 0 ? (await passwd()).get(s.uid) : undefined;
  return user && user.home && user.home !== '/' ? join(user.home, '.local', 'share', 'Odoo') : defaultOdooDataDir();
}

/** The PostgreSQL URL of an Odoo configuration (db_host absent: the local Unix socket, as libpq does). */
function pgUrlOf(conf: OdooConf, password?: string): string {
  const user = conf.dbUser ? encodeURIComponent(conf.dbUser) + (password ? `:${encodeURIComponent(password)}` : '') + '@' : '';
  const port = conf.dbPort ?? 5432;
  const host = conf.dbHost;
  if (!host || host.startsWith('/')) {
    const sock = host ?? '/var/run/postgresql';
    return `postgres://${user}localhost:${port}/postgres?host=${encodeURIComponent(sock)}`;
  }
  return `postgres://${user}${host.includes(':') ? `[${host}]` : host}:${port}/postgres`;
}

/** What an Odoo configuration file says about the Odoo it configures. */
export async function localOdooFromConf(conf: OdooConf): Promise<LocalOdooWithSecret> {
  const dataDir = conf.dataDir ?? (await defaultDataDirFor(conf.path));
  const owner = await ownerOf(dataDir);
  const iface = conf.httpInterface && conf.httpInterface !== '0.0.0.0' && conf.httpInterface !== '::' ? conf.httpInterface : 'localhost';
  const odoo: LocalOdoo = {
    confPath: conf.path,
    dataDir,
    ...(owner ? { dataDirOwner: owner } : {}),
    ...(conf.dbUser ? { dbUser: conf.dbUser } : {}),
    pgUrl: pgUrlOf(conf),
    hasPassword: conf.dbPassword !== undefined,
    httpUrl: `http://${iface.includes(':') ? `[${iface}]` : iface}:${conf.httpPort ?? 8069}`,
  };
  return { odoo, connectUrl: pgUrlOf(conf, conf.dbPassword) };
}

/**
 * Finds the Odoo on this machine: the given configuration file (which must exist), else the first
 * readable one of the usual places (`odooConfCandidates`); undefined when there is none.
 */
export async function detectLocalOdoo(opts: { confPath?: string; env?: NodeJS.ProcessEnv } = {}): Promise<LocalOdooWithSecret | undefined> {
  if (opts.confPath) return localOdooFromConf(await readOdooConf(opts.confPath));
  const etc = await readdir('/etc').catch(() => [] as string[]);
  for (const path of odooConfCandidates(opts.env ?? process.env, etc)) {
    const conf = await readOdooConf(path).catch(() => undefined);
    if (conf) return localOdooFromConf(conf);
  }
  return undefined;
}

/** The URL that opens database `db` in the local Odoo. */
export function odooDatabaseUrl(odoo: LocalOdoo, db: string): string {
  return `${odoo.httpUrl}/web?db=${encodeURIComponent(db)}`;
}
