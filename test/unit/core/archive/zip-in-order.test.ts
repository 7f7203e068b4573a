/**
 * readInOrder reads the entries of a seekable zip in one sequential read of the stretch they lie
 * in (one source open, not one or two per entry), small ones whole and large ones streamed,
 * stored or deflated, with data descriptors or zip64 headers; a flipped byte or a missing local
 * header is `Integrity`.
 */
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localFileSource } from '../../../../shared/core/archive';
import { openZipRandomAccess, type RandomAccessZip } from '../../../../shared/core/archive/source-reader';
import { dirEntry, type ZipDirEntry } from '../../../../shared/core/archive/zip-dir-entry';
import { readInOrder } from '../../../../shared/core/archive/zip-in-order';
import type { AppError } from '../../../../shared/core/errors';
import { writeZip } from '../../../helpers/odoo-shaped-db';

let tmp: string;
let k = 0;
const big = randomBytes(3 * 1024 * 1024);
const members = [
  { name: 'dump.sql', data: Buffer.from('SELECT 1;\n'.repeat(1000)) },
  { name: 'manifest.json', data: Buffer.from('{"version": "17.0"}') },
  ...Array.from({ length: 40 }, (_, i) => ({ name: `filestore/${String(i % 4).padStart(2, '0')}/f${i}`, data: Buffer.from(`file ${i} `.repeat(i * 50 + 1)) })),
  { name: 'filestore/ff/big', data: big },
];

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'bd-zip-in-order-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A zip of `members` written with `opts`, as a source that counts its opens. */
async function zipped(opts: Parameters<typeof writeZip>[2] = {}, edit?: (b: Buffer) => void): Promise<{ src: RandomAccessZip; opens: () => number }> {
  const file = join(tmp, `z${++k}.zip`);
  await writeZip(file, members, opts);
  if (edit) {
    const b = await readFile(file);
    edit(b);
    await writeFile(file, b);
  }
  const base = localFileSource(file);
  let opens = 0;
  const src: RandomAccessZip = { ...base, size: statSync(file).size, open: (range, signal) => (opens++, base.open(range, signal)) };
  return { src, opens: () => opens };
}

/** The zip's entries other than dump.sql, from its central directory. */
async function entriesOf(src: RandomAccessZip): Promise<ZipDirEntry[]> {
  const zip = await openZipRandomAccess(src, src.size);
  const out: ZipDirEntry[] = [];
  for await (const e of zip.eachEntry()) if (e.fileName !== 'dump.sql') out.push(dirEntry(e));
  zip.close();
  return out;
}

async function collect(data: Buffer | Readable): Promise<Buffer> {
  if (Buffer.isBuffer(data)) return data;
  const parts: Buffer[] = [];
  for await (const c of data) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** Every entry read, by name; how the data came (whole or streamed); the source opens it took. */
async function readAll(src: RandomAccessZip, opens: () => number): Promise<{ got: Map<string, Buffer>; streamed: string[]; opens: number }> {
  const entries = await entriesOf(src);
  const before = opens();
  const got = new Map<string, Buffer>();
  const streamed: string[] = [];
  await readInOrder(src, entries.reverse(), 'z.zip', undefined, async (e, data) => {
    if (!Buffer.isBuffer(data)) streamed.push(e.fileName);
    got.set(e.fileName, await collect(data));
  });
  return { got, streamed, opens: opens() - before };
}

describe('readInOrder', () => {
  it.each([
    ['deflated', {}],
    ['stored', { store: true }],
    ['with data descriptors', { descriptors: true }],
    ['with zip64 headers', { zip64: true }],
  ])('reads every entry %s in one open: small ones whole, the 3 MiB one streamed', async (_name, opts) => {
    const { src, opens } = await zipped(opts);
    const r = await readAll(src, opens);
    expect(r.opens).toBe(1);
    expect(r.streamed).toEqual(['filestore/ff/big']);
    expect(r.got.size).toBe(members.length - 1);
    for (const m of members.slice(1)) expect(r.got.get(m.name)?.equals(m.data), m.name).toBe(true);
  });

  it.each([
    ['a small stored file', { store: true }, 'file 3 file 3'],
    ['a small deflated file', {}, undefined],
  ])('a flipped byte in %s is Integrity', async (_name, opts, needle) => {
    const { src, opens } = await zipped(opts, (b) => {
      // Stored: flip a byte of the file's text; deflated: of the compressed data of f30.
      const at = needle ? b.indexOf(needle) : b.indexOf('filestore/02/f30') + 'filestore/02/f30'.length + 10;
      b[at] = b[at]! ^ 0xff;
    });
    const err = await readAll(src, opens).then(() => undefined, (e: unknown) => e as AppError);
    expect(err?.kind).toBe('Integrity');
    expect(err?.message).toMatch(/z\.zip is corrupt/);
  });

  it('a flipped byte in the streamed file is Integrity', async () => {
    const { src, opens } = await zipped({ store: true }, (b) => {
      const at = b.indexOf(big.subarray(0, 64)) + 2 * 1024 * 1024;
      b[at] = b[at]! ^ 0xff;
    });
    const err = await readAll(src, opens).then(() => undefined, (e: unknown) => e as AppError);
    expect(err?.kind).toBe('Integrity');
    expect(err?.message).toContain('CRC-32 mismatch in "filestore/ff/big"');
  });

  it('a read that fails half-way through the streamed file reaches the consumer (nothing goes unhandled)', async () => {
    const { src } = await zipped();
    const failing: RandomAccessZip = {
      ...src,
      async open(range, signal) {
        const s = await src.open(range, signal);
        let seen = 0;
        s.on('data', (c: Buffer) => {
          seen += c.length;
          if (seen > 1.5 * 1024 * 1024) s.destroy(Object.assign(new Error('the disk went away'), { code: 'EIO' }));
        });
        return s;
      },
    };
    const err = await readAll(failing, () => 0).then(() => undefined, (e: unknown) => e as Error);
    expect(err?.message).toBe('the disk went away');
  });

  it('an entry compressed with another method than stored or deflate is Unsupported, named', async () => {
    const { src, opens } = await zipped({}, (b) => {
      // manifest.json's method (bzip2: 12) in its local header (offset 8) and its central directory record (offset 10).
      const name = Buffer.from('manifest.json');
      for (let at = b.indexOf(name); at !== -1; at = b.indexOf(name, at + 1)) {
        if (b.readUInt32LE(at - 30) === 0x04034b50) b.writeUInt16LE(12, at - 30 + 8);
        else if (b.readUInt32LE(at - 46) === 0x02014b50) b.writeUInt16LE(12, at - 46 + 10);
      }
    });
    const err = await readAll(src, opens).then(() => undefined, (e: unknown) => e as AppError);
    expect(err?.kind).toBe('Unsupported');
    expect(err?.message).toContain('Entry "manifest.json" uses compression method 12');
  });

  it('an entry whose local header is not where the central directory says is Integrity', async () => {
    const { src, opens } = await zipped({}, (b) => {
      b.write('XXXX', b.indexOf('filestore/01/f5') - 30);
    });
    const err = await readAll(src, opens).then(() => undefined, (e: unknown) => e as AppError);
    expect(err?.kind).toBe('Integrity');
    expect(err?.message).toContain('no local header where "filestore/01/f5" should begin');
  });
});
