/**
 * Duplicating a database together with its own bucket/container, on real PostgreSQL, the S3 test
 * server and the Swift fake:
 * - an S3 bucket named after the database (`odoo-<db>`, Camptocamp's `AWS_BUCKETNAME=odoo-{db}`):
 *   killed half way — the copy does not exist under its name yet, so nothing points at a missing
 *   object — resumed from a fresh book to the end (every object in the new bucket, SHA-1 checked,
 *   the copy's rows pointed at it, the original untouched); another one killed and rolled back;
 * - Catalyst's `odoo_openstack_storage` (bare SHA-1 names, container `<prefix>-<db lowercased>`)
 *   through the CLI in-process.
 */
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MigrationSummary } from '../../../shared/contract/attachments';
import { localFileSource } from '../../../shared/core/archive';
import { storageResolver } from '../../../shared/core/attachments';
import { MigrationBook, rollbackDuplicate, runDuplicate, stagingName } from '../../../shared/core/attachments/migrate';
import type { JobContext } from '../../../shared/core/jobs/job';
import { silentContext } from '../../../shared/core/jobs/job';
import { restoreBackup } from '../../../shared/core/restore';
import { MemorySecretStore } from '../../../shared/core/secrets/secret-store';
import type { StorageProvider } from '../../../shared/core/storage/provider';
import { SWIFT_TEST_USER } from '../../helpers/fake-services/swift';
import { ATTACH_BUCKET, ATTACH_CONTAINER, OBJECT_STORAGE_FIXTURE, startObjectStorageWorld, type ObjectStorageWorld } from '../../helpers/object-storage-db';
import { runCliInProcess } from '../../helpers/cli-in-process';

let w: ObjectStorageWorld;

/** A context that cancels once `after` objects are done. */
function killAfter(after: number): JobContext {
  const ac = new AbortController();
  return { signal: ac.signal, log: () => undefined, progress: (p) => { if ((p.done ?? 0) >= after) ac.abort(); } };
}

/** A provider at the root of S3 bucket / Swift container `name`. */
function at(kind: 's3' | 'swift', name: string): Promise<StorageProvider> {
  const i = kind === 's3' ? 0 : 1;
  const s = w.storages[i]!;
  return w.open({ ...s, settings: { ...s.settings, [kind === 's3' ? 'bucket' : 'container']: name, prefix: '' } });
}

async function sha1Of(p: StorageProvider, key: string): Promise<string | undefined> {
  try {
    return createHash('sha1').update(await buffer(await p.read(key))).digest('hex');
  } catch {
    return undefined;
  }
}

async function keys(p: StorageProvider): Promise<string[]> {
  const out: string[] = [];
  for await (const o of p.list('')) out.push(o.key);
  return out.sort();
}

async function databases(): Promise<string[]> {
  return (await w.query<{ datname: string }>('postgres', 'SELECT datname FROM pg_database')).map((r) => r.datname);
}

/** A copy of the world's database whose S3 attachments live in a bucket of its own, `odoo-<db>`. */
async function dbWithOwnBucket(db: string): Promise<string[]> {
  await restoreBackup({ source: localFileSource(w.zip), db, pgUrl: w.cluster.url, dataDir: w.dataDir, mode: 'copy', neutralize: false, replace: false, filestore: true, attachments: { mode: 'skip' } }, silentContext());
  const own = await at('s3', `odoo-${db}`);
  await own.bucketRoot!.create();
  const shared = await w.bucket();
  for (const sha of w.moved.s3) await own.write!(sha, Readable.from([await buffer(await shared.read(sha))]));
  await w.query(db, "UPDATE ir_attachment SET store_fname = replace(store_fname, 's3://odoo-attach/', $1)", [`s3://odoo-${db}/`]);
  return w.moved.s3;
}

/** Rows by form: `s3://<bucket>/…` per bucket, swift, others. */
async function rowsOf(db: string): Promise<Record<string, number>> {
  const r = await w.query<{ k: string; n: string }>(db, "SELECT CASE WHEN store_fname LIKE '%://%' THEN split_part(store_fname, '/', 3) ELSE 'local' END AS k, count(DISTINCT store_fname) AS n FROM ir_attachment WHERE store_fname IS NOT NULL GROUP BY 1");
  return Object.fromEntries(r.map((x) => [x.k, Number(x.n)]));
}

