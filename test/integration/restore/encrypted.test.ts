/**
 * Encrypted backups restore in one pass (decrypt -> unzip -> load): gpg-made symmetric (armored,
 * ZLIB, like odoo_backup_sh's .zip.enc) and public-key messages; a wrong passphrase, a tampered or
 * truncated message fail with their own error and leave nothing behind.
 */
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectBackup, localFileSource } from '../../../shared/core/archive';
import { restoreBackup, type RestoreOptions } from '../../../shared/core/restore';
import type { AppError } from '../../../shared/core/errors';
import { silentContext, type JobProgress } from '../../../shared/core/jobs/job';
import { formatBytes } from '../../../shared/contract/units';
import { runCliInProcess } from '../../helpers/cli-in-process';
import { startPgCluster, type PgCluster } from '../../helpers/pg-cluster';
import { createOdooShapedDb, dbSnapshot, pgDumpPlain, sha1Tree, writeOdooZip } from '../../helpers/odoo-shaped-db';
import { gpgEncryptSymmetric, gpgEncryptTo, gpgGenKey, makeGpgHome, type GpgHome } from '../../helpers/gpg';

const PASS = 'correct horse battery staple';
let cluster: PgCluster;
let gpg: GpgHome;
let work: string;
let dataDir: string;
let srcFs: string;
let zip: string;
let snap: Awaited<ReturnType<typeof dbSnapshot>>;
let n = 0;

function opts(file: string, extra: Partial<RestoreOptions> = {}): RestoreOptions {
  return { source: localFileSource(file), db: `enc${++n}`, pgUrl: cluster.url, dataDir, mode: 'move', neutralize: false, replace: false, filestore: true, ...extra };
}

async function leftovers(): Promise<string[]> {
  const c = new pg.Client({ connectionString: cluster.url });
  await c.connect();
  try {
    const dbs = (await c.query<{ d: string }>("SELECT datname AS d FROM pg_database WHERE datname LIKE 'bd\\_%' OR datname LIKE 'enc%'")).rows.map((r) => r.d);
    const dirs = (await readdir(join(dataDir, 'filestore')).catch(() => [] as string[])).filter((d) => d.startsWith('.bd-'));
    return [...dbs, ...dirs];
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  cluster = await startPgCluster();
  gpg = await makeGpgHome();
  work = await mkdtemp(join(tmpdir(), 'bd-enc-'));
  dataDir = join(work, 'data');
  srcFs = join(work, 'fs');
  await createOdooShapedDb(cluster.url, 'src', { partners: 3000, blobs: 3, blobBytes: 20_000, files: 6, fileBytes: 2000 }, srcFs);
  await pgDumpPlain(cluster.url, 'src', join(work, 'dump.sql'), cluster.binDir);
  zip = join(work, 'src.zip');
  await writeOdooZip(zip, join(work, 'dump.sql'), 'src', srcFs);
  snap = await dbSnapshot(cluster.url, 'src');
});

