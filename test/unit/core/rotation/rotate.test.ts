/**
 * rotateStorage / deleteBackups on the memory storage: archive and companion go together, a
 * failed delete is reported while the others go on, an archive whose .info vanished stays, a
 * cancel stops before the next backup, a storage that cannot delete is refused, a dry run
 * touches nothing.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../../shared/core/errors';
import { rotateStorage } from '../../../../shared/core/rotation';
import { createMemoryProvider, createMemoryStore, type MemoryStore } from '../../../../shared/core/storage/memory';
import { withFaults } from '../../../../shared/core/storage/memory/faults';
import type { StorageProvider } from '../../../../shared/core/storage/provider';

const T0 = Date.UTC(2024, 4, 20, 12);
const DAY = 24 * 3600_000;
const ts = (t: number): string => new Date(t).toISOString().slice(0, 19).replace('T', '_').replace(/:/g, '-');

/** Five daily odoo_backup_sh pairs of `db` plus a stray. */
async function seeded(): Promise<{ store: MemoryStore; provider: StorageProvider }> {
  const store = createMemoryStore();
  const provider = createMemoryProvider({ store });
  const put = (key: string, body: string) => provider.write!(key, Readable.from([Buffer.from(body)]));
  for (let d = 0; d < 5; d++) {
    await put(`db.${ts(T0 - d * DAY)}.zip`, `archive ${d}`);
    await put(`db.${ts(T0 - d * DAY)}.info`, '[common]\ndatabase = db\n');
  }
  await put(`db.${ts(T0 - 9 * DAY)}.info`, 'lone');
  return { store, provider };
}

const opts = (provider: StorageProvider, extra: Partial<Parameters<typeof rotateStorage>[0]> = {}) => ({
  storage: 'm',
  provider,
  db: 'db',
  layout: 'odoo-backup-sh' as const,
  policy: { keepLast: 2 },
  dryRun: false,
  now: T0,
  ...extra,
});

describe('rotateStorage on the memory storage', () => {
  it('deletes archive + .info together; a dry run touches nothing', async () => {
    const { store, provider } = await seeded();
    const dry = await rotateStorage(opts(provider, { dryRun: true }));
    expect(dry.delete).toEqual([2, 3, 4].map((d) => `m:db.${ts(T0 - d * DAY)}.zip`));
    expect(store.size).toBe(11);
    const r = await rotateStorage(opts(provider));
    expect(r).toMatchObject({ delete: dry.delete, keep: dry.keep, failed: [], bytes: dry.bytes });
    expect([...store.keys()].sort()).toEqual([`db.${ts(T0 - 9 * DAY)}.info`, `db.${ts(T0 - DAY)}.info`, `db.${ts(T0 - DAY)}.zip`, `db.${ts(T0)}.info`, `db.${ts(T0)}.zip`].sort());
  });

  it('reports a failed delete and goes on with the others; an archive whose .info vanished is left alone', async () => {
    const { store, provider } = await seeded();
    const faulty = withFaults(provider);
    faulty.failNext('remove', new AppError('PermissionDenied', 'Access denied (injected).'));
    store.delete(`db.${ts(T0 - 4 * DAY)}.info`); // gone before its turn: the archive is then a lone archive
    const r = await rotateStorage(opts(faulty.provider));
    expect(r.failed).toEqual([{ ref: `m:db.${ts(T0 - 2 * DAY)}.zip`, error: 'Access denied (injected).' }]);
    expect(r.delete).toEqual([`m:db.${ts(T0 - 3 * DAY)}.zip`]);
    expect(r.skipped.map((s) => s.ref)).toEqual([`m:db.${ts(T0 - 4 * DAY)}.zip`]);
    expect(store.has(`db.${ts(T0 - 2 * DAY)}.zip`)).toBe(true);
    expect(store.has(`db.${ts(T0 - 2 * DAY)}.info`)).toBe(true);
    expect(store.has(`db.${ts(T0 - 3 * DAY)}.zip`)).toBe(false);
  });

  it('stops before the next backup when cancelled', async () => {
    const { store, provider } = await seeded();
    const ctrl = new AbortController();
    const base = provider.remove!.bind(provider);
    const watching: StorageProvider = {
      ...provider,
      list: provider.list.bind(provider),
      read: provider.read.bind(provider),
      stat: provider.stat.bind(provider),
      close: provider.close.bind(provider),
      remove: async (key, o) => {
        await base(key, o);
        if (key.endsWith('.info')) ctrl.abort();
      },
    };
    await expect(rotateStorage(opts(watching, { signal: ctrl.signal }))).rejects.toMatchObject({ kind: 'Cancelled' });
    expect(store.has(`db.${ts(T0 - 2 * DAY)}.zip`)).toBe(false);
    expect(store.has(`db.${ts(T0 - 2 * DAY)}.info`)).toBe(false);
    expect(store.has(`db.${ts(T0 - 3 * DAY)}.zip`)).toBe(true);
    expect(store.has(`db.${ts(T0 - 3 * DAY)}.info`)).toBe(true);
  });

  it('refuses a storage that cannot delete (but plans on it)', async () => {
    const { store } = await seeded();
    const ro = createMemoryProvider({ store, readOnly: true });
    expect((await rotateStorage(opts(ro, { dryRun: true }))).delete).toHaveLength(3);
    await expect(rotateStorage(opts(ro))).rejects.toMatchObject({ kind: 'Unsupported' });
    expect(store.size).toBe(11);
  });
});
