import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { normalizeInstanceUrl, OdooInstanceStore, openInstance } from '../../../../shared/core/odoo';
import { isAppError } from '../../../../shared/core/errors';
import { MemorySecretStore } from '../../../../shared/core/secrets';
import { startFakeOdoo, type FakeOdoo } from '../../../helpers/fake-services/odoo-manager';

const dirs: string[] = [];
let fake: FakeOdoo | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function store(): Promise<{ store: OdooInstanceStore; secrets: MemorySecretStore; home: string }> {
  const home = await mkdtemp(join(tmpdir(), 'bd-odoo-inst-'));
  dirs.push(home);
  const secrets = new MemorySecretStore();
  return { store: new OdooInstanceStore(home, async () => secrets), secrets, home };
}

describe('Odoo instances registry', () => {
  it('adds, lists, opens and removes; the master password only in the secret store', async () => {
    const { store: s, secrets, home } = await store();
    fake = await startFakeOdoo({ masterPassword: 'Very-Secret-1', databases: [{ name: 'prod' }] });
    const inst = await s.add('prod', `${fake.url}/web/database/manager`, 'Very-Secret-1');
    expect(inst.url).toBe(fake.url);
    const file = await readFile(join(home, 'odoo-instances.json'), 'utf8');
    expect(file).toContain('"prod"');
    expect(file).not.toContain('Very-Secret-1');
    expect(await secrets.get(`odoo:${inst.id}`, 'masterPassword')).toBe('Very-Secret-1');
    expect((await s.list()).map((i) => i.name)).toEqual(['prod']);
    const { client } = await openInstance(s, 'prod');
    await client.checkMasterPassword();
    expect(await client.listDatabases()).toEqual([{ name: 'prod' }]);

    await expect(s.add('prod', fake.url, 'x')).rejects.toSatisfy((e) => isAppError(e, 'Conflict'));
    await s.remove('prod');
    expect(await s.list()).toEqual([]);
    expect(await secrets.get(`odoo:${inst.id}`, 'masterPassword')).toBeUndefined();
    await expect(s.get('prod')).rejects.toSatisfy((e) => isAppError(e, 'NotFound'));
  });

  it('refuses bad names, empty passwords and URLs with credentials', async () => {
    const { store: s } = await store();
    await expect(s.add('a b', 'https://x.example', 'pw')).rejects.toSatisfy((e) => isAppError(e, 'InvalidInput'));
    await expect(s.add('ok', 'https://x.example', '')).rejects.toSatisfy((e) => isAppError(e, 'InvalidInput'));
    expect(() => normalizeInstanceUrl('https://admin:pw@odoo.example.com')).toThrow(/user name or password/);
    expect(() => normalizeInstanceUrl('ftp://odoo.example.com')).toThrow(/http/);
    expect(normalizeInstanceUrl('https://odoo.example.com/erp/web?db=x#y')).toBe('https://odoo.example.com/erp');
    expect(normalizeInstanceUrl('https://odoo.example.com/odoo')).toBe('https://odoo.example.com');
  });
});
