/**
 * Migrations as resumable jobs on a real Odoo database (acme_small_zip with attachments in S3,
 * Swift, the database and the filestore): filestore → S3 bucket and object storage → filestore,
 * each killed half way (cancel) with the invariant checked at that moment — no attachment points
 * at an object that does not exist — then resumed from a fresh book (as after a restart) to the
 * end, every object verified; and a rollback that puts everything back.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localFileSource } from '../../../shared/core/archive';
import { storageResolver } from '../../../shared/core/attachments';
import { MigrationBook, rollbackMigration, runMigration } from '../../../shared/core/attachments/migrate';
import type { JobContext } from '../../../shared/core/jobs/job';
import { silentContext } from '../../../shared/core/jobs/job';
import { restoreBackup } from '../../../shared/core/restore';
import type { StorageProvider } from '../../../shared/core/storage/provider';
import { ATTACH_BUCKET, ATTACH_CONTAINER, OBJECT_STORAGE_FIXTURE, startObjectStorageWorld, type ObjectStorageWorld } from '../../helpers/object-storage-db';

let w: ObjectStorageWorld;
const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..', '..');

/** A context that cancels once `after` objects are done. */
function killAfter(after: number): JobContext {
  const ac = new AbortController();
  return { signal: ac.signal, log: () => undefined, progress: (p) => { if ((p.done ?? 0) >= after) ac.abort(); } };
}

async function readAll(p: StorageProvider, key: string): Promise<Buffer | undefined> {
  try {
    const parts: Buffer[] = [];
    for await (const c of await p.read(key)) parts.push(c as Buffer);
    return Buffer.concat(parts);
  } catch {
    return undefined;
  }
}

/** Every attachment's content is where its store_fname says, with the SHA-1 it is named after. */
async function assertNoDanglingRows(db: string): Promise<{ filestore: number; s3: number; swift: number }> {
  const rows = await w.query<{ f: string }>(db, "SELECT DISTINCT store_fname AS f FROM ir_attachment WHERE store_fname IS NOT NULL AND store_fname <> ''");
  const bucket = await w.bucket();
  const container = await w.container();
  const n = { filestore: 0, s3: 0, swift: 0 };
  for (const { f } of rows) {
    let data: Buffer | undefined;
    if (f.startsWith('s3://')) {
      n.s3++;
      data = await readAll(bucket, f.slice(`s3://${ATTACH_BUCKET}/`.length));
    } else if (f.startsWith('swift://')) {
      n.swift++;
      data = await readAll(container, f.slice(`swift://${ATTACH_CONTAINER}/`.length));
    } else {
      n.filestore++;
      data = await readFile(join(w.dataDir, 'filestore', db, f)).catch(() => undefined);
    }
    expect(data, `${f} exists`).toBeDefined();
    expect(createHash('sha1').update(data!).digest('hex'), f).toBe(f.slice(-40));
  }
  return n;
}

async function restoreCopy(db: string): Promise<void> {
  await restoreBackup({ source: localFileSource(w.zip), db, pgUrl: w.cluster.url, dataDir: w.dataDir, mode: 'copy', neutralize: false, replace: false, filestore: true, attachments: { mode: 'skip' } }, silentContext());
}

