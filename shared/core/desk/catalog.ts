/**
 * The catalog area of the Desk: the backups across storages (with the facts inspect and
 * restores learned about them), and inspecting one backup.
 */
import type { AreaApi, catalogMethods } from '../../contract/api';
import type { ApiArgs, ApiResult } from '../../contract/api';
import { BackupFactsCache, listCatalog, type BackupFacts, type CatalogStorage } from '../catalog';
import { AppError } from '../errors';
import type { BackupLocator, ResolvedBackup } from './backup-locator';
import { restoreEngine } from './engine';
import type { DeskKernel } from './kernel';
import { decryptWith, type PassphraseService } from './passphrases';
import type { StorageService } from './storages';

/** How the facts cache keys a backup on a storage (ref and size); undefined for local files. */
function factsKey(r: ResolvedBackup): { ref: string; size: number } | undefined {
  const size = r.entry?.size ?? ('kind' in r.source ? undefined : r.source.size);
  const ref = r.entry?.ref ?? (r.storage !== undefined ? `${r.storage}:${r.key}` : undefined);
  return ref === undefined || size === undefined || r.storage === undefined ? undefined : { ref, size };
}

/** The catalog area: implements `catalog:list` and `backups:inspect`. */
export class CatalogService implements AreaApi<typeof catalogMethods> {
  /** What inspect and restores learned about backups (Odoo version…), shown in later listings. */
  private readonly facts: BackupFactsCache;

  constructor(
    private readonly k: DeskKernel,
    private readonly storages: StorageService,
    private readonly locator: BackupLocator,
    private readonly passphrases: PassphraseService,
  ) {
    this.facts = BackupFactsCache.forHome(k.home);
  }

  /**
   * Remembers facts learned about a backup on a storage, keyed like its catalog entry (ref and
   * size); local files are not cached. A cache that cannot be written only costs a log line.
   */
  async rememberFacts(r: ResolvedBackup, facts: { database?: string | undefined; odooVersion?: string | undefined; pgVersion?: string | undefined; selfContained?: boolean | undefined }): Promise<void> {
    const k = factsKey(r);
    if (!k) return;
    try {
      await this.facts.remember(k.ref, k.size, {
        ...(facts.database ? { database: facts.database } : {}),
        ...(facts.odooVersion ? { odooVersion: facts.odooVersion } : {}),
        ...(facts.pgVersion ? { pgVersion: facts.pgVersion } : {}),
        ...(facts.selfContained !== undefined ? { selfContained: facts.selfContained } : {}),
      });
    } catch (err) {
      this.k.log.warn('Could not update the backup facts cache', { error: (err as Error).message });
    }
  }

  /** What earlier inspects and restores learned about a located backup (as `rememberFacts` keys it), if anything. */
  async knownFacts(r: ResolvedBackup): Promise<BackupFacts | undefined> {
    const k = factsKey(r);
    return k ? this.facts.lookup(k.ref, k.size).catch(() => undefined) : undefined;
  }

  /** @inheritdoc */
  async 'catalog:list'(args: ApiArgs<'catalog:list'>, signal?: AbortSignal): Promise<ApiResult<'catalog:list'>> {
    const entries = await this.storages.entries();
    let chosen = entries;
    if (args.storages && args.storages.length > 0) {
      for (const n of args.storages) await this.storages.entry(n);
      chosen = entries.filter((e) => args.storages!.includes(e.name));
    }
    // The catalog closes what it opens: give it a fresh provider, not the cached one.
    const storages: CatalogStorage[] = chosen.map((e) => ({ name: e.name, open: () => this.storages.openFresh(e) }));
    const catalog = await listCatalog(storages, { ...(args.db ? { db: args.db } : {}), includeStrays: args.includeStrays === true, ...(signal ? { signal } : {}) });
    for (const f of catalog.failures) {
      await this.storages.noteAuthFailure(f.storage, new AppError(f.error.kind, f.error.message, { ...(f.error.details ? { details: f.error.details } : {}) }));
    }
    return this.facts.annotate(catalog);
  }

  /** @inheritdoc */
  async 'backups:inspect'(args: ApiArgs<'backups:inspect'>, signal?: AbortSignal): Promise<ApiResult<'backups:inspect'>> {
    const r = await this.storages.withAuthNote(args.source, () => this.locator.resolve(args.source, signal));
    let notRemembered: string | undefined;
    const choice = { given: args.passphrase, remember: args.rememberPassphrase, useRemembered: true, warn: (m: string) => (notRemembered = m) };
    const result = await this.storages.withAuthNote(args.source, () =>
      this.passphrases.withPassphrase(args.source, choice, (passphrase) =>
        restoreEngine.inspect(r.source, { ...decryptWith(passphrase, args.privateKey), ...(signal ? { signal } : {}), ...(args.attachments === false ? { attachments: false } : {}) }),
        (info) => info.encrypted === true,
      ),
    );
    await this.rememberFacts(r, { database: result.database, odooVersion: result.odooVersion, pgVersion: result.pgVersion, selfContained: result.attachments?.selfContained });
    const warnings = [...(notRemembered ? [notRemembered] : []), ...(result.warnings ?? []), ...(r.entry?.warnings ?? [])];
    return { ...result, ...(warnings.length ? { warnings: [...new Set(warnings)] } : {}) };
  }
}
