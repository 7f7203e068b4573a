/**
 * The S3-compatible storage's factory, for the registry. Cheap to import: the AWS SDK (about
 * 0.4 s of start-up) is loaded by `create`, so commands that open no S3 storage never load it.
 */
import { AppError } from '../../errors';
import type { ProviderFactory } from '../provider';
import { S3_SECRET_KEY, s3ConfigSchema, s3Fields, normalizePrefix, type S3Config } from './config';

export type { S3Credentials, S3ProviderOptions } from './s3-provider';
export { s3ConfigSchema, normalizePrefix, type S3Config } from './config';
export { classifyS3Error } from './errors';

/** Factory of S3-compatible storages (AWS, MinIO, Wasabi, B2, OVH, Exoscale, Scaleway, R2…). */
export const s3Factory: ProviderFactory<S3Config> = {
  kind: 's3',
  label: 'S3-compatible',
  fields: s3Fields,
  configSchema: s3ConfigSchema,
  async create(config, secretScope, deps) {
    const accessKeyId = config.accessKeyId || (await deps.secrets.get(secretScope, 'accessKeyId'));
    const secretAccessKey = await deps.secrets.get(secretScope, S3_SECRET_KEY);
    if (!accessKeyId) {
      throw new AppError('InvalidInput', `The S3 storage for bucket "${config.bucket}" has no access key id.`, {
        hint: 'Add the storage again with its access key id (the key id is not secret).',
        details: { cliHint: 'Set --access-key-id (the key id is not secret) when adding the storage.' },
      });
    }
    if (!secretAccessKey) {
      throw new AppError('AuthFailed', `No secret access key is stored for the S3 storage of bucket "${config.bucket}".`, {
        hint: 'Enter the secret access key again: remove the storage and add it again.',
        details: { cliHint: 'Enter the secret access key again (prompt, --secret-stdin or --secret-env VAR).' },
      });
    }
    const { createS3Provider } = await import('./s3-provider');
    return createS3Provider(config, { accessKeyId, secretAccessKey }, { log: deps.log });
  },
  describe(config) {
    const where = config.endpoint !== '' ? config.endpoint.replace(/\/+$/, '') : `aws:${config.region}`;
    return `s3:${where}/${config.bucket}/${normalizePrefix(config.prefix)}`;
  },
};
