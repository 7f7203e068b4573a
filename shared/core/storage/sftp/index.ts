/**
 * The SFTP storage's factory, for the registry. Cheap to import: ssh2 / ssh2-sftp-client are
 * loaded by `create`, so commands that open no SFTP storage never load them.
 */
import { AppError } from '../../errors';
import type { ProviderFactory } from '../provider';
import { SFTP_SECRETS, sftpConfigSchema, sftpFields, type SftpConfig } from './config';
import type { SftpAuth } from './sftp-provider';

export type { SftpAuth, SftpProviderOptions, SftpStorageProvider } from './sftp-provider';
export { sftpConfigSchema, type SftpConfig } from './config';
export { sha256Fingerprint, checkKnownHosts, addKnownHost } from './host-key';

/** Factory of SFTP storages (OCA auto_backup's `sftp` method, or any SSH server). */
export const sftpFactory: ProviderFactory<SftpConfig> = {
  kind: 'sftp',
  label: 'SFTP',
  fields: sftpFields,
  configSchema: sftpConfigSchema,
  async create(config, secretScope, deps) {
    const { createSftpProvider, readPrivateKeyFile } = await import('./sftp-provider');
    const secret = (name: string): Promise<string | undefined> => deps.secrets.get(secretScope, name);
    let auth: SftpAuth;
    if (config.auth === 'password') {
      const password = await secret(SFTP_SECRETS.password);
      if (!password) {
        throw new AppError('AuthFailed', `No password is stored for the SFTP storage ${config.username}@${config.host}.`, {
          hint: 'Enter the password again (Storages → Change secret).',
          details: { cliHint: `Enter the password again: backup-desk storage set-secret ${deps.storageName ?? 'NAME'} (prompt, --secret-stdin or --secret-env VAR).` },
        });
      }
      auth = { password };
    } else {
      let privateKey: string | Buffer | undefined;
      if (config.auth === 'key') {
        privateKey = await secret(SFTP_SECRETS.privateKey);
        if (!privateKey) {
          throw new AppError('AuthFailed', `No private key is stored for the SFTP storage ${config.username}@${config.host}.`, {
            hint: 'Store the key again (Storages → Change secret), or log in with a key file instead.',
            details: { cliHint: `Store the key again (backup-desk storage set-secret ${deps.storageName ?? 'NAME'} --secret-stdin < KEYFILE), or log in with a key file instead.` },
          });
        }
      } else {
        if (!config.privateKeyPath) {
          throw new AppError('InvalidInput', 'The SFTP storage logs in with a key file but no --private-key-path is set.', {
            hint: 'Add the storage again with its key file (e.g. ~/.ssh/id_ed25519), or log in with a password.',
            details: { cliHint: 'Set --private-key-path (e.g. ~/.ssh/id_ed25519), or use --auth password.' },
          });
        }
        privateKey = await readPrivateKeyFile(config.privateKeyPath);
      }
      const passphrase = await secret(SFTP_SECRETS.passphrase);
      auth = { privateKey, ...(passphrase ? { passphrase } : {}) };
    }
    return createSftpProvider(config, auth, { log: deps.log, ...(deps.storageName !== undefined ? { storageName: deps.storageName } : {}) });
  },
  describe(config) {
    const port = config.port === 22 ? '' : `:${config.port}`;
    return `sftp://${config.username}@${config.host}${port}/${config.path.replace(/^\/+/, '')}`;
  },
};
