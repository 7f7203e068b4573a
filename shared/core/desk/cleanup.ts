/**
 * The cleanup area of the Desk (`cleanup:find`, `cleanup:remove`): what interrupted runs left —
 * temporary databases and filestore folders of restores on a PostgreSQL target, temporary
 * databases of `--replace` restores on an Odoo instance, unfinished uploads
 * of backups on the storages — for the app, as `backup-desk cleanup` does it on the command line.
 * A removal searches again and removes only what it finds again, so a list the face kept (or
 * forged) can never name anything but an old leftover of ours.
 */
import type { AreaApi, cleanupMethods } from '../../contract/api';
import { apiMethods, type ApiArgs, type ApiArgsParsed, type ApiResult, type RestoreTargetSpec } from '../../contract/api';
import type { BackupTemporary, CleanupFound, CleanupRemoved, RestoreLeftover } from '../../contract/cleanup';
import { messageWithHint, throwIfAborted, toAppError } from '../errors';
import type { JobContext } from '../jobs/job';
import { targetLabel } from '../pg/connection';
import { defaultOdooDataDir, findLeftovers, LEFTOVER_MIN_AGE_MS, oldEnough, removeLeftovers, type Leftover } from '../restore';
import type { EmbeddedPg } from '../pg/embedded';
import type { OdooService } from '../odoo';
import { resolveTarget } from './engine';
import type { DeskKernel } from './kernel';
import { findStorageTemporaries, type StorageTemporary } from './storage-temporaries';
import type { StorageService } from './storages';

/** Where a search looks: the target or not, and every storage or only these. */
interface SearchScope {
  readonly target: boolean;
  readonly storages?: readonly string[];
}

/** One search: the target's leftovers (all ages) and the storages' temporaries, split at the age limit. */
interface Search {
  readonly found: CleanupFound;
  readonly pgUrl: string | undefined;
  readonly leftovers: Leftover[];
  readonly temporaries: StorageTemporary[];
}

/** The cleanup area: implements `cleanup:find` and `cleanup:remove`, each a job (a search may walk a large storage; a removal may delete a large folder). */
export class CleanupService implements AreaApi<typeof cleanupMethods> {
  constructor(
    private readonly k: DeskKernel,
    private readonly storages: StorageService,
    private readonly embedded: EmbeddedPg,
    private readonly odoo: OdooService,
  ) {}

  /** Starts a search job; its result is a `CleanupFound`. */
  startFind(args: ApiArgs<'cleanup:find'>): { jobId: string; result: Promise<CleanupFound> } {
    const a = apiMethods['cleanup:find'].args.parse(args);
    const handle = this.k.jobs.start('cleanup', 'Look for leftovers of interrupted runs', async (ctx) => (await this.search(a.target, minAge(a.minAgeMinutes), ctx)).found);
    return { jobId: handle.id, result: handle.result as Promise<CleanupFound> };
  }

  /** Starts a removal job; its result says how many were removed and what was not (and why). */
  startRemove(args: ApiArgs<'cleanup:remove'>): { jobId: string; result: Promise<CleanupRemoved> } {
    const a = apiMethods['cleanup:remove'].args.parse(args);
    const handle = this.k.jobs.start('cleanup', 'Remove leftovers of interrupted runs', (ctx) => this.remove(a, ctx));
    return { jobId: handle.id, result: handle.result as Promise<CleanupRemoved> };
  }

  /** @inheritdoc */
  async 'cleanup:find'(args: ApiArgs<'cleanup:find'>): Promise<ApiResult<'cleanup:find'>> {
    return { jobId: this.startFind(args).jobId };
  }

  /** @inheritdoc */
  async 'cleanup:remove'(args: ApiArgs<'cleanup:remove'>): Promise<ApiResult<'cleanup:remove'>> {
    return { jobId: this.startRemove(args).jobId };
  }

