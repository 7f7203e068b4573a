/** The memory storage's factory, for the registry (`--type memory`, tests and demos). */
import { z } from 'zod';
import type { ProviderFactory, SettingField } from '../provider';
import { createMemoryProvider, createMemoryStore, type MemoryStore } from './memory-provider';

export { createMemoryProvider, createMemoryStore, type MemoryProviderOptions, type MemoryStore } from './memory-provider';

/** Settings of a memory storage: a name; storages with the same name share their objects within one process. */
export const memoryConfigSchema = z.object({
  name: z.string().min(1).default('default'),
  readOnly: z.boolean().default(false),
});

/** A memory storage's validated settings. */
export type MemoryConfig = z.infer<typeof memoryConfigSchema>;

const stores = new Map<string, MemoryStore>();

const fields: readonly SettingField[] = [
  { name: 'name', label: 'Name', type: 'string', required: false, secret: false, default: 'default', help: 'Storages with the same name share their objects while the app runs.' },
  { name: 'readOnly', label: 'Read-only', type: 'boolean', required: false, secret: false, default: false },
];

/** Factory of in-memory storages (nothing survives the process). */
export const memoryFactory: ProviderFactory<MemoryConfig> = {
  kind: 'memory',
  label: 'Memory (for tests)',
  fields,
  configSchema: memoryConfigSchema,
  async create(config) {
    let store = stores.get(config.name);
    if (store === undefined) {
      store = createMemoryStore();
      stores.set(config.name, store);
    }
    return createMemoryProvider({ store, readOnly: config.readOnly });
  },
  describe(config) {
    return `memory:${config.name}`;
  },
};
