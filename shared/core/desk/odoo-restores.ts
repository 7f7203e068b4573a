/**
 * The restores area's `{ type: 'odoo' }` target: a restore into a running Odoo through its
 * database manager, as a job recorded in the run history like every restore.
 */
import type { RestoreRequest } from '../../contract/api';
import { trackRun } from '../history';
import type { OdooService, RemoteRestoreResult } from '../odoo';
import type { BackupLocator } from './backup-locator';
import type { CatalogService } from './catalog';
import type { DeskKernel } from './kernel';
import { decryptWith, type PassphraseService } from './passphrases';
import type { StorageService } from './storages';

/** What a remote restore needs from the Desk's other areas. */
export interface OdooRestoreDeps {
  readonly k: DeskKernel;
  readonly odoo: OdooService;
  readonly storages: StorageService;
  readonly locator: BackupLocator;
  readonly passphrases: PassphraseService;
  readonly catalog: CatalogService;
}

/** Starts a restore of `req` into Odoo instance `instance`; the result is a `RemoteRestoreResult`. */
export function startOdooRestore(d: OdooRestoreDeps, req: RestoreRequest, instance: string): { jobId: string; result: Promise<RemoteRestoreResult> } {
  const runStart = { kind: 'restore' as const, db: req.db, refs: [req.source], destinations: [`odoo:${instance}`], details: { source: req.source, mode: req.mode, neutralize: req.neutralize } };
  const summarize = (r: RemoteRestoreResult) => ({ bytes: r.bytesSent, details: { target: `odoo:${instance}`, sent: r.sent, serverVersion: r.serverVersion, warnings: r.warnings } });
  const handle = d.k.jobs.start('restore', `Restore ${req.source} as ${req.db} on ${instance}`, (ctx) => trackRun(d.k.history, runStart, () =>
    d.storages.withAuthNote(req.source, async () => {
      const r = await d.locator.resolve(req.source, ctx.signal);
      const choice = { given: req.passphrase, remember: req.rememberPassphrase, useRemembered: true, warn: (m: string) => ctx.log('warn', m) };
      // The listing's version, else what an earlier inspect or restore learned (an encrypted backup tells nothing before it is read).
      const known = r.entry?.odooVersion ?? (await d.catalog.knownFacts(r))?.odooVersion;
      const result = await d.passphrases.withPassphrase(req.source, choice, (passphrase) =>
        d.odoo.restore(instance, { source: r.source, db: req.db, mode: req.mode, neutralize: req.neutralize, replace: req.replace, ...(known ? { knownOdooVersion: known } : {}), ...decryptWith(passphrase, req.privateKey) }, ctx),
        (res) => res.encrypted,
      );
      if (result.odooVersion) await d.catalog.rememberFacts(r, { odooVersion: result.odooVersion });
      return result;
    }), { summarize, log: d.k.log }));
  return { jobId: handle.id, result: handle.result };
}
