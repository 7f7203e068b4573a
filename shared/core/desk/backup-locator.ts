/**
 * Locating a backup by catalog ref (`NAME:KEY`) or local path (a file, or a click-odoo folder)
 * as something restore, inspect and download can read.
 */
import { stat } from 'node:fs/promises';
import { basename, dirname, resolve as resolvePath } from 'node:path';
import type { BackupEntry } from '../../contract/api';
import { localFileSource } from '../archive';
import type { BackupSource, MultiPartBackup } from '../archive/source';
import { classifyName, scanStorage, singleEntry } from '../catalog';
import { AppError } from '../errors';
import { LocalProvider } from '../storage/local';
import type { StorageProvider } from '../storage/provider';
import { providerMultiPart, providerSource } from './sources';
import type { StorageService } from './storages';

/** A backup located on a storage or on disk, ready to read. */
export interface ResolvedBackup {
  readonly source: BackupSource | MultiPartBackup;
  /** The catalog entry (for refs, and for local files parsed like a one-file storage). */
  readonly entry: BackupEntry | undefined;
  /** The storage it is on, and its key. */
  readonly provider: StorageProvider;
  readonly key: string;
  /** The storage name (`undefined` for a local path). */
  readonly storage: string | undefined;
}

/** Finds backups for the other areas. */
export class BackupLocator {
  constructor(private readonly storages: StorageService) {}

  /** Locates a backup by ref or path and returns what restore/inspect/download read. */
  async resolve(refOrPath: string, signal?: AbortSignal): Promise<ResolvedBackup> {
    const parsed = await this.storages.parseRef(refOrPath);
    if (parsed) {
      const provider = await this.storages.provider(parsed.storage);
      return this.resolveOn(provider, parsed.storage, parsed.key, signal);
    }
    const path = resolvePath(refOrPath);
    let st;
    try {
      st = await stat(path);
    } catch {
      const looksLikeRef = /^[A-Za-z0-9][A-Za-z0-9_.-]*:/.test(refOrPath) && !/^[A-Za-z]:[\\/]/.test(refOrPath);
      throw new AppError('NotFound', looksLikeRef ? `"${refOrPath}" is neither a file nor a ref to a configured storage.` : `No such file: ${refOrPath}`, {
        hint: looksLikeRef ? 'Refs look like NAME:KEY, where NAME is a storage from `backup-desk storage list`.' : 'Check the path.',
      });
    }
    if (st.isDirectory()) return this.resolveOn(new LocalProvider(path), undefined, '', signal, basename(path));
    const r = await this.resolveOn(new LocalProvider(dirname(path)), undefined, basename(path), signal);
    // A plain local file: the archive module's own source (it knows local files are seekable files).
    return 'kind' in r.source ? r : { ...r, source: localFileSource(path) };
  }

  /** `rootName` names a backup that is the whole folder (`key` empty): a local folder's own name. */
  private async resolveOn(provider: StorageProvider, storage: string | undefined, key: string, signal?: AbortSignal, rootName?: string): Promise<ResolvedBackup> {
    const isFolder = key === '' || key.endsWith('/');
    const n = isFolder ? undefined : classifyName(basename(key.replace(/\/$/, '')));
    // Single files need no listing, except plain SQL dumps that may have a filestore folder
    // beside them. Names that follow no convention are still tried: the engine sniffs content.
    if (!isFolder && n && !(n.role === 'backup' && n.format === 'sql')) {
      const info = await provider.stat(key, signal ? { signal } : {});
      // Its companion (.info, sidecar, .sha256), which a listing may leave unread: checked now, for inspect, restore and download.
      const entry = await singleEntry(storage ?? 'local', provider, info, signal);
      return { source: providerSource(provider, key, info.size), entry, provider, key, storage };
    }
    // Folder layouts: parse the listing of the folder it is in.
    const norm = key.replace(/^(\.\/)+/, '');
    const parentNorm = isFolder ? dirname(norm.replace(/\/$/, '')) : dirname(norm);
    const lead = key.slice(0, key.length - norm.length);
    const prefix = parentNorm === '.' || parentNorm === '' ? lead : `${lead}${parentNorm}/`;
    const scan = await scanStorage(storage ?? 'local', provider, { prefix, infoFiles: true, ...(signal ? { signal } : {}) });
    const entry = scan.backups.find((b) => b.key === key);
    if (!entry && !isFolder && scan.objects.some((o) => o.key === key)) {
      return { source: providerSource(provider, key, scan.objects.find((o) => o.key === key)!.size), entry: undefined, provider, key, storage };
    }
    if (!entry) {
      const label = key === '' ? (rootName ?? '.') : key;
      const stray = scan.strays.find((s) => s.key === key);
      if (stray) throw new AppError('InvalidInput', `"${label}" is not a backup: ${stray.stray}.`, { hint: 'Choose a backup from `backup-desk list`.' });
      if (!scan.objects.some((o) => o.key === key || o.key.startsWith(key))) {
        throw new AppError('NotFound', `"${label}" does not exist on ${storage ? `storage "${storage}"` : 'disk'}.`, { hint: 'Check the ref with `backup-desk list`.' });
      }
      throw new AppError('InvalidInput', `"${label}" is not a backup.`, {
        hint: key === '' ? 'A folder backup holds a dump (db.dump, or a .sql file) with manifest.json and filestore/ beside it; give the backup file itself otherwise.' : 'Choose a backup from `backup-desk list`.',
      });
    }
    return { source: multiPartOrFile(provider, entry, entry.key === '' ? (rootName ?? storage ?? 'local') : basename(entry.key.replace(/\/$/, '')), scan.objects), entry, provider, key, storage };
  }
}

/** The source of a catalog entry found in a listing: a multi-part backup (folder, dump + filestore/) or one file. */
function multiPartOrFile(provider: StorageProvider, entry: BackupEntry, name: string, objects: readonly { key: string; size: number }[]): BackupSource | MultiPartBackup {
  const sizeOf = (k: string): number => objects.find((o) => o.key === k)?.size ?? 0;
  if (entry.format === 'folder') {
    const dumpKey = `${entry.key}db.dump`;
    const manifestKey = `${entry.key}manifest.json`;
    const hasFs = objects.some((o) => o.key.startsWith(`${entry.key}filestore/`));
    return providerMultiPart(provider, name, {
      dump: { key: dumpKey, size: sizeOf(dumpKey) },
      manifest: { key: manifestKey, size: sizeOf(manifestKey) },
      ...(hasFs ? { filestorePrefix: `${entry.key}filestore/` } : {}),
    });
  }
  const fsPrefix = entry.companions?.find((c) => c.endsWith('/'));
  if (entry.convention === 'odoo-sh' || entry.convention === 'pg-dump-filestore') {
    const filestorePrefix = entry.convention === 'odoo-sh' && fsPrefix ? `${fsPrefix}home/odoo/data/filestore/${entry.database}/` : fsPrefix;
    const hasFs = filestorePrefix !== undefined && objects.some((o) => o.key.startsWith(filestorePrefix));
    return providerMultiPart(provider, name, { dump: { key: entry.key, size: sizeOf(entry.key) }, ...(hasFs ? { filestorePrefix } : {}) });
  }
  return providerSource(provider, entry.key, sizeOf(entry.key));
}
