import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BackupEntry, Catalog } from '../../../../shared/contract/api';
import { BackupFactsCache, GENERIC_KNOWN_WARNING, NOT_SELF_CONTAINED } from '../../../../shared/core/catalog/facts-cache';
import { GENERIC_WARNING } from '../../../../shared/core/catalog/parse';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
const home = async (): Promise<string> => {
  const d = await mkdtemp(join(tmpdir(), 'bd-facts-'));
  dirs.push(d);
  return d;
};
const entry = (ref: string, size: number, extra: Partial<BackupEntry> = {}): BackupEntry => ({
  ref, storage: ref.split(':')[0]!, key: ref.split(':')[1]!, database: 'acme', createdAt: '2024-01-01T00:00:00.000Z',
  format: 'zip', encrypted: false, size, convention: 'odoo-manager', ...extra,
});
const catalog = (backups: BackupEntry[]): Catalog => ({ backups, strays: [], failures: [] });

describe('BackupFactsCache', () => {
  it('fills the Odoo version of backups inspected before, across instances (persisted)', async () => {
    const h = await home();
    await BackupFactsCache.forHome(h).remember('box:acme_2024.zip', 1234, { odooVersion: '16.0', pgVersion: '15.0' });
    const fresh = BackupFactsCache.forHome(h);
    const out = await fresh.annotate(catalog([entry('box:acme_2024.zip', 1234), entry('box:other.zip', 99)]));
    expect(out.backups.map((b) => b.odooVersion)).toEqual(['16.0', undefined]);
    expect(await fresh.lookup('box:acme_2024.zip', 1234)).toEqual({ odooVersion: '16.0', pgVersion: '15.0' });
  });

  it('a file whose name follows no convention gets the database its contents name, once inspected; a named one keeps its own', async () => {
    const h = await home();
    const c = BackupFactsCache.forHome(h);
    await c.remember('nas:acme17_zip.zip', 5000, { database: 'acme17', odooVersion: '17.0' });
    await c.remember('nas:shop_2024-01-01_00-00-00.zip', 6000, { database: 'other' });
    const out = await BackupFactsCache.forHome(h).annotate(
      catalog([
        entry('nas:acme17_zip.zip', 5000, { database: 'acme17_zip', convention: 'generic', warnings: [GENERIC_WARNING] }),
        entry('nas:shop_2024-01-01_00-00-00.zip', 6000, { database: 'shop' }),
      ]),
    );
    expect(out.backups[0]).toMatchObject({ database: 'acme17', odooVersion: '17.0', warnings: [GENERIC_KNOWN_WARNING] });
    expect(out.backups[1]!.database).toBe('shop');
  });

  it('gives no stale facts to a different object under the same name (size differs)', async () => {
    const h = await home();
    const c = BackupFactsCache.forHome(h);
    await c.remember('box:acme.zip', 1000, { odooVersion: '15.0' });
    const out = await c.annotate(catalog([entry('box:acme.zip', 2000)]));
    expect(out.backups[0]!.odooVersion).toBeUndefined();
  });

  it('keeps what the listing already knew (sidecars) and survives a damaged cache file', async () => {
    const h = await home();
    await mkdir(join(h, 'cache'), { recursive: true });
    await writeFile(join(h, 'cache', 'backup-facts.json'), '{not json');
    const c = BackupFactsCache.forHome(h);
    const out = await c.annotate(catalog([entry('a:x.zip', 5, { odooVersion: '17.0' })]));
    expect(out.backups[0]!.odooVersion).toBe('17.0');
    await c.remember('a:y.zip', 6, { odooVersion: '16.0' });
    const saved = JSON.parse(await readFile(join(h, 'cache', 'backup-facts.json'), 'utf8')) as { entries: Record<string, unknown> };
    expect(Object.keys(saved.entries)).toHaveLength(1);
  });

  it('marks backups inspect found not self-contained, and a later restore keeps that fact', async () => {
    const h = await home();
    const c = BackupFactsCache.forHome(h);
    await c.remember('box:s3.zip', 10, { odooVersion: '16.0', selfContained: false });
    await c.remember('box:ok.zip', 11, { selfContained: true });
    await c.remember('box:s3.zip', 10, { odooVersion: '16.0' });
    const out = await BackupFactsCache.forHome(h).annotate(catalog([entry('box:s3.zip', 10), entry('box:ok.zip', 11), entry('box:new.zip', 12)]));
    expect(out.backups.map((b) => b.selfContained)).toEqual([false, true, undefined]);
    expect(out.backups[0]!.warnings).toEqual([NOT_SELF_CONTAINED]);
    expect(out.backups[1]!.warnings).toBeUndefined();
  });
});
