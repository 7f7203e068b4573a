/** The transfers area of the Desk: verified, resumable downloads, optionally decrypting on the way. */
import { stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import type { AreaApi, transferMethods } from '../../contract/api';
import { apiMethods, type ApiArgs, type ApiResult } from '../../contract/api';
import type { BackupSource } from '../archive/source';
import { parseSidecar } from '../catalog';
import type { DecryptKeys } from '../crypto';
import { downloadBackup, downloadFolder, existingAt, folderOutPath, resolveOutPath, type DownloadResult, type FolderItem } from '../download';
import { AppError, toAppError } from '../errors';
import type { JobContext } from '../jobs/job';
import { readAll } from '../storage/wrappers/streams';
import type { BackupLocator, ResolvedBackup } from './backup-locator';
import type { DeskKernel } from './kernel';
import { decryptWith, type PassphraseService } from './passphrases';
import type { StorageService } from './storages';

/** What `startDownload` takes. */
export interface DownloadArgs {
  readonly ref: string;
  readonly out: string;
  readonly decrypt?: DecryptKeys;
  readonly rememberPassphrase?: boolean;
  /** Replace what is at the destination (same kind only), once the download is complete. */
  readonly overwrite?: boolean;
}

/** The folder name of a multi-file backup when downloaded (its dump's name without the SQL extension). */
const folderName = (r: ResolvedBackup): string => r.source.name.replace(/(\.dump\.sql|\.sql\.gz|\.sql)$/i, '');

const noPassphrase = (): AppError =>
  new AppError('InvalidInput', 'Decrypting needs a passphrase, and none is remembered for this storage.', { hint: 'Give the passphrase of the encrypted backup.' });

/** The transfers area: implements `download:check-destination` and `download:start`. */
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
        if (!args.decrypt) return this.run(args, undefined, ctx);
        const keys = args.decrypt;
        const hasKey = (keys.privateKeys?.length ?? 0) > 0;
        let notRemembered: string | undefined;
        const choice = { given: keys.passphrase, remember: args.rememberPassphrase, useRemembered: !hasKey, warn: (m: string) => ((notRemembered = m), ctx.log('warn', m)) };
        const result = await this.passphrases.withPassphrase(args.ref, choice, async (passphrase) => {
          // Without one, a backup whose name says it is plain is downloaded as it is (it is checked on the way).
          if (passphrase === undefined && !hasKey && this.passphrases.looksEncrypted(args.ref)) throw noPassphrase();
          return this.run(args, { ...keys, ...(passphrase !== undefined ? { passphrase } : {}) }, ctx);
        }, (r) => r.decrypted);
        // Said where the person asked for it (the dialog), not only in the activity log.
        return notRemembered ? { ...result, passphraseNotRemembered: notRemembered } : result;
      }),
    );
    return { jobId: handle.id, result: handle.result };
  }

  private async run(args: DownloadArgs, decrypt: DecryptKeys | undefined, ctx: JobContext): Promise<DownloadResult> {
    const { ref, out } = args;
    const r = await this.downloadable(ref, ctx.signal);
    const overwrite = args.overwrite === true ? { overwrite: true } : {};
    if ('kind' in r.source) {
      if (decrypt) throw new AppError('InvalidInput', `"${ref}" is a multi-file backup, which is never encrypted.`, { hint: 'Download it without decrypting.' });
      return downloadFolder({ provider: r.provider, name: folderName(r), items: await this.folderItems(r, ctx.signal), out, ...overwrite }, ctx);
    }
    const sidecarSha256 = await this.sidecarSha256(r, ctx);
    const size = (r.source as BackupSource).size;
    return downloadBackup(
      {
        provider: r.provider,
        key: r.key,
        out,
        ...overwrite,
        ...(size !== undefined ? { expectedSize: size } : {}),
        ...(sidecarSha256 ? { sidecarSha256 } : {}),
        ...(decrypt ? { decrypt } : {}),
      },
      ctx,
    );
  }

  /** A backup on a storage (a local path is refused: it is on this machine already). */
  private async downloadable(ref: string, signal: AbortSignal | undefined): Promise<ResolvedBackup> {
    const r = await this.locator.resolve(ref, signal);
    if (!r.storage) throw new AppError('InvalidInput', `"${ref}" is a local file already.`, { hint: 'Choose a backup on a storage (a ref NAME:KEY from the catalog).' });
    return r;
  }

  /** Where a download would go and what is there already; nothing is written. */
  async checkDestination(ref: string, out: string, decrypt: boolean, signal?: AbortSignal): Promise<ApiResult<'download:check-destination'>> {
    const r = await this.downloadable(ref, signal);
    const writes = 'kind' in r.source ? 'folder' : 'file';
    const path = writes === 'folder' ? await folderOutPath(out, folderName(r)) : await resolveOutPath(out, r.key, decrypt);
    const existing = await existingAt(path);
    return { path, ...(existing ? { existing } : {}), replaceable: existing === writes };
  }

  /**
   * The sha256 the backup's companion records (`.info`, sidecar, `.sha256` file, as the catalog
   * read it), else the one in a Backup Desk sidecar read now (an unreadable one only warns).
   */
  private async sidecarSha256(r: ResolvedBackup, ctx: JobContext): Promise<string | undefined> {
    if (r.entry?.sha256) return r.entry.sha256;
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

  /** The app's downloads folder (`<home>/downloads`), where the app's download dialog saves by default. */
  private get downloadsFolder(): string {
    return join(this.k.home, 'downloads');
  }

  /** @inheritdoc */
  async 'download:check-destination'(args: ApiArgs<'download:check-destination'>, signal?: AbortSignal): Promise<ApiResult<'download:check-destination'>> {
    const req = apiMethods['download:check-destination'].args.parse(args);
    await assertOutPath(req.out, this.downloadsFolder);
    return this.checkDestination(req.ref, req.out, req.decrypt, signal);
  }

  /** @inheritdoc */
  async 'download:start'(args: ApiArgs<'download:start'>): Promise<ApiResult<'download:start'>> {
    const req = apiMethods['download:start'].args.parse(args);
    await assertOutPath(req.out, this.downloadsFolder);
    if (req.decrypt && req.passphrase === undefined && !req.privateKey && this.passphrases.looksEncrypted(req.ref) && (await this.passphrases.remembered(req.ref)) === undefined) throw noPassphrase();
    const decrypt = req.decrypt ? { decrypt: decryptWith(req.passphrase, req.privateKey).decrypt ?? {} } : {};
    const flags = { ...(req.rememberPassphrase ? { rememberPassphrase: true } : {}), ...(req.overwrite ? { overwrite: true } : {}) };
    return { jobId: this.startDownload({ ref: req.ref, out: req.out, ...decrypt, ...flags }).jobId };
  }
}

/**
 * `InvalidInput` for a destination the app cannot mean: a relative path (relative to what? the
 * server's working folder is nowhere the user sees), or one whose folder does not exist (a typo
 * must not create a tree of folders) — but for the app's own downloads folder, its default, which
 * the first download creates. The CLI resolves its --out against the shell's folder first.
 */
async function assertOutPath(out: string, downloads: string): Promise<void> {
  if (!isAbsolute(out)) {
    throw new AppError('InvalidInput', `"${out}" is not a full path.`, { hint: `Give the whole path of a folder or file, e.g. ${join(homedir(), 'Downloads', basename(out))}.` });
  }
  const folder = async (p: string): Promise<boolean> => (await stat(p).catch(() => undefined))?.isDirectory() === true;
  if (!(await folder(out)) && dirname(out) !== downloads && !(await folder(dirname(out)))) {
    throw new AppError('InvalidInput', `The folder ${dirname(out)} does not exist.`, { hint: 'Create it first, or choose a destination in an existing folder.' });
  }
}
