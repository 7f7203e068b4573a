import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { majorOf, parseDumpHeader } from '../../../../shared/core/archive/dump-header';
import { psql, startPgCluster, type PgCluster } from '../../../helpers/pg-cluster';

const run = promisify(execFile);

describe('parseDumpHeader', () => {
  let cluster: PgCluster;
  let dir: string;
  beforeAll(async () => {
    cluster = await startPgCluster();
    dir = await mkdtemp(join(tmpdir(), 'bd-dh-'));
  });
  afterAll(async () => {
    await cluster?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('reads version, database, server version, extensions and tables from a real pg_dump -Fc archive', async () => {
    await psql(cluster.url, 'CREATE DATABASE "odoo.prod_1"');
    await psql(cluster.urlFor('odoo.prod_1'), 'CREATE EXTENSION pg_trgm; CREATE TABLE a (i int); CREATE TABLE b (t text); INSERT INTO a VALUES (1);');
    const f = join(dir, 'x.dump');
    await run(join(cluster.binDir ?? '/usr/bin', 'pg_dump'), ['--no-owner', '--format=c', `--file=${f}`, cluster.urlFor('odoo.prod_1')]);
    const { stdout } = await run(join(cluster.binDir ?? '/usr/bin', 'pg_dump'), ['--version']);
    const h = parseDumpHeader(await readFile(f));
    expect(h).toMatchObject({ versionText: '1.14', format: 1, database: 'odoo.prod_1', extensions: ['pg_trgm'], tables: 2, tocComplete: true });
    expect(h!.pgDumpVersion!.split(' ')[0]).toBe(stdout.match(/\d+\.\d+/)![0]);
    expect(majorOf(h!.serverVersion)).toBe(15);
    // only the first bytes: header still known, TOC incomplete
    const part = parseDumpHeader((await readFile(f)).subarray(0, 60));
    expect(part).toMatchObject({ versionText: '1.14', tocComplete: false });
  });

  it('is undefined for anything else, and majorOf handles old and new version styles', () => {
    expect(parseDumpHeader(Buffer.from('PK\x03\x04'))).toBeUndefined();
    expect(majorOf('9.6.24')).toBe(9.6);
    expect(majorOf('16.2 (Ubuntu 16.2-1)')).toBe(16);
    expect(majorOf(undefined)).toBeUndefined();
  });
});
