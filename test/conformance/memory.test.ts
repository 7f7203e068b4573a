import { createMemoryProvider } from '../../shared/core/storage/memory/memory-provider';
import { withFaults } from '../../shared/core/storage/memory/faults';
import { describeStorageProvider } from './storage-suite';

describeStorageProvider('memory', async () => {
  const faulty = withFaults(createMemoryProvider({ pageSize: 3 }));
  return {
    provider: faulty.provider,
    cleanup: async () => undefined,
    interruptNextTransfer: (direction, afterBytes) => faulty.interruptNext(direction, afterBytes),
  };
});
