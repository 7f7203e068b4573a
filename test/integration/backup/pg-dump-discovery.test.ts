/**
 * Which pg_dump a backup uses, against a real PostgreSQL server: the newest one found wins, and one
 * older than the server's major version is refused before anything is dumped, naming the version
 * found and the package to install. The older pg_dumps are stand-in scripts (only one PostgreSQL
 * is installed here) that answer `--version` like the real binary does.
 */
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPgSource, requirePgDump } from '../../../shared/core/backup';
import { isAppError } from '../../../shared/core/errors';
import { silentContext } from '../../../shared/core/jobs/job';
import { findNewestPgTool } from '../../../shared/core/pg/tools';
import { createOdooShapedDb } from '../../helpers/odoo-shaped-db';
import { psql, startPgCluster, type PgCluster } from '../../helpers/pg-cluster';

/** A folder with an executable `pg_dump` that reports `version` and fails if asked to dump. */
async function fakePgDumpDir(root: string, version: string): Promise<string> {
  const dir = join(root, `pg-${version}`, 'bin');
  await mkdir(dir, { recursive: true });
  const script = `#!/bin/sh\nif [ "$1" = "--version" ]; then echo "pg_dump (PostgreSQL) ${version}"; exit 0; fi\necho "stand-in pg_dump must not dump" >&2\nexit 3\n`;
  await writeFile(join(dir, 'pg_dump'), script);
  await chmod(join(dir, 'pg_dump'), 0o755);
  return dir;
}

describe('pg_dump discovery for backups', () => {
  let cluster: PgCluster;
  let work: string;
  let serverMajor: number;
  let realDir: string;

  beforeAll(async () => {
    cluster = await startPgCluster();
    work = await mkdtemp(join(tmpdir(), 'bd-pgdump-'));
    await createOdooShapedDb(cluster.url, 'shop', { partners: 10, blobs: 0, blobBytes: 0, files: 0, fileBytes: 0 }, join(work, 'filestore', 'shop'));
    serverMajor = Math.floor(Number((await psql(cluster.url, 'SHOW server_version_num')).trim()) / 10_000);
    const real = await findNewestPgTool('pg_dump');
    if (!real) throw new Error('no pg_dump on this machine');
    realDir = dirname(real.path);
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('refuses a pg_dump older than the server, naming the version found and the package to install', async () => {
    const old = await fakePgDumpDir(work, '12.18');
    const ctx = silentContext();
    const err: unknown = await openPgSource({ db: 'shop', pgUrl: cluster.url, filestore: false, format: 'dump', pgBinDirs: [old] }, ctx).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isAppError(err, 'MissingTool'), String(err)).toBe(true);
    const e = err as Error & { hint?: string };
    expect(e.message).toContain(`The server runs PostgreSQL ${serverMajor}`);
    expect(e.message).toContain('12.18');
    expect(e.message).toContain(join(old, 'pg_dump'));
    expect(e.hint).toContain(`postgresql-client-${serverMajor}`);
  });

  it('says pg_dump is missing (with the package) when none is found', async () => {
    const empty = join(work, 'empty');
    await mkdir(empty, { recursive: true });
    const err = await requirePgDump(serverMajor, [empty]).catch((e: unknown) => e as Error & { hint?: string });
    expect(isAppError(err, 'MissingTool')).toBe(true);
    expect((err as { hint?: string }).hint).toContain(`postgresql-client-${serverMajor}`);
  });

  it('uses the newest pg_dump when several are found, whatever their order', async () => {
    const v12 = await fakePgDumpDir(work, '12.18');
    const v14 = await fakePgDumpDir(work, '14.11');
    for (const dirs of [[v12, realDir, v14], [v14, v12, realDir], [realDir, v14, v12]]) {
      const tool = await requirePgDump(serverMajor, dirs);
      expect(tool.path).toBe(join(realDir, 'pg_dump'));
      expect(tool.major).toBe(serverMajor);
    }
    const newer = await fakePgDumpDir(work, `${serverMajor + 2}.1`);
    expect((await requirePgDump(serverMajor, [v12, realDir, newer])).path).toBe(join(newer, 'pg_dump'));
    expect((await findNewestPgTool('pg_dump', [v14, v12]))?.version).toBe('14.11');
  });
});
