/**
 * Where attachments live, and the three restore modes, on a real Odoo database (the acme_small_zip
 * fixture) whose attachments are spread over an S3 bucket, a Swift container, the database and the
 * filestore (test/helpers/object-storage-db.ts).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localFileSource } from '../../../shared/core/archive';
import { scanBackupAttachments, scanDatabaseAttachments, storageResolver } from '../../../shared/core/attachments';
import type { AttachmentsMode } from '../../../shared/contract/restores';
import { restoreBackup } from '../../../shared/core/restore';
import { silentContext } from '../../../shared/core/jobs/job';
import { ATTACH_BUCKET, ATTACH_CONTAINER, OBJECT_STORAGE_FIXTURE, startObjectStorageWorld, type ObjectStorageWorld } from '../../helpers/object-storage-db';

let w: ObjectStorageWorld;
const run = promisify(execFile);

describe.skipIf(!OBJECT_STORAGE_FIXTURE)('attachments in S3, Swift, the database and the filestore', () => {
  beforeAll(async () => {
    w = await startObjectStorageWorld();
  }, 180_000);
  afterAll(async () => {
    await w?.stop();
  });

  /** The figures, by independent SQL. */
  async function expected(db: string): Promise<Record<string, { count: number; bytes: number }>> {
    const rows = await w.query<{ k: string; n: string; b: string }>(
      db,
      `SELECT CASE WHEN store_fname LIKE 's3://%' THEN 's3' WHEN store_fname LIKE 'swift://%' THEN 'swift'
                   WHEN store_fname IS NOT NULL THEN 'filestore' WHEN db_datas IS NOT NULL THEN 'database' WHEN type = 'url' THEN 'url' ELSE 'empty' END AS k,
              count(*) AS n, coalesce(sum(file_size), 0) AS b FROM ir_attachment GROUP BY 1`,
    );
    return Object.fromEntries(rows.map((r) => [r.k, { count: Number(r.n), bytes: Number(r.b) }]));
  }

  it('inspect of the database: counts and sizes by location and bucket/container, and the location in force', async () => {
    const c = new pg.Client({ connectionString: w.cluster.urlFor(w.db) });
    await c.connect();
    const r = await scanDatabaseAttachments(c).finally(() => c.end());
    const want = await expected(w.db);
    expect(r).toBeDefined();
    expect(r!.location).toBe('s3');
    expect(r!.module).toBe('attachment_s3');
    expect(r!.selfContained).toBe(false);
    for (const g of r!.groups) expect({ count: g.count, bytes: g.bytes }).toEqual(want[g.where]);
    expect(r!.groups.find((g) => g.where === 's3')).toMatchObject({ store: ATTACH_BUCKET, objects: 6 });
    expect(r!.groups.find((g) => g.where === 'swift')).toMatchObject({ store: ATTACH_CONTAINER, objects: 4 });
    expect(r!.remote.objects).toBe(10);
    expect(want.database!.count).toBeGreaterThanOrEqual(3);
  });

  it('inspect of the backup: the same figures from dump.sql, and not self-contained', async () => {
    const fromDb = await (async () => {
      const c = new pg.Client({ connectionString: w.cluster.urlFor(w.db) });
      await c.connect();
      return scanDatabaseAttachments(c).finally(() => c.end());
    })();
    const r = await scanBackupAttachments(localFileSource(w.zip), { dbName: w.db });
    expect(r!.selfContained).toBe(false);
    expect(r!.remote).toEqual({ ...fromDb!.remote, missingFromBackup: 10 });
    const strip = (g: { where: string; store?: string; count: number; bytes: number }) => ({ where: g.where, store: g.store, count: g.count, bytes: g.bytes });
    expect(r!.groups.map(strip)).toEqual(fromDb!.groups.map(strip));
    expect(r!.notes[0]).toMatch(/Not self-contained: 10 of 10/);
    // the same in one sequential pass (a non-seekable source)
    const seq = await scanBackupAttachments({ name: 'x.zip', size: undefined, seekable: false, open: async () => Readable.from([await readFile(w.zip)]) });
    expect(seq).toEqual(r);
  });

  it('the built CLI: inspect --db of the database and inspect of the backup print the same places', async () => {
    const root = join(import.meta.dirname, '..', '..', '..');
    await run(process.execPath, [join(root, 'scripts', 'build.mjs'), '--quiet', '--if-stale'], { cwd: root });
    const home = join(w.work, 'cli-home');
    const cli = async (...args: string[]) => (await run(process.execPath, [join(root, 'bin', 'backup-desk.js'), '--home', home, ...args], { cwd: root })).stdout;
    const db = JSON.parse(await cli('inspect', '--db', w.db, '--target', w.cluster.url, '--json')) as { remote: { objects: number }; location: string };
    expect(db).toMatchObject({ location: 's3', remote: { objects: 10 }, selfContained: false });
    const text = await cli('inspect', w.zip);
    expect(text).toMatch(/attachments: +\d+ .*ir_attachment.location = s3, module attachment_s3; NOT self-contained/);
    expect(text).toMatch(new RegExp(`s3://${ATTACH_BUCKET} +\\d+ +[^\\n]* 6 +0`));
  }, 300_000);

  /** Restores the zip as `db` through the pipeline with the attachments `mode`; its filestore folder and result. */
  async function restoreWith(db: string, mode: AttachmentsMode) {
    const resolver = storageResolver({ storages: w.storages, open: w.open });
    try {
      const r = await restoreBackup(
        { source: localFileSource(w.zip), db, pgUrl: w.cluster.url, dataDir: w.dataDir, mode: 'copy', neutralize: false, replace: false, filestore: true, attachments: { mode, resolver, sourceDb: w.db } },
        silentContext(),
      );
      return { fsDir: join(w.dataDir, 'filestore', db), r, a: r.attachments! };
    } finally {
      await resolver.close();
    }
  }

  it('bring-home: every object downloaded, verified, rewritten to the filestore form; location "file"', async () => {
    const { fsDir, a } = await restoreWith('home1', 'bring-home');
    expect(a.problems).toEqual([]);
    expect(a.downloaded).toBe(10);
    const left = await w.query<{ n: string }>('home1', "SELECT count(*) AS n FROM ir_attachment WHERE store_fname LIKE '%://%'");
    expect(Number(left[0]!.n)).toBe(0);
    for (const sha of [...w.moved.s3, ...w.moved.swift]) {
      const data = await readFile(join(fsDir, sha.slice(0, 2), sha));
      expect(createHash('sha1').update(data).digest('hex')).toBe(sha);
    }
    const loc = await w.query<{ value: string }>('home1', "SELECT value FROM ir_config_parameter WHERE key = 'ir_attachment.location'");
    expect(loc[0]!.value).toBe('file');
    const c = new pg.Client({ connectionString: w.cluster.urlFor('home1') });
    await c.connect();
    const after = await scanDatabaseAttachments(c).finally(() => c.end());
    expect(after!.selfContained).toBe(true);
    expect(after!.total.count).toBe(207);
  });

  it('keep-remote: names untouched, new attachments pointed at the filestore, the copy neutralized', async () => {
    const { r } = await restoreWith('keep1', 'keep-remote');
    const remote = await w.query<{ n: string }>('keep1', "SELECT count(DISTINCT store_fname) AS n FROM ir_attachment WHERE store_fname LIKE '%://%'");
    expect(Number(remote[0]!.n)).toBe(10);
    const params = Object.fromEntries((await w.query<{ key: string; value: string }>('keep1', "SELECT key, value FROM ir_config_parameter WHERE key LIKE 'ir_attachment.location%' OR key LIKE 'backup_desk.%'")).map((p) => [p.key, p.value]));
    expect(params).toEqual({ 'ir_attachment.location': 'file', 'backup_desk.attachment_location_was': 's3' });
    const crons = await w.query<{ n: string }>('keep1', "SELECT count(*) AS n FROM ir_cron WHERE active AND id NOT IN (SELECT res_id FROM ir_model_data WHERE model = 'ir.cron' AND name = 'autovacuum_job')");
    expect(Number(crons[0]!.n)).toBe(0);
    expect(r.warnings.join('\n')).toMatch(/AWS_BUCKETNAME/);
  });

  it('skip: nothing changes, with a warning that those attachments read empty', async () => {
    const { r } = await restoreWith('skip1', 'skip');
    expect(r.warnings.join('\n')).toMatch(/10 objects.*read as empty/);
    const loc = await w.query<{ value: string }>('skip1', "SELECT value FROM ir_config_parameter WHERE key = 'ir_attachment.location'");
    expect(loc[0]!.value).toBe('s3');
  });

  it('bring-home with an object gone and one whose content does not match its SHA-1 name: listed, not fatal', async () => {
    const fsDir = join(w.dataDir, 'filestore', 'home2');
    const bucket = await w.bucket();
    const [gone, bad] = w.moved.s3;
    const original = await readFile(join(fsDir, '..', 'home1', gone!.slice(0, 2), gone!));
    await bucket.remove!(gone!);
    await bucket.write!(bad!, Readable.from([Buffer.from('tampered')]));
    try {
      const { a: r } = await restoreWith('home2', 'bring-home');
      expect(r.downloaded).toBe(8);
      expect(r.problems.map((p) => [p.storeFname, p.reason]).sort()).toEqual([[`s3://${ATTACH_BUCKET}/${bad}`, 'corrupt'], [`s3://${ATTACH_BUCKET}/${gone}`, 'missing']].sort());
      const still = await w.query<{ f: string }>('home2', "SELECT DISTINCT store_fname AS f FROM ir_attachment WHERE store_fname LIKE '%://%' ORDER BY 1");
      expect(still.map((s) => s.f).sort()).toEqual([`s3://${ATTACH_BUCKET}/${bad}`, `s3://${ATTACH_BUCKET}/${gone}`].sort());
    } finally {
      await bucket.write!(gone!, Readable.from([original]));
      const home1Bad = await readFile(join(fsDir, '..', 'home1', bad!.slice(0, 2), bad!));
      await bucket.write!(bad!, Readable.from([home1Bad]));
    }
  });

  it('bring-home without a storage that reaches the Swift container: stops, naming it, and leaves nothing', async () => {
    const resolver = storageResolver({ storages: w.storages.filter((s) => s.kind === 's3'), open: w.open });
    try {
      const err = await restoreBackup(
        { source: localFileSource(w.zip), db: 'unreached', pgUrl: w.cluster.url, dataDir: w.dataDir, mode: 'copy', neutralize: false, replace: false, filestore: true, attachments: { mode: 'bring-home', resolver, sourceDb: w.db } },
        silentContext(),
      ).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ kind: 'NotFound', message: `4 of 10 attachment objects cannot be brought home: No configured storage gives access to swift://${ATTACH_CONTAINER}.` });
      expect((err as { details: { cliHint: string } }).details.cliHint).toMatch(/--attachments-storage NAME.*keep-remote.*skip/);
      expect(await w.query('postgres', "SELECT datname FROM pg_database WHERE datname LIKE '%unreached%'")).toEqual([]);
    } finally {
      await resolver.close();
    }
  }, 120_000);

  it('through the restore pipeline: unset mode stops and asks (nothing left behind); bring-home brings everything', async () => {
    const err = await restoreBackup({ source: localFileSource(w.zip), db: 'asked', pgUrl: w.cluster.url, dataDir: w.dataDir, mode: 'copy', neutralize: false, replace: false, filestore: true }, silentContext()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ kind: 'InvalidInput', message: expect.stringMatching(/not self-contained: 10 of 10/) });
    expect((err as { hint: string }).hint).toMatch(/--attachments bring-home.*keep-remote.*skip/s);
    const dbs = await w.query<{ d: string }>('postgres', "SELECT datname AS d FROM pg_database WHERE datname LIKE '%asked%'");
    expect(dbs).toEqual([]);

    const resolver = storageResolver({ storages: w.storages, open: w.open });
    try {
      const r = await restoreBackup(
        { source: localFileSource(w.zip), db: 'piped', pgUrl: w.cluster.url, dataDir: w.dataDir, mode: 'copy', neutralize: false, replace: false, filestore: true, attachments: { mode: 'bring-home', resolver, sourceDb: w.db } },
        silentContext(),
      );
      expect(r.attachments).toMatchObject({ mode: 'bring-home', remoteObjects: 10, downloaded: 10, fromBackup: 0, problems: [] });
      const left = await w.query<{ n: string }>('piped', "SELECT count(*) AS n FROM ir_attachment WHERE store_fname LIKE '%://%'");
      expect(Number(left[0]!.n)).toBe(0);
      for (const sha of w.moved.swift) expect(createHash('sha1').update(await readFile(join(w.dataDir, 'filestore', 'piped', sha.slice(0, 2), sha))).digest('hex')).toBe(sha);
    } finally {
      await resolver.close();
    }
  }, 120_000);
});
