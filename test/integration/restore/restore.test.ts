/**
 * Restores dumps made by the real pg_dump of an Odoo-shaped database (see test/helpers/odoo-shaped-db.ts)
 * in every format, and every failure path: each must leave no temporary database or folder behind
 * and the previous database untouched.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localFileSource, type BackupSource, type FolderSource, type MultiPartBackup } from '../../../shared/core/archive';
import { checkDatabaseName, neutralize, restoreBackup, type RestoreOptions } from '../../../shared/core/restore';
import type { AppError } from '../../../shared/core/errors';
import { formatBytes } from '../../../shared/contract/units';
import { SPACE_MARGIN_BYTES } from '../../../shared/core/restore/space';
import { silentContext, type JobContext, type JobProgress } from '../../../shared/core/jobs/job';
import { psql, startPgCluster, type PgCluster } from '../../helpers/pg-cluster';
import { createOdooShapedDb, dbSnapshot, listFiles, pgDumpCustom, pgDumpPlain, sha1Tree, writeOdooZip, writeZip, manifestFor } from '../../helpers/odoo-shaped-db';

let cluster: PgCluster;
let work: string;
let dataDir: string;
let srcFs: string;
let dumpSql: string;
let goodZip: string;
let snap: Awaited<ReturnType<typeof dbSnapshot>>;
let n = 0;

const fresh = (): string => `t${++n}_db`;

function opts(source: RestoreOptions['source'], db: string, extra: Partial<RestoreOptions> = {}): RestoreOptions {
  return { source, db, pgUrl: cluster.url, dataDir, mode: 'move', neutralize: false, replace: false, filestore: true, ...extra };
}

async function query<T extends pg.QueryResultRow>(db: string, sql: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: cluster.urlFor(db) });
  await c.connect();
  try {
    return (await c.query<T>(sql)).rows;
  } finally {
    await c.end();
  }
}

async function databases(): Promise<string[]> {
  return (await query<{ d: string }>('postgres', 'SELECT datname AS d FROM pg_database')).map((r) => r.d);
}

async function assertNoLeftovers(): Promise<void> {
  expect((await databases()).filter((d) => d.startsWith('bd_tmp_') || d.startsWith('bd_old_'))).toEqual([]);
  const fsRoot = join(dataDir, 'filestore');
  const entries = await readdir(fsRoot).catch(() => [] as string[]);
  expect(entries.filter((e) => e.startsWith('.bd-'))).toEqual([]);
}

async function fails(o: RestoreOptions, ctx: JobContext = silentContext()): Promise<AppError> {
  const err = await restoreBackup(o, ctx).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'the restore should have failed').toBeDefined();
  await assertNoLeftovers();
  return err as AppError;
}

/** A source that can only be read once from the start (like a download), not seekable, not local. */
function streamOnly(path: string): BackupSource {
  return {
    name: path.split('/').pop()!,
    size: undefined,
    seekable: false,
    async open() {
      return Readable.from(createReadStream(path, { highWaterMark: 7919 }));
    },
  };
}

function localFolder(dir: string): FolderSource {
  return {
    name: dir,
    async *list() {
      for (const rel of await listFiles(dir)) yield { path: rel, size: (await stat(join(dir, rel))).size };
    },
    async open(p: string) {
      return createReadStream(join(dir, p));
    },
  };
}

function sameAsSource(s: Awaited<ReturnType<typeof dbSnapshot>>, except: string[] = []): void {
  expect(s.tables).toEqual(snap.tables);
  expect(s.sequences).toEqual(snap.sequences);
  expect(s.indexes).toEqual(snap.indexes);
  expect(s.constraints).toEqual(snap.constraints);
  for (const t of Object.keys(snap.hashes)) if (!except.includes(t)) expect(s.hashes[t], t).toBe(snap.hashes[t]);
}

beforeAll(async () => {
  cluster = await startPgCluster();
  work = await mkdtemp(join(tmpdir(), 'bd-rt-'));
  dataDir = join(work, 'data');
  srcFs = join(work, 'src-filestore');
  await createOdooShapedDb(cluster.url, 'src', { partners: 10_000, commentRepeat: 3, blobs: 6, blobBytes: 40_000, files: 25, fileBytes: 3000 }, srcFs);
  dumpSql = join(work, 'dump.sql');
  await pgDumpPlain(cluster.url, 'src', dumpSql, cluster.binDir);
  goodZip = join(work, 'good.zip');
  await writeOdooZip(goodZip, dumpSql, 'src', srcFs);
  snap = await dbSnapshot(cluster.url, 'src');
});

