/**
 * Verify on the real Odoo backups of every fixture folder (the counts against their expected
 * results, the rows against an independent count), and on damaged copies of one: a corrupt or
 * missing filestore file, a dump without its closing line, a bad manifest, a truncated or
 * bit-flipped zip, a truncated custom-format dump, an encrypted copy (right, wrong, tampered), a
 * folder backup — each found, and said so.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localFileSource } from '../../../shared/core/archive/local-file';
import { readZipStream } from '../../../shared/core/archive/zip-stream';
import { zipStream, type ZipEntry } from '../../../shared/core/backup/zip-writer';
import { encryptStream } from '../../../shared/core/crypto';
import { Desk } from '../../../shared/core/desk';
import { silentContext } from '../../../shared/core/jobs/job';
import { MemorySecretStore } from '../../../shared/core/secrets/secret-store';
import { verifyBackup } from '../../../shared/core/verify';
import { caught } from '../../helpers/assertions';
import { fixtureBackups } from '../../helpers/fixtures';
import { pipeline } from 'node:stream/promises';
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { BackupSource } from '../../../shared/core/archive/source';

const run = promisify(execFile);
const backups = fixtureBackups();
const zipFixture = backups.find((b) => b.file.endsWith('.zip'));
const dumpFixture = backups.find((b) => b.file.endsWith('.dump'));

interface Expected {
  table_count: number;
  filestore: { file_count: number; total_bytes: number };
  ir_attachment: { distinct_store_fname: number; referenced_files_missing_from_filestore: string[] };
  backup: { filestore_included: boolean };
}

/** Data rows of a plain dump, counted line by line (independently of our parser). */
function countRows(sql: string): number {
  let rows = 0;
  let inCopy = false;
  for (const line of sql.split('\n')) {
    if (inCopy) {
      if (line === '\\.') inCopy = false;
      else rows++;
    } else if (/^COPY .* FROM stdin;$/.test(line)) inCopy = true;
  }
  return rows;
}

/** The plain SQL of a fixture: `unzip -p` for a zip, `pg_restore -f -` for a custom-format dump. */
async function plainSql(file: string): Promise<string> {
  const [cmd, args] = file.endsWith('.zip') ? ['unzip', ['-p', file, 'dump.sql']] : ['pg_restore', ['-f', '-', file]];
  return (await run(cmd, args, { maxBuffer: 1 << 30 })).stdout;
}

/** A copy of the zip `src` at `out` with `change` applied to each member (undefined drops it). */
async function rewriteZip(src: string, out: string, change: (name: string, data: Buffer) => Buffer | undefined): Promise<void> {
  const members: ZipEntry[] = [];
  for await (const e of readZipStream(createReadStream(src))) {
    const parts: Buffer[] = [];
    for await (const c of e.data()) parts.push(c);
    const data = change(e.name, Buffer.concat(parts));
    if (data) members.push({ name: e.name, data: { kind: 'buffer', buffer: data }, deflate: true });
  }
  await pipeline(zipStream((async function* () { yield* members; })()), createWriteStream(out));
}

describe.runIf(backups.length > 0)('verify on the fixtures', () => {
  it.each(backups.map((b) => [b.name, b] as const))('%s: reads it through, every count as expected', async (_, b) => {
    const expected = JSON.parse(await readFile(b.expected, 'utf8')) as Expected;
    const r = await verifyBackup(localFileSource(b.file), {}, silentContext());
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.dump.complete).toBe(true);
    expect(r.dump.tables).toBe(expected.table_count);
    expect(r.dump.rows).toBe(countRows(await plainSql(b.file)));
    if (expected.backup.filestore_included) {
      expect(r.filestore).toMatchObject({ files: expected.filestore.file_count, bytes: expected.filestore.total_bytes, corruptCount: 0 });
      expect(r.filestore!.referenced).toBe(expected.ir_attachment.distinct_store_fname);
      expect(r.filestore!.missingCount).toBe(expected.ir_attachment.referenced_files_missing_from_filestore.length);
      expect(r.notes).toEqual([]);
    } else {
      expect(r.filestore).toBeUndefined();
      // A sound dump still says that it holds no filestore, and how many files that leaves out.
      const files = expected.ir_attachment.distinct_store_fname;
      expect(r.notes).toEqual([expect.stringMatching(new RegExp(`^No filestore: .*; the ${files.toLocaleString('en-US')} files its attachments reference in the filestore are not in it\\.`))]);
    }
  });
});

