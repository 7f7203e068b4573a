/**
 * Making a backup of a real Odoo 16 database (the acme_small fixture restored into a throwaway
 * PostgreSQL) with the real pg_dump, to a local storage in odoo_backup_sh's layout; then restoring it
 * Odoo's own way (unzip, createdb, psql -f dump.sql, move the filestore) and with our restore, and
 * comparing both with the source table by table and file by file.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localFileSource } from '../../../shared/core/archive';
import { openPgSource, runBackup, type BackupResult } from '../../../shared/core/backup';
import { parseInfoFile, scanStorage } from '../../../shared/core/catalog';
import { silentContext } from '../../../shared/core/jobs/job';
import { restoreBackup } from '../../../shared/core/restore';
import { LocalProvider } from '../../../shared/core/storage/local';
import { fixtureDirWith } from '../../helpers/fixtures';
import { dbSnapshot, sha1Tree } from '../../helpers/odoo-shaped-db';
import { psql, startPgCluster, type PgCluster } from '../../helpers/pg-cluster';

const run = promisify(execFile);
const FIX = fixtureDirWith('acme_small_zip.zip');

describe.skipIf(!FIX)('backup of a real Odoo database (PostgreSQL + filestore)', () => {
  let cluster: PgCluster;
  let work: string;
  let dataDir: string;
  let storeDir: string;
  let result: BackupResult;
  const db = 'acme';

  beforeAll(async () => {
    cluster = await startPgCluster();
    work = await mkdtemp(join(tmpdir(), 'bd-backup-'));
    dataDir = join(work, 'data');
    storeDir = join(work, 'store');
    await mkdir(storeDir, { recursive: true });
    await restoreBackup(
      { source: localFileSource(join(FIX!, 'acme_small_zip.zip')), db, pgUrl: cluster.url, dataDir, mode: 'move', neutralize: false, replace: false, filestore: true },
      silentContext(),
    );
    const phases = new Set<string>();
    const ctx = { ...silentContext(), progress: (p: { phase: string }) => phases.add(p.phase) };
    result = await runBackup(
      {
        db,
        format: 'zip',
        layout: 'odoo-backup-sh',
        destinations: [{ name: 'local', provider: new LocalProvider(storeDir) }],
        openSource: (c) => openPgSource({ db, pgUrl: cluster.url, dataDir, filestore: true, format: 'zip' }, c),
      },
      ctx,
    );
    expect([...phases]).toEqual(expect.arrayContaining(['prepare', 'commit']));
  });
  afterAll(async () => {
    await cluster?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('writes <db>.<UTC stamp>.zip and its .info at the storage root, and says so', async () => {
    const names = (await readdir(storeDir)).sort();
    expect(names).toHaveLength(2);
    expect(names[0]).toMatch(/^acme\.\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}\.info$/);
    expect(names[1]).toBe(names[0]!.replace(/\.info$/, '.zip'));
    expect(result.destinations).toEqual([expect.objectContaining({ storage: 'local', ok: true, ref: `local:${names[1]}` })]);
    const zip = await readFile(join(storeDir, names[1]!));
    expect(result.size).toBe(zip.length);
    const { createHash } = await import('node:crypto');
    expect(result.sha256).toBe(createHash('sha256').update(zip).digest('hex'));
    expect(result.odooVersion).toBe('16.0');
    expect(result.pgVersion).toBe('15.0');
  });

  it('writes the .info exactly as odoo_backup_sh does (plus sha256 and bytes)', async () => {
    const info = (await readdir(storeDir)).find((n) => n.endsWith('.info'))!;
    const text = await readFile(join(storeDir, info), 'utf8');
    const stamp = info.slice('acme.'.length, -'.info'.length);
    const lines = text.split('\n');
    expect(lines.slice(0, 6)).toEqual(['[common]', 'database = acme', 'encrypted = False', `upload_datetime = ${stamp}`, expect.stringMatching(/^backup_size = \d+\.\d+$/), 'storage_service = odoo_backup_sh']);
    expect(lines.slice(6)).toEqual([`backup_sha256 = ${result.sha256}`, `backup_bytes = ${result.size}`, '']);
    expect(new Date(result.createdAt).toISOString().slice(0, 19).replace('T', '_').replace(/:/g, '-')).toBe(stamp);
    const parsed = parseInfoFile(text);
    expect(Math.abs(parsed.sizeBytes! - result.size)).toBeLessThan(2);
    // Python's ConfigParser reads it (odoo_backup_sh's update_info does exactly this)
    const py = 'import configparser,sys\nc=configparser.ConfigParser()\nc.read(sys.argv[1])\nprint(c.get("common","database"), int(float(c.get("common","backup_size"))*1024*1024))';
    await writeFile(join(work, 'ini.py'), py);
    const { stdout } = await run('python3', [join(work, 'ini.py'), join(storeDir, info)]);
    expect(stdout.trim().split(' ')[0]).toBe('acme');
  });

  it('is listed by our catalog as an odoo_backup_sh backup without warnings', async () => {
    const scan = await scanStorage('local', new LocalProvider(storeDir));
    expect(scan.strays).toEqual([]);
    expect(scan.backups).toHaveLength(1);
    expect(scan.backups[0]).toMatchObject({ database: 'acme', convention: 'odoo-backup-sh', format: 'zip', encrypted: false, size: result.size, createdAt: result.createdAt });
    expect(scan.backups[0]!.warnings ?? []).toEqual([]);
  });

  it('has dump.sql first, an Odoo manifest, and every referenced file (verified)', async () => {
    const zipName = (await readdir(storeDir)).find((n) => n.endsWith('.zip'))!;
    const zipPath = join(storeDir, zipName);
    await run('unzip', ['-tq', zipPath]);
    const { stdout } = await run('unzip', ['-Z1', zipPath], { maxBuffer: 1 << 24 });
    const members = stdout.trim().split('\n');
    expect(members.slice(0, 2)).toEqual(['dump.sql', 'manifest.json']);
    const mine = JSON.parse((await run('unzip', ['-p', zipPath, 'manifest.json'], { maxBuffer: 1 << 24 })).stdout) as Record<string, unknown>;
    const odoo = JSON.parse((await run('unzip', ['-p', join(FIX!, 'acme_small_zip.zip'), 'manifest.json'], { maxBuffer: 1 << 24 })).stdout) as Record<string, unknown>;
    expect(Object.keys(mine)).toEqual(Object.keys(odoo));
    expect({ ...mine, db_name: odoo.db_name }).toEqual(odoo);
    const raw = (await run('unzip', ['-p', zipPath, 'manifest.json'])).stdout;
    expect(raw.startsWith('{\n    "odoo_dump": "1",\n    "db_name": "acme",')).toBe(true);
    expect(raw.endsWith('}')).toBe(true);
    expect(result.verification).toMatchObject({ status: 'complete', missingCount: 0 });
    expect(result.verification.referenced).toBeGreaterThan(0);
    const fsMembers = members.filter((m) => m.startsWith('filestore/')).map((m) => m.slice('filestore/'.length));
    expect(fsMembers.sort()).toEqual(Object.keys(await sha1Tree(join(dataDir, 'filestore', db))).sort());
  });

  it("restores Odoo's way (unzip, psql -f dump.sql, filestore move) to the same data", async () => {
    const zipName = (await readdir(storeDir)).find((n) => n.endsWith('.zip'))!;
    const out = join(work, 'odoo-way');
    await run('unzip', ['-q', join(storeDir, zipName), '-d', out]);
    await psql(cluster.url, 'CREATE DATABASE odoo_way ENCODING \'unicode\' TEMPLATE template0');
    await run('psql', ['-X', '-q', '-f', join(out, 'dump.sql'), cluster.urlFor('odoo_way')], { maxBuffer: 1 << 26 });
    expect(await dbSnapshot(cluster.url, 'odoo_way')).toEqual(await dbSnapshot(cluster.url, db));
    expect(await sha1Tree(join(out, 'filestore'))).toEqual(await sha1Tree(join(dataDir, 'filestore', db)));
  });

  it('restores with our own restore to the same data', async () => {
    const zipName = (await readdir(storeDir)).find((n) => n.endsWith('.zip'))!;
    const r = await restoreBackup(
      { source: localFileSource(join(storeDir, zipName)), db: 'ours', pgUrl: cluster.url, dataDir, mode: 'move', neutralize: false, replace: false, filestore: true },
      silentContext(),
    );
    expect(r.odooVersion).toBe('16.0');
    expect(await dbSnapshot(cluster.url, 'ours')).toEqual(await dbSnapshot(cluster.url, db));
    expect(await sha1Tree(join(dataDir, 'filestore', 'ours'))).toEqual(await sha1Tree(join(dataDir, 'filestore', db)));
  });

  it('two backups of the same second to one folder: one is written, the other fails with Conflict and replaces nothing', async () => {
    const store = join(work, 'same-second');
    await mkdir(store);
    const time = new Date('2026-12-07T18:00:00Z');
    const once = () =>
      runBackup(
        {
          db,
          format: 'zip',
          layout: 'odoo-backup-sh',
          time,
          destinations: [{ name: 'same', provider: new LocalProvider(store) }],
          openSource: (c) => openPgSource({ db, pgUrl: cluster.url, dataDir, filestore: true, format: 'zip' }, c),
        },
        silentContext(),
      );
    const [a, b] = await Promise.allSettled([once(), once()]);
    const won = [a, b].filter((r): r is PromiseFulfilledResult<BackupResult> => r.status === 'fulfilled');
    const lost = [a, b].filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.reason).toMatchObject({ kind: 'Conflict', hint: expect.stringMatching(/same second/) });
    const names = (await readdir(store)).sort();
    expect(names).toEqual(['acme.2026-12-07_18-00-00.info', 'acme.2026-12-07_18-00-00.zip']);
    const stored = createHash('sha256').update(await readFile(join(store, names[1]!))).digest('hex');
    expect(stored).toBe(won[0]!.value.sha256);
    expect(await readFile(join(store, names[0]!), 'utf8')).toContain(won[0]!.value.sha256);
  });

  it('names the referenced files missing from the filestore (a warning), and --format dump restores too', async () => {
    const fsDir = join(dataDir, 'filestore', db);
    const referencedVictim = (await psql(cluster.urlFor(db), "SELECT store_fname FROM ir_attachment WHERE store_fname IS NOT NULL ORDER BY id LIMIT 1")).trim();
    expect(referencedVictim).toMatch(/^[0-9a-f]{2}\/[0-9a-f]{40}$/);
    const keep = await readFile(join(fsDir, referencedVictim));
    await rm(join(fsDir, referencedVictim));
    try {
      const store2 = join(work, 'store2');
      await mkdir(store2);
      const r = await runBackup(
        {
          db,
          format: 'zip',
          layout: 'backup-desk',
          destinations: [{ name: 'two', provider: new LocalProvider(store2) }],
          openSource: (c) => openPgSource({ db, pgUrl: cluster.url, dataDir, filestore: true, format: 'zip' }, c),
        },
        silentContext(),
      );
      expect(r.verification).toMatchObject({ status: 'missing-files', missingCount: 1, missing: [referencedVictim] });
      expect(r.warnings.join(' ')).toContain(referencedVictim);
      expect(r.destinations[0]).toMatchObject({ ok: true }); // still written: a warning, not a failure
    } finally {
      await writeFile(join(fsDir, referencedVictim), keep);
    }
    const store3 = join(work, 'store3');
    await mkdir(store3);
    const d = await runBackup(
      {
        db,
        format: 'dump',
        layout: 'odoo-manager',
        destinations: [{ name: 'three', provider: new LocalProvider(store3) }],
        openSource: (c) => openPgSource({ db, pgUrl: cluster.url, filestore: false, format: 'dump' }, c),
      },
      silentContext(),
    );
    expect(d.verification.status).toBe('skipped');
    const dumpName = (await readdir(store3)).find((n) => n.endsWith('.dump'))!;
    expect(dumpName).toMatch(/^acme_\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}\.dump$/);
    expect((await readFile(join(store3, dumpName))).subarray(0, 5).toString()).toBe('PGDMP');
    await restoreBackup({ source: localFileSource(join(store3, dumpName)), db: 'from_dump', pgUrl: cluster.url, dataDir, mode: 'move', neutralize: false, replace: false, filestore: false }, silentContext());
    expect(await dbSnapshot(cluster.url, 'from_dump')).toEqual(await dbSnapshot(cluster.url, db));
  });
});
