/**
 * Custom-format dumps restored by a non-superuser role (odoo/odoo#31115): `COMMENT ON EXTENSION`
 * entries are left out of the pg_restore TOC (with a warning) instead of failing the restore.
 */
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localFileSource, type BackupSource } from '../../../shared/core/archive';
import type { AppError } from '../../../shared/core/errors';
import { silentContext } from '../../../shared/core/jobs/job';
import { restoreBackup, type RestoreOptions } from '../../../shared/core/restore';
import { psql, startPgCluster, type PgCluster } from '../../helpers/pg-cluster';
import { pgDumpCustom } from '../../helpers/odoo-shaped-db';

const run = promisify(execFile);
let cluster: PgCluster;
let work: string;
let dump: string;
let roleUrl: string;

const tocDirs = async (): Promise<string[]> => (await readdir(tmpdir())).filter((f) => f.startsWith('bd-toc-'));

beforeAll(async () => {
  cluster = await startPgCluster();
  work = await mkdtemp(join(tmpdir(), 'bd-nsu-'));
  await psql(cluster.url, 'CREATE DATABASE src; CREATE ROLE restorer LOGIN CREATEDB;');
  // A re-created plpgsql has a normal OID, so the real pg_dump writes CREATE EXTENSION + COMMENT ON EXTENSION
  // for it (as older pg_dump versions always did): what Odoo dumps of such databases hold.
  await psql(
    cluster.urlFor('src'),
    "DROP EXTENSION plpgsql; CREATE EXTENSION plpgsql; COMMENT ON EXTENSION plpgsql IS 'commented in the dump';" +
      "CREATE TABLE res_partner (id serial PRIMARY KEY, name text NOT NULL); INSERT INTO res_partner (name) SELECT 'p' || g FROM generate_series(1, 500) g;",
  );
  dump = join(work, 'src.dump');
  await pgDumpCustom(cluster.url, 'src', dump, cluster.binDir);
  const { stdout } = await run('pg_restore', ['-l', dump]);
  expect(stdout).toMatch(/COMMENT - EXTENSION plpgsql/);
  roleUrl = `postgres://restorer@127.0.0.1:${cluster.port}/postgres`;
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

function options(source: BackupSource, db: string, pgUrl: string): RestoreOptions {
  return { source, db, pgUrl, dataDir: join(work, 'data'), mode: 'move', neutralize: false, replace: false, filestore: false };
}

describe('custom-format dump restored by a non-superuser', () => {
  it('skips COMMENT ON EXTENSION with a warning, restores the data, the database is owned by the role', async () => {
    const before = await tocDirs();
    const r = await restoreBackup(options(await localFileSource(dump), 'as_role', roleUrl), silentContext());
    expect(r.format).toBe('dump');
    expect(r.warnings.some((w) => /^Skipped COMMENT ON EXTENSION plpgsql\b/.test(w))).toBe(true);
    expect((await psql(cluster.urlFor('as_role'), 'SELECT count(*), max(name) FROM res_partner')).trim()).toBe('500|p99');
    expect((await psql(cluster.url, "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'as_role'")).trim()).toBe('restorer');
    // The comment stays the template's (plpgsql's default), not the dump's; the list file is gone.
    expect((await psql(cluster.urlFor('as_role'), "SELECT obj_description(oid, 'pg_extension') FROM pg_extension WHERE extname = 'plpgsql'")).trim()).toBe('PL/pgSQL procedural language');
    expect(await tocDirs()).toEqual(before);
  }, 30_000);

  it('a superuser restores every entry, the comment included, without the warning', async () => {
    const r = await restoreBackup(options(await localFileSource(dump), 'as_super', cluster.url), silentContext());
    expect(r.warnings.filter((w) => /COMMENT ON EXTENSION/.test(w))).toEqual([]);
    expect((await psql(cluster.urlFor('as_super'), "SELECT obj_description(oid, 'pg_extension') FROM pg_extension WHERE extname = 'plpgsql'")).trim()).toBe('commented in the dump');
  }, 30_000);

  it('from a stream (no local file) the failure says to restore as a superuser, and leaves nothing behind', async () => {
    const size = (await stat(dump)).size;
    const streamOnly: BackupSource = { name: 'src.dump', size, seekable: false, open: () => Promise.resolve(createReadStream(dump)) };
    const err = (await restoreBackup(options(streamOnly, 'as_role_stream', roleUrl), silentContext()).catch((e: unknown) => e)) as AppError;
    expect(err.message).toMatch(/must be owner of extension plpgsql/);
    expect(err.hint).toMatch(/superuser/);
    expect((await psql(cluster.url, "SELECT count(*) FROM pg_database WHERE datname LIKE 'bd\\_%' OR datname = 'as_role_stream'")).trim()).toBe('0');
  }, 30_000);
});
