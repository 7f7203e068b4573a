/** The Dropbox storage factory. */
import { AppError } from '../../errors';
import { refreshingTokenSource, staticTokenSource, type TokenSource } from '../../auth/token-source';
import type { ProviderDeps, ProviderFactory } from '../provider';
import { describeDropbox, dropboxConfigSchema, dropboxFields, type DropboxConfig } from './config';
import { DropboxProvider } from './provider';

/** The storage's name for messages, from its secret scope (`storage:<name>`). */
export function storageNameOf(secretScope: string): string {
  return secretScope.replace(/^storage:/, '');
}

/**
 * The token source of a Dropbox storage: a refresh token from `storage connect` (refreshed at
 * `config.tokenUrl`), or else a legacy long-lived `accessToken` (odoo_backup_sh style).
 */
export async function dropboxTokenSource(config: DropboxConfig, secretScope: string, deps: ProviderDeps): Promise<TokenSource> {
  const storageName = storageNameOf(secretScope);
  const legacy = await deps.secrets.get(secretScope, 'accessToken');
  const refresh = await deps.secrets.get(secretScope, 'refreshToken');
  if (legacy !== undefined && refresh === undefined) return staticTokenSource(legacy);
  if (config.clientId === undefined || config.clientId === '') {
    throw new AppError('InvalidInput', `Dropbox storage "${storageName}" has no app key (client id), so it cannot be signed in.`, {
      hint: `Set the app key with \`backup-desk storage edit ${storageName} --client-id KEY\`, or store a legacy access token.`,
    });
  }
  return refreshingTokenSource({ tokenUrl: config.tokenUrl, clientId: config.clientId, storageName }, deps.secrets, secretScope, deps.fetch ?? fetch);
}

/** Creates Dropbox storages (full-Dropbox or app-folder apps). */
export const dropboxFactory: ProviderFactory<DropboxConfig> & { readonly oauth: true } = {
  kind: 'dropbox',
  label: 'Dropbox',
  oauth: true,
  fields: dropboxFields,
  configSchema: dropboxConfigSchema,
  async create(config, secretScope, deps) {
    return new DropboxProvider({
      folderPath: config.folderPath,
      tokens: await dropboxTokenSource(config, secretScope, deps),
      fetch: deps.fetch ?? fetch,
      log: deps.log.child({ provider: 'dropbox' }),
      chunkBytes: config.uploadChunkBytes,
      storageName: storageNameOf(secretScope),
    });
  },
  describe: describeDropbox,
};

const _check: ProviderFactory<DropboxConfig> = dropboxFactory;
void _check;

export { DropboxProvider } from './provider';
export type { DropboxConfig } from './config';
