/** Backup sources over storage objects and folders (what restore/inspect read through). */
import { basename } from 'node:path';
import type { BackupSource, FolderSource, MultiPartBackup } from '../archive/source';
import type { StorageProvider } from '../storage/provider';
import { resumableRead } from '../storage/wrappers/resume';

/** A `BackupSource` over one storage object (reads resume after dropped connections). */
export function providerSource(provider: StorageProvider, key: string, size: number | undefined): BackupSource {
  return {
    name: basename(key),
    size,
    seekable: provider.capabilities.rangeReads,
    open: (range, signal) =>
      resumableRead(provider, key, { ...(range ? { range } : {}), ...(signal ? { signal } : {}), ...(size !== undefined ? { size } : {}) }),
  };
}

/** A `FolderSource` over every object below `prefix` (which ends with `/`, or is empty). */
export function providerFolder(provider: StorageProvider, prefix: string, name: string): FolderSource {
  return {
    name,
    async *list(signal) {
      for await (const o of provider.list(prefix, signal ? { signal } : {})) {
        yield { path: o.key.slice(prefix.length), size: o.size };
      }
    },
    open: (path, signal) => resumableRead(provider, prefix + path, signal ? { signal } : {}),
  };
}

/** A multi-part backup (dump + manifest + filestore folder) on a storage. */
export function providerMultiPart(
  provider: StorageProvider,
  name: string,
  parts: { dump: { key: string; size: number }; manifest?: { key: string; size: number }; filestorePrefix?: string },
): MultiPartBackup {
  return {
    kind: 'multipart',
    name,
    dump: providerSource(provider, parts.dump.key, parts.dump.size),
    ...(parts.manifest ? { manifest: providerSource(provider, parts.manifest.key, parts.manifest.size) } : {}),
    ...(parts.filestorePrefix !== undefined ? { filestore: providerFolder(provider, parts.filestorePrefix, `${name} filestore`) } : {}),
  };
}
