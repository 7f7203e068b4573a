/** The conformance story against the local Google Drive API server, with @googleapis/drive pointed at it. */
import { generateKeyPairSync } from 'node:crypto';
import { expect } from 'vitest';
import { MemorySecretStore } from '../../shared/core/secrets/secret-store';
import { gdriveFactory } from '../../shared/core/storage/gdrive';
import { nullLogger } from '../../shared/core/util/logger';
import { MY_DRIVE_ROOT, startFakeDrive } from '../helpers/fake-services/gdrive';
import { describeStorageProvider } from './storage-suite';

process.env.HTTPS_PROXY = 'http://127.0.0.1:9';
process.env.NO_PROXY = '127.0.0.1,localhost';
const CHUNK = 1024 * 1024;

const setup = (where: 'folder-id' | 'shared-drive') => async () => {
  const server = await startFakeDrive();
  const secrets = new MemorySecretStore();
  let settings: Record<string, unknown>;
  if (where === 'folder-id') {
    server.addRefreshToken('1//refresh');
    await secrets.set('storage:gd', 'refreshToken', '1//refresh');
    const folderId = server.put(MY_DRIVE_ROOT, 'Odoo backups');
    settings = { folderId, clientId: 'cid.apps.googleusercontent.com' };
  } else {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    server.addServiceAccount('backup@proj.iam.gserviceaccount.com', publicKey.export({ type: 'spki', format: 'pem' }).toString());
    await secrets.set('storage:gd', 'serviceAccountKey', JSON.stringify({ type: 'service_account', client_email: 'backup@proj.iam.gserviceaccount.com', private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() }));
    const driveId = server.addSharedDrive('Team backups');
    server.put(server.put(driveId, 'Backups'), 'Odoo');
    settings = { driveId, folderPath: 'Backups/Odoo' };
  }
  const config = gdriveFactory.configSchema.parse({ ...settings, rootUrl: server.url, tokenUrl: `${server.url}/token`, uploadChunkBytes: CHUNK });
  const provider = await gdriveFactory.create(config, 'storage:gd', { secrets, log: nullLogger, fetch: server.fetch });
  return {
    provider,
    cleanup: async () => {
      await server.close();
      expect(server.seenUrls.every((u) => u.startsWith(server.url))).toBe(true);
    },
    interruptNextTransfer: (direction: 'read' | 'write', afterBytes: number) =>
      server.failNext(direction === 'read' ? { route: /^GET \/drive\/v3\/files\/[^?]+\?.*alt=media/, dropAfterBytes: afterBytes } : { route: /^PUT \/upload\/.*upload_id=\S+ bytes \d/, dropAfterBytes: Math.min(afterBytes, (CHUNK * 3) / 4) }),
  };
};

describeStorageProvider('gdrive', setup('folder-id'), { writeResumesInternally: true });
describeStorageProvider('gdrive-shared-drive', setup('shared-drive'), { writeResumesInternally: true });
