/**
 * Restore drills of backups that are not self-contained (attachments only in S3/Swift): the drill
 * does not stop at the attachments choice but restores keep-remote, read-only — nothing fetched
 * (the drill's home has no storage for the bucket or container at all), the location parameter
 * pointed at the filestore, the copy neutralized — says so in its report, and still proves the
 * database. Objects the backup does hold are brought home and checked. Through the CLI in-process,
 * into the private embedded PostgreSQL.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DrillResult } from '../../../shared/contract/schedules';
import { EmbeddedPg, findServerBinaries } from '../../../shared/core/pg/embedded';
import { MemorySecretStore } from '../../../shared/core/secrets/secret-store';
import { OBJECT_STORAGE_FIXTURE, startObjectStorageWorld, type ObjectStorageWorld } from '../../helpers/object-storage-db';
import { runCliInProcess } from '../../helpers/cli-in-process';

const run = promisify(execFile);
const hasServer = (await findServerBinaries()) !== undefined;
let w: ObjectStorageWorld;
let home: string;
const secrets = new MemorySecretStore();

const cli = (...args: string[]) => runCliInProcess(home, args, { secrets });

/** A local storage holding `zip` under a name the catalog reads as a backup of `w.db`. */
async function storageWith(name: string, zip: string): Promise<void> {
  const dir = join(w.work, `drill-${name}`);
  await mkdir(dir);
  await copyFile(zip, join(dir, `${w.db}_2026-12-01_00-00-00.zip`));
  expect((await cli('storage', 'add', name, '--type', 'local', '--path', dir)).code).toBe(0);
}

/** The world's Odoo zip plus the bucket's objects in its filestore (the Swift ones still missing). */
async function partlyCompleteZip(): Promise<string> {
  const zip = join(w.work, 'partly.zip');
  await copyFile(w.zip, zip);
  const staging = await mkdtemp(join(w.work, 'partly-'));
  const bucket = await w.bucket();
  for (const sha of w.moved.s3) {
    await mkdir(join(staging, 'filestore', sha.slice(0, 2)), { recursive: true });
    await writeFile(join(staging, 'filestore', sha.slice(0, 2), sha), await buffer(await bucket.read(sha)));
  }
  await run('zip', ['-qr', zip, 'filestore'], { cwd: staging });
  return zip;
}

describe.skipIf(!OBJECT_STORAGE_FIXTURE || !hasServer)('restore drills of backups whose attachments live in S3/Swift', () => {
  beforeAll(async () => {
    w = await startObjectStorageWorld();
    home = join(w.work, 'drill-home');
  }, 180_000);
  afterAll(async () => {
    await new EmbeddedPg({ home }).destroy().catch(() => undefined);
    await w?.stop();
  });

  it('restores keep-remote read-only instead of stopping, says so, and still proves the database', async () => {
    await storageWith('plain', w.zip);
    const r = await cli('drill', '--storage', 'plain', '--db', w.db, '--json');
    expect(r.err).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    const res = JSON.parse(r.out) as DrillResult;
    expect(res.ok).toBe(true);
    expect(res.checks.map((c) => [c.name, c.ok])).toEqual([['modules', true], ['admin-user', true], ['filestore', true]]);
    expect(res.attachments).toMatchObject({ mode: 'keep-remote', objects: 10, fromBackup: 0, notInBackup: 10 });
    expect(res.attachments?.message).toMatch(/^Not self-contained: 10 of 10 attachment objects are only in s3:\/\/odoo-attach, swift:\/\/odoo-swift and were not checked\. Restored keep-remote, read-only: no storage was contacted.*cannot touch production/);

    const plain = await cli('drill', '--storage', 'plain', '--db', w.db);
    expect(plain.out).toMatch(/^PASSED: restore drill/);
    expect(plain.out).toContain('  NOTE attachments: Not self-contained: 10 of 10');
    const hist = JSON.parse((await cli('history', '--json')).out) as Array<{ kind: string; outcome: string; details: { attachments?: { notInBackup: number } } }>;
    expect(hist[0]).toMatchObject({ kind: 'drill', outcome: 'ok', details: { attachments: { notInBackup: 10 } } });
  }, 300_000);

  it('brings home and checks the objects the backup holds, and keeps only the rest remote', async () => {
    await storageWith('partly', await partlyCompleteZip());
    const r = await cli('drill', '--storage', 'partly', '--db', w.db, '--json');
    expect(r.code).toBe(0);
    const res = JSON.parse(r.out) as DrillResult;
    expect(res.ok).toBe(true);
    expect(res.attachments).toMatchObject({ mode: 'keep-remote', objects: 10, fromBackup: 6, notInBackup: 4 });
    expect(res.attachments?.message).toContain('only in swift://odoo-swift');
    expect(res.attachments?.message).toContain('The 6 the backup holds were brought home and SHA-1 checked.');
    const plainDrill = JSON.parse((await cli('drill', '--storage', 'plain', '--db', w.db, '--json')).out) as DrillResult;
    const filestoreCount = (d: DrillResult) => Number(/^(\d+) filestore attachments/.exec(d.checks[2]!.message)![1]);
    // the rows of the six brought-home objects are filestore attachments now, and were checked as such
    expect(filestoreCount(res)).toBeGreaterThan(filestoreCount(plainDrill));
  }, 300_000);
});