  /** Searches again, then removes what the request names and the search found again. */
  private async remove(a: ApiArgsParsed<'cleanup:remove'>, ctx: JobContext): Promise<CleanupRemoved> {
    // Only where the request points: the target for leftovers, the storages its uploads are on.
    const scope = { target: a.leftovers.length > 0, storages: [...new Set(a.temporaries.map((t) => t.storage))] };
    const s = await this.search(a.target, minAge(a.minAgeMinutes), ctx, scope);
    const failed: CleanupRemoved['failed'] = [];
    const notAgain = (what: string, kind: string): void => void failed.push({ what, message: `not found again as an old ${kind}: left as it is` });
    const leftovers = a.leftovers.flatMap((l) => {
      const again = s.leftovers.find((x) => x.kind === l.kind && x.name === l.name);
      if (!again) notAgain(`${l.kind} ${l.name}`, 'leftover of an interrupted restore');
      return again ? [again] : [];
    });
    const temporaries = a.temporaries.flatMap((t) => {
      const again = s.temporaries.find((x) => x.storage === t.storage && x.temp.id === t.id);
      if (!again) notAgain(`${t.storage}: ${t.id}`, 'unfinished upload');
      return again ? [again] : [];
    });
    ctx.progress({ phase: 'remove', label: 'Removing', done: 0, total: leftovers.length + temporaries.length, unit: 'items' });
    const left = leftovers.length === 0 ? { removed: [], failed: [] } : a.target.type === 'odoo' ? await this.dropOnOdoo(a.target.instance, leftovers, ctx) : await removeLeftovers(s.pgUrl, leftovers);
    throwIfAborted(ctx.signal, 'The cleanup');
    const temps = await this.storages.removeTemporaries(temporaries, ctx.signal);
    failed.push(...left.failed.map((f) => ({ what: `${f.leftover.kind} ${f.leftover.name}`, message: f.error })));
    failed.push(...temps.failed.map((f) => ({ what: `${f.temp.storage}: ${f.temp.temp.id}`, message: f.error.message })));
    return { removed: left.removed.length + temps.removed.length, failed };
  }

  /** Searches the target and the storages; either failing is reported in the result, not raised. */
  private async search(target: RestoreTargetSpec, minAgeMs: number, ctx: JobContext, scope: SearchScope = { target: true }): Promise<Search> {
    const restores = scope.target ? await this.searchTarget(target, minAgeMs, ctx) : { found: { server: '', dataDir: '', leftovers: [], young: 0 }, pgUrl: undefined, old: [] };
    throwIfAborted(ctx.signal, 'The cleanup');
    const backups = await this.searchStorages(minAgeMs, ctx, scope.storages);
    return {
      found: { restores: restores.found, backups: backups.found },
      pgUrl: restores.pgUrl,
      leftovers: restores.old,
      temporaries: backups.old,
    };
  }

  /** Drops leftovers (found again) on an Odoo instance, in `removeLeftovers`' terms. */
  private async dropOnOdoo(instance: string, leftovers: readonly Leftover[], ctx: JobContext): Promise<{ removed: Leftover[]; failed: Array<{ leftover: Leftover; error: string }> }> {
    const r = await this.odoo.dropLeftovers(instance, leftovers.map((l) => l.name), ctx.signal);
    const named = (name: string): Leftover => ({ kind: 'database', name });
    return { removed: r.removed.map(named), failed: r.failed.map((f) => ({ leftover: named(f.name), error: f.error })) };
  }

  /** Temporary databases of interrupted `--replace` restores on an Odoo instance (Odoo tells no age: all are listed). */
  private async searchOdoo(instance: string, ctx: JobContext): Promise<{ found: CleanupFound['restores']; pgUrl: undefined; old: Leftover[] }> {
    ctx.progress({ phase: 'restores', label: `Looking on the Odoo instance ${instance}` });
    let server = `Odoo instance ${instance}`;
    try {
      const r = await this.odoo.leftovers(instance, ctx.signal);
      server = `Odoo instance ${instance} (${r.url})`;
      const old = r.names.map((name): Leftover => ({ kind: 'database', name }));
      return { found: { server, dataDir: '', leftovers: old.map(leftoverDto), young: 0 }, pgUrl: undefined, old };
    } catch (err) {
      const e = toAppError(err);
      return { found: { server, dataDir: '', leftovers: [], young: 0, error: messageWithHint(e) }, pgUrl: undefined, old: [] };
    }
  }

