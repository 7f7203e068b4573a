import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../../../../shared/core/errors';
import { JobManager } from '../../../../shared/core/jobs/job-manager';
import { OdooInstanceStore } from '../../../../shared/core/odoo';
import { OdooService } from '../../../../shared/core/odoo/service';
import { MemorySecretStore } from '../../../../shared/core/secrets';
import { startFakeOdoo, type FakeOdoo } from '../../../helpers/fake-services/odoo-manager';

const dirs: string[] = [];
let fake: FakeOdoo | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** The service over a fresh home, with instance "erp" stored with `stored` as its master password. */
async function service(stored: string): Promise<OdooService> {
  const home = await mkdtemp(join(tmpdir(), 'bd-odoo-svc-'));
  dirs.push(home);
  fake = await startFakeOdoo({ masterPassword: 'right-one', databases: [{ name: 'prod' }] });
  const secrets = new MemorySecretStore();
  const store = new OdooInstanceStore(home, async () => secrets);
  await store.add('erp', fake.url, stored);
  return new OdooService(store, new JobManager());
}

describe('OdooService', () => {
  it('odoo:test with a wrong stored password says where to set it: the app\'s screen, and for the CLI the command naming the instance', async () => {
    const svc = await service('stale');
    const r = await svc['odoo:test']({ name: 'erp' });
    expect(r.ok).toBe(false);
    const check = r.checks.find((c) => c.name === 'password');
    expect(check?.message).toMatch(/store the right one: Master password… on the Odoo instances screen\.$/);
    expect(check?.message).not.toMatch(/backup-desk/);
    expect(check?.cliMessage).toMatch(/`backup-desk odoo set-password erp`\.$/);
  });

  it('odoo:set-password refuses a wrong new password, saying the stored one is unchanged (not to run set-password again)', async () => {
    const svc = await service('right-one');
    const e = await svc['odoo:set-password']({ name: 'erp', masterPassword: 'typo', check: true }).catch((err: unknown) => err as AppError);
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).kind).toBe('AuthFailed');
    expect((e as AppError).hint).toBe("Check the master password (admin_passwd in the server's odoo.conf); the stored one is unchanged.");
    expect((e as AppError).details?.cliHint).toBeUndefined(); // the CLI says the same: not to run set-password
    expect((await svc['odoo:test']({ name: 'erp' })).ok).toBe(true);
  });
});
