import { describe, expect, it } from 'vitest';
import { MemorySecretStore } from '../../../../../shared/core/secrets/secret-store';
import { nullLogger } from '../../../../../shared/core/util/logger';
import { memoryFactory } from '../../../../../shared/core/storage/memory';
import { createMemoryProvider, createMemoryStore } from '../../../../../shared/core/storage/memory/memory-provider';
import { bodyOf, collect, drain, expectKind } from '../../../../conformance/storage-suite';

describe('memory provider', () => {
  it('shares objects through a store, and read-only providers have no write/remove', async () => {
    const store = createMemoryStore();
    const rw = createMemoryProvider({ store });
    await rw.write!('a/b.zip', bodyOf(Buffer.from('hello')));
    const ro = createMemoryProvider({ store, readOnly: true });
    expect(ro.write).toBeUndefined();
    expect(ro.remove).toBeUndefined();
    expect(ro.capabilities).toMatchObject({ write: false, remove: false });
    expect((await drain(await ro.read('a/b.zip'))).toString()).toBe('hello');
    expect((await ro.stat('a/b.zip')).checksum).toEqual({ algorithm: 'md5', value: '5d41402abc4b2a76b9719d911017c592' });
  });

  it('rejects bad keys and ranges as InvalidInput and refuses use after close', async () => {
    const p = createMemoryProvider();
    await expectKind(() => p.stat('/abs'), 'InvalidInput');
    await p.write!('x', bodyOf(Buffer.from('abc')));
    await expectKind(() => p.read('x', { range: { offset: 4 } }), 'InvalidInput');
    expect((await drain(await p.read('x', { range: { offset: 3 } }))).length).toBe(0);
    await p.close();
    await expectKind(() => p.stat('x'), 'Fatal');
  });

  it('keeps named stores across factory instances in one process', async () => {
    const deps = { secrets: new MemorySecretStore(), log: nullLogger };
    const config = memoryFactory.configSchema.parse({ name: `t-${Date.now()}` });
    const a = await memoryFactory.create(config, 's', deps);
    await a.write!('k', bodyOf(Buffer.from('v')));
    const b = await memoryFactory.create(config, 's', deps);
    expect((await collect(b.list(''))).map((o) => o.key)).toEqual(['k']);
    expect(memoryFactory.describe(config)).toBe(`memory:${config.name}`);
  });
});
