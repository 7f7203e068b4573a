import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readZipStream } from '../../../../shared/core/archive/zip-stream';
import { inspectBackup } from '../../../../shared/core/archive/inspect';
import { localFileSource } from '../../../../shared/core/archive/local-file';
import { isAppError } from '../../../../shared/core/errors';
import { writeZip, type ZipWriteOptions } from '../../../helpers/odoo-shaped-db';
import { fixtureDirWith } from '../../../helpers/fixtures';

const run = promisify(execFile);
let dir: string;

const members = [
  { name: 'dump.sql', data: Buffer.from('SELECT 1;\n'.repeat(20000) + 'żółć\n') },
  { name: 'manifest.json', data: Buffer.from('{"odoo_dump":"1"}') },
  { name: 'filestore/ab/empty', data: Buffer.alloc(0) },
  { name: 'filestore/cd/random', data: randomBytes(300_000) },
];

async function* chunks(b: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

async function readAll(b: Buffer, size = 65536): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const e of readZipStream(chunks(b, size))) {
    const h = createHash('sha1');
    for await (const c of e.data()) h.update(c);
    out.set(e.name, h.digest('hex'));
  }
  return out;
}

const expected = new Map(members.map((m) => [m.name, createHash('sha1').update(m.data).digest('hex')]));

async function make(name: string, opts: ZipWriteOptions): Promise<Buffer> {
  const p = join(dir, name);
  await writeZip(p, members, opts);
  return readFile(p);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bd-zip-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readZipStream', () => {
  it.each([
    ['deflate, sizes in local headers', {}],
    ['data descriptors', { descriptors: true }],
    ['ZIP64 extra fields', { zip64: true }],
    ['ZIP64 + data descriptors', { zip64: true, descriptors: true }],
    ['stored', { store: true }],
  ] as Array<[string, ZipWriteOptions]>)('reads and verifies %s', async (_label, opts) => {
    const zip = await make('a.zip', opts);
    expect(await readAll(zip)).toEqual(expected);
    // odd chunk sizes put headers/descriptors across boundaries
    expect(await readAll(zip, 4093)).toEqual(expected);
    expect(await readAll(zip, 61)).toEqual(expected);
  });

  it('reads archives made by Info-ZIP, also streamed to a pipe (data descriptors)', async (ctx) => {
    const ok = await run('zip', ['-v']).then(() => true, () => false);
    if (!ok) ctx.skip();
    const src = join(dir, 'src');
    await run('mkdir', ['-p', join(src, 'filestore', 'cd')]);
    for (const m of members) if (m.data.length) await writeFile(join(src, m.name), m.data);
    const names = members.filter((m) => m.data.length).map((m) => m.name);
    await run('zip', ['-q', join(dir, 'info.zip'), ...names], { cwd: src });
    const want = new Map(names.map((n) => [n, expected.get(n)!]));
    expect(await readAll(await readFile(join(dir, 'info.zip')))).toEqual(want);
    const { stdout } = await run('sh', ['-c', `zip -q -fd - ${names.join(' ')} | cat`], { cwd: src, encoding: 'buffer', maxBuffer: 1 << 26 });
    expect(await readAll(stdout as unknown as Buffer, 1000)).toEqual(want);
  });

  it('fails with Integrity on a flipped byte (CRC-32 mismatch)', async () => {
    const zip = await make('b.zip', { store: true });
    const i = zip.indexOf(members[3]!.data.subarray(0, 16)) + 1000;
    zip[i] = zip[i]! ^ 0xff;
    const err = await readAll(zip).catch((e: unknown) => e);
    expect(isAppError(err, 'Integrity')).toBe(true);
    expect((err as Error).message).toMatch(/CRC-32 mismatch in "filestore\/cd\/random"/);
  });

  it('fails with Integrity on a flipped byte in deflated data', async () => {
    const zip = await make('c.zip', {});
    const i = Math.floor(zip.length / 2);
    zip[i] = zip[i]! ^ 0x55;
    expect(isAppError(await readAll(zip).catch((e: unknown) => e), 'Integrity')).toBe(true);
  });

  it.each([0.1, 0.5, 0.9, 0.999])('fails with Integrity when truncated at %s of its length', async (frac) => {
    for (const opts of [{}, { descriptors: true }] as ZipWriteOptions[]) {
      const zip = await make('d.zip', opts);
      const err = await readAll(zip.subarray(0, Math.floor(zip.length * frac))).catch((e: unknown) => e);
      expect(isAppError(err, 'Integrity')).toBe(true);
      expect((err as Error).message).toMatch(/truncated|corrupt/);
    }
  });

  it.skipIf(!fixtureDirWith('acme_small_zip.zip'))('says a real backup whose dump.sql does not inflate is corrupt (not "stopped", as when zlib failed under a pending write)', async () => {
    const zip = await readFile(join(fixtureDirWith('acme_small_zip.zip')!, 'acme_small_zip.zip'));
    zip.write('XXXX', 1000, 'latin1'); // inside the deflated dump.sql
    for (const size of [65536, 1 << 20]) {
      const err = await readAll(zip, size).catch((e: unknown) => e);
      expect(isAppError(err, 'Integrity'), String(err)).toBe(true);
      expect((err as Error).message).toMatch(/"dump\.sql" does not decompress \(invalid/);
    }
    // inspect reads its head through yauzl: the same words, not zlib's bare message.
    const file = join(dir, 'damaged.zip');
    await writeFile(file, zip);
    const inspected = await inspectBackup(localFileSource(file)).catch((e: unknown) => e);
    expect(isAppError(inspected, 'Integrity'), String(inspected)).toBe(true);
    expect((inspected as Error).message).toBe('damaged.zip is corrupt: "dump.sql" does not decompress (invalid distance too far back).');
  });

  it('fails with InvalidInput on something that is not a zip', async () => {
    const err = await readAll(Buffer.from('PGDMP this is not a zip at all')).catch((e: unknown) => e);
    expect(isAppError(err, 'InvalidInput')).toBe(true);
  });

  it('lets the consumer skip entries it does not read', async () => {
    const zip = await make('e.zip', { descriptors: true });
    const names: string[] = [];
    for await (const e of readZipStream(chunks(zip, 4096))) names.push(e.name);
    expect(names).toEqual(members.map((m) => m.name));
  });
});

