/**
 * Restores every real Odoo backup in every fixture folder (ODOO_FIXTURES_DIR, ../shared/fixtures/) into a throwaway PostgreSQL and compares
 * the result with its *.expected.json exactly: every table's row count, sequences, attachments and
 * the sha1 of every filestore file.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localFileSource } from '../../../shared/core/archive';
import { inspectBackup } from '../../../shared/core/archive';
import { restoreBackup } from '../../../shared/core/restore';
import { silentContext, type JobProgress } from '../../../shared/core/jobs/job';
import { startPgCluster, type PgCluster } from '../../helpers/pg-cluster';
import { sha1Tree } from '../../helpers/odoo-shaped-db';
import { fixtureBackups, fixtureDirWith } from '../../helpers/fixtures';

const BACKUPS = fixtureBackups();
const FIX = fixtureDirWith('acme_small_zip.zip');

interface Expected {
  db_name: string;
  odoo_version: string;
  tables: Record<string, number>;
  sequences_last_value: Record<string, number | null>;
  installed_modules: Record<string, string>;
  ir_attachment: {
    rows: number;
    rows_with_store_fname: number;
    distinct_store_fname: number;
    sum_file_size_of_stored_rows: number;
    referenced_files: Record<string, { checksum_column: string; file_size_column: number; sha1: string; bytes: number }>;
  };
  backup: { format: string; filestore_included: boolean };
  filestore: { file_count: number; total_bytes: number; sha1_by_relative_path: Record<string, string> };
}

async function sha1File(p: string): Promise<{ sha1: string; bytes: number }> {
  const h = createHash('sha1');
  let bytes = 0;
  for await (const c of createReadStream(p)) {
    h.update(c as Buffer);
    bytes += (c as Buffer).length;
  }
  return { sha1: h.digest('hex'), bytes };
}

describe.skipIf(BACKUPS.length === 0)('restore of real Odoo backups (every fixture folder)', () => {
  let cluster: PgCluster;
  let dataDir: string;
  beforeAll(async () => {
    cluster = await startPgCluster();
    dataDir = await mkdtemp(join(tmpdir(), 'bd-fix-'));
  });
  afterAll(async () => {
    await cluster?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it.each(BACKUPS.map((b) => [b.name, b] as const))('%s restores exactly as expected', async (name, fixture) => {
    const file = fixture.file;
    const expected = JSON.parse(await readFile(fixture.expected, 'utf8')) as Expected;
    const db = `fx_${name}`;
    const phases = new Set<string>();
    let lastLoad: JobProgress | undefined;
    const ctx = { ...silentContext(), progress: (p: JobProgress) => (phases.add(p.phase), p.phase === 'database' && (lastLoad = p)) };
    const result = await restoreBackup({ source: localFileSource(file), db, pgUrl: cluster.url, dataDir, mode: 'move', neutralize: false, replace: false, filestore: true }, ctx);
    expect(result.format).toBe(expected.backup.format);
    // the manifest's full version (17.0's nightly builds add a date suffix) starts with the major version
    expect(result.odooVersion).toMatch(new RegExp(`^${expected.odoo_version.replace('.', '\\.')}(-|$)`));
    expect(result.tables).toBe(Object.keys(expected.tables).length);
    expect([...phases]).toEqual(expect.arrayContaining(['preflight', 'database', 'finalize']));
    // A zip's load (bytes) ends full, not a few per cent short while the builds run; a custom dump's
    // counts pg_restore's TOC items, which the builds' phase goes on counting.
    if (result.format === 'zip') expect(lastLoad).toMatchObject({ unit: 'bytes', done: lastLoad!.total });

    const client = new pg.Client({ connectionString: cluster.urlFor(db) });
    await client.connect();
    try {
      // every table's row count
      const tables: Record<string, number> = {};
      const t = await client.query<{ t: string }>("SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public'");
      for (const { t: tn } of t.rows) {
        tables[tn] = Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM public."${tn}"`)).rows[0]!.n);
      }
      expect(tables).toEqual(expected.tables);
      // sequences
      const s = await client.query<{ s: string; v: string | null }>("SELECT sequencename AS s, last_value AS v FROM pg_sequences WHERE schemaname = 'public'");
      const seqs = Object.fromEntries(s.rows.map((r) => [r.s, r.v === null ? null : Number(r.v)]));
      expect(seqs).toEqual(expected.sequences_last_value);
      // installed modules
      const m = await client.query<{ name: string; v: string }>("SELECT name, latest_version AS v FROM ir_module_module WHERE state = 'installed'");
      expect(Object.fromEntries(m.rows.map((r) => [r.name, r.v]))).toEqual(expected.installed_modules);
      // attachments
      const a = await client.query<{ rows: string; stored: string; distinct: string; sum: string }>(
        'SELECT count(*) AS rows, count(store_fname) AS stored, count(DISTINCT store_fname) AS distinct, coalesce(sum(file_size) FILTER (WHERE store_fname IS NOT NULL), 0) AS sum FROM ir_attachment',
      );
      const ar = a.rows[0]!;
      expect(Number(ar.rows)).toBe(expected.ir_attachment.rows);
      expect(Number(ar.stored)).toBe(expected.ir_attachment.rows_with_store_fname);
      expect(Number(ar.distinct)).toBe(expected.ir_attachment.distinct_store_fname);
      expect(Number(ar.sum)).toBe(expected.ir_attachment.sum_file_size_of_stored_rows);
      const refs = await client.query<{ f: string; checksum: string; size: number }>(
        'SELECT DISTINCT ON (store_fname) store_fname AS f, checksum, file_size AS size FROM ir_attachment WHERE store_fname IS NOT NULL ORDER BY store_fname, id',
      );
      expect(refs.rows.map((r) => r.f).sort()).toEqual(Object.keys(expected.ir_attachment.referenced_files).sort());
      for (const r of refs.rows) {
        const e = expected.ir_attachment.referenced_files[r.f]!;
        expect(r.checksum).toBe(e.checksum_column);
        expect(r.size).toBe(e.file_size_column);
      }

      if (expected.backup.filestore_included) {
        // every filestore file, and every referenced file's content
        expect(result.filestorePath).toBe(join(dataDir, 'filestore', db));
        expect(result.filestoreFiles).toBe(expected.filestore.file_count);
        expect(await sha1Tree(result.filestorePath!)).toEqual(expected.filestore.sha1_by_relative_path);
        for (const [rel, e] of Object.entries(expected.ir_attachment.referenced_files)) {
          expect(await sha1File(join(result.filestorePath!, rel))).toEqual({ sha1: e.sha1, bytes: e.bytes });
        }
        expect(result.warnings).toEqual([]);
      } else {
        expect(result.filestorePath).toBeUndefined();
        expect(result.warnings.join(' ')).toMatch(new RegExp(`${expected.ir_attachment.rows_with_store_fname} attachments .* missing`));
      }
    } finally {
      await client.end();
    }
  });

  it.skipIf(!FIX)('inspects the fixtures without restoring them', async () => {
    const zip = await inspectBackup(localFileSource(join(FIX!, 'acme_small_zip.zip')));
    const expected = JSON.parse(await readFile(join(FIX!, 'acme_small_zip.expected.json'), 'utf8')) as Expected;
    expect(zip).toMatchObject({ format: 'zip', encrypted: false, database: 'acme_small', odooVersion: '16.0', filestoreFiles: expected.filestore.file_count, filestoreBytes: expected.filestore.total_bytes });
    expect(Object.keys(zip.modules ?? {}).sort()).toEqual(Object.keys(expected.installed_modules).sort());
    const dump = await inspectBackup(localFileSource(join(FIX!, 'acme_small_dump.dump')));
    expect(dump).toMatchObject({ format: 'dump', database: 'acme_small', dumpArchiveVersion: '1.14' });
    expect(dump.pgVersion).toMatch(/^15\./);
  });
});
