/**
 * The Google Drive storage factory. Cheap to import: `@googleapis/drive` (provider and
 * service-account auth) is loaded by `create`, so commands that open no Drive storage never load it.
 */
import type { ProviderFactory } from '../provider';
import { describeGdrive, gdriveConfigSchema, gdriveFields, type GdriveConfig } from './config';

/** Creates Google Drive storages: a folder by id or path, in My Drive or a shared drive. */
export const gdriveFactory: ProviderFactory<GdriveConfig> & { readonly oauth: true } = {
  kind: 'gdrive',
  label: 'Google Drive',
  oauth: true,
  fields: gdriveFields,
  configSchema: gdriveConfigSchema,
  async create(config, secretScope, deps) {
    const [{ GdriveProvider }, { gdriveTokenSource }] = await Promise.all([import('./provider'), import('./auth')]);
    const storageName = deps.storageName ?? secretScope.replace(/^storage:/, '');
    return new GdriveProvider({
      baseId: config.folderId ?? config.driveId ?? 'root',
      folderPath: config.folderPath,
      ...(config.driveId ? { driveId: config.driveId } : {}),
      checkBase: config.folderId !== undefined,
      rootUrl: config.rootUrl,
      tokens: await gdriveTokenSource(config, secretScope, storageName, deps),
      fetch: deps.fetch ?? fetch,
      log: deps.log.child({ provider: 'gdrive' }),
      chunkBytes: config.uploadChunkBytes,
      storageName,
    });
  },
  describe: describeGdrive,
};

const _check: ProviderFactory<GdriveConfig> = gdriveFactory;
void _check;

export type { GdriveConfig } from './config';