describe('readZipStream: a consumer that stops early', () => {
  it('a deflated entry left half-read (an SQL error, a cancel) settles at once instead of hanging', async () => {
    // Highly compressible: one compressed chunk inflates to far more than the consumer takes,
    // so the inflater is still busy with a write when the consumer stops.
    const p = join(dir, 'big.zip');
    await writeZip(p, [{ name: 'dump.sql', data: Buffer.alloc(40 * 1024 * 1024, 'INSERT INTO t VALUES (1);\n') }]);
    const zip = await readFile(p);
    const stopEarly = async (): Promise<string> => {
      for await (const e of readZipStream(chunks(zip, 256 * 1024))) {
        for await (const c of e.data()) {
          void c;
          break; // what for-await does when the loader throws
        }
        break;
      }
      return 'settled';
    };
    const hang = new Promise<string>((r) => setTimeout(() => r('hung'), 5000).unref());
    expect(await Promise.race([stopEarly(), hang])).toBe('settled');
  });
});

describe('readZipStream: an entry whose header lies about its size', () => {
  it('stops a deflated entry at the size its local header declares (Integrity), before handing on more', async () => {
    const p = join(dir, 'liar.zip');
    await writeZip(p, [{ name: 'dump.sql', data: Buffer.alloc(4 * 1024 * 1024, 'SELECT 1;\n') }]);
    const zip = Buffer.from(await readFile(p));
    expect(zip.readUInt32LE(0)).toBe(0x04034b50);
    zip.writeUInt32LE(1000, 22); // the local header's uncompressed size
    let received = 0;
    let error: unknown;
    try {
      for await (const e of readZipStream(chunks(zip, 64 * 1024))) for await (const c of e.data()) received += c.length;
    } catch (err) {
      error = err;
    }
    expect(isAppError(error, 'Integrity')).toBe(true);
    expect((error as Error).message).toMatch(/inflates past the 1000 bytes/);
    expect(received).toBeLessThanOrEqual(1000);
  });
});
