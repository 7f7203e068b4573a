/** The plumbing every wrapper shares: replace some methods, keep optional ones optional. */
import type { Readable } from 'node:stream';
import type { CallOptions, ListOptions, ObjectInfo, ReadOptions, StorageProvider, WriteOptions } from '../provider';

/** The methods a wrapper may replace; each receives the base provider's method already bound. */
export interface ProviderOverrides {
  list?(prefix: string, options?: ListOptions): AsyncIterable<ObjectInfo>;
  stat?(key: string, options?: CallOptions): Promise<ObjectInfo>;
  read?(key: string, options?: ReadOptions): Promise<Readable>;
  write?(key: string, body: Readable, options?: WriteOptions): Promise<ObjectInfo>;
  remove?(key: string, options?: CallOptions): Promise<void>;
  close?(): Promise<void>;
}

/**
 * A provider that behaves like `base` except for `overrides`. `write`/`remove` exist on the
 * result exactly when they exist on `base`, so capability flags stay truthful through wrappers;
 * `temporaries` and `bucketRoot` are passed through as they are.
 */
export function wrapProvider(base: StorageProvider, overrides: ProviderOverrides): StorageProvider {
  const wrapped: StorageProvider = {
    kind: base.kind,
    capabilities: base.capabilities,
    list: overrides.list ?? ((p, o) => base.list(p, o)),
    stat: overrides.stat ?? ((k, o) => base.stat(k, o)),
    read: overrides.read ?? ((k, o) => base.read(k, o)),
    close: overrides.close ?? (() => base.close()),
  };
  const baseWrite = base.write?.bind(base);
  const baseRemove = base.remove?.bind(base);
  return {
    ...wrapped,
    ...(baseWrite !== undefined ? { write: overrides.write ?? baseWrite } : {}),
    ...(baseRemove !== undefined ? { remove: overrides.remove ?? baseRemove } : {}),
    ...(base.temporaries !== undefined ? { temporaries: base.temporaries } : {}),
    ...(base.bucketRoot !== undefined ? { bucketRoot: base.bucketRoot } : {}),
  };
}
