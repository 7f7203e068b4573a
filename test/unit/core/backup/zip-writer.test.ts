import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import yauzl from 'yauzl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readZipStream } from '../../../../shared/core/archive/zip-stream';
import { zipStream, type ZipEntry, type ZipWrittenEntry } from '../../../../shared/core/backup/zip-writer';

const run = promisify(execFile);

async function* fromArray(entries: ZipEntry[]): AsyncGenerator<ZipEntry> {
  yield* entries;
}

async function* chunked(buf: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

describe('writeZip', () => {
  let dir: string;
  let zipPath: string;
  const sql = Buffer.from('CREATE TABLE t (id int);\n'.repeat(20_000));
  const random = randomBytes(300_000);
  const small = Buffer.from('{"a": 1}');
  const written: ZipWrittenEntry[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'zipw-'));
    zipPath = join(dir, 'out.zip');
    const entries: ZipEntry[] = [
      { name: 'dump.sql', deflate: true, data: { kind: 'stream', open: () => chunked(sql, 7000) } },
      { name: 'manifest.json', deflate: true, data: { kind: 'buffer', buffer: small } },
      { name: 'filestore/ab/abcdef', deflate: false, data: { kind: 'buffer', buffer: random } },
      { name: 'filestore/cd/cdef01', deflate: false, data: { kind: 'stream', open: () => chunked(random, 65536), size: random.length } },
      { name: 'filestore/ef/empty', deflate: false, data: { kind: 'buffer', buffer: Buffer.alloc(0) } },
      { name: 'filestore/ünï/cödé', deflate: true, data: { kind: 'stream', open: () => chunked(sql, 100_000), size: sql.length } },
    ];
    await pipeline(zipStream(fromArray(entries), (e) => written.push(e)), createWriteStream(zipPath));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is a valid zip for Info-ZIP unzip, byte for byte', async () => {
    const { stdout } = await run('unzip', ['-t', zipPath]);
    expect(stdout).toMatch(/No errors detected/);
    const out = join(dir, 'x');
    await run('unzip', ['-q', zipPath, '-d', out]);
    expect(await readFile(join(out, 'dump.sql'))).toEqual(sql);
    expect(await readFile(join(out, 'filestore/cd/cdef01'))).toEqual(random);
    expect(await readFile(join(out, 'filestore/ünï/cödé'))).toEqual(sql);
  });

  it('reads back with Python zipfile (what Odoo restores with), stored entries stored', async () => {
    const script = 'import zipfile,sys,json\nz=zipfile.ZipFile(sys.argv[1])\nz.testzip()\nprint(json.dumps([[i.filename,i.compress_type,i.file_size] for i in z.infolist()]))';
    await writeFile(join(dir, 'r.py'), script);
    const { stdout } = await run('python3', [join(dir, 'r.py'), zipPath]);
    const infos = JSON.parse(stdout) as [string, number, number][];
    expect(infos.map((i) => i[0])).toEqual(['dump.sql', 'manifest.json', 'filestore/ab/abcdef', 'filestore/cd/cdef01', 'filestore/ef/empty', 'filestore/ünï/cödé']);
    expect(infos.map((i) => i[1])).toEqual([8, 8, 0, 0, 0, 8]);
    expect(infos[0]![2]).toBe(sql.length);
  });

  it('streams back through our own sequential reader (sizes of stored entries in the local header)', async () => {
    const names: string[] = [];
    for await (const e of readZipStream((async function* () { yield await readFile(zipPath); })())) {
      names.push(e.name);
      if (e.method === 0) expect(e.size).toBeDefined();
      const parts: Buffer[] = [];
      for await (const c of e.data()) parts.push(c);
      if (e.name === 'filestore/ab/abcdef') expect(Buffer.concat(parts)).toEqual(random);
    }
    expect(names).toHaveLength(6);
  });

  it('opens with yauzl and reports every entry written', async () => {
    const zf = await new Promise<yauzl.ZipFile>((res, rej) => yauzl.open(zipPath, { lazyEntries: false }, (e, z) => (e ? rej(e) : res(z))));
    const names: string[] = [];
    await new Promise<void>((res) => {
      zf.on('entry', (e: yauzl.Entry) => names.push(e.fileName));
      zf.on('end', () => res());
    });
    zf.close();
    expect(names).toEqual(written.map((w) => w.name));
    expect(written.find((w) => w.name === 'filestore/ab/abcdef')?.deflated).toBe(false);
    expect(written.find((w) => w.name === 'dump.sql')!.compressedSize).toBeLessThan(sql.length / 10);
  });

  it('fails the archive (no end record) when an entry source fails', async () => {
    async function* bad(): AsyncGenerator<Buffer> {
      yield Buffer.from('partial');
      throw new Error('pg_dump died');
    }
    const s = zipStream(fromArray([{ name: 'dump.sql', deflate: true, data: { kind: 'stream', open: bad } }]));
    await expect(pipeline(s, createWriteStream(join(dir, 'bad.zip')))).rejects.toThrow(/pg_dump died/);
  });

  it('refuses a stored stream whose bytes change between its CRC pass and its data pass', async () => {
    let n = 0;
    const open = (): AsyncGenerator<Buffer> => chunked(n++ === 0 ? random : randomBytes(10), 4096);
    const s = zipStream(fromArray([{ name: 'f', deflate: false, data: { kind: 'stream', open, size: random.length } }]));
    await expect(pipeline(s, createWriteStream(join(dir, 'chg.zip')))).rejects.toThrow(/changed while it was being archived/);
  });
});
