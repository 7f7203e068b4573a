/**
 * The Odoo instances service: the contract's `odoo:*` methods over the instances registry and
 * the database-manager client. The Desk delegates to it; long work (duplicate) runs as a job.
 */
import type { z } from 'zod';
import { odooMethods, type OdooInstanceDatabases, type OdooInstanceSummary, type OdooTestResult } from '../../contract/odoo';
import { AppError, isAppError, messageWithHint, toAppError } from '../errors';
import type { JobManager } from '../jobs/job-manager';
import type { JobContext } from '../jobs/job';
import { nullLogger, type Logger } from '../util/logger';
import { openInstance } from './connect';
import { normalizeInstanceUrl, type OdooInstance, type OdooInstanceStore } from './instances';
import { OdooManagerClient } from './manager-client';
import { REMOTE_TEMP_PATTERN, restoreToOdoo, type RemoteRestoreOptions, type RemoteRestoreResult } from './remote-restore';

type OdooMethod = keyof typeof odooMethods;
/** A method's input. */
export type OdooArgs<M extends OdooMethod> = z.input<(typeof odooMethods)[M]['args']>;
/** A method's result. */
export type OdooResult<M extends OdooMethod> = z.infer<(typeof odooMethods)[M]['result']>;

const summary = (i: OdooInstance): OdooInstanceSummary => ({ name: i.name, url: i.url, createdAt: i.createdAt });

