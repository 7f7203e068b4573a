/**
 * An odoo_backup_sh-style encrypted backup (gpg armored symmetric AES256/ZLIB of a real Odoo 16
 * zip, plus its .info) restores through restoreBackup in one streamed pass, and a wrong
 * passphrase fails fast with AuthFailed and leaves no database behind.
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localFileSource } from '../../../shared/core/archive';
import { detectEncryption } from '../../../shared/core/crypto';
import { restoreBackup, type RestoreOptions } from '../../../shared/core/restore';
import { silentContext } from '../../../shared/core/jobs/job';
import { startPgCluster, type PgCluster } from '../../helpers/pg-cluster';
import { makeOdooBackupShPair, type OdooBackupShPair } from '../../helpers/gpg';
import { fixtureDirWith } from '../../helpers/fixtures';

const FIX = fixtureDirWith('acme_small_zip.zip');
const PW = 'odoo_backup_sh encryption password';

describe.skipIf(!FIX)('encrypted odoo_backup_sh backup → restore (ODOO_FIXTURES_DIR)', () => {
  let cluster: PgCluster;
  let work: string;
  let dataDir: string;
  let pair: OdooBackupShPair;
  let expected: { tables: Record<string, number> };

  const opts = (db: string, passphrase: string): RestoreOptions => ({
    source: localFileSource(pair.encPath),
    db,
    pgUrl: cluster.url,
    dataDir,
    mode: 'move',
    neutralize: false,
    replace: false,
    filestore: true,
    decrypt: { passphrase },
  });
  async function query<T extends pg.QueryResultRow>(db: string, sql: string): Promise<T[]> {
    const c = new pg.Client({ connectionString: cluster.urlFor(db) });
    await c.connect();
    try {
      return (await c.query<T>(sql)).rows;
    } finally {
      await c.end();
    }
  }
  const databases = async (): Promise<string[]> => (await query<{ d: string }>('postgres', 'SELECT datname AS d FROM pg_database')).map((r) => r.d);

  beforeAll(async () => {
    cluster = await startPgCluster();
    work = await mkdtemp(join(tmpdir(), 'encrestore-'));
    dataDir = await mkdtemp(join(tmpdir(), 'encrestore-data-'));
    pair = await makeOdooBackupShPair(work, 'acme_small', join(FIX!, 'acme_small_zip.zip'), PW, '2026-11-23_12-30-00');
    expected = JSON.parse(await readFile(join(FIX!, 'acme_small_zip.expected.json'), 'utf8')) as typeof expected;
  });
  afterAll(async () => {
    await cluster?.stop();
    if (work) await rm(work, { recursive: true, force: true });
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('the pair looks like odoo_backup_sh output: armored password-encrypted .zip.enc and an .info saying encrypted', async () => {
    expect(pair.encPath.endsWith('acme_small.2026-11-23_12-30-00.zip.enc')).toBe(true);
    const head = (await readFile(pair.encPath)).subarray(0, 4096);
    expect(head.subarray(0, 27).toString()).toBe('-----BEGIN PGP MESSAGE-----');
    expect(detectEncryption(head)).toEqual({ encrypted: true, armored: true, method: 'password' });
    const info = await readFile(pair.infoPath, 'utf8');
    expect(info).toMatch(/^\[common\]\ndatabase = acme_small\nencrypted = True\nupload_datetime = 2026-11-23_12-30-00\nbackup_size = \d+\.\d+\nstorage_service = odoo_backup_sh\n$/);
  });

  it('restores with the passphrase: row counts match the expected json', async () => {
    const result = await restoreBackup(opts('acme_enc', PW), silentContext());
    expect(result.format).toBe('zip');
    for (const t of ['res_partner', 'res_users', 'ir_attachment', 'ir_module_module', 'ir_model', 'mail_message']) {
      const rows = await query<{ n: string }>('acme_enc', `SELECT count(*) AS n FROM public."${t}"`);
      expect(Number(rows[0]!.n), t).toBe(expected.tables[t]);
    }
    expect(result.tables).toBe(Object.keys(expected.tables).length);
  });

  it('a wrong passphrase → AuthFailed within seconds, no database and no temporary left', async () => {
    const before = await databases();
    const t0 = Date.now();
    const err = await restoreBackup(opts('acme_wrong', 'not the password'), silentContext()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ kind: 'AuthFailed', message: expect.stringMatching(/wrong passphrase/i) });
    expect(Date.now() - t0).toBeLessThan(10_000);
    const after = await databases();
    expect(after).not.toContain('acme_wrong');
    expect(after.sort()).toEqual(before.sort());
    const fsEntries = await readdir(join(dataDir, 'filestore')).catch(() => [] as string[]);
    expect(fsEntries.filter((e) => e.startsWith('.bd-') || e === 'acme_wrong')).toEqual([]);
  });
});