afterAll(async () => {
  await cluster?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('restore of pg_dump-made Odoo-shaped backups', () => {
  it('the generated dump has what the parser must handle', async () => {
    const text = await readFile(dumpSql, 'latin1');
    // (boolean checks: a failing toMatch would print the whole dump)
    expect(/^\\restrict \S+$/m.test(text)).toBe(true);
    expect(/^\\unrestrict \S+$/m.test(text)).toBe(true);
    expect(text.includes('CREATE EXTENSION IF NOT EXISTS unaccent')).toBe(true);
    expect(/AS \$(_?)\$\nBEGIN\n {2}-- a comment; with a semicolon and 'quotes'\n[\s\S]*?\$q\$inner; "dq"\$q\$;\nEND;\n\$\1\$;/.test(text)).toBe(true);
    expect(/^COPY public\.res_partner .* FROM stdin;$/m.test(text)).toBe(true);
  });

  it('zip (copy): same data, new identity, filestore byte-identical, function and unaccent index work', async () => {
    const db = fresh();
    const phases: string[] = [];
    const fsTotals = new Set<number | undefined>();
    const loads: JobProgress[] = [];
    const ctx: JobContext = { ...silentContext(), progress: (p) => (phases.push(p.phase), p.phase === 'filestore' && fsTotals.add(p.total), p.phase === 'database' && loads.push(p)) };
    const r = await restoreBackup(opts(localFileSource(goodZip), db, { mode: 'copy' }), ctx);
    expect(r).toMatchObject({ db, format: 'zip', tables: Object.keys(snap.tables).length, filestoreFiles: 50, odooVersion: '16.0', warnings: [] });
    expect(phases.filter((ph, i, a) => ph !== a[i - 1])).toEqual(['preflight', 'database', 'indexes', 'filestore', 'finalize']);
    // The load's bar ends full when the builds begin, not a few per cent short (the builds' statements).
    expect(loads.at(-1)!.done).toBe(loads.at(-1)!.total);
    // The filestore's progress counts against the files the zip's central directory lists ("12 of 50").
    expect([...fsTotals]).toEqual([50]);
    sameAsSource(await dbSnapshot(cluster.url, db), ['ir_config_parameter']);
    expect(await sha1Tree(r.filestorePath!)).toEqual(await sha1Tree(srcFs));
    const params = Object.fromEntries((await query<{ key: string; value: string }>(db, 'SELECT key, value FROM ir_config_parameter')).map((x) => [x.key, x.value]));
    expect(params['database.uuid']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(params['database.secret']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-/);
    expect(params['database.create_date']).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(params['database.create_date']).not.toBe('2020-01-01 00:00:00');
    expect(params['web.base.url']).toBe('https://erp.example.com');
    expect((await query<{ v: string }>(db, "SELECT bd_odd_fn('x') AS v"))[0]!.v).toBe(`x;it's $notatag$ here\\tinner; "dq"`);
    const plan = await query<{ indexdef: string }>(db, "SELECT indexdef FROM pg_indexes WHERE indexname = 'res_partner_name_unaccent_idx'");
    expect(plan[0]!.indexdef).toContain('unaccent_immutable');
    expect((await query<{ n: string }>(db, "SELECT count(*) AS n FROM res_partner WHERE unaccent_immutable(name) LIKE 'Zolc Gesla%'"))[0]!.n).toBe('2000');
    const blob = await query<{ h: string; len: number }>(db, 'SELECT md5(data) AS h, length(data) AS len FROM bd_blob WHERE id = 1');
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    expect(blob[0]).toEqual({ h: createHash('md5').update(all).digest('hex'), len: 256 });
    await assertNoLeftovers();
  });

  it('a seekable zip: the filestore comes from a second reader of the central directory while the indexes build; the sequential pass stops after dump.sql', async () => {
    const bigFs = join(work, 'big-filestore');
    for (let i = 0; i < 24; i++) {
      await mkdir(join(bigFs, `${i % 4}a`), { recursive: true });
      await writeFile(join(bigFs, `${i % 4}a`, `f${i}`), randomBytes(256 * 1024));
    }
    const zip = join(work, 'big-filestore.zip');
    await writeOdooZip(zip, dumpSql, 'src', bigFs);
    const file = localFileSource(zip);
    const size = (await stat(zip)).size;
    let sequentialBytes = 0;
    const counted: BackupSource = {
      ...file,
      size,
      async open(range, signal) {
        const s = await file.open(range, signal);
        if (!range) s.on('data', (c: Buffer) => (sequentialBytes += c.length));
        return s;
      },
    };
    const r = await restoreBackup(opts(counted, fresh()), silentContext());
    expect(r).toMatchObject({ filestoreFiles: 24, odooVersion: '16.0' });
    expect(await sha1Tree(r.filestorePath!)).toEqual(await sha1Tree(bigFs));
    // dump.sql was read through; most of the 6 MB of files after it were not.
    expect(sequentialBytes).toBeGreaterThan((await stat(dumpSql)).size / 10);
    expect(sequentialBytes).toBeLessThan(size - 3 * 1024 * 1024);
    // What the result says was read counts both readers: the whole backup, not just dump.sql, and
    // never more than the backup (the second reader re-reads what the first read ahead).
    expect(r.bytesRead).toBeGreaterThan(size - 64 * 1024);
    expect(r.bytesRead).toBeLessThanOrEqual(size);
    await assertNoLeftovers();
  });

  it('zip (move + neutralize): identity kept, mail servers/crons/odoo_backup_sh off like Odoo 16', async () => {
    const db = fresh();
    await restoreBackup(opts(localFileSource(goodZip), db, { neutralize: true }), silentContext());
    const params = Object.fromEntries((await query<{ key: string; value: string }>(db, 'SELECT key, value FROM ir_config_parameter')).map((x) => [x.key, x.value]));
    expect(params['database.uuid']).toBe('11111111-1111-1111-1111-111111111111');
    expect(params['database.secret']).toBe('old-secret');
    expect(params['database.is_neutralized']).toBe('true');
    expect(await query(db, 'SELECT name, smtp_host, smtp_port, active FROM ir_mail_server ORDER BY id')).toEqual([
      { name: 'Production SMTP', smtp_host: 'smtp.example.com', smtp_port: 587, active: false },
      { name: 'neutralization - disable emails', smtp_host: 'invalid', smtp_port: 1025, active: true },
    ]);
    expect(await query(db, 'SELECT cron_name, active FROM ir_cron ORDER BY id')).toEqual([
      { cron_name: 'Base: Auto-vacuum internal data', active: true },
      { cron_name: 'Mail: Email Queue Manager', active: false },
      { cron_name: 'odoo_backup_sh: make backups', active: false },
    ]);
    expect(await query(db, 'SELECT active FROM odoo_backup_sh_config')).toEqual([{ active: false }]);
    // Neutralized again (a backup of that copy, restored neutralized): still one dummy server, on.
    const c = new pg.Client({ connectionString: cluster.urlFor(db) });
    await c.connect();
    try {
      expect(await neutralize(c)).toContain('switched the dummy mail server "neutralization - disable emails" (invalid:1025) back on');
    } finally {
      await c.end();
    }
    expect(await query(db, 'SELECT name, active FROM ir_mail_server ORDER BY id')).toEqual([
      { name: 'Production SMTP', active: false },
      { name: 'neutralization - disable emails', active: true },
    ]);
  });

  it('streams a non-seekable zip with data descriptors (as a download or decrypt would deliver it)', async () => {
    const z = join(work, 'descr.zip');
    await writeOdooZip(z, dumpSql, 'src', srcFs, { descriptors: true });
    const db = fresh();
    const r = await restoreBackup(opts(streamOnly(z), db), silentContext());
    expect(r.bytesRead).toBe((await stat(z)).size);
    sameAsSource(await dbSnapshot(cluster.url, db));
    expect(await sha1Tree(r.filestorePath!)).toEqual(await sha1Tree(srcFs));
  });

  it('custom-format dump through pg_restore (file and stream), with the missing-filestore warning', async () => {
    const dump = join(work, 'src.dump');
    await pgDumpCustom(cluster.url, 'src', dump, cluster.binDir);
    for (const source of [localFileSource(dump), streamOnly(dump)]) {
      const db = fresh();
      const seen: JobProgress[] = [];
      const r = await restoreBackup(opts(source, db), { ...silentContext(), progress: (p) => seen.push(p) });
      expect(r.format).toBe('dump');
      // The index builds are named once pg_restore reaches them (and the phase stays there).
      const phases = seen.map((p) => p.phase).filter((ph, i, a) => ph !== a[i - 1]);
      expect(phases).toEqual(['preflight', 'database', 'indexes', 'finalize']);
      expect(r.filestorePath).toBeUndefined();
      expect(r.warnings.join('\n')).toMatch(/25 attachments point into the filestore.*missing/);
      sameAsSource(await dbSnapshot(cluster.url, db));
    }
  });

  it('plain .sql and .sql.gz, and a database-only zip restore with its warning', async () => {
    const gz = join(work, 'dump.sql.gz');
    await writeFile(gz, gzipSync(await readFile(dumpSql)));
    for (const [source, format] of [[localFileSource(dumpSql), 'sql'], [streamOnly(gz), 'sql']] as const) {
      const db = fresh();
      const r = await restoreBackup(opts(source, db), silentContext());
      expect(r.format).toBe(format);
      sameAsSource(await dbSnapshot(cluster.url, db));
    }
    const db = fresh();
    const r = await restoreBackup(opts(localFileSource(goodZip), db, { filestore: false }), silentContext());
    expect(r.filestorePath).toBeUndefined();
    expect(r.filestoreFiles).toBe(0);
    expect(r.warnings.join('\n')).toMatch(/25 attachments .*not restored/);
    await expect(stat(join(dataDir, 'filestore', db))).rejects.toThrow();
  });

  it('a restore without the filestore reads the zip up to its dump.sql, and its manifest, not its files', async () => {
    const fs = join(work, 'big-filestore');
    await cp(srcFs, fs, { recursive: true });
    await mkdir(join(fs, 'zz'));
    for (let i = 0; i < 40; i++) await writeFile(join(fs, 'zz', createHash('sha1').update(String(i)).digest('hex')), randomBytes(256 * 1024));
    const zip = join(work, 'big-filestore.zip');
    await writeOdooZip(zip, dumpSql, 'src', fs);
    const size = (await stat(zip)).size;
    const db = fresh();
    const phases = new Set<string>();
    const r = await restoreBackup(opts(localFileSource(zip), db, { filestore: false }), { ...silentContext(), progress: (p) => phases.add(p.phase) });
    sameAsSource(await dbSnapshot(cluster.url, db));
    expect(r).toMatchObject({ odooVersion: '16.0', filestoreFiles: 0 });
    expect([...phases]).not.toContain('filestore');
    expect(r.warnings.join('\n')).toMatch(/25 attachments .*not restored/);
    // The 10 MiB of files were neither written nor read (they were read through, CRC-checked, before).
    expect(r.bytesRead).toBeLessThan(size - 8 * 1024 * 1024);
    await expect(stat(join(dataDir, 'filestore', db))).rejects.toThrow();
  });

  it('a click-odoo folder backup (db.dump + manifest.json + filestore/)', async () => {
    const dump = join(work, 'folder.dump');
    await pgDumpCustom(cluster.url, 'src', dump, cluster.binDir);
    const multi: MultiPartBackup = { kind: 'multipart', name: 'folder', dump: localFileSource(dump), manifest: { ...localFileSource(join(work, 'manifest.json')) }, filestore: localFolder(srcFs) };
    await writeFile(join(work, 'manifest.json'), manifestFor('src'));
    const db = fresh();
    const fsTotals = new Set<number | undefined>();
    const r = await restoreBackup(opts(multi, db), { ...silentContext(), progress: (p) => p.phase === 'filestore' && fsTotals.add(p.total) });
    expect(r).toMatchObject({ format: 'folder', filestoreFiles: 50, odooVersion: '16.0', warnings: [] });
    expect([...fsTotals]).toEqual([50]);
    sameAsSource(await dbSnapshot(cluster.url, db));
    expect(await sha1Tree(r.filestorePath!)).toEqual(await sha1Tree(srcFs));
  });

  it('a folder backup whose manifest.json names a newer PostgreSQL is refused before anything is created', async () => {
    const dump = join(work, 'newer.dump');
    await pgDumpCustom(cluster.url, 'src', dump, cluster.binDir);
    await writeFile(join(work, 'newer-manifest.json'), manifestFor('src').replace('"pg_version": "15.0"', '"pg_version": "99.0"'));
    const multi: MultiPartBackup = { kind: 'multipart', name: 'folder', dump: localFileSource(dump), manifest: { ...localFileSource(join(work, 'newer-manifest.json')) }, filestore: localFolder(srcFs) };
    const db = fresh();
    const err = (await restoreBackup(opts(multi, db), silentContext()).catch((e: unknown) => e)) as { kind?: string; message?: string; hint?: string };
    expect(err.kind).toBe('Unsupported');
    expect(err.message).toMatch(/comes from PostgreSQL 99; the target .* runs PostgreSQL 15/);
    expect(err.hint).toMatch(/PostgreSQL 99 or newer/);
    expect(await query('postgres', `SELECT datname FROM pg_database WHERE datname LIKE 'bd_tmp_%' OR datname = '${db}'`)).toEqual([]);
    await expect(stat(join(dataDir, 'filestore', db))).rejects.toThrow();
  });

  it('a filestore the data dir cannot hold is refused in preflight with both figures (zip: central directory; folder: listing); enough room passes', async () => {
    let fsBytes = 0;
    for (const rel of await listFiles(srcFs)) fsBytes += (await stat(join(srcFs, rel))).size;
    expect(fsBytes).toBeGreaterThan(40_000);
    const asked: string[] = [];
    const tight = async (p: string): Promise<number> => (asked.push(p), 40_000);
    const dump = join(work, 'space.dump');
    await pgDumpCustom(cluster.url, 'src', dump, cluster.binDir);
    const multi: MultiPartBackup = { kind: 'multipart', name: 'folder', dump: localFileSource(dump), filestore: localFolder(srcFs) };
    for (const source of [localFileSource(goodZip), multi]) {
      const db = fresh();
      const phases: string[] = [];
      const err = await fails(opts(source, db, { freeBytes: tight }), { ...silentContext(), progress: (p) => phases.push(p.phase) });
      expect(err.kind).toBe('InvalidInput');
      expect(err.message).toBe(`The filestore needs ${formatBytes(fsBytes)}, and 64 MB more are kept free for Odoo's own writes, but the disk holding ${dataDir} has only ${formatBytes(40_000)} free.`);
      expect(err.details).toMatchObject({ neededBytes: fsBytes, freeBytes: 40_000 });
      expect(phases).not.toContain('database');
      expect(await databases()).not.toContain(db);
    }
    expect(asked).toEqual([dataDir, dataDir]);
    // Database only: the filestore's size does not matter.
    await restoreBackup(opts(localFileSource(goodZip), fresh(), { filestore: false, freeBytes: tight }), silentContext());
    const db = fresh();
    const r = await restoreBackup(opts(localFileSource(goodZip), db, { freeBytes: async () => fsBytes + SPACE_MARGIN_BYTES }), silentContext());
    expect(r.filestoreFiles).toBe(50);
    expect(await sha1Tree(r.filestorePath!)).toEqual(await sha1Tree(srcFs));
  });

  it('a LATIN1 dump: COPY bytes that are not UTF-8 pass through untouched and are converted by the server', async () => {
    await psql(cluster.url, "CREATE DATABASE latin ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
    await psql(cluster.urlFor('latin'), "SET client_encoding = 'UTF8'; CREATE TABLE t (s text); INSERT INTO t VALUES ('café crème ÿ');");
    const f = join(work, 'latin.sql');
    await pgDumpPlain(cluster.url, 'latin', f, cluster.binDir);
    const bytes = await readFile(f);
    expect(bytes.includes(Buffer.from([0x63, 0x61, 0x66, 0xe9]))).toBe(true); // "caf\xe9": not valid UTF-8
    const db = fresh();
    await restoreBackup(opts(localFileSource(f), db), silentContext());
    expect(await query(db, 'SELECT s FROM t')).toEqual([{ s: 'café crème ÿ' }]);
  });
});

describe('restore failures leave nothing behind', () => {
  it('a truncated zip: Integrity', async () => {
    const buf = await readFile(goodZip);
    const f = join(work, 'trunc.zip');
    await writeFile(f, buf.subarray(0, Math.floor(buf.length * 0.8)));
    const db = fresh();
    const phases: string[] = [];
    const err = await fails(opts(localFileSource(f), db), { ...silentContext(), progress: (p) => phases.push(p.phase) });
    expect(err.kind).toBe('Integrity');
    expect(err.message).toMatch(/^trunc\.zip is not a complete zip archive: /);
    expect(err.hint).toMatch(/download it again|another backup/);
    expect(await databases()).not.toContain(db);
    // Found in preflight, from the central directory, before anything was created or loaded.
    expect(phases).not.toContain('database');
  });

  it('a zip with bytes appended after its end restores as Odoo would restore it, saying the bytes were ignored', async () => {
    const f = join(work, 'appended.zip');
    await writeFile(f, Buffer.concat([await readFile(goodZip), Buffer.from('x\n')]));
    const db = fresh();
    const r = await restoreBackup(opts(localFileSource(f), db), silentContext());
    expect(r.warnings).toContain('2 bytes after the end of the zip archive were ignored (as Odoo and unzip ignore them): the file was changed after it was made.');
    expect(await dbSnapshot(cluster.url, db)).toEqual(await dbSnapshot(cluster.url, 'src'));
  });

  it('a truncated custom-format dump: Integrity, saying the file is damaged (not that the server cannot load it)', async () => {
    const dump = join(work, 'trunc-src.dump');
    await pgDumpCustom(cluster.url, 'src', dump, cluster.binDir);
    const buf = await readFile(dump);
    await writeFile(dump, buf.subarray(0, Math.floor(buf.length * 0.6)));
    const db = fresh();
    const err = await fails(opts(localFileSource(dump), db));
    expect(err.kind).toBe('Integrity');
    expect(err.message).toMatch(/^The dump is damaged or incomplete: pg_restore could not read it \(.*end of file\)\.$/);
    expect(await databases()).not.toContain(db);
    await assertNoLeftovers();
  });

  it('a custom-format dump that makes pg_restore crash: Integrity, saying it crashed on a damaged file (it said "exit null" and nothing else)', async (ctx) => {
    const dump = join(work, 'crash-src.dump');
    await pgDumpCustom(cluster.url, 'src', dump, cluster.binDir);
    const good = await readFile(dump);
    const pgRestore = cluster.binDir ? join(cluster.binDir, 'pg_restore') : 'pg_restore';
    // Three zeroed bytes somewhere in the TOC make pg_restore fault; find such a place for this build.
    let crashing: Buffer | undefined;
    for (let at = 2000; at < Math.min(good.length, 40_000) && !crashing; at += 500) {
      const bad = Buffer.from(good);
      bad.fill(0, at, at + 3);
      await writeFile(dump, bad);
      if (spawnSync(pgRestore, ['-f', '/dev/null', dump]).signal) crashing = bad;
    }
    if (!crashing) return ctx.skip('no 3 zeroed bytes made this pg_restore crash');
    const db = fresh();
    const err = await fails(opts(localFileSource(dump), db));
    expect(err.kind).toBe('Integrity');
    expect(err.message).toMatch(/^The dump is damaged: pg_restore crashed with SIG[A-Z]+ reading it\.$/);
    expect(err.hint).toMatch(/another backup/);
    expect(await databases()).not.toContain(db);
    await assertNoLeftovers();
  });

  it.each([
    ['streamed (after the database loaded)', streamOnly, /CRC-32|corrupt|size mismatch/],
    ['seekable (written beside the load)', localFileSource, /CRC-32 mismatch in "filestore\//],
  ] as const)('a flipped byte in the filestore of a %s zip: CRC mismatch, Integrity', async (_kind, source, message) => {
    const buf = Buffer.from(await readFile(goodZip));
    const at = buf.indexOf(Buffer.from('filestore/')) + 400;
    buf[at] = buf[at]! ^ 0xff;
    const f = join(work, `flip-${fresh()}.zip`);
    await writeFile(f, buf);
    const err = await fails(opts(source(f), fresh()));
    expect(err.kind).toBe('Integrity');
    expect(err.message).toMatch(message);
  });

  it('an unsafe filestore path in a seekable zip stops the load: Integrity, nothing written outside', async () => {
    const f = join(work, 'escape.zip');
    await writeZip(f, [
      { name: 'dump.sql', path: dumpSql },
      { name: 'manifest.json', data: Buffer.from(manifestFor('src')) },
      { name: 'filestore/ab/ok', data: Buffer.from('fine') },
      { name: 'filestore/../../escaped', data: Buffer.from('evil') },
    ]);
    const err = await fails(opts(localFileSource(f), fresh()));
    expect(err.kind).toBe('Integrity');
    expect(await readdir(dataDir)).not.toContain('escaped');
  });

  it('an index that fails while the filestore is written beside it: the walk stops, the index error is reported', async () => {
    const text = await readFile(dumpSql);
    const at = text.indexOf(Buffer.from('\nCREATE INDEX ')) + 1;
    const f = join(work, 'bad-index-zip.sql');
    await writeFile(f, Buffer.concat([text.subarray(0, at), Buffer.from('CREATE INDEX bad_idx ON public.res_partner USING btree (no_such_column);\n'), text.subarray(at)]));
    const z = join(work, 'bad-index.zip');
    await writeOdooZip(z, f, 'src', srcFs);
    const err = await fails(opts(localFileSource(z), fresh()));
    expect(err.kind).toBe('Fatal');
    expect(err.message).toContain('no_such_column');
  });

  it('a file that is no backup: InvalidInput', async () => {
    const f = join(work, 'notes.txt');
    await writeFile(f, 'Hello, these are my notes, not a backup.\n');
    const err = await fails(opts(localFileSource(f), fresh()));
    expect(err.kind).toBe('InvalidInput');
    const z = join(work, 'nodump.zip');
    await writeZip(z, [{ name: 'readme.txt', data: Buffer.from('hi') }]);
    expect((await fails(opts(localFileSource(z), fresh()))).message).toMatch(/no dump\.sql/);
  });

  it('an SQL error mid-dump stops the restore and names the statement and its line', async () => {
    const text = await readFile(dumpSql);
    const marker = Buffer.from('\n\\.\n');
    const at = text.indexOf(marker, text.indexOf(Buffer.from('COPY public.res_partner'))) + marker.length;
    const bad = Buffer.concat([text.subarray(0, at), Buffer.from('\nSELECT * FROM no_such_table_xyz WHERE 1 = 1;\n'), text.subarray(at)]);
    const line = bad.subarray(0, bad.indexOf('SELECT * FROM no_such_table_xyz')).toString('latin1').split('\n').length;
    const f = join(work, 'bad.sql');
    await writeFile(f, bad);
    const z = join(work, 'bad.zip');
    await writeOdooZip(z, f, 'src', srcFs);
    const err = await fails(opts(localFileSource(z), fresh()));
    expect(err.kind).toBe('Fatal');
    expect(err.message).toContain(`line ${line} of dump.sql`);
    expect(err.message).toContain('no_such_table_xyz');
    expect(err.message).toContain('SELECT * FROM no_such_table_xyz WHERE 1 = 1;');
    expect(err.details).toMatchObject({ line, sqlState: '42P01' });
  });

  it('an error in an index built in parallel stops the restore and names it', async () => {
    const text = await readFile(dumpSql);
    const at = text.indexOf(Buffer.from('\nCREATE INDEX ')) + 1;
    const bad = Buffer.concat([text.subarray(0, at), Buffer.from('CREATE INDEX bad_idx ON public.res_partner USING btree (no_such_column);\n'), text.subarray(at)]);
    const line = bad.subarray(0, bad.indexOf('CREATE INDEX bad_idx')).toString('latin1').split('\n').length;
    const f = join(work, 'bad-index.sql');
    await writeFile(f, bad);
    const err = await fails(opts(localFileSource(f), fresh()));
    expect(err.kind).toBe('Fatal');
    expect(err.message).toContain(`line ${line} of bad-index.sql`);
    expect(err.message).toContain('no_such_column');
  });

  it('cancel mid-load: Cancelled', async () => {
    const ctrl = new AbortController();
    const ctx: JobContext = {
      signal: ctrl.signal,
      log: () => undefined,
      progress: (p) => {
        if (p.phase === 'database' && (p.done ?? 0) > 0) ctrl.abort();
      },
    };
    const db = fresh();
    const err = await fails(opts(localFileSource(goodZip), db), ctx);
    expect(err.kind).toBe('Cancelled');
    expect(await databases()).not.toContain(db);
  });

  it('a name that is taken, without replace: Conflict before anything is created', async () => {
    const db = fresh();
    await psql(cluster.url, `CREATE DATABASE ${db}`);
    expect(await checkDatabaseName(cluster.url, db)).toMatchObject({ valid: true, exists: true });
    expect(await checkDatabaseName(cluster.url, 'bad name!')).toMatchObject({ valid: false });
    const err = await fails(opts(localFileSource(goodZip), db));
    expect(err.kind).toBe('Conflict');
    // the hint every face shows names no CLI flag; the CLI's own words are kept apart
    expect(err.hint).toBe('Choose another name, or replace the existing database.');
    expect(err.details?.cliHint).toBe('Choose another name, or replace it (--replace).');
    const db2 = fresh();
    await mkdir(join(dataDir, 'filestore', db2), { recursive: true });
    expect((await fails(opts(localFileSource(goodZip), db2))).message).toMatch(/filestore folder/);
    expect((await fails(opts(localFileSource(goodZip), 'no spaces allowed'))).kind).toBe('InvalidInput');
  });

  it("PostgreSQL's own databases and templates are never a target, not even with replace", async () => {
    await psql(cluster.url, 'CREATE DATABASE tpl_db IS_TEMPLATE true');
    for (const db of ['template1', 'postgres', 'tpl_db']) {
      expect(await checkDatabaseName(cluster.url, db)).toMatchObject({ valid: false, message: expect.stringMatching(/never restored into/) });
      const err = await fails(opts(localFileSource(goodZip), db, { replace: true }));
      expect(err.kind).toBe('InvalidInput');
      expect(err.message).toMatch(db === 'postgres' ? /PostgreSQL's own databases/ : /a template database/);
    }
    // template1 still makes empty databases; nothing was loaded or renamed
    expect(await databases()).toEqual(expect.arrayContaining(['template1', 'postgres', 'tpl_db']));
    const probe = fresh();
    await psql(cluster.url, `CREATE DATABASE ${probe}`);
    expect(await query(probe, "SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'")).toEqual([{ n: 0 }]);
    await assertNoLeftovers();
  });

  it('replace: old data stays until the new restore succeeded; a failed replace leaves it intact', async () => {
    const db = fresh();
    await psql(cluster.url, `CREATE DATABASE ${db}`);
    await psql(cluster.urlFor(db), "CREATE TABLE marker (v text); INSERT INTO marker VALUES ('old');");
    const fs = join(dataDir, 'filestore', db);
    await mkdir(join(fs, 'zz'), { recursive: true });
    await writeFile(join(fs, 'zz', 'old-file'), 'old');
    // injected failure: a corrupt archive
    const buf = await readFile(goodZip);
    const f = join(work, 'trunc2.zip');
    await writeFile(f, buf.subarray(0, buf.length - 100));
    const err = await fails(opts(localFileSource(f), db, { replace: true }));
    expect(err.kind).toBe('Integrity');
    expect(await query(db, 'SELECT v FROM marker')).toEqual([{ v: 'old' }]);
    expect(await readFile(join(fs, 'zz', 'old-file'), 'utf8')).toBe('old');
    // an open connection to the old database does not block the replace
    const holder = new pg.Client({ connectionString: cluster.urlFor(db) });
    holder.on('error', () => undefined);
    await holder.connect();
    const r = await restoreBackup(opts(localFileSource(goodZip), db, { replace: true }), silentContext());
    await holder.end().catch(() => undefined);
    expect(r.filestorePath).toBe(fs);
    sameAsSource(await dbSnapshot(cluster.url, db));
    expect(await sha1Tree(fs)).toEqual(await sha1Tree(srcFs));
    await assertNoLeftovers();
  });

  it('dumps this server cannot take: missing extension, newer PostgreSQL, \\connect, a too-new pg_dump archive', async () => {
    const head = '--\n-- Dumped from database version 15.4\n--\n\nSET client_encoding = \'UTF8\';\n';
    const ext = join(work, 'ext.sql');
    await writeFile(ext, `${head}CREATE EXTENSION IF NOT EXISTS no_such_extension_xyz WITH SCHEMA public;\nCREATE TABLE a (i int);\n`);
    const e1 = await fails(opts(localFileSource(ext), fresh()));
    expect(e1.kind).toBe('MissingTool');
    expect(e1.message).toContain('no_such_extension_xyz');
    // in a zip, the preflight reads dump.sql's head and refuses before any database is created
    const extZip = join(work, 'ext.zip');
    await writeOdooZip(extZip, ext, 'src', undefined);
    const phases: string[] = [];
    const e1z = await fails(opts(localFileSource(extZip), fresh()), { ...silentContext(), progress: (p) => phases.push(p.phase) });
    expect(e1z.kind).toBe('MissingTool');
    expect(phases).toEqual(['preflight']);
    const newer = join(work, 'newer.sql');
    await writeFile(newer, `--\n-- Dumped from database version 99.1\n--\n${'-- padding\n'.repeat(500)}CREATE TABLE a (i int);\n`);
    const e2 = await fails(opts(localFileSource(newer), fresh()));
    expect(e2.kind).toBe('Unsupported');
    expect(e2.message).toMatch(/PostgreSQL 99/);
    const conn = join(work, 'conn.sql');
    await writeFile(conn, `${head}CREATE TABLE a (i int);\n\\connect other\nCREATE TABLE b (i int);\n`);
    const e3 = await fails(opts(localFileSource(conn), fresh()));
    expect(e3.kind).toBe('Unsupported');
    expect(e3.message).toMatch(/\\connect other.*line 7/);
    // A custom-format archive version 1.16 (PostgreSQL 17+) needs pg_restore 17: this machine has 15.
    const dump = join(work, 'src.dump');
    await pgDumpCustom(cluster.url, 'src', dump, cluster.binDir);
    const b = Buffer.from(await readFile(dump));
    b[6] = 16;
    const v116 = join(work, 'v116.dump');
    await writeFile(v116, b);
    const before = await databases();
    const e4 = await fails(opts(localFileSource(v116), fresh()));
    expect(e4.kind).toBe('MissingTool');
    expect(e4.message).toMatch(/1\.16.*pg_restore 17/);
    expect(e4.hint).toContain('postgresql-client-17');
    expect(await databases()).toEqual(before);
  });
});