const secrets = new MemorySecretStore();

/** The CLI in-process on one home (storages `prod-s3`, `prod-swift` once added). */
const cli = (...args: string[]) => runCliInProcess(join(w.work, 'dup-home'), args, { secrets, env: { SWIFT_PW: SWIFT_TEST_USER.password, S3_SECRET: w.s3.secretAccessKey } });

describe.skipIf(!OBJECT_STORAGE_FIXTURE)('duplicating a database with its bucket/container', () => {
  beforeAll(async () => {
    w = await startObjectStorageWorld();
  }, 180_000);
  afterAll(async () => {
    await w?.stop();
  });

  it('S3 bucket named after the database: killed half way, resumed after a restart; the copy appears only complete', async () => {
    const shas = await dbWithOwnBucket('shop');
    const bookDir = join(w.work, 'dup-book');
    const book = new MigrationBook(bookDir);
    const duplicate = { newDb: 'shopcopy', form: 'uri' as const, kind: 's3' as const, from: 'odoo-shop', to: 'odoo-shopcopy' };
    const state = await book.create({ direction: 'duplicate', db: 'shop', pgUrl: w.cluster.url, dataDir: w.dataDir, storage: 'prod-s3', duplicate });
    const resolver = storageResolver({ storages: w.storages, open: w.open, named: 'prod-s3' });
    try {
      const killed = await runDuplicate(state.id, { book, resolver, concurrency: 1 }, killAfter(3)).then(() => undefined, (e: unknown) => e);
      expect(killed).toMatchObject({ kind: 'Cancelled' });
      expect((await book.load(state.id)).status).toBe('interrupted');
      // not there under its name: nothing can point at an object that is not copied yet
      expect(await databases()).not.toContain('shopcopy');
      expect(await databases()).toContain(stagingName(state));
      expect((await keys(await at('s3', 'odoo-shopcopy'))).length).toBeLessThan(shas.length);

      const again = new MigrationBook(bookDir);
      const r = await runDuplicate(state.id, { book: again, resolver }, silentContext());
      expect(r.problems).toEqual([]);
      expect((await again.load(state.id)).status).toBe('done');
      expect(await databases()).toContain('shopcopy');
      expect(await databases()).not.toContain(stagingName(state));
      const target = await at('s3', 'odoo-shopcopy');
      expect(await keys(target)).toEqual([...shas].sort());
      for (const sha of shas) expect(await sha1Of(target, sha)).toBe(sha);
      const original = await rowsOf('shop');
      const copy = await rowsOf('shopcopy');
      expect(copy).toEqual({ ...Object.fromEntries(Object.entries(original).filter(([k]) => k !== 'odoo-shop')), 'odoo-shopcopy': original['odoo-shop'] });
      expect(copy[ATTACH_CONTAINER]).toBe(w.moved.swift.length);
      // the filestore came along
      const files = async (db: string) => (await readdir(join(w.dataDir, 'filestore', db), { recursive: true })).length;
      expect(await files('shopcopy')).toBe(await files('shop'));
      // the original's bucket is untouched
      expect(await keys(await at('s3', 'odoo-shop'))).toEqual([...shas].sort());
    } finally {
      await resolver.close();
    }
  });

  it('killed half way and rolled back: the staging copy dropped, the objects and the bucket it created removed', async () => {
    const book = new MigrationBook(join(w.work, 'dup-book-2'));
    const duplicate = { newDb: 'shopundo', form: 'uri' as const, kind: 's3' as const, from: 'odoo-shop', to: 'odoo-shopundo' };
    const state = await book.create({ direction: 'duplicate', db: 'shop', pgUrl: w.cluster.url, dataDir: w.dataDir, storage: 'prod-s3', duplicate });
    const resolver = storageResolver({ storages: w.storages, open: w.open, named: 'prod-s3' });
    try {
      await runDuplicate(state.id, { book, resolver, concurrency: 1 }, killAfter(2)).catch(() => undefined);
      expect((await keys(await at('s3', 'odoo-shopundo'))).length).toBeGreaterThan(0);
      const r = await rollbackDuplicate(state.id, { book, resolver }, silentContext());
      expect(r.status).toBe('rolled-back');
      expect(r.warnings).toEqual([]);
      expect(await databases()).not.toContain(stagingName(state));
      expect(await databases()).not.toContain('shopundo');
      // the bucket is gone: creating it again creates it
      const gone = await at('s3', 'odoo-shopundo');
      expect(await gone.bucketRoot!.create()).toBe(true);
      await gone.bucketRoot!.remove();
      expect(await keys(await at('s3', 'odoo-shop'))).toHaveLength(w.moved.s3.length);
    } finally {
      await resolver.close();
    }
  });

  it("Catalyst's odoo_openstack_storage, through the CLI: the container <prefix>-<db> copied to <prefix>-<copy>", async () => {
    const db = 'Catalyst';
    await restoreBackup({ source: localFileSource(w.zip), db, pgUrl: w.cluster.url, dataDir: w.dataDir, mode: 'copy', neutralize: false, replace: false, filestore: true, attachments: { mode: 'skip' } }, silentContext());
    const own = await at('swift', 'odoo-catalyst');
    await own.bucketRoot!.create();
    const shared = await w.container();
    for (const sha of w.moved.swift) await own.write!(sha, Readable.from([await buffer(await shared.read(sha))]));
    await w.query(db, "UPDATE ir_attachment SET store_fname = split_part(store_fname, '/', 4) WHERE store_fname LIKE 'swift://%'");
    await w.query(db, "UPDATE ir_config_parameter SET value = 'openstack' WHERE key = 'ir_attachment.location'");
    await w.query(db, "INSERT INTO ir_config_parameter (key, value) VALUES ('ir_attachment.location.openstack', $1)", [JSON.stringify({ container_prefix: 'odoo', user: 'u', key: 'k' })]);

    await cli('storage', 'add', 'prod-swift', '--type', 'swift', '--auth-url', `${w.swift.url}/v3`, '--username', SWIFT_TEST_USER.username, '--project-name', SWIFT_TEST_USER.projectName, '--container', ATTACH_CONTAINER, '--secret-env', 'password=SWIFT_PW');
    const r = await cli('attachments', 'duplicate', '--db', db, '--as', 'Catalyst2', '--storage', 'prod-swift', '--target', w.cluster.url, '--data-dir', w.dataDir);
    expect(r.err).not.toMatch(/^error/m);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^duplicate \S+ done: Catalyst2 is a copy of Catalyst; 4 objects copied$/m);
    const copy = await at('swift', 'odoo-catalyst2');
    expect(await keys(copy)).toEqual([...w.moved.swift].sort());
    for (const sha of w.moved.swift) expect(await sha1Of(copy, sha)).toBe(sha);
    // bare SHA-1 names: the container comes from the database's name, so the rows stay as they are
    const bare = await w.query<{ n: string }>('Catalyst2', "SELECT count(*) AS n FROM ir_attachment WHERE store_fname ~ '^[0-9a-f]{40}$'");
    expect(Number(bare[0]!.n)).toBeGreaterThanOrEqual(w.moved.swift.length);
    const listed = JSON.parse((await cli('attachments', 'migrations', '--json')).out) as MigrationSummary[];
    expect(listed[0]).toMatchObject({ direction: 'duplicate', db, copy: 'Catalyst2', store: 'swift://odoo-catalyst2', status: 'done' });
    // a second copy under the same name is refused
    const again = await cli('attachments', 'duplicate', '--db', db, '--as', 'Catalyst2', '--storage', 'prod-swift', '--target', w.cluster.url, '--data-dir', w.dataDir);
    expect(again.code).toBe(1);
  }, 300_000);

  it('drop: typed confirmation; refused while another database references the bucket; then the database, its objects and its bucket go', async () => {
    await cli('storage', 'add', 'prod-s3', '--type', 's3', '--endpoint', w.s3.endpoint, '--bucket', ATTACH_BUCKET, '--force-path-style', '--access-key-id', w.s3.accessKeyId, '--secret-env', 'secretAccessKey=S3_SECRET');
    const drop = (db: string, ...more: string[]) => cli('attachments', 'drop', '--db', db, ...more, '--storage', 'prod-s3', '--target', w.cluster.url, '--data-dir', w.dataDir);
    const typo = await drop('shopcopy', '--confirm', 'shop');
    expect(typo.code).toBe(2);
    expect(typo.err).toContain('is not the database\'s name');
    expect((await drop('shopcopy')).code).toBe(2);

    // another database (a plain copy) still points at odoo-shopcopy: refused, nothing dropped
    await w.query('postgres', 'CREATE DATABASE shopmirror TEMPLATE shopcopy');
    const refused = await drop('shopcopy', '--confirm', 'shopcopy');
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/Other databases still reference s3:\/\/odoo-shopcopy: shopmirror \(\d+ attachments\)/);
    expect(await databases()).toContain('shopcopy');
    expect(await keys(await at('s3', 'odoo-shopcopy'))).toHaveLength(w.moved.s3.length);

    await w.query('postgres', 'DROP DATABASE shopmirror');
    const ok = await drop('shopcopy', '--confirm', 'shopcopy');
    expect(ok.err).not.toMatch(/^error/m);
    expect(ok.out).toMatch(new RegExp(`^drop \\S+ done: shopcopy dropped; ${w.moved.s3.length} objects removed$`, 'm'));
    expect(await databases()).not.toContain('shopcopy');
    await expect(readdir(join(w.dataDir, 'filestore', 'shopcopy'))).rejects.toThrow();
    const gone = await at('s3', 'odoo-shopcopy');
    expect(await gone.bucketRoot!.create()).toBe(true);
    await gone.bucketRoot!.remove();
    // the original and its bucket are untouched
    expect(await databases()).toContain('shop');
    expect(await keys(await at('s3', 'odoo-shop'))).toHaveLength(w.moved.s3.length);
    const listed = JSON.parse((await cli('attachments', 'migrations', '--json')).out) as MigrationSummary[];
    expect(listed.find((m) => m.direction === 'drop' && m.status === 'done')).toMatchObject({ db: 'shopcopy', store: 's3://odoo-shopcopy' });
  }, 300_000);

  it("drop of a Catalyst database: its <prefix>-<db> container goes, the original's stays", async () => {
    const r = await cli('attachments', 'drop', '--db', 'Catalyst2', '--confirm', 'Catalyst2', '--storage', 'prod-swift', '--target', w.cluster.url, '--data-dir', w.dataDir);
    expect(r.code).toBe(0);
    expect(await databases()).not.toContain('Catalyst2');
    const gone = await at('swift', 'odoo-catalyst2');
    expect(await gone.bucketRoot!.create()).toBe(true);
    expect(await keys(await at('swift', 'odoo-catalyst'))).toHaveLength(w.moved.swift.length);
  }, 300_000);

  it('through the CLI: the copy of a bucket named after the database gets one named after the copy; refusals', async () => {
    const dup = (...args: string[]) => cli('attachments', 'duplicate', ...args, '--target', w.cluster.url, '--data-dir', w.dataDir);
    const r = await dup('--db', 'shop', '--as', 'shop2', '--storage', 'prod-s3');
    expect(r.code).toBe(0);
    expect(r.err).toContain('AWS_BUCKETNAME / SWIFT_WRITE_CONTAINER = odoo-shop2');
    expect(await keys(await at('s3', 'odoo-shop2'))).toEqual([...w.moved.s3].sort());
    expect((await rowsOf('shop2'))['odoo-shop2']).toBe(w.moved.s3.length);
    // no configured storage is for odoo-shop: it must be named
    const noStorage = await dup('--db', 'shop', '--as', 'shop3');
    expect(noStorage.code).toBe(1);
    expect(noStorage.err).toContain('No configured storage is for s3://odoo-shop');
    expect(noStorage.err).toContain('hint: Name a s3 storage whose credentials reach it with --storage NAME.');
    // the world's database shares buckets named after nothing: there is no "own" one to copy
    const shared = await dup('--db', w.db, '--as', 'objcopy', '--storage', 'prod-s3');
    expect(shared.code).toBe(1);
    expect(shared.err).toMatch(/None of the buckets\/containers "objsrc" uses \(s3:\/\/odoo-attach, swift:\/\/odoo-swift\) is named after it/);
    expect(await databases()).not.toContain('shop3');
    expect(await databases()).not.toContain('objcopy');
  }, 300_000);
});
