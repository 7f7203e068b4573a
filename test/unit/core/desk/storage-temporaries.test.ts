import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findStorageTemporaries, removeStorageTemporaries } from '../../../../shared/core/desk/storage-temporaries';
import { AppError } from '../../../../shared/core/errors';
import { LocalProvider } from '../../../../shared/core/storage/local';
import type { StorageProvider } from '../../../../shared/core/storage/provider';

const UUID = '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0';

describe('temporaries of interrupted backups across storages', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'bd-temps-'));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('splits by age, skips storages without temporaries, reports one that cannot be searched, and removes only what it is given', async () => {
    const old = join(root, `.a.zip.backup-desk-tmp-${UUID}`);
    const young = join(root, `.b.zip.backup-desk-tmp-${UUID.replace('0f', '1f')}`);
    await writeFile(old, 'old');
    await writeFile(young, 'young');
    const hourAgo = new Date(Date.now() - 3600_000);
    await utimes(old, hourAgo, hourAgo);
    const local = new LocalProvider(root);
    const providers: Record<string, () => Promise<StorageProvider>> = {
      nas: async () => local,
      plain: async () => ({ ...local, temporaries: undefined, list: local.list.bind(local), stat: local.stat.bind(local), read: local.read.bind(local), close: local.close.bind(local) }),
      offline: () => Promise.reject(new AppError('Transient', 'The NAS is offline.')),
    };
    const byName = (n: string): Promise<StorageProvider> => providers[n]!();
    const r = await findStorageTemporaries(['nas', 'plain', 'offline'], byName, 10 * 60_000);
    expect(r.found.map((t) => [t.storage, t.temp.forKey])).toEqual([['nas', 'a.zip']]);
    expect(r.found[0]!.ageMs).toBeGreaterThanOrEqual(3599_000);
    expect(r.young.map((t) => t.temp.forKey)).toEqual(['b.zip']);
    expect(r.failed.map((f) => [f.storage, f.error.kind])).toEqual([['offline', 'Transient']]);
    const removed = await removeStorageTemporaries([...r.found, ...r.found], byName); // the second one is already gone: still removed
    expect(removed.removed).toHaveLength(2);
    expect(removed.failed).toEqual([]);
    expect((await findStorageTemporaries(['nas'], byName, 0)).found.map((t) => t.temp.forKey)).toEqual(['b.zip']);
  });
});
