/** The Google Drive storage factory. */
import type { ProviderFactory } from '../provider';
import { gdriveTokenSource } from './auth';
import { describeGdrive, gdriveConfigSchema, gdriveFields, type GdriveConfig } from './config';
import { GdriveProvider } from './provider';

/** Creates Google Drive storages: a folder by id or path, in My Drive or a shared drive. */
export const gdriveFactory: ProviderFactory<GdriveConfig> & { readonly oauth: true } = {
  kind: 'gdrive',
  label: 'Google Drive',
  oauth: true,
  fields: gdriveFields,
  configSchema: gdriveConfigSchema,
  async create(config, secretScope, deps) {
    const storageName = deps.storageName ?? secretScope.replace(/^storage:/, '');
    return new GdriveProvider({
      baseId: config.folderId ?? config.driveId ?? 'root',
      folderPath: config.folderPath,
      ...(config.driveId ? { driveId: config.driveId } : {}),
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

export { GdriveProvider, driveQuoted } from './provider';
export { serviceAccountTokenSource, gdriveTokenSource, DRIVE_SCOPE } from './auth';
export type { GdriveConfig } from './config';