describe.skipIf(!OBJECT_STORAGE_FIXTURE)('attachment migrations, killed half way and resumed', () => {
  beforeAll(async () => {
    w = await startObjectStorageWorld();
  }, 180_000);
  afterAll(async () => {
    await w?.stop();
  });

  it('filestore → S3 bucket: killed, resumed after a restart, every object verified; then rolled back', async () => {
    await restoreCopy('mig1');
    const before = await assertNoDanglingRows('mig1');
    const bookDir = join(w.work, 'book1');
    const book = new MigrationBook(bookDir);
    const state = await book.create({ direction: 'to-store', db: 'mig1', pgUrl: w.cluster.url, dataDir: w.dataDir, store: { storage: 'prod-s3', kind: 's3', name: ATTACH_BUCKET } });
    const resolver = storageResolver({ storages: w.storages, open: w.open, named: 'prod-s3' });
    try {
      const killed = await runMigration(state.id, { book, resolver, concurrency: 3 }, killAfter(30)).then(() => undefined, (e: unknown) => e);
      expect(killed).toMatchObject({ kind: 'Cancelled' });
      expect((await book.load(state.id)).status).toBe('interrupted');
      const mid = await assertNoDanglingRows('mig1');
      expect(mid.s3).toBeGreaterThan(before.s3);
      expect(mid.filestore).toBeGreaterThan(0);

      // a restart: a new book on the same folder resumes it
      const again = new MigrationBook(bookDir);
      const r = await runMigration(state.id, { book: again, resolver }, silentContext());
      expect(r.problems).toEqual([]);
      const after = await assertNoDanglingRows('mig1');
      expect(after).toEqual({ filestore: 0, s3: before.s3 + before.filestore, swift: before.swift });
      expect((await again.load(state.id)).status).toBe('done');
      const loc = await w.query<{ value: string }>('mig1', "SELECT value FROM ir_config_parameter WHERE key = 'ir_attachment.location'");
      expect(loc[0]!.value).toBe('s3');

      const back = await rollbackMigration(state.id, { book: again, resolver }, silentContext());
      expect(back.problems).toEqual([]);
      expect(await assertNoDanglingRows('mig1')).toEqual(before);
      // only the bucket's original objects are left
      const keys: string[] = [];
      for await (const o of (await w.bucket()).list('')) keys.push(o.key);
      expect(keys.sort()).toEqual([...w.moved.s3].sort());
    } finally {
      await resolver.close();
    }
  });

  it('S3 and Swift → filestore: killed half way, resumed, location back to "file"', async () => {
    await restoreCopy('mig2');
    const before = await assertNoDanglingRows('mig2');
    const book = new MigrationBook(join(w.work, 'book2'));
    const state = await book.create({ direction: 'to-filestore', db: 'mig2', pgUrl: w.cluster.url, dataDir: w.dataDir });
    const resolver = storageResolver({ storages: w.storages, open: w.open });
    try {
      const killed = await runMigration(state.id, { book, resolver, concurrency: 2 }, killAfter(4)).then(() => undefined, (e: unknown) => e);
      expect(killed).toMatchObject({ kind: 'Cancelled' });
      const mid = await assertNoDanglingRows('mig2');
      expect(mid.s3 + mid.swift).toBeLessThan(before.s3 + before.swift);
      const r = await runMigration(state.id, { book: new MigrationBook(join(w.work, 'book2')), resolver }, silentContext());
      expect(r.problems).toEqual([]);
      expect(await assertNoDanglingRows('mig2')).toEqual({ filestore: before.filestore + before.s3 + before.swift, s3: 0, swift: 0 });
      const loc = await w.query<{ value: string }>('mig2', "SELECT value FROM ir_config_parameter WHERE key = 'ir_attachment.location'");
      expect(loc[0]!.value).toBe('file');
    } finally {
      await resolver.close();
    }
  });

  it('the built CLI, killed with SIGKILL half way: nothing dangles, and `attachments resume` in a new process finishes it', async () => {
    await run(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--quiet', '--if-stale'], { cwd: ROOT });
    await restoreCopy('mig3');
    const before = await assertNoDanglingRows('mig3');
    const home = join(w.work, 'cli-home');
    const pw = join(w.work, 'vault-pw');
    await writeFile(pw, 'vault passphrase for the test\n');
    const env = { ...process.env, BACKUP_DESK_VAULT_PASSPHRASE_FILE: pw, S3_SECRET: w.s3.secretAccessKey };
    const cli = (...args: string[]) => run(process.execPath, [join(ROOT, 'bin', 'backup-desk.js'), '--home', home, ...args], { cwd: ROOT, env });
    await cli('secrets', 'vault', 'init');
    await cli('storage', 'add', 'prod-s3', '--type', 's3', '--endpoint', w.s3.endpoint, '--bucket', ATTACH_BUCKET, '--force-path-style', '--access-key-id', w.s3.accessKeyId, '--secret-env', 'secretAccessKey=S3_SECRET');
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'backup-desk.js'), '--home', home, 'attachments', 'migrate', '--db', 'mig3', '--to', 's3', '--storage', 'prod-s3', '--target', w.cluster.url, '--data-dir', w.dataDir], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((r) => child.on('close', (code, sig) => r(sig ? -1 : code)));
    const book = join(home, 'attachments', 'migrations');
    // kill it once 20 objects are rewritten
    for (;;) {
      const logs = (await readdir(book).catch(() => [] as string[])).filter((f) => f.endsWith('.log'));
      const text = logs.length ? await readFile(join(book, logs[0]!), 'utf8') : '';
      if ((text.match(/^row\t/gm) ?? []).length >= 20) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    expect(await exited).toBe(-1);
    const mid = await assertNoDanglingRows('mig3');
    expect(mid.s3).toBeGreaterThan(before.s3);
    expect(mid.filestore).toBeGreaterThan(0);
    const listed = JSON.parse((await cli('attachments', 'migrations', '--json')).stdout) as Array<{ id: string; status: string }>;
    expect(listed).toHaveLength(1);
    const resumed = await cli('attachments', 'resume', listed[0]!.id);
    expect(resumed.stdout).toMatch(/done/);
    expect(await assertNoDanglingRows('mig3')).toEqual({ filestore: 0, s3: before.s3 + before.filestore, swift: before.swift });
    expect(JSON.parse((await cli('attachments', 'migrations', '--json')).stdout)[0].status).toBe('done');
  }, 300_000);
});
