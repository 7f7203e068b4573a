/**
 * The Dropbox storage factory. Cheap to import: the Dropbox SDK is loaded by `create`, so
 * commands that open no Dropbox storage never load it.
 */
import { tokenSourceForStorage } from '../../auth/storage-tokens';
import type { TokenSource } from '../../auth/token-source';
import type { ProviderDeps, ProviderFactory } from '../provider';
import { describeDropbox, dropboxConfigSchema, dropboxFields, type DropboxConfig } from './config';

/** The storage's name for messages: the configured name when the caller gave it, else from its secret scope (`storage:<id>`). */
export function storageNameOf(secretScope: string, deps?: Pick<ProviderDeps, 'storageName'>): string {
  return deps?.storageName ?? secretScope.replace(/^storage:/, '');
}

/**
 * The token source of a Dropbox storage, from the accounts module's one credential lookup: a
 * refresh token from `storage connect` (refreshed at the configured or preset token URL, client
 * id from the settings or the environment), else a legacy long-lived `accessToken`
 * (odoo_backup_sh style); `AuthFailed` asking to connect when there is neither.
 */
export async function dropboxTokenSource(config: DropboxConfig, secretScope: string, deps: ProviderDeps): Promise<TokenSource> {
  return tokenSourceForStorage({
    kind: 'dropbox',
    storageName: storageNameOf(secretScope, deps),
    scope: secretScope,
    settings: config,
    secrets: deps.secrets,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
  });
}

/** Creates Dropbox storages (full-Dropbox or app-folder apps). */
export const dropboxFactory: ProviderFactory<DropboxConfig> & { readonly oauth: true } = {
  kind: 'dropbox',
  label: 'Dropbox',
  oauth: true,
  fields: dropboxFields,
  configSchema: dropboxConfigSchema,
  async create(config, secretScope, deps) {
    const { DropboxProvider } = await import('./provider');
    return new DropboxProvider({
      folderPath: config.folderPath,
      tokens: await dropboxTokenSource(config, secretScope, deps),
      fetch: deps.fetch ?? fetch,
      log: deps.log.child({ provider: 'dropbox' }),
      chunkBytes: config.uploadChunkBytes,
      storageName: storageNameOf(secretScope, deps),
    });
  },
  describe: describeDropbox,
};

const _check: ProviderFactory<DropboxConfig> = dropboxFactory;
void _check;

export type { DropboxConfig } from './config';
