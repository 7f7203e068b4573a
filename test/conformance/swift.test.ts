/** The conformance story against the local Swift + Keystone server (Keystone v3 and tempauth). */
import { expect } from 'vitest';
import { MemorySecretStore } from '../../shared/core/secrets/secret-store';
import { swiftFactory } from '../../shared/core/storage/swift';
import { nullLogger } from '../../shared/core/util/logger';
import { startFakeSwift, SWIFT_TEMPAUTH_USER, SWIFT_TEST_USER } from '../helpers/fake-services/swift';
import { describeStorageProvider } from './storage-suite';

process.env.HTTPS_PROXY = 'http://127.0.0.1:9';

const setup = (auth: 'v3' | 'v1') => async () => {
  // Tiny SLO threshold and segments so the 3 MiB "large" object is a multi-segment SLO.
  const server = await startFakeSwift({ regions: ['RegionOne', 'RegionTwo'], minSegmentSize: 64 * 1024 });
  const secrets = new MemorySecretStore();
  const account = auth === 'v3' ? 'AUTH_RegionTwo' : 'AUTH_tempauth';
  await secrets.set('storage:sw', 'password', auth === 'v3' ? SWIFT_TEST_USER.password : SWIFT_TEMPAUTH_USER.key);
  const config = swiftFactory.configSchema.parse(
    auth === 'v3'
      ? { authUrl: `${server.url}/v3`, username: SWIFT_TEST_USER.username, projectName: SWIFT_TEST_USER.projectName, region: 'RegionTwo', container: 'backups', prefix: 'odoo', segmentThresholdBytes: 1024 * 1024, segmentSizeBytes: 512 * 1024 }
      : { authUrl: `${server.url}/auth/v1.0`, username: SWIFT_TEMPAUTH_USER.user, container: 'backups', segmentThresholdBytes: 1024 * 1024, segmentSizeBytes: 700 * 1024 },
  );
  const provider = await swiftFactory.create(config, 'storage:sw', { secrets, log: nullLogger, fetch: server.fetch });
  return {
    provider,
    cleanup: async () => {
      await server.close();
      expect(server.seenUrls.every((u) => u.startsWith(server.url))).toBe(true);
    },
    interruptNextTransfer: (direction: 'read' | 'write', afterBytes: number) =>
      server.failNext(direction === 'read' ? { route: /^GET \/v1\/[^?]*large\.bin$/, dropAfterBytes: afterBytes } : { route: /^PUT \/v1\/.*_segments\//, dropAfterBytes: Math.min(afterBytes, 256 * 1024) }),
    assertNoPartialUploads: async () => {
      const segs = server.container(account, 'backups_segments');
      const manifests = [...(server.container(account, 'backups')?.values() ?? [])].flatMap((o) => o.slo?.map((s) => s.name) ?? []);
      const orphans = [...(segs?.keys() ?? [])].filter((n) => !manifests.includes(`/backups_segments/${n}`));
      expect(orphans).toEqual([]);
    },
  };
};

describeStorageProvider('swift', setup('v3'), { writeResumesInternally: true });
describeStorageProvider('swift-tempauth', setup('v1'), { writeResumesInternally: true });
