/**
 * Backups to the cloud storages: a real database (throwaway PostgreSQL, real pg_dump) backed up to
 * Dropbox, Google Drive and Swift at once (the local servers that answer as those APIs do, through
 * the same providers and SDKs the app uses), listed by each storage's catalog, read back
 * byte-identical, and restored from one with our restore into a database and filestore equal to the
 * source; and through the CLI (`--to` a Swift storage and a local folder at once, `list`, `restore`).
 * A cancel mid-upload leaves nothing listed on any of them (no committed file, no Swift segments,
 * no open Dropbox upload session turned into a file).
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, pipeline, Readable, Transform } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../shared/cli/cli';
import { openPgSource, runBackup, type BackupDestination, type BackupOptions, type SourceOutput } from '../../../shared/core/backup';
import { scanStorage } from '../../../shared/core/catalog';
import { providerSource } from '../../../shared/core/desk/sources';
import { isAppError } from '../../../shared/core/errors';
import { silentContext, type JobContext } from '../../../shared/core/jobs/job';
import { restoreBackup } from '../../../shared/core/restore';
import { MemorySecretStore } from '../../../shared/core/secrets/secret-store';
import { dropboxFactory } from '../../../shared/core/storage/dropbox';
import { gdriveFactory } from '../../../shared/core/storage/gdrive';
import type { StorageProvider } from '../../../shared/core/storage/provider';
import { swiftFactory } from '../../../shared/core/storage/swift';
import { nullLogger } from '../../../shared/core/util/logger';
import { startFakeDropbox, type FakeDropbox } from '../../helpers/fake-services/dropbox';
import { MY_DRIVE_ROOT, startFakeDrive, type FakeDrive } from '../../helpers/fake-services/gdrive';
import { startFakeSwift, SWIFT_TEST_USER, type FakeSwift } from '../../helpers/fake-services/swift';
import { createOdooShapedDb, dbSnapshot, sha1Tree } from '../../helpers/odoo-shaped-db';
import { startPgCluster, type PgCluster } from '../../helpers/pg-cluster';
import { keysOf, sha256Of } from '../../helpers/assertions';

const MIB = 1024 * 1024;
const SWIFT_ACCOUNT = 'AUTH_RegionOne';

describe('backup to Dropbox, Google Drive and Swift', () => {
  let cluster: PgCluster;
  let dropbox: FakeDropbox;
  let drive: FakeDrive;
  let swift: FakeSwift;
  let work: string;
  let dataDir: string;
  const db = 'cloudy';
  let n = 0;

  async function dropboxProvider(folderPath: string): Promise<StorageProvider> {
    const secrets = new MemorySecretStore();
    await secrets.set('storage:dbx', 'accessToken', dropbox.issueToken());
    const config = dropboxFactory.configSchema.parse({ folderPath, appType: 'full_dropbox', clientId: 'test-client', uploadChunkBytes: MIB });
    return dropboxFactory.create(config, 'storage:dbx', { secrets, log: nullLogger, fetch: dropbox.fetch });
  }
  async function driveProvider(folderName: string): Promise<StorageProvider> {
    const secrets = new MemorySecretStore();
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    drive.addServiceAccount('backup@proj.iam.gserviceaccount.com', publicKey.export({ type: 'spki', format: 'pem' }).toString());
    await secrets.set('storage:gd', 'serviceAccountKey', JSON.stringify({ type: 'service_account', client_email: 'backup@proj.iam.gserviceaccount.com', private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() }));
    const folderId = drive.put(MY_DRIVE_ROOT, folderName);
    const config = gdriveFactory.configSchema.parse({ folderId, rootUrl: drive.url, tokenUrl: `${drive.url}/token`, uploadChunkBytes: MIB });
    return gdriveFactory.create(config, 'storage:gd', { secrets, log: nullLogger, fetch: drive.fetch });
  }
  async function swiftProvider(prefix: string): Promise<StorageProvider> {
    const secrets = new MemorySecretStore();
    await secrets.set('storage:sw', 'password', SWIFT_TEST_USER.password);
    // A low large-object threshold: the backup goes up as a Static Large Object in 1 MiB segments.
    const config = swiftFactory.configSchema.parse({
      authUrl: `${swift.url}/v3`,
      username: SWIFT_TEST_USER.username,
      projectName: SWIFT_TEST_USER.projectName,
      container: 'backups',
      prefix,
      segmentThresholdBytes: 2 * MIB,
      segmentSizeBytes: MIB,
    });
    return swiftFactory.create(config, 'storage:sw', { secrets, log: nullLogger, fetch: swift.fetch });
  }
  const three = async (): Promise<BackupDestination[]> => {
    n++;
    return [
      { name: 'dropbox', provider: await dropboxProvider(`/Odoo Backups/run${n}`) },
      { name: 'gdrive', provider: await driveProvider(`run${n}`) },
      { name: 'swift', provider: await swiftProvider(`run${n}/`) },
    ];
  };
  const options = (destinations: BackupDestination[], extra: Partial<BackupOptions> = {}): BackupOptions => ({
    db,
    format: 'zip',
    layout: 'odoo-backup-sh',
    destinations,
    openSource: (c) => openPgSource({ db, pgUrl: cluster.url, dataDir, filestore: true, format: 'zip' }, c),
    ...extra,
  });
  /** Swift segments no manifest points at (what a half-made large object would leave). */
  const orphanSegments = (): string[] => {
    const segs = swift.container(SWIFT_ACCOUNT, 'backups_segments');
    const used = [...(swift.container(SWIFT_ACCOUNT, 'backups')?.values() ?? [])].flatMap((o) => o.slo?.map((s) => s.name) ?? []);
    return [...(segs?.keys() ?? [])].filter((k) => !used.includes(`/backups_segments/${k}`));
  };

  beforeAll(async () => {
    [cluster, dropbox, drive, swift] = await Promise.all([startPgCluster(), startFakeDropbox(), startFakeDrive(), startFakeSwift({ minSegmentSize: 64 * 1024 })]);
    work = await mkdtemp(join(tmpdir(), 'bd-cloud-'));
    dataDir = join(work, 'data');
    // ~8 MB of incompressible filestore: several upload chunks/segments, and time to cancel half-way
    await createOdooShapedDb(cluster.url, db, { partners: 2000, blobs: 2, blobBytes: 100_000, files: 30, fileBytes: 250_000 }, join(dataDir, 'filestore', db));
  }, 180_000);
  afterAll(async () => {
    await Promise.all([cluster?.stop(), dropbox?.close(), drive?.close(), swift?.close()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('writes one backup to all three at once; each catalog lists it, each copy reads back identical, and it restores exactly', async () => {
    const dests = await three();
    const r = await runBackup(options(dests), silentContext());
    expect(r.destinations.map((d) => [d.storage, d.ok, d.error?.message])).toEqual([
      ['dropbox', true, undefined],
      ['gdrive', true, undefined],
      ['swift', true, undefined],
    ]);
    expect(r.size).toBeGreaterThan(6 * MIB);
    expect(r.verification.status).toBe('complete');
    const key = r.destinations[0]!.key;
    expect(key).toMatch(/^cloudy\.\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}\.zip$/);
    for (const d of dests) {
      expect(await keysOf(d.provider)).toEqual([r.destinations[0]!.companionKey, key].sort());
      expect(await sha256Of(d.provider, key)).toBe(r.sha256);
      const scan = await scanStorage(d.name, d.provider);
      expect(scan.strays).toEqual([]);
      expect(scan.backups).toEqual([expect.objectContaining({ database: db, convention: 'odoo-backup-sh', format: 'zip', size: r.size })]);
      expect(scan.backups[0]!.warnings ?? []).toEqual([]);
    }
    // odoo_backup_sh's storage_service codes for the two it supports
    const infoOf = async (p: StorageProvider): Promise<string> => {
      const chunks: Buffer[] = [];
      for await (const c of await p.read(r.destinations[0]!.companionKey!)) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    };
    expect(await infoOf(dests[0]!.provider)).toContain('storage_service = dropbox\n');
    expect(await infoOf(dests[1]!.provider)).toContain('storage_service = google_drive\n');
    expect(await infoOf(dests[2]!.provider)).toContain(`backup_sha256 = ${r.sha256}\n`);
    expect(swift.container(SWIFT_ACCOUNT, 'backups')?.get(`run${n}/${key}`)?.slo?.length).toBeGreaterThan(2); // really a large object
    expect(orphanSegments()).toEqual([]);

    // restore from Google Drive with our restore, and compare with the source
    const restoredData = join(work, 'restored-data');
    await restoreBackup(
      { source: providerSource(dests[1]!.provider, key, r.size), db: 'restored', pgUrl: cluster.url, dataDir: restoredData, mode: 'move', neutralize: false, replace: false, filestore: true },
      silentContext(),
    );
    expect(await dbSnapshot(cluster.url, 'restored')).toEqual(await dbSnapshot(cluster.url, db));
    expect(await sha1Tree(join(restoredData, 'filestore', 'restored'))).toEqual(await sha1Tree(join(dataDir, 'filestore', db)));
  }, 180_000);

  it('leaves nothing listed on any of them when cancelled mid-upload', async () => {
    const dests = await three();
    const ac = new AbortController();
    let sentAtCancel = 0;
    // Cancelled once the archive has passed 3 MiB (counted at the source: progress reports are
    // throttled, so a fast run might report none past 3 MiB before it ends).
    const counted = async (c: JobContext): Promise<SourceOutput> => {
      const s = await openPgSource({ db, pgUrl: cluster.url, dataDir, filestore: true, format: 'zip' }, c);
      let n = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _enc, done) {
          n += chunk.length;
          if (n > 3 * MIB && !ac.signal.aborted) {
            sentAtCancel = n;
            ac.abort();
          }
          done(null, chunk);
        },
      });
      return { ...s, stream: pipeline(s.stream, counter, () => undefined) };
    };
    const filesBefore = dropbox.state.files.size;
    const segmentsBefore = swift.container(SWIFT_ACCOUNT, 'backups_segments')?.size ?? 0;
    const err = await runBackup(options(dests, { openSource: counted }), silentContext(ac.signal)).then(() => undefined, (e: unknown) => e);
    expect(isAppError(err, 'Cancelled')).toBe(true);
    expect(sentAtCancel).toBeGreaterThan(3 * MIB);
    for (const d of dests) {
      expect(await keysOf(d.provider)).toEqual([]);
      expect((await scanStorage(d.name, d.provider)).backups).toEqual([]);
    }
    expect(dropbox.state.files.size).toBe(filesBefore); // the upload session was never committed
    expect([...drive.state.files.values()].filter((f) => f.name.startsWith(`${db}.`))).toHaveLength(2); // only the first test's zip + .info
    expect(orphanSegments()).toEqual([]);
    expect(swift.container(SWIFT_ACCOUNT, 'backups_segments')?.size ?? 0).toBe(segmentsBefore); // the segments sent were deleted again
  }, 180_000);

  it('backup-desk backup --to a Swift storage and a local folder at once (the CLI, in-process), then list and restore from Swift', async () => {
    const home = join(work, 'cli-home');
    const secrets = new MemorySecretStore();
    const cli = async (...args: string[]): Promise<{ code: number; out: string; err: string }> => {
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      let out = '';
      let err = '';
      stdout.on('data', (d: Buffer) => (out += d.toString()));
      stderr.on('data', (d: Buffer) => (err += d.toString()));
      const code = await runCli(['--home', home, ...args], { stdin: Readable.from(['']), stdout, stderr, env: { SWIFT_PW: SWIFT_TEST_USER.password } }, undefined, { secrets });
      return { code, out, err };
    };
    const local = join(work, 'cli-local');
    await mkdir(local, { recursive: true });
    const sw = ['storage', 'add', 'sw', '--type', 'swift', '--auth-url', `${swift.url}/v3`, '--username', SWIFT_TEST_USER.username, '--project-name', SWIFT_TEST_USER.projectName, '--container', 'backups', '--prefix', 'cli', '--secret-env', 'password=SWIFT_PW'];
    for (const a of [sw, ['storage', 'add', 'nas', '--type', 'local', '--path', local]]) {
      const r = await cli(...a);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
    }
    const b = await cli('backup', '--db', db, '--source', cluster.url, '--data-dir', dataDir, '--to', 'sw', '--to', 'nas', '--json');
    expect(b.err).not.toMatch(/^error/m);
    expect(b.code, b.err + b.out).toBe(0);
    const res = JSON.parse(b.out) as { destinations: Array<{ storage: string; ok: boolean; ref: string; key: string }>; sha256: string; size: number };
    expect(res.destinations.map((d) => [d.storage, d.ok])).toEqual([['sw', true], ['nas', true]]);
    const list = JSON.parse((await cli('list', '--json', '--all')).out) as Array<{ ref: string; size: number; stray?: string }>;
    expect(list.filter((e) => !e.stray).map((e) => [e.ref, e.size]).sort()).toEqual(res.destinations.map((d) => [d.ref, res.size]).sort());
    expect(list.filter((e) => e.stray)).toEqual([]);
    const restoredData = join(work, 'cli-restored-data');
    const r = await cli('restore', res.destinations[0]!.ref, '--db', 'from_swift', '--target', cluster.url, '--data-dir', restoredData, '--move');
    expect(r.err).not.toMatch(/^error/m);
    expect(r.code).toBe(0);
    expect(await dbSnapshot(cluster.url, 'from_swift')).toEqual(await dbSnapshot(cluster.url, db));
    expect(await sha1Tree(join(restoredData, 'filestore', 'from_swift'))).toEqual(await sha1Tree(join(dataDir, 'filestore', db)));
  }, 180_000);

  it('goes on when one of them fails mid-upload: the others get the backup, the failed one is left with nothing', async () => {
    const dests = await three();
    swift.failNext({ route: /^PUT \/v1\/.*_segments\//, status: 500, times: 20 });
    const r = await runBackup(options(dests), silentContext());
    const byName = Object.fromEntries(r.destinations.map((d) => [d.storage, d]));
    expect([byName.dropbox!.ok, byName.gdrive!.ok, byName.swift!.ok]).toEqual([true, true, false]);
    expect(r.warnings.join('\n')).toMatch(/Storage "swift" did not get the backup/);
    expect(await keysOf(dests[2]!.provider)).toEqual([]);
    expect(orphanSegments()).toEqual([]);
    for (const d of dests.slice(0, 2)) expect(await sha256Of(d.provider, r.destinations[0]!.key)).toBe(r.sha256);
  }, 180_000);
});