  /** Leftovers of restores on the target's server and in its data dir's filestore. */
  private async searchTarget(target: RestoreTargetSpec, minAgeMs: number, ctx: JobContext): Promise<{ found: CleanupFound['restores']; pgUrl: string | undefined; old: Leftover[] }> {
    if (target.type === 'odoo') return this.searchOdoo(target.instance, ctx);
    ctx.progress({ phase: 'restores', label: 'Looking on the PostgreSQL target' });
    let pgUrl: string | undefined;
    let dataDir = defaultOdooDataDir();
    // A private PostgreSQL not made yet holds nothing: looking must not create it (initdb, 40 MB).
    if (target.type === 'embedded' && !(await this.embedded.initialised())) {
      return { found: { server: 'the private PostgreSQL (not created yet)', dataDir: target.dataDir ?? this.embedded.odooDataDir, leftovers: [], young: 0 }, pgUrl, old: [] };
    }
    try {
      const t = await resolveTarget(target, this.embedded);
      pgUrl = t.pgUrl;
      dataDir = t.dataDir ?? dataDir;
      const all = await findLeftovers(pgUrl, dataDir, { minAgeMs: 0 });
      const old = all.filter((l) => oldEnough(l, minAgeMs));
      return { found: { server: serverLabel(target, pgUrl), dataDir, leftovers: old.map(leftoverDto), young: all.length - old.length }, pgUrl, old };
    } catch (err) {
      const e = toAppError(err);
      return { found: { server: serverLabel(target, pgUrl), dataDir, leftovers: [], young: 0, error: messageWithHint(e) }, pgUrl, old: [] };
    }
  }

  /** Unfinished uploads on every storage whose kind can list them. */
  private async searchStorages(minAgeMs: number, ctx: JobContext, only?: readonly string[]): Promise<{ found: CleanupFound['backups']; old: StorageTemporary[] }> {
    const searched = (await this.storages.storagesWithTemporaries()).filter((n) => !only || only.includes(n));
    // One phase per storage: a phase change always goes out at once, where a second update within 100 ms of the first would wait for the next.
    const onStorage = (name: string, i: number): void => ctx.progress({ phase: `storage ${i}`, label: `Looking on ${name}`, done: i, total: searched.length, unit: 'items' });
    const r = await findStorageTemporaries(searched, (n) => this.storages.provider(n), minAgeMs, { signal: ctx.signal, onStorage });
    return {
      found: { storages: searched, temporaries: r.found.map(temporaryDto), young: r.young.length, failed: r.failed.map((f) => ({ storage: f.storage, message: f.error.message })) },
      old: r.found,
    };
  }
}

/** The server searched, in words: "127.0.0.1:5432", or the private PostgreSQL (whose socket path says nothing). */
function serverLabel(target: RestoreTargetSpec, pgUrl: string | undefined): string {
  return target.type === 'embedded' ? 'the private PostgreSQL' : targetLabel(pgUrl);
}

/** The age limit in ms (default: `LEFTOVER_MIN_AGE_MS`). */
function minAge(minutes: number | undefined): number {
  return minutes === undefined ? LEFTOVER_MIN_AGE_MS : minutes * 60_000;
}

/** A leftover as the contract carries it. */
function leftoverDto(l: Leftover): RestoreLeftover {
  return { kind: l.kind, name: l.name, ...(l.ageMs !== undefined ? { ageMs: l.ageMs } : {}) };
}

/** A storage temporary as the contract carries it. */
function temporaryDto(t: StorageTemporary): BackupTemporary {
  return { storage: t.storage, id: t.temp.id, forKey: t.temp.forKey, ...(t.temp.size !== undefined ? { size: t.temp.size } : {}), ageMs: t.ageMs };
}
