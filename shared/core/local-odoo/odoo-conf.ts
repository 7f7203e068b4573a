/**
 * Odoo's configuration file (`odoo.conf`, `~/.odoorc`): an INI file whose `[options]` section holds
 * `key = value` lines. Only what a restore needs is read: data_dir, db_host, db_port, db_user,
 * db_password (kept apart, never printed) and http_port.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { AppError } from '../errors';

/** What a restore needs from an Odoo configuration file. */
export interface OdooConf {
  /** The file it was read from. */
  readonly path: string;
  readonly dataDir?: string;
  readonly dbHost?: string;
  readonly dbPort?: number;
  readonly dbUser?: string;
  /** Odoo's database password: used to connect, never printed, logged or written anywhere but the keychain. */
  readonly dbPassword?: string;
  readonly httpPort?: number;
  readonly httpInterface?: string;
}

/** Odoo's "not set" values (`False`, empty) are absent. */
const unset = (v: string | undefined): boolean => v === undefined || v === '' || /^(false|none)$/i.test(v);

/** Parses the `[options]` section of an Odoo configuration file (`path` only resolves a relative data_dir and names the file). */
export function parseOdooConf(text: string, path: string): OdooConf {
  const opts = new Map<string, string>();
  let section = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const sec = /^\[(.+)\]$/.exec(line);
    if (sec) {
      section = sec[1]!.trim().toLowerCase();
      continue;
    }
    const kv = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(line);
    if (kv && section === 'options') opts.set(kv[1]!.trim().toLowerCase(), kv[2]!.trim());
  }
  const get = (k: string): string | undefined => (unset(opts.get(k)) ? undefined : opts.get(k));
  const num = (k: string): number | undefined => {
    const v = get(k);
    const n = v === undefined ? NaN : Number(v);
    return Number.isInteger(n) && n > 0 && n < 65536 ? n : undefined;
  };
  const dataDir = get('data_dir');
  return {
    path,
    ...(dataDir ? { dataDir: isAbsolute(dataDir) ? dataDir : resolve(dirname(path), dataDir.replace(/^~(?=\/|$)/, homedir())) } : {}),
    ...(get('db_host') ? { dbHost: get('db_host')! } : {}),
    ...(num('db_port') ? { dbPort: num('db_port')! } : {}),
    ...(get('db_user') ? { dbUser: get('db_user')! } : {}),
    ...(get('db_password') ? { dbPassword: get('db_password')! } : {}),
    ...(num('http_port') ?? num('xmlrpc_port') ? { httpPort: (num('http_port') ?? num('xmlrpc_port'))! } : {}),
    ...(get('http_interface') ?? get('xmlrpc_interface') ? { httpInterface: (get('http_interface') ?? get('xmlrpc_interface'))! } : {}),
  };
}

/** Reads and parses an Odoo configuration file; a missing or unreadable one is `NotFound`/`PermissionDenied` naming it. */
export async function readOdooConf(path: string): Promise<OdooConf> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') {
      throw new AppError('PermissionDenied', `Cannot read the Odoo configuration ${path}: permission denied.`, { hint: 'Run as a user who may read it (the Odoo user, or root).', cause: err });
    }
    throw new AppError('NotFound', `The Odoo configuration file ${path} was not found.`, { hint: 'Give the path of the odoo.conf your Odoo runs with.', details: { cliHint: 'Give the path of your odoo.conf with --odoo-conf FILE.' }, cause: err });
  }
  return parseOdooConf(text, path);
}

/** Where an Odoo configuration is looked for, in order: $ODOO_RC, /etc/odoo/odoo.conf, /etc/odoo*.conf, ~/.odoorc, ~/.openerp_serverrc. */
export function odooConfCandidates(env: NodeJS.ProcessEnv = process.env, etcEntries: readonly string[] = [], home = env.HOME || homedir()): string[] {
  const etc = etcEntries.filter((f) => /^odoo[\w.-]*\.conf$/.test(f)).sort().map((f) => join('/etc', f));
  const list = [...(env.ODOO_RC ? [env.ODOO_RC] : []), '/etc/odoo/odoo.conf', ...etc, join(home, '.odoorc'), join(home, '.openerp_serverrc')];
  return [...new Set(list)];
}
