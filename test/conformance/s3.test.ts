import { s3ConfigSchema } from '../../shared/core/storage/s3/config';
import { createS3Provider } from '../../shared/core/storage/s3/s3-provider';
import { startS3Server } from '../helpers/s3-server';
import { describeStorageProvider } from './storage-suite';

const MIB = 1024 * 1024;

// s3rver on loopback; 5 MiB parts and an 11 MiB object make "large" a three-part upload. A part
// cut off half-way is sent again inside the write (its bytes are in memory).
describeStorageProvider(
  's3',
  async () => {
    const server = await startS3Server();
    const config = s3ConfigSchema.parse({ endpoint: server.endpoint, bucket: server.bucket, forcePathStyle: true, accessKeyId: server.accessKeyId, prefix: 'suite' });
    const provider = createS3Provider(config, { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey }, { partSize: 5 * MIB, queueSize: 2 });
    return {
      provider,
      cleanup: () => server.stop(),
      interruptNextTransfer: (direction, afterBytes) => server.interruptNext(direction, afterBytes),
      assertNoPartialUploads: async () => {
        const left = await server.incompleteUploads();
        if (left.length > 0) throw new Error(`incomplete multipart uploads left: ${JSON.stringify(left)}`);
      },
    };
  },
  { largeSize: 11 * MIB, writeResumesInternally: true },
);