afterAll(async () => {
  await cluster?.stop();
  await gpg?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('restore of encrypted backups', () => {
  it('an odoo_backup_sh-style armored, ZLIB-compressed .zip.enc (gpg --symmetric) restores in one pass', async () => {
    const enc = join(work, 'src.2024-01-01_00-00-00.zip.enc');
    await gpgEncryptSymmetric(gpg, zip, enc, PASS, { armor: true, compress: 'ZLIB' });
    const info = await inspectBackup(localFileSource(enc));
    expect(info).toMatchObject({ encrypted: true, encryption: 'password' });
    const inside = await inspectBackup(localFileSource(enc), { decrypt: { passphrase: PASS } });
    expect(inside).toMatchObject({ format: 'zip', database: 'src', odooVersion: '16.0', filestoreFiles: 12 });
    const o = opts(enc, { decrypt: { passphrase: PASS } });
    const seen: JobProgress[] = [];
    const r = await restoreBackup(o, { ...silentContext(), progress: (p) => seen.push(p) });
    expect(r.format).toBe('zip');
    // Progress shows bytes (dump.sql's, against the size the decrypted zip declares), then names the index builds.
    const db = seen.filter((p) => p.phase === 'database' && p.unit === 'bytes');
    expect(db.length).toBeGreaterThan(0);
    expect(db.every((p) => p.total !== undefined && p.total > 0)).toBe(true);
    expect(db.at(-1)!.done).toBe(db.at(-1)!.total);
    expect(seen.map((p) => p.phase).filter((ph, i, a) => ph !== a[i - 1])).toEqual(['preflight', 'database', 'indexes', 'filestore', 'finalize']);
    expect(seen.find((p) => p.phase === 'indexes')).toMatchObject({ label: 'Building indexes and constraints', unit: 'items' });
    const s = await dbSnapshot(cluster.url, o.db);
    expect(s.tables).toEqual(snap.tables);
    expect(s.hashes).toEqual(snap.hashes);
    expect(await sha1Tree(r.filestorePath!)).toEqual(await sha1Tree(srcFs));
  });

  it('an encrypted plain SQL dump shows the backup\'s bytes against its size, and the index phase; so does the CLI on stderr', async () => {
    const enc = join(work, 'src.sql.gpg');
    await gpgEncryptSymmetric(gpg, join(work, 'dump.sql'), enc, PASS, { compress: 'ZLIB' });
    const size = (await stat(enc)).size;
    const seen: JobProgress[] = [];
    await restoreBackup(opts(enc, { decrypt: { passphrase: PASS } }), { ...silentContext(), progress: (p) => seen.push(p) });
    const db = seen.filter((p) => p.phase === 'database' && p.unit === 'bytes');
    expect(db.length).toBeGreaterThan(0);
    expect(db.every((p) => p.total === size && (p.done ?? 0) <= size)).toBe(true);
    expect(db.at(-1)!.done).toBeGreaterThan(size * 0.5);
    expect(seen.some((p) => p.phase === 'indexes')).toBe(true);
    // The CLI: plain lines on a non-terminal stderr, where each phase got to, then the index builds.
    const home = await mkdtemp(join(work, 'home-'));
    await writeFile(join(home, 'pass.txt'), PASS, { mode: 0o600 });
    const r = await runCliInProcess(home, ['restore', enc, '--db', `enc${++n}`, '--target', cluster.url, '--data-dir', dataDir, '--passphrase-file', join(home, 'pass.txt')]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(new RegExp(`^Loading the database: \\d+% \\([\\d.]+ [kM]?B of ${formatBytes(size).replace('.', '\\.')}\\)`, 'm'));
    expect(r.err).toMatch(/^Building indexes and constraints: \(\d+ done\)$/m);
    expect(r.err.indexOf('Building indexes')).toBeGreaterThan(r.err.indexOf('Loading the database: '));
  });

  it('a public-key encrypted binary message restores with the private key', async () => {
    const key = await gpgGenKey(gpg, 'Restore Test <restore@example.com>', 'keypass');
    const enc = join(work, 'pk.zip.gpg');
    await gpgEncryptTo(gpg, zip, enc, [key.fingerprint]);
    const o = opts(enc, { decrypt: { privateKeys: [{ armored: key.armoredSecret, passphrase: 'keypass' }] } });
    await restoreBackup(o, silentContext());
    expect((await dbSnapshot(cluster.url, o.db)).hashes).toEqual(snap.hashes);
  });

  it('no passphrase, a wrong one, a tampered or a truncated message: clear errors, nothing left behind', async () => {
    const enc = join(work, 'plain-enc.zip.gpg');
    await gpgEncryptSymmetric(gpg, zip, enc, PASS, { compress: 'none' });
    const before = await leftovers();
    const noKey = (await restoreBackup(opts(enc), silentContext()).catch((e: unknown) => e)) as AppError;
    expect(noKey.kind).toBe('AuthFailed');
    const t0 = Date.now();
    const wrong = (await restoreBackup(opts(enc, { decrypt: { passphrase: 'wrong' } }), silentContext()).catch((e: unknown) => e)) as AppError;
    expect(wrong.kind).toBe('AuthFailed');
    expect(Date.now() - t0).toBeLessThan(10_000);
    const bytes = Buffer.from(await readFile(enc));
    const tampered = Buffer.from(bytes);
    const at = Math.floor(bytes.length * 0.7);
    tampered[at] = tampered[at]! ^ 0x01;
    await writeFile(join(work, 'tampered.gpg'), tampered);
    const e1 = (await restoreBackup(opts(join(work, 'tampered.gpg'), { decrypt: { passphrase: PASS } }), silentContext()).catch((e: unknown) => e)) as AppError;
    expect(['Integrity']).toContain(e1.kind);
    // Whatever broke first in the decrypted data, it is the encrypted file that is damaged: said so.
    // (The zip is made anew each run, so where the flip lands, and what breaks first, varies.)
    expect(e1.message).toMatch(/^The encrypted backup (failed|is damaged)|^tampered\.gpg .+\. It was found in data decrypted on the way: the encrypted file may be damaged or altered \(OpenPGP checks that only at the message's end\)\.$/);
    await writeFile(join(work, 'truncated.gpg'), bytes.subarray(0, Math.floor(bytes.length * 0.9)));
    const e2 = (await restoreBackup(opts(join(work, 'truncated.gpg'), { decrypt: { passphrase: PASS } }), silentContext()).catch((e: unknown) => e)) as AppError;
    expect(e2.kind).toBe('Integrity');
    expect(e2.message).toMatch(/^The encrypted backup (failed|is damaged)|found in data decrypted on the way/);
    expect(await leftovers()).toEqual(before);
  });
});
