/** The verify area of the Desk: a backup read through and checked, without restoring it (`backups:verify`). */
import type { AreaApi, verifyMethods } from '../../contract/api';
import { apiMethods, type ApiArgs, type ApiResult } from '../../contract/api';
import type { VerifyReport } from '../../contract/verify';
import { verifyBackup } from '../verify';
import type { BackupLocator } from './backup-locator';
import type { CatalogService } from './catalog';
import type { DeskKernel } from './kernel';
import { decryptWith, type PassphraseService } from './passphrases';
import type { StorageService } from './storages';

/** The verify area: implements `backups:verify`. */
export class VerifyService implements AreaApi<typeof verifyMethods> {
  constructor(
    private readonly k: DeskKernel,
    private readonly storages: StorageService,
    private readonly locator: BackupLocator,
    private readonly passphrases: PassphraseService,
    private readonly catalog: CatalogService,
  ) {}

  /** Starts a verification job of a ref (`NAME:KEY`) or a path; its result is a `VerifyReport`. */
  startVerify(args: ApiArgs<'backups:verify'>): { jobId: string; result: Promise<VerifyReport> } {
    const a = apiMethods['backups:verify'].args.parse(args);
    const handle = this.k.jobs.start('verify', `Verify ${a.source}`, (ctx) =>
      this.storages.withAuthNote(a.source, async () => {
        const r = await this.locator.resolve(a.source, ctx.signal);
        const choice = { given: a.passphrase, remember: a.rememberPassphrase, useRemembered: true, warn: (m: string) => ctx.log('warn', m) };
        // The sha256 its companion records (an `.info`, sidecar or `.sha256` file, as the catalog read it) is checked too.
        const expected = r.entry?.sha256 ? { expectedSha256: r.entry.sha256 } : {};
        const report = await this.passphrases.withPassphrase(a.source, choice, (passphrase) => verifyBackup(r.source, { ...expected, ...decryptWith(passphrase, a.privateKey) }, ctx), (rep) => rep.encrypted);
        if (report.manifest?.odooVersion || report.dump.pgVersion) await this.catalog.rememberFacts(r, { odooVersion: report.manifest?.odooVersion, pgVersion: report.dump.pgVersion });
        return report;
      }),
    );
    return { jobId: handle.id, result: handle.result as Promise<VerifyReport> };
  }

  /** @inheritdoc */
  async 'backups:verify'(args: ApiArgs<'backups:verify'>): Promise<ApiResult<'backups:verify'>> {
    return { jobId: this.startVerify(args).jobId };
  }
}
