/**
 * The restores area's `{ type: 'odoo' }` target: a restore into a running Odoo through its
 * database manager, as a job recorded in the run history like every restore.
 */
import type { RestoreRequest } from '../../contract/api';
import { AppError, toAppError } from '../errors';
import { trackRun } from '../history';
import type { OdooService, RemoteRestoreResult } from '../odoo';
import { scanBackupAttachments } from '../attachments';
import type { DecryptKeys } from '../crypto';
import type { JobContext } from '../jobs/job';
import type { BackupLocator, ResolvedBackup } from './backup-locator';
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

/**
 * Attachments kept in S3/Swift, for a restore through Odoo's manager, which restores a backup as it
 * is: bringing them home or keeping them read-only (neutralized) cannot be done there, so those are
 * refused; a backup known not to hold them all needs the "as is" choice (`skip`), and gets a
 * warning saying what the copy will do with them. Undefined when there is nothing to say.
 */
export function attachmentsAsIs(req: Pick<RestoreRequest, 'attachments'>, instance: string, selfContained: boolean | undefined): string | undefined {
  refuseModesOdooCannotDo(req);
  if (selfContained !== false) return undefined;
  if (req.attachments !== 'skip') {
    throw new AppError('InvalidInput', "Some attachments of this backup are not in it: they live in S3/Swift, and Odoo's database manager restores the backup as it is.", {
      hint: `Restore into PostgreSQL to bring them home, or choose to restore it on ${instance} as it is.`,
      details: { cliHint: `Restore with --target postgres://…|embedded|local-odoo to bring them home, or add --attachments skip to restore it on ${instance} as it is.` },
    });
  }
  return `The backup was restored as it is: its attachments in S3/Swift are not in it. The copy on ${instance} reads them with that server's own S3/Swift settings (production's bucket, when it has its keys: it may then change it) or reads them empty.`;
}

/** Refuses `bring-home` and `keep-remote`, which a restore through Odoo's manager cannot do. */
function refuseModesOdooCannotDo(req: Pick<RestoreRequest, 'attachments'>): void {
  if (req.attachments !== 'bring-home' && req.attachments !== 'keep-remote') return;
  throw new AppError('Unsupported', "A restore through Odoo's database manager cannot bring attachments home from S3/Swift nor keep them read-only: Odoo restores the backup as it is.", {
    hint: 'Restore into PostgreSQL (this machine, the private server or a postgres:// URL) to bring them home or keep them read-only, or restore it here as it is.',
    details: { cliHint: 'Restore with --target postgres://…|embedded|local-odoo to bring them home or keep them read-only, or here as it is with --attachments skip.' },
  });
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
      const facts = await d.catalog.knownFacts(r);
      const known = r.entry?.odooVersion ?? facts?.odooVersion;
      refuseModesOdooCannotDo(req); // before anything is read
      let asIs: string | undefined;
      const result = await d.passphrases.withPassphrase(req.source, choice, async (passphrase) => {
        const decrypt = decryptWith(passphrase, req.privateKey);
        const selfContained = r.entry?.selfContained ?? facts?.selfContained ?? (await selfContainedBeforeUpload(d, r, req, decrypt, ctx));
        asIs = attachmentsAsIs(req, instance, selfContained);
        if (asIs) ctx.log('warn', asIs);
        return d.odoo.restore(instance, { source: r.source, db: req.db, mode: req.mode, neutralize: req.neutralize, replace: req.replace, ...(known ? { knownOdooVersion: known } : {}), ...decrypt }, ctx);
      }, (res) => res.encrypted);
      if (result.odooVersion) await d.catalog.rememberFacts(r, { odooVersion: result.odooVersion });
      return asIs ? { ...result, warnings: [asIs, ...result.warnings] } : result;
    }), { summarize, log: d.k.log }));
  return { jobId: handle.id, result: handle.result };
}

/**
 * Whether a backup no one inspected holds all its attachments, found before it goes to Odoo
 * (which restores it as it is) when reading it is a read on this machine: a file, a local-folder
 * storage. One on a remote storage would be downloaded twice for it, so it is not read (inspect
 * checks it). What is found is remembered for the catalog.
 */
async function selfContainedBeforeUpload(d: OdooRestoreDeps, r: ResolvedBackup, req: Pick<RestoreRequest, 'attachments'>, decrypt: { decrypt?: DecryptKeys }, ctx: JobContext): Promise<boolean | undefined> {
  if (req.attachments === 'skip' || r.provider.kind !== 'local') return undefined;
  ctx.progress({ phase: 'attachments', label: 'Looking for attachments kept in S3/Swift' });
  try {
    const report = await scanBackupAttachments(r.source, { ...decrypt, signal: ctx.signal });
    if (report) await d.catalog.rememberFacts(r, { selfContained: report.selfContained });
    return report?.selfContained;
  } catch (err) {
    // Unreadable here (no pg_restore for a custom dump, a damaged file): Odoo's own restore judges it, as before this look.
    if (ctx.signal.aborted) throw err;
    ctx.log('info', `Could not look for attachments kept in S3/Swift: ${toAppError(err).message}`);
    return undefined;
  }
}
