/** The transfers area of the Desk: verified, resumable downloads, optionally decrypting on the way. */
import type { AreaApi, transferMethods } from '../../contract/api';
import { apiMethods, type ApiArgs, type ApiResult } from '../../contract/api';
import type { BackupSource } from '../archive/source';
import { parseSidecar } from '../catalog';
import type { DecryptKeys } from '../crypto';
import { downloadBackup, downloadFolder, type DownloadResult, type FolderItem } from '../download';
import { AppError, toAppError } from '../errors';
import type { JobContext } from '../jobs/job';
import { readAll } from '../storage/wrappers/streams';
import type { BackupLocator, ResolvedBackup } from './backup-locator';
import type { DeskKernel } from './kernel';
import type { PassphraseService } from './passphrases';
import type { StorageService } from './storages';

/** What `startDownload` takes. */
export interface DownloadArgs {
  readonly ref: string;
  readonly out: string;
  readonly decrypt?: DecryptKeys;
  readonly rememberPassphrase?: boolean;
}

const noPassphrase = (): AppError =>
  new AppError('InvalidInput', 'Decrypting needs a passphrase, and none is remembered for this storage.', { hint: 'Give the passphrase of the encrypted backup.' });

/** The transfers area: implements `download:start`. */
export class TransferService implements AreaApi<typeof transferMethods> {
  constructor(
    private readonly k: DeskKernel,
    private readonly storages: StorageService,
    private readonly locator: BackupLocator,
    private readonly passphrases: PassphraseService,
  ) {}

  /** Starts a download job; the result is a `DownloadResult`. */
  startDownload(args: DownloadArgs): { jobId: string; result: Promise<DownloadResult> } {
    const handle = this.k.jobs.start('download', `Download ${args.ref}`, (ctx) =>
      this.storages.withAuthNote(args.ref, async () => {
        if (!args.decrypt) return this.run(args.ref, args.out, undefined, ctx);
        const keys = args.decrypt;
        const hasKey = (keys.privateKeys?.length ?? 0) > 0;
        let notRemembered: string | undefined;
        const choice = { given: keys.passphrase, remember: args.rememberPassphrase, useRemembered: !hasKey, warn: (m: string) => ((notRemembered = m), ctx.log('warn', m)) };
        const result = await this.passphrases.withPassphrase(args.ref, choice, async (passphrase) => {
          if (passphrase === undefined && !hasKey) throw noPassphrase();
          return this.run(args.ref, args.out, { ...keys, ...(passphrase !== undefined ? { passphrase } : {}) }, ctx);
        });
        // Said where the person asked for it (the dialog), not only in the activity log.
        return notRemembered ? { ...result, passphraseNotRemembered: notRemembered } : result;
      }),
    );
    return { jobId: handle.id, result: handle.result };
  }

  private async run(ref: string, out: string, decrypt: DecryptKeys | undefined, ctx: JobContext): Promise<DownloadResult> {
    const r = await this.locator.resolve(ref, ctx.signal);
    if (!r.storage) throw new AppError('InvalidInput', `"${ref}" is a local file already.`, { hint: 'Give a ref NAME:KEY from `backup-desk list`.' });
    if ('kind' in r.source) {
      if (decrypt) throw new AppError('InvalidInput', `"${ref}" is a multi-file backup, which is never encrypted.`, { hint: 'Drop --decrypt.' });
      return downloadFolder({ provider: r.provider, name: r.source.name.replace(/(\.dump\.sql|\.sql\.gz|\.sql)$/i, ''), items: await this.folderItems(r, ctx.signal), out }, ctx);
    }
    const sidecarSha256 = await this.sidecarSha256(r, ctx);
    const size = (r.source as BackupSource).size;
    return downloadBackup(
      {
        provider: r.provider,
        key: r.key,
        out,
        ...(size !== undefined ? { expectedSize: size } : {}),
        ...(sidecarSha256 ? { sidecarSha256 } : {}),
        ...(decrypt ? { decrypt } : {}),
      },
      ctx,
    );
  }

  /** The sha256 in a Backup Desk sidecar, when the backup has one (an unreadable one only warns). */
  private async sidecarSha256(r: ResolvedBackup, ctx: JobContext): Promise<string | undefined> {
    const sidecarKey = r.entry?.convention === 'backup-desk' ? r.entry.companions?.find((c) => c.endsWith('.json')) : undefined;
    if (!sidecarKey) return undefined;
    try {
      return parseSidecar((await readAll(await r.provider.read(sidecarKey, { signal: ctx.signal }))).toString('utf8'))?.sha256;
    } catch (err) {
      ctx.log('warn', `Could not read the sidecar ${sidecarKey}: ${toAppError(err).message}`);
      return undefined;
    }
  }

  /** The files of a multi-file backup, with paths relative to the backup's folder. */
  private async folderItems(r: ResolvedBackup, signal: AbortSignal): Promise<FolderItem[]> {
    const entry = r.entry!;
    const isFolder = entry.key === '' || entry.key.endsWith('/');
    const base = isFolder ? entry.key : entry.key.slice(0, entry.key.lastIndexOf('/') + 1);
    const prefixes = isFolder ? [entry.key] : (entry.companions ?? []).filter((c) => c.endsWith('/'));
    const items: FolderItem[] = [];
    if (!isFolder) items.push({ key: entry.key, rel: entry.key.slice(base.length), size: (await r.provider.stat(entry.key, { signal })).size });
    for (const prefix of prefixes) {
      for await (const o of r.provider.list(prefix, { signal })) items.push({ key: o.key, rel: o.key.slice(base.length), size: o.size });
    }
    return items;
  }

  /** @inheritdoc */
  async 'download:start'(args: ApiArgs<'download:start'>): Promise<ApiResult<'download:start'>> {
    const req = apiMethods['download:start'].args.parse(args);
    if (req.decrypt && req.passphrase === undefined && (await this.passphrases.remembered(req.ref)) === undefined) throw noPassphrase();
    const decrypt = req.decrypt ? { decrypt: req.passphrase !== undefined ? { passphrase: req.passphrase } : {} } : {};
    return { jobId: this.startDownload({ ref: req.ref, out: req.out, ...decrypt, ...(req.rememberPassphrase ? { rememberPassphrase: true } : {}) }).jobId };
  }
}
