/**
 * SourceReader (yauzl over ranged storage reads) gives every range's stream back: inspecting a
 * zip on a storage again and again must not use up the storage's transfer slots (it did: the
 * fourth inspect of acme_medium_zip on a local folder hung for good in a long-lived app), and
 * walks a central directory in blocks rather than two ranged reads per entry.
 */
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localFileSource, type BackupSource } from '../../../../shared/core/archive';
import { openZipRandomAccess } from '../../../../shared/core/archive/source-reader';
import { Desk } from '../../../../shared/core/desk';
import { MemorySecretStore } from '../../../../shared/core/secrets/secret-store';
import { fixtureDirWith } from '../../../helpers/fixtures';

const dir = fixtureDirWith('acme_medium_zip.zip');
let tmp: string;
let desk: Desk;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'bd-source-reader-'));
  desk = await Desk.open({ home: join(tmp, 'home'), secrets: new MemorySecretStore() });
  if (dir) await desk['storages:add']({ name: 'fx', kind: 'local', settings: { path: dir } });
});
afterAll(async () => {
  await desk?.close();
  await rm(tmp, { recursive: true, force: true });
});

/** Rejects when `p` takes longer than `ms` (a hang shows as a failure, not a test timeout). */
function within<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms))]);
}

describe.skipIf(!dir)('inspect through ranged reads', () => {
  it('inspects the same zip on a storage more times than it has transfer slots', async () => {
    // A local folder allows 8 transfers at once; each inspect reads several ranges.
    for (let i = 0; i < 12; i++) {
      const r = await within(desk['backups:inspect']({ source: 'fx:acme_medium_zip.zip' }), 20_000);
      expect(r).toMatchObject({ format: 'zip', odooVersion: '16.0', filestoreFiles: 612 });
    }
    // And the storage still serves other reads.
    const dump = await within(desk['backups:inspect']({ source: 'fx:acme_medium_dump.dump' }), 20_000).catch((e: unknown) => e);
    expect(dump).not.toBeInstanceOf(Error);
  }, 300_000);
});

describe('the central directory walk', () => {
  it('reads a 3,000-entry directory in a few ranged reads, with the same entries and contents as unzip', async () => {
    const work = join(tmp, 'walk');
    await mkdir(join(work, 'filestore', 'ab'), { recursive: true });
    for (let i = 0; i < 3000; i++) await writeFile(join(work, 'filestore', 'ab', `f${i}`), `file ${i}\n`.repeat(i % 7));
    execFileSync('zip', ['-qr', join(tmp, 'many.zip'), 'filestore'], { cwd: work });
    const file = localFileSource(join(tmp, 'many.zip'));
    let opens = 0;
    const counted: BackupSource = { ...file, open: (range, signal) => (opens++, file.open(range, signal)) };
    const zip = await openZipRandomAccess(counted, statSync(join(tmp, 'many.zip')).size);
    const names: string[] = [];
    let sample = '';
    try {
      for await (const e of zip.eachEntry()) {
        names.push(e.fileName);
        if (e.fileName === 'filestore/ab/f1234') sample = (await readAll(await zip.openReadStreamPromise(e))).toString();
      }
    } finally {
      zip.close();
    }
    expect(names).toEqual(execFileSync('unzip', ['-Z1', join(tmp, 'many.zip')]).toString().trim().split('\n'));
    expect(sample).toBe('file 1234\n'.repeat(1234 % 7));
    // Without the block cache: two opens per entry (6,000+).
    expect(opens).toBeLessThan(40);
  }, 120_000);
});

async function readAll(s: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c);
  return Buffer.concat(parts);
}

describe('a damaged zip', () => {
  it('is an Integrity error that says so, for inspect too (it was yauzl\'s bare message)', async () => {
    const head = Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(2000, 7)]);
    const file = join(tmp, 'cut.zip');
    await writeFile(file, head);
    const err = await openZipRandomAccess(localFileSource(file), head.length).then(
      () => undefined,
      (e: unknown) => e as { kind?: string; message?: string; hint?: string },
    );
    expect(err).toMatchObject({ kind: 'Integrity', message: expect.stringMatching(/^cut\.zip is not a complete zip archive: End of central directory record signature not found/) });
    expect(err?.hint).toMatch(/damaged or incomplete/);
    const inspected = await desk['backups:inspect']({ source: file }).then(
      () => undefined,
      (e: unknown) => e as { kind?: string },
    );
    expect(inspected?.kind).toBe('Integrity');
  });
});
