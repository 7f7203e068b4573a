/**
 * Complete backups (`--attachments include`) of a real Odoo database whose attachments are spread
 * over an S3 bucket, a Swift container, the database and the filestore: the archive holds every
 * object as `filestore/<sha[:2]>/<sha>`, inspect calls it self-contained, and it restores with the
 * bucket and container gone. An object whose content does not match its SHA-1 name is reported as
 * corrupt, left out, and the backup marked incomplete.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localFileSource } from '../../../shared/core/archive';
import { openPgSourceWithObjects, scanBackupAttachments, storageResolver, type SourceWithObjects } from '../../../shared/core/attachments';
import { runBackup } from '../../../shared/core/backup';
import { silentContext } from '../../../shared/core/jobs/job';
import { restoreBackup } from '../../../shared/core/restore';
import { LocalProvider } from '../../../shared/core/storage/local';
import { SWIFT_TEST_USER } from '../../helpers/fake-services/swift';
import { ATTACH_BUCKET, ATTACH_CONTAINER, OBJECT_STORAGE_FIXTURE, startObjectStorageWorld, type ObjectStorageWorld } from '../../helpers/object-storage-db';

let w: ObjectStorageWorld;
const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..', '..');

async function completeBackup(name: string): Promise<{ zip: string; source: SourceWithObjects; result: Awaited<ReturnType<typeof runBackup>> }> {
  const store = await mkdtemp(join(w.work, `store-${name}-`));
  const resolver = storageResolver({ storages: w.storages, open: w.open });
  let source: SourceWithObjects | undefined;
  try {
    const result = await runBackup(
      {
        db: w.db,
        format: 'zip',
        layout: 'odoo-manager',
        destinations: [{ name: 'local', provider: new LocalProvider(store) }],
        openSource: async (c) => (source = await openPgSourceWithObjects({ db: w.db, pgUrl: w.cluster.url, dataDir: w.dataDir, filestore: true, format: 'zip' }, { resolver }, c)),
      },
      silentContext(),
    );
    const files = (await readdir(store, { recursive: true })).filter((f) => f.endsWith('.zip'));
    return { zip: join(store, files[0]!), source: source!, result };
  } finally {
    await resolver.close();
  }
}

describe.skipIf(!OBJECT_STORAGE_FIXTURE)('complete backups of a database with attachments in object storage', () => {
  beforeAll(async () => {
    w = await startObjectStorageWorld();
  }, 180_000);
  afterAll(async () => {
    await w?.stop();
  });

  it('holds every object, is self-contained, and restores with the bucket and container gone', async () => {
    const { zip, source, result } = await completeBackup('full');
    expect(source.objects.problems).toEqual([]);
    expect(source.objects.total).toBe(10);
    expect(source.objects.included).toBe(10);
    expect(result.verification.status).toBe('complete');
    const report = await scanBackupAttachments(localFileSource(zip));
    expect(report).toMatchObject({ selfContained: true, remote: { objects: 10, missingFromBackup: 0 } });

    // The bucket and the container go away: no storage gives access to them any more.
    const bucket = await w.bucket();
    const container = await w.container();
    for (const sha of w.moved.s3) await bucket.remove!(sha);
    for (const sha of w.moved.swift) await container.remove!(sha);
    try {
      // no attachments option: the backup holds every object, so they come home from it, with no storage at all
      const restored = await restoreBackup({ source: localFileSource(zip), db: 'fromcomplete', pgUrl: w.cluster.url, dataDir: w.dataDir, mode: 'copy', neutralize: false, replace: false, filestore: true }, silentContext());
      expect(restored.attachments).toMatchObject({ mode: 'bring-home', remoteObjects: 10, fromBackup: 10, downloaded: 0, problems: [] });
      const left = await w.query<{ n: string }>('fromcomplete', "SELECT count(*) AS n FROM ir_attachment WHERE store_fname LIKE '%://%'");
      expect(Number(left[0]!.n)).toBe(0);
    } finally {
      // put the objects back for the next test (from the original filestore copy in the first backup)
      const home = join(w.dataDir, 'filestore', 'fromcomplete');
      for (const sha of w.moved.s3) await bucket.write!(sha, Readable.from([await readFile(join(home, sha.slice(0, 2), sha))]));
      for (const sha of w.moved.swift) await container.write!(sha, Readable.from([await readFile(join(home, sha.slice(0, 2), sha))]));
    }
  });

  it('an object whose content does not match its SHA-1 name is reported corrupt, left out, and the backup marked incomplete', async () => {
    const bucket = await w.bucket();
    const bad = w.moved.s3[2]!;
    const original = await readFile(join(w.dataDir, 'filestore', 'fromcomplete', bad.slice(0, 2), bad));
    await bucket.write!(bad, Readable.from([Buffer.from('not what the name says')]));
    try {
      const { zip, source, result } = await completeBackup('corrupt');
      expect(source.objects.problems).toEqual([expect.objectContaining({ storeFname: `s3://${ATTACH_BUCKET}/${bad}`, reason: 'corrupt' })]);
      expect(result.verification.status).toBe('missing-files');
      expect(result.verification.missing).toEqual([`${bad.slice(0, 2)}/${bad}`]);
      const report = await scanBackupAttachments(localFileSource(zip));
      expect(report).toMatchObject({ selfContained: false, remote: { missingFromBackup: 1 } });
    } finally {
      await bucket.write!(bad, Readable.from([original]));
    }
  });

  it('the built CLI: backup --attachments include, then inspect says self-contained', async () => {
    await run(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--quiet', '--if-stale'], { cwd: ROOT });
    const home = join(w.work, 'cli-backup-home');
    const pw = join(w.work, 'vault-pw-b');
    await writeFile(pw, 'vault passphrase for the backup test\n');
    const env = { ...process.env, BACKUP_DESK_VAULT_PASSPHRASE_FILE: pw, S3_SECRET: w.s3.secretAccessKey, SWIFT_PW: SWIFT_TEST_USER.password };
    const cli = (...args: string[]) => run(process.execPath, [join(ROOT, 'bin', 'backup-desk.js'), '--home', home, ...args], { cwd: ROOT, env });
    const out = await mkdtemp(join(w.work, 'cli-out-'));
    await cli('secrets', 'vault', 'init');
    await cli('storage', 'add', 'prod-s3', '--type', 's3', '--endpoint', w.s3.endpoint, '--bucket', ATTACH_BUCKET, '--force-path-style', '--access-key-id', w.s3.accessKeyId, '--secret-env', 'secretAccessKey=S3_SECRET');
    await cli('storage', 'add', 'prod-swift', '--type', 'swift', '--auth-url', `${w.swift.url}/v3`, '--username', SWIFT_TEST_USER.username, '--project-name', SWIFT_TEST_USER.projectName, '--container', ATTACH_CONTAINER, '--secret-env', 'password=SWIFT_PW');
    await cli('storage', 'add', 'out', '--type', 'local', '--path', out);
    const r = JSON.parse((await cli('backup', '--db', w.db, '--source', w.cluster.url, '--data-dir', w.dataDir, '--to', 'out', '--layout', 'odoo-manager', '--attachments', 'include', '--json')).stdout) as {
      attachments: { total: number; included: number; problems: unknown[] };
      verification: { status: string };
      destinations: Array<{ ref: string }>;
    };
    expect(r.attachments).toMatchObject({ total: 10, included: 10, problems: [] });
    expect(r.verification.status).toBe('complete');
    const inspected = JSON.parse((await cli('inspect', r.destinations[0]!.ref, '--json')).stdout) as { attachments: { selfContained: boolean } };
    expect(inspected.attachments.selfContained).toBe(true);
    const listed = JSON.parse((await cli('list', '--json')).stdout) as Array<{ selfContained?: boolean }>;
    expect(listed[0]!.selfContained).toBe(true);
    // restored with no --attachments: the backup holds every object, so they come home from it
    const restored = await cli('restore', r.destinations[0]!.ref, '--db', 'fromcli', '--target', w.cluster.url, '--data-dir', w.dataDir);
    expect(restored.stdout).toMatch(/attachments in S3\/Swift: bring-home \(10 objects: 0 downloaded, 10 from the backup, 0 not brought home\)/);
    const left = await w.query<{ n: string }>('fromcli', "SELECT count(*) AS n FROM ir_attachment WHERE store_fname LIKE '%://%'");
    expect(Number(left[0]!.n)).toBe(0);
  }, 300_000);

  it('the built CLI: a backup known not to be self-contained (inspected, or found so by a restore) is refused by restore without --attachments before anything is loaded', async () => {
    await run(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--quiet', '--if-stale'], { cwd: ROOT });
    const out = await mkdtemp(join(w.work, 'cli-partial-'));
    const cliIn = (home: string) => (...args: string[]) => run(process.execPath, [join(ROOT, 'bin', 'backup-desk.js'), '--home', join(w.work, home), ...args], { cwd: ROOT });
    const [inspecting, restoring] = [cliIn('cli-partial-a'), cliIn('cli-partial-b')];
    for (const cli of [inspecting, restoring]) await cli('storage', 'add', 'out', '--type', 'local', '--path', out);
    const r = JSON.parse((await inspecting('backup', '--db', w.db, '--source', w.cluster.url, '--data-dir', w.dataDir, '--to', 'out', '--layout', 'odoo-manager', '--json')).stdout) as { destinations: Array<{ ref: string }> };
    const ref = r.destinations[0]!.ref;
    const restore = (cli: typeof inspecting, db: string) =>
      cli('restore', ref, '--db', db, '--target', w.cluster.url, '--data-dir', w.dataDir).then(
        () => expect.fail('the restore went through'),
        (e: unknown) => e as { code: number; stderr: string },
      );
    const upFront = /not self-contained: some of its attachment objects are only in S3\/Swift \(as an earlier look at it found\); nothing was restored/;
    const inspected = JSON.parse((await inspecting('inspect', ref, '--json')).stdout) as { attachments: { selfContained: boolean } };
    expect(inspected.attachments.selfContained).toBe(false);
    const afterInspect = await restore(inspecting, 'partiala');
    expect(afterInspect.code).toBe(1);
    expect(afterInspect.stderr).toMatch(upFront);
    expect(afterInspect.stderr).toMatch(/--attachments bring-home.*--attachments keep-remote.*--attachments skip/s);
    // Another home, which never inspected it: the first restore finds out after the load, the second asks before.
    const first = await restore(restoring, 'partialb');
    expect(first.stderr).toMatch(/not self-contained: 10 of 10 attachment objects are only in/);
    expect(first.stderr).not.toMatch(upFront);
    const second = await restore(restoring, 'partialb');
    expect(second.stderr).toMatch(upFront);
    const dbs = await w.query<{ d: string }>('postgres', "SELECT datname AS d FROM pg_database WHERE datname LIKE '%partial%'");
    expect(dbs).toEqual([]);
  }, 300_000);
});
