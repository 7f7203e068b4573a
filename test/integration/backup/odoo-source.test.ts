/**
 * The `odoo:INSTANCE` source against the local Odoo database manager (test/helpers/fake-services):
 * a real Odoo zip passes through byte for byte and is checked on the way; a backup cut short (as
 * proxies have done) or a wrong master password leaves nothing on the storage.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openOdooSource, runBackup } from '../../../shared/core/backup';
import { scanStorage } from '../../../shared/core/catalog';
import { isAppError } from '../../../shared/core/errors';
import { silentContext } from '../../../shared/core/jobs/job';
import { OdooManagerClient } from '../../../shared/core/odoo';
import { LocalProvider } from '../../../shared/core/storage/local';
import { fixtureDirWith } from '../../helpers/fixtures';
import { startFakeOdoo, type FakeOdoo } from '../../helpers/fake-services/odoo-manager';

const FIX = fixtureDirWith('acme_small_zip.zip');

describe.skipIf(!FIX)('backup from a running Odoo through its database manager', () => {
  let odoo: FakeOdoo;
  let work: string;
  const fixture = (): string => join(FIX!, 'acme_small_zip.zip');

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'bd-odoo-src-'));
    const whole = await readFile(fixture());
    await writeFile(join(work, 'cut.zip'), whole.subarray(0, Math.floor(whole.length / 2)));
    odoo = await startFakeOdoo({
      version: '16.0',
      databases: [
        { name: 'acme', backupFile: fixture() },
        { name: 'cut', backupFile: join(work, 'cut.zip') },
      ],
    });
  });
  afterAll(async () => {
    await odoo?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const backup = async (db: string, password: string, dir: string) => {
    await mkdir(dir, { recursive: true });
    const client = new OdooManagerClient({ url: odoo.url, masterPassword: password });
    return runBackup(
      { db, format: 'zip', layout: 'odoo-backup-sh', destinations: [{ name: 'local', provider: new LocalProvider(dir) }], openSource: (ctx) => openOdooSource((signal) => client.streamBackup(db, 'zip', signal), ctx) },
      silentContext(),
    );
  };

  it("stores Odoo's zip byte for byte, checked member by member, with the versions from its manifest", async () => {
    const dir = join(work, 'ok');
    const r = await backup('acme', 's3cret-master', dir);
    const original = await readFile(fixture());
    expect(r.sha256).toBe(createHash('sha256').update(original).digest('hex'));
    expect(r.size).toBe(original.length);
    expect(r.odooVersion).toBe('16.0');
    expect(r.pgVersion).toBe('15.0');
    expect(r.verification.status).toBe('skipped');
    expect(r.verification.archived).toBe(134);
    const scan = await scanStorage('local', new LocalProvider(dir));
    expect(scan.backups).toEqual([expect.objectContaining({ database: 'acme', convention: 'odoo-backup-sh', size: original.length })]);
  });

  it('refuses a backup that arrives cut short, leaving nothing', async () => {
    const dir = join(work, 'cut');
    const err = await backup('cut', 's3cret-master', dir).then(() => undefined, (e: unknown) => e);
    expect(isAppError(err)).toBe(true);
    expect((err as Error).message).toMatch(/truncated|corrupt/i);
    expect(await readdir(dir)).toEqual([]);
  });

  it('says a wrong master password is wrong, leaving nothing', async () => {
    const dir = join(work, 'pw');
    const err = await backup('acme', 'wrong', dir).then(() => undefined, (e: unknown) => e);
    expect(isAppError(err, 'AuthFailed')).toBe(true);
    expect(await readdir(dir)).toEqual([]);
  });
});