/** An error's details without its CLI hint, for an error that gives its own hint to both faces. */
function withoutCliHint(details: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> {
  const { cliHint: _cliHint, ...rest } = details ?? {};
  return rest;
}

/** A failed check's message with its hint, in the app's words and (when the error has them) the CLI's. */
function failedCheckMessages(e: AppError): { message: string; cliMessage?: string } {
  const cli = e.details?.cliHint;
  const message = messageWithHint(e);
  return typeof cli === 'string' ? { message, cliMessage: `${e.message} ${cli}` } : { message };
}

/** `Conflict`: removing an instance scheduled backups go through would make them fail at every run. */
function usedByJobsError(name: string, jobs: readonly string[]): AppError {
  const one = jobs.length === 1;
  return new AppError('Conflict', `Odoo instance "${name}" is used by the scheduled job${one ? '' : 's'} ${jobs.map((j) => `"${j}"`).join(', ')}: removing it would make ${one ? 'that job' : 'them'} fail at every run.`, {
    hint: `Edit or remove ${one ? 'that job' : 'those jobs'} first (Schedules), then remove the instance.`,
    details: { cliHint: `Remove or change ${one ? 'that job' : 'those jobs'} first (backup-desk schedule remove ${jobs[0]}, or schedule add ${jobs[0]} --replace … with another source), then remove the instance.` },
  });
}

/** Checks a master password about to be stored; a wrong one says the stored one is unchanged (not "run set-password", which is what is running). */
async function checkNewPassword(inst: OdooInstance, masterPassword: string): Promise<void> {
  await new OdooManagerClient({ url: inst.url, masterPassword, instance: inst.name }).checkMasterPassword().catch((err: unknown) => {
    if (!isAppError(err, 'AuthFailed')) throw err;
    throw new AppError('AuthFailed', err.message, { hint: "Check the master password (admin_passwd in the server's odoo.conf); the stored one is unchanged.", details: withoutCliHint(err.details) });
  });
}

/** The `odoo:*` methods. */
export class OdooService {
  /** The scheduled jobs that back up through an instance (the Desk wires the schedules in). */
  usedBy: (name: string) => Promise<string[]> = async () => [];

  constructor(
    readonly store: OdooInstanceStore,
    private readonly jobs: JobManager,
    private readonly log: Logger = nullLogger,
  ) {}

  /** The configured instances. */
  async 'odoo:list'(): Promise<OdooResult<'odoo:list'>> {
    return (await this.store.list()).map(summary);
  }

  /** Adds an instance (after checking the server and the master password, unless `check` is false). */
  async 'odoo:add'(args: OdooArgs<'odoo:add'>): Promise<OdooResult<'odoo:add'>> {
    const a = odooMethods['odoo:add'].args.parse(args);
    const url = normalizeInstanceUrl(a.url);
    if ((await this.store.list()).some((i) => i.name === a.name)) {
      throw new AppError('Conflict', `An Odoo instance named "${a.name}" already exists.`, { hint: `Remove it first (\`backup-desk odoo remove ${a.name}\`) or choose another name.` });
    }
    if (a.check) {
      const client = new OdooManagerClient({ url, masterPassword: a.masterPassword });
      const v = await client.version();
      await client.checkMasterPassword().catch((err: unknown) => {
        // Not added yet: there is nothing to set a password on; the hint says to add it again.
        if (!isAppError(err, 'AuthFailed')) throw err;
        throw new AppError('AuthFailed', err.message, { hint: "Check the master password (admin_passwd in the server's odoo.conf) and add the instance again; it was not added.", details: withoutCliHint(err.details) });
      });
      this.log.info('odoo instance checked', { instance: a.name, version: v.version });
    }
    const inst = await this.store.add(a.name, url, a.masterPassword);
    this.log.info('odoo instance added', { instance: a.name, url });
    return summary(inst);
  }

  /** Removes an instance and its master password. */
  async 'odoo:remove'(args: OdooArgs<'odoo:remove'>): Promise<OdooResult<'odoo:remove'>> {
    const jobs = await this.usedBy(args.name);
    if (jobs.length > 0) throw usedByJobsError(args.name, jobs);
    await this.store.remove(args.name);
    this.log.info('odoo instance removed', { instance: args.name });
    return {};
  }

  /** Replaces the stored master password (checked first unless `check` is false). */
  async 'odoo:set-password'(args: OdooArgs<'odoo:set-password'>): Promise<OdooResult<'odoo:set-password'>> {
    const a = odooMethods['odoo:set-password'].args.parse(args);
    const inst = await this.store.get(a.name);
    if (a.check) await checkNewPassword(inst, a.masterPassword);
    await this.store.setMasterPassword(a.name, a.masterPassword);
    return {};
  }

  /** Checks the server, its version, the master password and the database list; never throws for a failed check. */
  async 'odoo:test'(args: OdooArgs<'odoo:test'>): Promise<OdooTestResult> {
    const inst = await this.store.get(args.name);
    const checks: OdooTestResult['checks'] = [];
    const step = async <T>(name: string, fn: () => Promise<T>, ok: (v: T) => string): Promise<T | undefined> => {
      try {
        const v = await fn();
        checks.push({ name, ok: true, message: ok(v) });
        return v;
      } catch (err) {
        checks.push({ name, ok: false, ...failedCheckMessages(toAppError(err)) });
        return undefined;
      }
    };
    const pw = await this.store.masterPassword(inst).catch(() => undefined);
    const client = new OdooManagerClient({ url: inst.url, instance: inst.name, ...(pw !== undefined ? { masterPassword: pw } : {}) });
    const v = await step('server', () => client.version(), (x) => `Odoo ${x.version} answers at ${inst.url}`);
    if (!v) return { ok: false, checks };
    await step('password', () => client.checkMasterPassword(), () => 'the master password is right');
    await step('list', () => client.listDatabases(), (dbs) => `${dbs.length} database${dbs.length === 1 ? '' : 's'}`);
    return { ok: checks.every((c) => c.ok), version: v.version, checks };
  }

  /** The server's version and databases (an empty list flagged when the server hides it). */
  async 'odoo:dbs'(args: OdooArgs<'odoo:dbs'>): Promise<OdooInstanceDatabases> {
    const { instance, client } = await this.open(args.name);
    const v = await client.version();
    let databases: OdooInstanceDatabases['databases'] = [];
    let listDisabled = false;
    try {
      databases = await client.listDatabases();
    } catch (err) {
      if (!isAppError(err, 'PermissionDenied')) throw err;
      listDisabled = true;
    }
    return { name: instance.name, url: instance.url, version: v.version, major: v.major, databases, listDisabled };
  }

  /** Starts a duplicate as a job; its result is `{ db, newName, neutralized }`. */
  startDuplicate(args: OdooArgs<'odoo:duplicate'>): { jobId: string; result: Promise<unknown> } {
    const a = odooMethods['odoo:duplicate'].args.parse(args);
    const handle = this.jobs.start('odoo-duplicate', `Duplicate ${a.db} as ${a.newName} on ${a.name}`, (ctx) => this.duplicate(a, ctx));
    return { jobId: handle.id, result: handle.result };
  }

  /** The contract's `odoo:duplicate`: starts the job. */
  async 'odoo:duplicate'(args: OdooArgs<'odoo:duplicate'>): Promise<OdooResult<'odoo:duplicate'>> {
    return { jobId: this.startDuplicate(args).jobId };
  }

  /** Drops a database; `confirm` must repeat its name exactly. */
  async 'odoo:drop'(args: OdooArgs<'odoo:drop'>): Promise<OdooResult<'odoo:drop'>> {
    if (args.confirm !== args.db) {
      throw new AppError('InvalidInput', `To drop "${args.db}", type its name to confirm.`, { hint: 'The confirmation must repeat the database name exactly.' });
    }
    const { client } = await this.open(args.name);
    await client.drop(args.db);
    this.log.info('odoo database dropped', { instance: args.name, db: args.db });
    return {};
  }

  /** Temporary databases interrupted `--replace` restores left on instance `name` (Odoo tells no age: a restore running now has one too). */
  async leftovers(name: string, signal?: AbortSignal): Promise<{ url: string; names: string[] }> {
    const { instance, client } = await this.open(name);
    const names = (await client.listDatabases(signal)).map((d) => d.name).filter((n) => REMOTE_TEMP_PATTERN.test(n));
    return { url: instance.url, names };
  }

  /** Drops those of `names` that are such leftovers on instance `name` (the master password checked first); what failed, with why. */
  async dropLeftovers(name: string, names: readonly string[], signal?: AbortSignal): Promise<{ removed: string[]; failed: Array<{ name: string; error: string }> }> {
    const { client } = await this.open(name);
    await client.checkMasterPassword(signal);
    const out = { removed: [] as string[], failed: [] as Array<{ name: string; error: string }> };
    for (const db of names.filter((n) => REMOTE_TEMP_PATTERN.test(n))) {
      try {
        await client.drop(db, signal);
        this.log.info('odoo leftover dropped', { instance: name, db });
        out.removed.push(db);
      } catch (err) {
        if (signal?.aborted) throw err; // cancelled: what was dropped is gone, the rest stays
        out.failed.push({ name: db, error: toAppError(err).message });
      }
    }
    return out;
  }

  /** `restore:check-name` for an Odoo target: Odoo's name rule, and whether the server has it. */
  async checkName(instance: string, db: string): Promise<{ valid: boolean; exists: boolean; message?: string }> {
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(db) || Buffer.byteLength(db) > 63) {
      return { valid: false, exists: false, message: 'Use letters, digits, "_", "." or "-", starting with a letter or digit (at most 63 bytes).' };
    }
    const { client } = await this.open(instance);
    const exists = await client.databaseExists(db);
    return exists ? { valid: true, exists, message: `A database named "${db}" already exists on ${instance}.` } : { valid: true, exists };
  }

  /** Every instance as a restore target (not contacted here: the restore's preflight does). */
  async targets(): Promise<Array<{ id: string; label: string; target: { type: 'odoo'; instance: string }; available: boolean; detail: string }>> {
    return (await this.store.list()).map((i) => ({ id: `odoo:${i.name}`, label: `Odoo server ${i.name}`, target: { type: 'odoo', instance: i.name }, available: true, detail: `${i.url}, through its database manager` }));
  }

  /** The body of a restore job into instance `name` (see remote-restore.ts). */
  async restore(name: string, o: Omit<RemoteRestoreOptions, 'client' | 'instance'>, ctx: JobContext): Promise<RemoteRestoreResult> {
    const { client } = await this.open(name);
    return restoreToOdoo({ ...o, instance: name, client }, ctx);
  }

  /** An instance and its client. */
  open(name: string): ReturnType<typeof openInstance> {
    return openInstance(this.store, name);
  }

  private async duplicate(a: { name: string; db: string; newName: string; neutralize: boolean }, ctx: JobContext): Promise<{ db: string; newName: string; neutralized: boolean }> {
    const { client } = await this.open(a.name);
    ctx.progress({ phase: 'preflight', label: 'Checking the server' });
    const v = await client.version(ctx.signal);
    if (a.neutralize && v.major < 16) {
      throw new AppError('Unsupported', `Odoo ${v.version} cannot neutralize a duplicate (Odoo 16.0 and later can).`, { hint: 'Duplicate without neutralizing.' });
    }
    await client.checkMasterPassword(ctx.signal);
    if (!(await client.databaseExists(a.db, ctx.signal))) throw new AppError('NotFound', `There is no database "${a.db}" on ${client.url}.`);
    if (await client.databaseExists(a.newName, ctx.signal)) {
      throw new AppError('Conflict', `A database named "${a.newName}" already exists on ${client.url}.`, { hint: 'Choose another name.' });
    }
    ctx.progress({ phase: 'duplicate', label: `Odoo is copying ${a.db} to ${a.newName}` });
    await client.duplicate(a.db, a.newName, { neutralize: a.neutralize, signal: ctx.signal });
    if (!(await client.databaseExists(a.newName, ctx.signal))) {
      throw new AppError('Fatal', `Odoo answered the duplicate as done, but "${a.newName}" does not answer.`, { hint: 'See the Odoo server log.' });
    }
    ctx.log('info', `duplicated ${a.db} as ${a.newName}${a.neutralize ? ' (neutralized)' : ''}`);
    return { db: a.db, newName: a.newName, neutralized: a.neutralize };
  }
}
