import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { listCatalog, scanStorage, singleEntry } from '../../../../shared/core/catalog/catalog';
import { AppError } from '../../../../shared/core/errors';
import { createMemoryProvider } from '../../../../shared/core/storage/memory/memory-provider';
import { withFaults } from '../../../../shared/core/storage/memory/faults';
import type { StorageProvider } from '../../../../shared/core/storage/provider';

async function memoryWith(files: Record<string, string | Buffer>): Promise<StorageProvider> {
  const p = createMemoryProvider({ pageSize: 7 });
  for (const [k, v] of Object.entries(files)) await p.write!(k, Readable.from([Buffer.from(v)]));
  return p;
}

describe('scanStorage', () => {
  it('reads .info files and ambiguous heads through the provider, bounded by contentLimit', async () => {
    const p = await memoryWith({
      'acme.2021-01-01_00-00-00.zip': 'PK\x03\x04zipdata',
      'acme.2021-01-01_00-00-00.info': '[common]\ndatabase = other\nencrypted = False\n',
      'x.dump': 'hello, not a dump',
    });
    const scan = await scanStorage('m', p, { infoFiles: true });
    expect(scan.backups).toHaveLength(1);
    expect(scan.backups[0]!.warnings?.[0]).toMatch(/names database "other"/);
    expect(scan.strays.map((s) => s.key)).toEqual(['x.dump']);
    const limited = await scanStorage('m', p, { contentLimit: 0, infoFiles: true });
    expect(limited.backups.map((b) => b.key).sort()).toEqual(['acme.2021-01-01_00-00-00.zip', 'x.dump']);
  });

  it('a listing reads what the table shows (heads), not .info files; singleEntry reads the one needed', async () => {
    const p = await memoryWith({
      'acme.2021-01-01_00-00-00.zip': 'PK\x03\x04zipdata',
      'acme.2021-01-01_00-00-00.info': '[common]\ndatabase = other\nencrypted = False\n',
      'x.dump': 'hello, not a dump',
    });
    const reads: string[] = [];
    const counting: StorageProvider = { ...p, list: p.list.bind(p), stat: p.stat.bind(p), close: p.close.bind(p), read: (k, o) => (reads.push(k), p.read(k, o)) };
    const scan = await scanStorage('m', counting);
    expect(reads).toEqual(['x.dump']);
    expect(scan.strays.map((s) => s.key)).toEqual(['x.dump']);
    expect(scan.backups[0]!.warnings ?? []).toEqual([]);
    expect(scan.backups[0]!.companions).toEqual(['acme.2021-01-01_00-00-00.info']);
    const one = await singleEntry('m', counting, await p.stat('acme.2021-01-01_00-00-00.zip'));
    expect(one?.warnings?.[0]).toMatch(/names database "other"/);
    expect(await singleEntry('m', counting, await p.stat('x.dump'))).toBeUndefined();
  });

  it('reads content while the listing is still paging (slow pages overlap the reads)', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 30; i++) files[`d${String(i).padStart(2, '0')}.dump`] = 'PGDMP';
    const p = await memoryWith(files);
    const events: string[] = [];
    const slow: StorageProvider = {
      ...p,
      stat: p.stat.bind(p),
      close: p.close.bind(p),
      async *list(prefix, o) {
        let n = 0;
        for await (const x of p.list(prefix, o)) {
          if (n++ % 7 === 0) {
            events.push('page');
            await new Promise((r) => setTimeout(r, 20));
          }
          yield x;
        }
        events.push('end');
      },
      read: (k, o) => (events.push('read'), p.read(k, o)),
    };
    const scan = await scanStorage('m', slow);
    expect(scan.backups).toHaveLength(30);
    expect(events.indexOf('read')).toBeLessThan(events.indexOf('end'));
    expect(events.indexOf('read')).toBeLessThan(events.lastIndexOf('page'));
  });
});

describe('listCatalog', () => {
  it('queries every storage, merges newest first, and reports a failing storage without hiding the others', async () => {
    const a = await memoryWith({ 'db1_2024-01-01_00-00-00.zip': 'PK', 'junk.txt': 'x' });
    const b = await memoryWith({ 'db2/2024_06_01_00_00_00.dump.zip': 'PK', 'db1_2023-01-01_00-00-00.dump': 'PGDMP' });
    const broken = withFaults(createMemoryProvider());
    broken.failNext('list', new AppError('AuthFailed', 'The access key was rejected.', { hint: 'Check the key.' }));
    let closed = 0;
    const counting = (p: StorageProvider): StorageProvider => ({ ...p, list: p.list.bind(p), stat: p.stat.bind(p), read: p.read.bind(p), close: async () => void closed++ });
    const cat = await listCatalog(
      [
        { name: 'a', open: async () => counting(a) },
        { name: 'b', open: async () => counting(b) },
        { name: 'bad', open: async () => counting(broken.provider) },
        { name: 'offline', open: async () => Promise.reject(new AppError('Transient', 'Host unreachable.')) },
      ],
      { includeStrays: true },
    );
    expect(cat.backups.map((x) => x.ref)).toEqual(['b:db2/2024_06_01_00_00_00.dump.zip', 'a:db1_2024-01-01_00-00-00.zip', 'b:db1_2023-01-01_00-00-00.dump']);
    expect(cat.strays.map((x) => x.ref)).toEqual(['a:junk.txt']);
    expect(cat.failures).toEqual([
      { storage: 'bad', error: { kind: 'AuthFailed', message: 'The access key was rejected.', hint: 'Check the key.' } },
      { storage: 'offline', error: { kind: 'Transient', message: 'Host unreachable.' } },
    ]);
    expect(closed).toBe(3);
    const only = await listCatalog([{ name: 'a', open: async () => a }, { name: 'b', open: async () => b }], { db: 'db1' });
    expect(only.backups.map((x) => x.database)).toEqual(['db1', 'db1']);
    expect(only.strays).toEqual([]);
  });

  it('rejects with Cancelled when aborted', async () => {
    const a = await memoryWith({ 'db1_2024-01-01_00-00-00.zip': 'PK' });
    const ctrl = new AbortController();
    ctrl.abort();
    await expect(listCatalog([{ name: 'a', open: async () => a }], { signal: ctrl.signal })).rejects.toMatchObject({ kind: 'Cancelled' });
  });
});
