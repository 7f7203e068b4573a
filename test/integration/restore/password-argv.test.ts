/**
 * A PostgreSQL password never reaches a child's command line: a restore into a server that
 * requires SCRAM authentication for its role (pg_hba on 127.0.0.1) succeeds with the password
 * given only in the target URL, and the pg_restore that did it (a logging wrapper in front of
 * the real one, picked as the newest pg_restore) got the password in its environment
 * (`PGPASSWORD`), never in argv.
 */
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localFileSource } from '../../../shared/core/archive';
import { silentContext } from '../../../shared/core/jobs/job';
import { restoreBackup } from '../../../shared/core/restore';
import { createOdooShapedDb, pgDumpCustom } from '../../helpers/odoo-shaped-db';
import { psql, startPgCluster, type PgCluster } from '../../helpers/pg-cluster';

const PASSWORD = 'S3cret-Pw_4-argv-test';
let cluster: PgCluster;
let work: string;
let wrapperDir: string;
let argvLog: string;
const savedBinDir = process.env.PG_BIN_DIR;

beforeAll(async () => {
  cluster = await startPgCluster();
  work = await mkdtemp(join(tmpdir(), 'bd-pgpw-'));
  await createOdooShapedDb(cluster.url, 'src', { partners: 50, blobs: 1, blobBytes: 100, files: 0, fileBytes: 0 }, join(work, 'fs'));
  await pgDumpCustom(cluster.url, 'src', join(work, 'src.dump'), cluster.binDir);

  // A role that must authenticate with its password over TCP on 127.0.0.1.
  await psql(cluster.url, `CREATE ROLE pw_user LOGIN CREATEDB PASSWORD '${PASSWORD}';`);
  const hba = (await psql(cluster.url, 'SHOW hba_file;')).trim();
  await writeFile(hba, `host all pw_user 127.0.0.1/32 scram-sha-256\n${await readFile(hba, 'utf8')}`);
  await psql(cluster.url, 'SELECT pg_reload_conf();');

  // The newest pg_restore on PG_BIN_DIR: logs its argv and whether PGPASSWORD is set, then runs the real one.
  wrapperDir = join(work, 'bin');
  argvLog = join(work, 'argv.log');
  await mkdir(wrapperDir);
  const real = join(cluster.binDir ?? '/usr/lib/postgresql/15/bin', 'pg_restore');
  await writeFile(
    join(wrapperDir, 'pg_restore'),
    `#!/bin/sh\nif [ "$1" = "--version" ]; then echo "pg_restore (PostgreSQL) 99.0"; exit 0; fi\n` +
      `printf '%s\\n' "$*" >> '${argvLog}'\nif [ -n "$PGPASSWORD" ]; then echo "PGPASSWORD-set" >> '${argvLog}'; fi\nexec '${real}' "$@"\n`,
  );
  await chmod(join(wrapperDir, 'pg_restore'), 0o755);
  process.env.PG_BIN_DIR = wrapperDir;
}, 120_000);

afterAll(async () => {
  if (savedBinDir === undefined) delete process.env.PG_BIN_DIR;
  else process.env.PG_BIN_DIR = savedBinDir;
  await cluster?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('restore with a password-protected role', { timeout: 120_000 }, () => {
  it('the server really requires the password for pw_user', async () => {
    await expect(psql(`postgres://pw_user@127.0.0.1:${cluster.port}/postgres`, 'SELECT 1;')).rejects.toThrow(/password/i);
    expect((await psql(`postgres://pw_user:${PASSWORD}@127.0.0.1:${cluster.port}/postgres`, 'SELECT 1;')).trim()).toBe('1');
  });

  it('pg_restore gets the password through PGPASSWORD, never in argv', async () => {
    const pgUrl = `postgres://pw_user:${encodeURIComponent(PASSWORD)}@127.0.0.1:${cluster.port}/postgres`;
    const r = await restoreBackup(
      { source: localFileSource(join(work, 'src.dump')), db: 'restored_pw', pgUrl, dataDir: join(work, 'data'), mode: 'copy', neutralize: false, replace: false, filestore: false },
      silentContext(),
    );
    expect(r.format).toBe('dump');
    expect((await psql(cluster.urlFor('restored_pw'), 'SELECT count(*) FROM res_partner;')).trim()).toBe('50');
    const log = await readFile(argvLog, 'utf8');
    expect(log).toContain('--no-owner');
    expect(log).toContain('PGPASSWORD-set');
    expect(log).not.toContain(PASSWORD);
    expect(log).not.toContain('postgres://');
  });
});
