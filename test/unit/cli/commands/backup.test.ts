/**
 * `backup-desk backup` in-process: what a backup through a running Odoo (`--source odoo:INSTANCE`)
 * cannot honour is refused before anything is contacted, rather than ignored.
 */
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySecretStore } from '../../../../shared/core/secrets/secret-store';
import { runCliInProcess } from '../../../helpers/cli-in-process';

let home: string;
const secrets = new MemorySecretStore();
const cli = (args: string[]) => runCliInProcess(home, args, { secrets });
const throughOdoo = ['backup', '--db', 'shop', '--source', 'odoo:prod', '--to', 'nas'];

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'bd-backup-cli-'));
  await mkdir(join(home, 'store'));
  expect((await cli(['storage', 'add', 'nas', '--type', 'local', '--path', join(home, 'store')])).code).toBe(0);
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

describe('backup --source odoo:INSTANCE', () => {
  it('refuses --no-filestore: Odoo puts the filestore into every zip it makes (it was ignored)', async () => {
    const r = await cli([...throughOdoo, '--no-filestore']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error: --no-filestore is for PostgreSQL sources: Odoo's database manager puts the filestore into every zip it makes\.$/m);
    expect(r.err).toMatch(/^hint: --format dump backs up the database only\.$/m);
    expect(await readdir(join(home, 'store'))).toEqual([]);
  });

  it('refuses --cold: it would stop the Odoo whose database manager makes the backup', async () => {
    const stopped = join(home, 'stopped');
    const r = await cli([...throughOdoo, '--cold', '--stop-command', `touch ${stopped}`, '--start-command', 'true']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error: --cold stops Odoo, and a backup through odoo:INSTANCE needs it running: its database manager makes the backup\.$/m);
    expect(r.err).toMatch(/^hint: Drop --cold: Odoo makes the backup while it runs \(--cold is for a PostgreSQL source\)\.$/m);
    await expect(stat(stopped)).rejects.toThrow();
  });
});
