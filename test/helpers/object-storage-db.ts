/**
 * A real Odoo database whose attachments live in four places, for the attachments tests: the
 * fixture `acme_small_zip` restored into a throwaway PostgreSQL, then some attachments moved the
 * way Camptocamp's modules store them: objects named by their SHA-1 in an S3 bucket (the S3 test
 * server) and a Swift container (the fake Swift), `store_fname` rewritten to `s3://<bucket>/<sha>`
 * / `swift://<container>/<sha>` and the local files removed; a few moved into `db_datas`; the rest
 * left in the filestore; `ir_attachment.location` set to `s3`. Storages for the bucket and the
 * container are configured as the app would have them.
 */
import { readFile, rm, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import pg from 'pg';
import { localFileSource } from '../../shared/core/archive';
import { restoreBackup } from '../../shared/core/restore';
import { silentContext } from '../../shared/core/jobs/job';
import { MemorySecretStore } from '../../shared/core/secrets/secret-store';
import { openStorage, type OpenableStorage } from '../../shared/core/storage/registry';
import type { StorageProvider } from '../../shared/core/storage/provider';
import { nullLogger } from '../../shared/core/util/logger';
import { startFakeSwift, SWIFT_TEST_USER, type FakeSwift } from './fake-services/swift';
import { fixtureDirWith } from './fixtures';
import { startPgCluster, type PgCluster } from './pg-cluster';
import { startS3Server, type S3TestServer } from './s3-server';
import { pgDumpPlain, writeOdooZip } from './odoo-shaped-db';

/** The bucket and container the moved attachments live in. */
export const ATTACH_BUCKET = 'odoo-attach';
export const ATTACH_CONTAINER = 'odoo-swift';

/** Everything the tests need. */
export interface ObjectStorageWorld {
  readonly cluster: PgCluster;
  readonly s3: S3TestServer;
  readonly swift: FakeSwift;
  readonly work: string;
  /** Odoo data dir of the restores. */
  readonly dataDir: string;
  /** The database with attachments in four places. */
  readonly db: string;
  readonly filestore: string;
  /** The configured storages (`prod-s3`, `prod-swift`). */
  readonly storages: OpenableStorage[];
  open(entry: OpenableStorage): Promise<StorageProvider>;
  /** A provider at the bucket's / container's root. */
  bucket(): Promise<StorageProvider>;
  container(): Promise<StorageProvider>;
  /** SHA-1s moved to each place. */
  readonly moved: { s3: string[]; swift: string[]; db: string[] };
  /** An Odoo zip of the database as Odoo makes it: dump.sql + the (now incomplete) filestore. */
  readonly zip: string;
  query<T extends pg.QueryResultRow>(db: string, sql: string, params?: unknown[]): Promise<T[]>;
  stop(): Promise<void>;
}

/** The fixture needed (undefined when the fixtures are not there). */
export const OBJECT_STORAGE_FIXTURE = fixtureDirWith('acme_small_zip.zip');

async function moveAttachments(w: Pick<ObjectStorageWorld, 'query' | 'db' | 'filestore' | 'bucket' | 'container'>): Promise<ObjectStorageWorld['moved']> {
  const names = await w.query<{ f: string }>(w.db, "SELECT DISTINCT store_fname AS f FROM ir_attachment WHERE store_fname ~ '^[0-9a-f]{2}/' ORDER BY 1 LIMIT 13");
  const moved = { s3: [] as string[], swift: [] as string[], db: [] as string[] };
  const bucket = await w.bucket();
  const container = await w.container();
  for (const [i, { f }] of names.entries()) {
    const sha = f.slice(3);
    const path = join(w.filestore, f);
    const data = await readFile(path);
    if (i < 6 || i < 10) {
      const s3 = i < 6;
      await (s3 ? bucket : container).write!(sha, Readable.from([data]), { size: data.length });
      await w.query(w.db, 'UPDATE ir_attachment SET store_fname = $2 WHERE store_fname = $1', [f, s3 ? `s3://${ATTACH_BUCKET}/${sha}` : `swift://${ATTACH_CONTAINER}/${sha}`]);
      (s3 ? moved.s3 : moved.swift).push(sha);
    } else {
      await w.query(w.db, 'UPDATE ir_attachment SET store_fname = NULL, db_datas = $2 WHERE store_fname = $1', [f, data]);
      moved.db.push(sha);
    }
    await rm(path);
  }
  await w.query(w.db, "INSERT INTO ir_config_parameter (key, value) VALUES ('ir_attachment.location', 's3')");
  return moved;
}

/** Builds the world (several seconds: a cluster, a restore, two object servers). */
export async function startObjectStorageWorld(): Promise<ObjectStorageWorld> {
  const work = await mkdtemp(join(tmpdir(), 'bd-attach-'));
  const [cluster, s3, swift] = await Promise.all([startPgCluster(), startS3Server(ATTACH_BUCKET), startFakeSwift({ containers: [ATTACH_CONTAINER] })]);
  const dataDir = join(work, 'data');
  const db = 'objsrc';
  const secrets = new MemorySecretStore();
  await secrets.set('storage:s3', 'secretAccessKey', s3.secretAccessKey);
  await secrets.set('storage:sw', 'password', SWIFT_TEST_USER.password);
  const storages: OpenableStorage[] = [
    { name: 'prod-s3', kind: 's3', secretScope: 'storage:s3', settings: { endpoint: s3.endpoint, bucket: ATTACH_BUCKET, forcePathStyle: true, accessKeyId: s3.accessKeyId, prefix: 'backups/' } },
    { name: 'prod-swift', kind: 'swift', secretScope: 'storage:sw', settings: { authUrl: `${swift.url}/v3`, username: SWIFT_TEST_USER.username, projectName: SWIFT_TEST_USER.projectName, container: ATTACH_CONTAINER } },
  ];
  const open = (entry: OpenableStorage): Promise<StorageProvider> => openStorage(entry, { secrets, log: nullLogger, fetch: swift.fetch });
  const query = async <T extends pg.QueryResultRow>(name: string, sql: string, params: unknown[] = []): Promise<T[]> => {
    const c = new pg.Client({ connectionString: cluster.urlFor(name) });
    await c.connect();
    try {
      return (await c.query<T>(sql, params)).rows;
    } finally {
      await c.end();
    }
  };
  const atRoot = (i: number, key: string, value: string) => () => open({ ...storages[i]!, settings: { ...storages[i]!.settings, [key]: value, prefix: '' } });
  const bucket = atRoot(0, 'bucket', ATTACH_BUCKET);
  const container = atRoot(1, 'container', ATTACH_CONTAINER);
  await restoreBackup({ source: localFileSource(join(OBJECT_STORAGE_FIXTURE!, 'acme_small_zip.zip')), db, pgUrl: cluster.url, dataDir, mode: 'copy', neutralize: false, replace: false, filestore: true }, silentContext());
  const filestore = join(dataDir, 'filestore', db);
  const moved = await moveAttachments({ query, db, filestore, bucket, container });
  const dumpSql = join(work, 'dump.sql');
  await pgDumpPlain(cluster.url, db, dumpSql, cluster.binDir);
  const zip = join(work, `${db}.zip`);
  await writeOdooZip(zip, dumpSql, db, filestore);
  return {
    cluster, s3, swift, work, dataDir, db, filestore, storages, open, bucket, container, moved, zip, query,
    async stop() {
      await Promise.all([cluster.stop(), s3.stop(), swift.close()]);
      await rm(work, { recursive: true, force: true });
    },
  };
}
