import { sftpConfigSchema } from '../../shared/core/storage/sftp/config';
import { createSftpProvider } from '../../shared/core/storage/sftp/sftp-provider';
import { startSshd } from '../helpers/sshd';
import { describeStorageProvider } from './storage-suite';

// Real OpenSSH sshd on loopback (internal-sftp), key login, host key pinned.
describeStorageProvider('sftp', async () => {
  const sshd = await startSshd();
  const config = sftpConfigSchema.parse({
    host: sshd.host,
    port: sshd.port,
    username: sshd.username,
    path: sshd.root,
    auth: 'key',
    hostKeyFingerprint: sshd.hostKeyFingerprint,
  });
  const provider = createSftpProvider(config, { privateKey: sshd.clientKey });
  return {
    provider,
    cleanup: () => sshd.stop(),
    interruptNextTransfer: (direction, afterBytes) => sshd.interruptNext(direction, afterBytes),
  };
}, { ifAbsent: true });
