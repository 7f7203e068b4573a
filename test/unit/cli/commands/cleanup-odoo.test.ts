/**
 * `backup-desk cleanup --target odoo:NAME` in-process, and the Desk's `cleanup:find`/`cleanup:remove`
 * with an Odoo target, against the local Odoo database manager: the temporary databases that
 * interrupted `--replace` restores leave on the server are listed, dropped only with --yes, and
 * nothing that is not such a name is touched.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CleanupFound, CleanupRemoved } from '../../../../shared/contract/api';
import { Desk } from '../../../../shared/core/desk/open-desk';
import { MemorySecretStore } from '../../../../shared/core/secrets/secret-store';
import { runCliInProcess } from '../../../helpers/cli-in-process';
import { jobEnd } from '../../../helpers/job-end';
import { startFakeOdoo, type FakeOdoo } from '../../../helpers/fake-services/odoo-manager';

let home: string;
let fake: FakeOdoo;
const secrets = new MemorySecretStore();
const cli = (args: string[]) => runCliInProcess(home, args, { secrets, env: { PW: 'master' } });
const LEFT = ['bd_tmp_shop_0a1b2c', 'bd_tmp_crm_ffee01'];
const NOT_OURS = ['shop', 'crm', 'bd_tmp_notes', 'bd_tmp_shop_0A1B2C', 'bd_tmp_deadbeef_shop'];

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'bd-cleanup-odoo-'));
  fake = await startFakeOdoo({ version: '17.0', masterPassword: 'master', databases: [...LEFT, ...NOT_OURS].map((name) => ({ name })) });
  expect((await cli(['odoo', 'add', 'prod', '--url', fake.url, '--secret-env', 'PW'])).code).toBe(0);
});
afterAll(async () => {
  await fake?.close();
  await rm(home, { recursive: true, force: true });
});

describe('cleanup --target odoo:NAME', () => {
  it('lists the temporary databases of interrupted replacing restores, and drops them only with --yes', async () => {
    const dry = await cli(['cleanup', '--target', 'odoo:prod']);
    expect(dry.code, dry.err).toBe(0);
    expect(dry.out).toContain(`would drop 2 temporary databases of interrupted restores on prod (${fake.url}); Odoo tells no age, so make sure no restore with --replace into prod is running:`);
    expect(dry.out).toContain('  database bd_tmp_crm_ffee01\n  database bd_tmp_shop_0a1b2c\n'); // as Odoo lists them
    expect(dry.out).toContain('run again with --yes to drop them');
    expect([...fake.databases.keys()].sort()).toEqual([...LEFT, ...NOT_OURS].sort());

    const yes = await cli(['cleanup', '--target', 'odoo:prod', '--yes']);
    expect(yes.code, yes.err).toBe(0);
    expect(yes.out).toContain('dropped database bd_tmp_crm_ffee01 on prod\ndropped database bd_tmp_shop_0a1b2c on prod\n');
    expect([...fake.databases.keys()].sort()).toEqual([...NOT_OURS].sort());
    expect((await cli(['cleanup', '--target', 'odoo:prod'])).out).toContain(`no leftovers of interrupted restores on prod (${fake.url})`);
  });

  it('refuses --data-dir with an Odoo instance, and names the targets it takes', async () => {
    const r = await cli(['cleanup', '--target', 'odoo:prod', '--data-dir', '/var/lib/odoo']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--data-dir goes with a PostgreSQL target: an Odoo instance keeps no filestore folders of this app.');
    const bad = await cli(['cleanup', '--target', 'mysql://db']);
    expect(bad.err).toContain('--target must be a postgres:// URL, "embedded", "local-odoo" or odoo:NAME (got "mysql://db").');
  });

  it('through the Desk (the app): find lists them without ages, remove drops what it finds again', async () => {
    fake.databases.set('bd_tmp_sales_123abc', { name: 'bd_tmp_sales_123abc', origin: 'seed', halfBuilt: false, neutralized: false, newIdentity: false });
    const desk = await Desk.open({ home, secrets });
    try {
      const target = { type: 'odoo' as const, instance: 'prod' };
      const found = (await finished(desk, (await desk['cleanup:find']({ target })).jobId)) as CleanupFound;
      expect(found.restores).toEqual({ server: `Odoo instance prod (${fake.url})`, dataDir: '', leftovers: [{ kind: 'database', name: 'bd_tmp_sales_123abc' }], young: 0 });
      const forged = [{ kind: 'database' as const, name: 'bd_tmp_sales_123abc' }, { kind: 'database' as const, name: 'shop' }];
      const removed = (await finished(desk, (await desk['cleanup:remove']({ target, leftovers: forged, temporaries: [] })).jobId)) as CleanupRemoved;
      expect(removed).toEqual({ removed: 1, failed: [{ what: 'database shop', message: 'not found again as an old leftover of an interrupted restore: left as it is' }] });
      expect(fake.databases.has('bd_tmp_sales_123abc')).toBe(false);
      expect(fake.databases.has('shop')).toBe(true);
    } finally {
      await desk.close();
    }
  });
});

/** The result of a Desk job once it has ended. */
async function finished(desk: Desk, jobId: string): Promise<unknown> {
  expect(await jobEnd(desk, jobId)).toBe('succeeded');
  return desk.jobs.get(jobId)!.result;
}
