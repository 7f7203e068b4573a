/**
 * Named Odoo instances reached through their database manager: `odoo-instances.json` in the
 * home folder holds the non-secret part (name, URL), the master password lives in the secret
 * store under the scope `odoo:<id>` (never in the file, never on a command line).
 *
 * The file is its own (not `config.json`) so that its schema evolves without touching the
 * storages' config; it is written atomically like the config.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { AppError } from '../errors';
import { SECRET_NAMES } from '../secrets/names';
import type { SecretStore } from '../secrets/secret-store';
import { writeFileAtomic } from '../util/atomic-file';

/** The registry file's name inside the home folder. */
export const ODOO_INSTANCES_FILE = 'odoo-instances.json';

/** Instance names: used in `odoo:NAME` targets and sources, so no `:` and no spaces. */
export const INSTANCE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** One configured Odoo instance, as stored (never its master password). */
export const odooInstanceSchema = z.object({
  /** Stable id; the secret scope is `odoo:<id>`. */
  id: z.string().min(1),
  name: z.string().regex(INSTANCE_NAME_PATTERN),
  /** Base URL of the Odoo server (`https://odoo.example.com`, maybe with a path prefix), no trailing slash. */
  url: z.string().url(),
  createdAt: z.string(),
});
/** One configured Odoo instance. */
export type OdooInstance = z.infer<typeof odooInstanceSchema>;

const fileSchema = z.object({ version: z.literal(1), instances: z.array(odooInstanceSchema) });
type InstancesFile = z.infer<typeof fileSchema>;

/** The secret scope of an instance. */
export function instanceSecretScope(inst: Pick<OdooInstance, 'id'>): string {
  return `odoo:${inst.id}`;
}

/**
 * Checks and normalises an instance URL: http(s) only, no user:password part (secrets never go
 * in files), no query or fragment, no trailing slash.
 */
export function normalizeInstanceUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    throw new AppError('InvalidInput', `"${raw}" is not a URL.`, { hint: 'Give the address you open Odoo at, e.g. https://odoo.example.com' });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new AppError('InvalidInput', `"${raw}" is not an http(s) URL.`, { hint: 'Give the address you open Odoo at, e.g. https://odoo.example.com' });
  }
  if (u.username || u.password) {
    throw new AppError('InvalidInput', 'The Odoo URL must not contain a user name or password.', {
      hint: 'Give the URL without "user:password@"; the master password is asked for separately and kept in the keychain.',
    });
  }
  u.hash = '';
  u.search = '';
  let path = u.pathname.replace(/\/+$/, '');
  // People paste the manager's own address; the instance is the server.
  path = path.replace(/\/web(\/database(\/(manager|selector))?)?$/, '').replace(/\/odoo$/, '');
  return `${u.protocol}//${u.host}${path}`;
}

