/** The conformance story against the local Dropbox API server, with the official SDK pointed at it. */
import { MemorySecretStore } from '../../shared/core/secrets/secret-store';
import { dropboxFactory } from '../../shared/core/storage/dropbox';
import { nullLogger } from '../../shared/core/util/logger';
import { startFakeDropbox, type DropboxAppAccess } from '../helpers/fake-services/dropbox';
import { describeStorageProvider } from './storage-suite';

process.env.HTTPS_PROXY = 'http://127.0.0.1:9'; // any SDK that bypassed our fetch would fail here
const CHUNK = 1024 * 1024;

const setup = (access: DropboxAppAccess, folderPath: string, auth: 'refresh' | 'legacy') => async () => {
  const server = await startFakeDropbox();
  const secrets = new MemorySecretStore();
  if (auth === 'refresh') {
    server.addRefreshToken('refresh-1', access);
    await secrets.set('storage:dbx', 'refreshToken', 'refresh-1');
  } else {
    await secrets.set('storage:dbx', 'accessToken', server.issueToken(access));
  }
  const config = dropboxFactory.configSchema.parse({
    folderPath,
    appType: access.appType,
    clientId: 'test-client',
    tokenUrl: 'https://api.dropboxapi.com/oauth2/token',
    uploadChunkBytes: CHUNK,
  });
  const provider = await dropboxFactory.create(config, 'storage:dbx', { secrets, log: nullLogger, fetch: server.fetch });
  return {
    provider,
    cleanup: async () => {
      await server.close();
      if (server.seenUrls.some((u) => !u.startsWith(server.url))) throw new Error('a request left the loopback server');
    },
    interruptNextTransfer: (direction: 'read' | 'write', afterBytes: number) =>
      server.failNext(direction === 'read' ? { route: 'files/download', dropAfterBytes: afterBytes } : { route: 'files/upload_session/append_v2', dropAfterBytes: Math.min(afterBytes, CHUNK / 2) }),
  };
};

describeStorageProvider('dropbox', setup({ appType: 'full_dropbox' }, '/Odoo Backups', 'refresh'), { writeResumesInternally: true });
describeStorageProvider('dropbox-app-folder', setup({ appType: 'app_folder', appName: 'Backup Desk' }, '', 'legacy'), { writeResumesInternally: true });
