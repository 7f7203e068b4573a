import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withFaults } from '../../shared/core/storage/memory/faults';
import { localFactory } from '../../shared/core/storage/local';
import { MemorySecretStore } from '../../shared/core/secrets/secret-store';
import { nullLogger } from '../../shared/core/util/logger';
import { describeStorageProvider } from './storage-suite';

describeStorageProvider('local', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bd-local-conf-'));
  const faulty = withFaults(await localFactory.create({ path: dir }, 'storage:test', { secrets: new MemorySecretStore(), log: nullLogger }));
  return {
    provider: faulty.provider,
    cleanup: () => rm(dir, { recursive: true, force: true }),
    interruptNextTransfer: (direction, afterBytes) => faulty.interruptNext(direction, afterBytes),
  };
}, { ifAbsent: true });