/** Reads, edits and writes `odoo-instances.json` of one home folder, one change at a time. */
export class OdooInstanceStore {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    readonly home: string,
    private readonly secrets: () => Promise<SecretStore>,
  ) {}

  /** The file's path. */
  get file(): string {
    return join(this.home, ODOO_INSTANCES_FILE);
  }

  /** Every instance, in the order they were added. */
  async list(): Promise<OdooInstance[]> {
    return (await this.load()).instances;
  }

  /** The instance called `name`; `NotFound` naming the configured ones otherwise. */
  async get(name: string): Promise<OdooInstance> {
    const all = await this.list();
    const inst = all.find((i) => i.name === name);
    if (!inst) throw unknownInstanceError(name, all);
    return inst;
  }

  /** Adds an instance and stores its master password; `Conflict` when the name is taken. */
  async add(name: string, url: string, masterPassword: string): Promise<OdooInstance> {
    if (!INSTANCE_NAME_PATTERN.test(name)) {
      throw new AppError('InvalidInput', `"${name}" is not a valid instance name.`, { hint: 'Use letters, digits, "_", "." or "-", starting with a letter or digit.' });
    }
    if (masterPassword === '') throw new AppError('InvalidInput', 'The master password is empty.', { hint: 'Odoo refuses every database-manager request without one.' });
    const inst: OdooInstance = { id: randomUUID(), name, url: normalizeInstanceUrl(url), createdAt: new Date().toISOString() };
    return this.update(async (f) => {
      if (f.instances.some((i) => i.name === name)) {
        throw new AppError('Conflict', `An Odoo instance named "${name}" already exists.`, { hint: `Remove it first (\`backup-desk odoo remove ${name}\`) or choose another name.` });
      }
      await (await this.secrets()).set(instanceSecretScope(inst), SECRET_NAMES.masterPassword, masterPassword);
      return { file: { ...f, instances: [...f.instances, inst] }, result: inst };
    });
  }

  /** Replaces the stored master password of an instance. */
  async setMasterPassword(name: string, masterPassword: string): Promise<void> {
    const inst = await this.get(name);
    await (await this.secrets()).set(instanceSecretScope(inst), SECRET_NAMES.masterPassword, masterPassword);
  }

  /** The stored master password; `AuthFailed` when none is stored. */
  async masterPassword(inst: OdooInstance): Promise<string> {
    const pw = await (await this.secrets()).get(instanceSecretScope(inst), SECRET_NAMES.masterPassword);
    if (pw === undefined || pw === '') {
      throw new AppError('AuthFailed', `No master password is stored for the Odoo instance "${inst.name}".`, {
        hint: 'Remove the instance and add it again with its master password.',
        details: { cliHint: `Remove and add it again (\`backup-desk odoo remove ${inst.name}\`, then \`backup-desk odoo add ${inst.name} --url ${inst.url}\`).` },
      });
    }
    return pw;
  }

  /** Removes an instance and deletes its secrets; its databases are not touched. */
  async remove(name: string): Promise<void> {
    await this.update(async (f) => {
      const inst = f.instances.find((i) => i.name === name);
      if (!inst) throw unknownInstanceError(name, f.instances);
      await (await this.secrets()).deleteScope(instanceSecretScope(inst));
      return { file: { ...f, instances: f.instances.filter((i) => i !== inst) }, result: undefined };
    });
  }

  private async load(): Promise<InstancesFile> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, instances: [] };
      throw new AppError('Fatal', `Cannot read ${this.file}: ${(err as Error).message}`, { cause: err });
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new AppError('InvalidInput', `${this.file} is not valid JSON: ${(err as Error).message}`, { hint: `Fix or move away ${this.file}.`, cause: err });
    }
    const parsed = fileSchema.safeParse(raw);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
      throw new AppError('InvalidInput', `${this.file} is not a valid list of Odoo instances: ${issues}`, { hint: `Fix or move away ${this.file}.` });
    }
    return parsed.data;
  }

  private update<T>(fn: (f: InstancesFile) => Promise<{ file: InstancesFile; result: T }>): Promise<T> {
    const run = this.chain.then(async () => {
      const { file, result } = await fn(await this.load());
      await mkdir(this.home, { recursive: true, mode: 0o700 });
      await writeFileAtomic(this.file, JSON.stringify(fileSchema.parse(file), null, 2) + '\n');
      return result;
    });
    this.chain = run.catch(() => undefined);
    return run;
  }
}

/** `NotFound` for an instance name that is not configured, naming the configured ones (or how to add one). */
export function unknownInstanceError(name: string, all: readonly { name: string }[]): AppError {
  const configured = all.length ? `Configured: ${all.map((i) => i.name).join(', ')}.` : undefined;
  return new AppError('NotFound', `There is no Odoo instance named "${name}".`, {
    hint: configured ?? 'Add one under Odoo instances first.',
    details: { cliHint: configured ?? 'Add one with `backup-desk odoo add NAME --url URL` first.' },
  });
}