describe.runIf(zipFixture !== undefined && dumpFixture !== undefined)('verify on damaged copies', () => {
  let tmp: string;
  let firstFile: string;
  let secondFile: string;
  const at = (n: string): string => join(tmp, n);
  const verify = (file: string, passphrase?: string) => verifyBackup(localFileSource(file), passphrase ? { decrypt: { passphrase } } : {}, silentContext());

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'bd-verify-'));
    // Two files that attachments reference (the fixture's expected results list them).
    const expected = JSON.parse(await readFile(zipFixture!.expected, 'utf8')) as { ir_attachment: { referenced_files: Record<string, unknown> } };
    [firstFile, secondFile] = Object.keys(expected.ir_attachment.referenced_files).map((p) => `filestore/${p}`) as [string, string];
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('names a referenced filestore file whose bytes no longer match its SHA-1, and one that is missing', async () => {
    await rewriteZip(zipFixture!.file, at('bad.zip'), (n, d) => (n === firstFile ? Buffer.concat([d, Buffer.from('!')]) : n === secondFile ? undefined : d));
    const r = await verify(at('bad.zip'));
    expect(r.ok).toBe(false);
    const rel = (m: string): string => m.slice('filestore/'.length);
    expect(r.filestore).toMatchObject({ corrupt: [rel(firstFile)], corruptCount: 1, missing: [rel(secondFile)], missingCount: 1 });
    expect(r.problems).toEqual([`1 filestore file does not match the SHA-1 in its name (damaged): ${rel(firstFile)}.`, `1 file that attachments reference is not in the filestore (a restore loses it): ${rel(secondFile)}.`]);
  });

  it("reports a dump without pg_dump's closing line, and a manifest that is not JSON", async () => {
    await rewriteZip(zipFixture!.file, at('cut.zip'), (n, d) => {
      if (n === 'manifest.json') return Buffer.from('{not json');
      if (n !== 'dump.sql') return d;
      return d.subarray(0, d.indexOf('\n--\n-- PostgreSQL database dump complete') + 1);
    });
    const r = await verify(at('cut.zip'));
    expect(r.ok).toBe(false);
    expect(r.dump.complete).toBe(false);
    expect(r.problems).toEqual([expect.stringContaining('closing line'), expect.stringContaining('manifest.json is not valid JSON')]);
  });

  it('fails on a truncated or bit-flipped zip and a truncated custom-format dump, saying it is damaged', async () => {
    await cp(zipFixture!.file, at('trunc.zip'));
    await truncate(at('trunc.zip'), Math.floor((await readFile(zipFixture!.file)).length * 0.6));
    const t = await caught(verify(at('trunc.zip')));
    expect(t.kind).toBe('Integrity');
    expect(t.message).toMatch(/truncated|corrupt/);
    const flipped = await readFile(zipFixture!.file);
    const i = Math.floor(flipped.length / 25);
    flipped[i] = flipped[i]! ^ 0xff;
    await writeFile(at('flip.zip'), flipped);
    expect((await caught(verify(at('flip.zip')))).kind).toBe('Integrity');
    await cp(dumpFixture!.file, at('trunc.dump'));
    await truncate(at('trunc.dump'), Math.floor((await readFile(dumpFixture!.file)).length / 2));
    const d = await caught(verify(at('trunc.dump')));
    expect(d.kind).toBe('Integrity');
    expect(d.message).toMatch(/is damaged: pg_restore could not read it/);
  });

  it('decrypts an encrypted copy; a wrong passphrase and a tampered message fail', async () => {
    const enc = await encryptStream(createReadStream(zipFixture!.file), { passphrase: 'right one' });
    await pipeline(enc, createWriteStream(at('enc.zip.gpg')));
    const r = await verify(at('enc.zip.gpg'), 'right one');
    expect(r).toMatchObject({ ok: true, encrypted: true });
    expect(r.checks[0]).toContain('integrity check passed');
    expect((await caught(verify(at('enc.zip.gpg'), 'wrong one'))).kind).toBe('AuthFailed');
    expect((await caught(verify(at('enc.zip.gpg')))).kind).toBe('AuthFailed');
    const tampered = await readFile(at('enc.zip.gpg'));
    const j = Math.floor(tampered.length / 2);
    tampered[j] = tampered[j]! ^ 0x01;
    await writeFile(at('tampered.zip.gpg'), tampered);
    expect((await caught(verify(at('tampered.zip.gpg'), 'right one'))).kind).toBe('Integrity');
  });

  it('stops within a second when cancelled half-way, with progress in bytes before', async () => {
    const bytes = await readFile(zipFixture!.file);
    let sent = 0;
    const ac = new AbortController();
    const step = Math.ceil(bytes.length / 100);
    // The backup arrives slowly (a hundredth every 20 ms), as from a remote storage; cancelled at half.
    const slow: BackupSource = {
      name: 'slow.zip',
      size: bytes.length,
      seekable: false,
      open: async () =>
        Readable.from(
          (async function* () {
            for (let i = 0; i < bytes.length; i += step) {
              await new Promise((r) => setTimeout(r, 20));
              sent = i;
              if (i >= bytes.length / 2 && !ac.signal.aborted) ac.abort();
              yield bytes.subarray(i, i + step);
            }
          })(),
        ),
    };
    const seen: number[] = [];
    const ctx = { ...silentContext(ac.signal), progress: (p: { done?: number }) => seen.push(p.done ?? 0) };
    const t0 = Date.now();
    const e = await caught(verifyBackup(slow, {}, ctx));
    expect(e.kind).toBe('Cancelled');
    expect(Date.now() - t0).toBeLessThan(50 * 20 + 1000);
    expect(sent).toBeLessThan(bytes.length * 0.75);
    expect(seen.some((d) => d > 0 && d < bytes.length)).toBe(true);
  });

  it('refuses a file that is no backup', async () => {
    await writeFile(at('notes.zip'), 'just some text\n');
    const e = await caught(verify(at('notes.zip')));
    expect(e.kind).toBe('InvalidInput');
    expect(e.message).toContain('is not a backup');
  });

  it('a zip made without its filestore is sound, with the note a .dump gets (not a missing file per attachment)', async () => {
    await rewriteZip(zipFixture!.file, at('db-only.zip'), (n, d) => (n.startsWith('filestore/') ? undefined : d));
    const r = await verify(at('db-only.zip'));
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.filestore).toBeUndefined();
    expect(r.notes).toEqual([expect.stringMatching(/^No filestore: this zip was made without one and holds the database only; the [\d,]+ files its attachments reference in the filestore are not in it\./)]);
  });

  it('says which attachment objects kept in S3 the backup holds: a note when some are only in the bucket (not self-contained), a check when all are', async () => {
    // Two attachments moved to S3 as attachment_s3 does (store_fname s3://<bucket>/<sha1>).
    const rel = (m: string): string => m.slice('filestore/'.length);
    const toS3 = (sql: Buffer): Buffer =>
      Buffer.from([firstFile, secondFile].reduce((text, f) => text.split(rel(f)).join(`s3://odoo-attach/${rel(f).slice(3)}`), sql.toString('utf8')));
    // Odoo's own zip of it: the first object is gone from the filestore, the second still there.
    await rewriteZip(zipFixture!.file, at('s3-half.zip'), (n, d) => (n === 'dump.sql' ? toS3(d) : n === firstFile ? undefined : d));
    const half = await verify(at('s3-half.zip'));
    expect(half.problems).toEqual([]);
    expect(half.ok).toBe(true);
    expect(half.notes).toEqual([
      'Not self-contained: 1 of the 2 attachment objects kept in s3://odoo-attach is not in this backup, only there. A restore has to bring them home from there or keep reading them there; a backup made with its attachments from S3/Swift included holds them.',
    ]);
    // A backup that includes them holds both.
    await rewriteZip(zipFixture!.file, at('s3-whole.zip'), (n, d) => (n === 'dump.sql' ? toS3(d) : d));
    const whole = await verify(at('s3-whole.zip'));
    expect(whole.notes).toEqual([]);
    expect(whole.checks).toContain("The 2 attachment objects kept in s3://odoo-attach are also in the backup's filestore.");
  });

  it('through the Desk, checks the sha256 its companion records: one byte appended is a problem, though the zip still reads', async () => {
    const store = at('store-sha');
    await mkdir(store);
    const name = 'acme_2024-01-01_00-00-00.zip';
    const bytes = await readFile(zipFixture!.file);
    const sha = createHash('sha256').update(bytes).digest('hex');
    await writeFile(join(store, name), bytes);
    await writeFile(join(store, `${name}.sha256`), `${sha}  ${name}\n# bytes: ${bytes.length}\n`);
    const desk = await Desk.open({ home: at('home-sha'), secrets: new MemorySecretStore() });
    try {
      await desk['storages:add']({ name: 'nas', kind: 'local', settings: { path: store } });
      const sound = await desk.verify.startVerify({ source: `nas:${name}` }).result;
      expect(sound.ok).toBe(true);
      expect(sound.checks).toContain('Its sha256 is the one its companion (.info, sidecar or .sha256 file) records.');
      await writeFile(join(store, name), Buffer.concat([bytes, Buffer.from('x')]));
      const changed = await desk.verify.startVerify({ source: `nas:${name}` }).result;
      expect(changed.ok).toBe(false);
      expect(changed.problems).toEqual([expect.stringMatching(new RegExp(`^Its sha256 \\([0-9a-f]{64}\\) is not the one its companion records \\(${sha}\\): the file changed after the backup was made`))]);
    } finally {
      await desk.close();
    }
  });

  it('reads a folder backup (custom dump + filestore/) through the Desk, by its folder name', async () => {
    const folder = at('acme-folder');
    await mkdir(folder);
    await cp(dumpFixture!.file, join(folder, 'db.dump'));
    await run('unzip', ['-q', zipFixture!.file, 'manifest.json', 'filestore/*', '-d', folder]);
    const desk = await Desk.open({ home: at('home'), secrets: new MemorySecretStore() });
    try {
      const r = await desk.verify.startVerify({ source: folder }).result;
      expect(r).toMatchObject({ name: 'acme-folder', format: 'folder', ok: true });
      expect(r.filestore!.files).toBeGreaterThan(0);
      expect(r.filestore!.corruptCount).toBe(0);
      expect(r.notes).toEqual([]);
    } finally {
      await desk.close();
    }
  });
});
