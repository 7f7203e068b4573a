import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadBackup } from '../../../../shared/core/download/download';
import { notePart } from '../../../../shared/core/download/part-resume';
import { formatBytes } from '../../../../shared/contract/units';
import { verifyZip } from '../../../../shared/core/download/verify';
import { isAppError } from '../../../../shared/core/errors';
import type { JobContext, JobProgress } from '../../../../shared/core/jobs/job';
import { createMemoryProvider } from '../../../../shared/core/storage/memory/memory-provider';
import { withFaults } from '../../../../shared/core/storage/memory/faults';
import type { StorageProvider } from '../../../../shared/core/storage/provider';
import { gpgEncryptSymmetric, makeGpgHome, writeTinyZip, type GpgHome } from '../../../helpers/gpg';

let dir: string;
let gpg: GpgHome;
let zip: Buffer;

function ctx(signal = new AbortController().signal) {
  const progress: JobProgress[] = [];
  const logs: string[] = [];
  const c: JobContext = { signal, progress: (p) => progress.push(p), log: (_l, m) => logs.push(m) };
  return { c, progress, logs };
}

async function put(p: StorageProvider, key: string, data: Buffer): Promise<void> {
  await p.write!(key, Readable.from([data]));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bd-dl-'));
  gpg = await makeGpgHome();
  const files: Record<string, Buffer> = { 'dump.sql': randomBytes(600_000), 'manifest.json': Buffer.from('{"odoo_dump":"1"}') };
  await writeTinyZip(join(dir, 'src.zip'), files);
  zip = await readFile(join(dir, 'src.zip'));
});
afterAll(async () => {
  await gpg?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('downloadBackup', () => {
  it('downloads, checks size + storage md5 + zip, reports progress, leaves no .part', async () => {
    const p = createMemoryProvider();
    await put(p, 'a/acme_2024-01-01_00-00-00.zip', zip);
    const out = await mkdtemp(join(dir, 'o-'));
    const { c, progress } = ctx();
    const r = await downloadBackup({ provider: p, key: 'a/acme_2024-01-01_00-00-00.zip', out, expectedSize: zip.length }, c);
    expect(r.path).toBe(join(out, 'acme_2024-01-01_00-00-00.zip'));
    expect(r.verified).toEqual(['size', 'md5 (storage)', 'zip (2 entries)']);
    expect((await readFile(r.path)).equals(zip)).toBe(true);
    expect(await readdir(out)).toEqual(['acme_2024-01-01_00-00-00.zip']);
    expect(progress.at(-2)).toMatchObject({ phase: 'download', done: zip.length, total: zip.length, unit: 'bytes' });
    await expect(downloadBackup({ provider: p, key: 'a/acme_2024-01-01_00-00-00.zip', out }, ctx().c)).rejects.toMatchObject({ kind: 'Conflict' });
  });

  it('resumes with ranged reads after the connection drops half way', async () => {
    const faulty = withFaults(createMemoryProvider({ chunkSize: 16 * 1024 }));
    await put(faulty.provider, 'x.zip', zip);
    faulty.interruptNext('read', Math.floor(zip.length / 2));
    const out = join(await mkdtemp(join(dir, 'o-')), 'x.zip');
    const { c, logs } = ctx();
    const r = await downloadBackup({ provider: faulty.provider, key: 'x.zip', out }, c);
    expect(createHash('sha256').update(await readFile(out)).digest('hex')).toBe(createHash('sha256').update(zip).digest('hex'));
    expect(r.verified).toContain('md5 (storage)');
    expect(logs.some((l) => /Connection lost at byte \d+.*resuming/.test(l))).toBe(true);
    expect(faulty.calls.read).toBeGreaterThanOrEqual(2);
  });

  it('goes on from the .part a killed run left of the same object (checksums still over all of it); a changed object starts afresh', async () => {
    const p = createMemoryProvider();
    await put(p, 'k.zip', zip);
    let bytesRead = 0;
    const counting: StorageProvider = { ...p, read: async (key, o) => (await p.read(key, o)).on('data', (c: Buffer) => (bytesRead += c.length)) };
    const out = join(await mkdtemp(join(dir, 'o-')), 'k.zip');
    // What a run killed half-way leaves: the first bytes, and which object they are of.
    const half = Math.floor(zip.length / 2);
    await writeFile(`${out}.part`, zip.subarray(0, half));
    await notePart(`${out}.part`, await p.stat('k.zip'));
    const { c, logs } = ctx();
    const r = await downloadBackup({ provider: counting, key: 'k.zip', out }, c);
    expect(bytesRead).toBe(zip.length - half);
    expect((await readFile(out)).equals(zip)).toBe(true);
    expect(r.verified).toEqual(['size', 'md5 (storage)', 'zip (2 entries)']);
    expect(logs.some((l) => l.includes(`from byte ${half}, where an earlier run stopped`))).toBe(true);
    expect((await readdir(dirname(out))).sort()).toEqual(['k.zip']);
    // Killed while verifying: every byte is there, only the checks run again.
    const out3 = join(await mkdtemp(join(dir, 'o-')), 'k.zip');
    await writeFile(`${out3}.part`, zip);
    await notePart(`${out3}.part`, await p.stat('k.zip'));
    bytesRead = 0;
    expect((await downloadBackup({ provider: counting, key: 'k.zip', out: out3 }, ctx().c)).verified).toEqual(['size', 'md5 (storage)', 'zip (2 entries)']);
    expect(bytesRead).toBe(0);
    expect((await readFile(out3)).equals(zip)).toBe(true);
    // The object changed since (another upload under that name): the stale .part is not used.
    const out2 = join(await mkdtemp(join(dir, 'o-')), 'k.zip');
    await writeFile(`${out2}.part`, Buffer.alloc(half, 1));
    await notePart(`${out2}.part`, { ...(await p.stat('k.zip')), etag: 'an older version' });
    bytesRead = 0;
    await downloadBackup({ provider: counting, key: 'k.zip', out: out2 }, ctx().c);
    expect(bytesRead).toBe(zip.length);
    expect((await readFile(out2)).equals(zip)).toBe(true);
  });

  it('refuses a download the destination disk cannot hold, with both figures, before writing anything', async () => {
    const p = createMemoryProvider();
    await put(p, 'big.zip', zip);
    const o = await mkdtemp(join(dir, 'o-'));
    const e = await downloadBackup({ provider: p, key: 'big.zip', out: o, freeSpace: async () => 1000 }, ctx().c).catch((x: unknown) => x);
    expect(e).toMatchObject({ kind: 'InvalidInput', message: `The backup needs ${formatBytes(zip.length)} but the disk holding ${o} has only 1.0 kB free.` });
    expect(await readdir(o)).toEqual([]);
  });

  it('refuses and deletes everything when the size, a checksum or the zip does not check out', async () => {
    const p = createMemoryProvider();
    await put(p, 'x.zip', zip);
    await put(p, 'cut.zip', zip.subarray(0, zip.length - 100));
    const o = await mkdtemp(join(dir, 'o-'));
    const fail = async (opts: Parameters<typeof downloadBackup>[0]) => {
      const e = await downloadBackup(opts, ctx().c).catch((err: unknown) => err);
      expect(isAppError(e, 'Integrity')).toBe(true);
      expect(await readdir(o)).toEqual([]);
      return e as Error;
    };
    expect((await fail({ provider: p, key: 'x.zip', out: join(o, 'a.zip'), expectedSize: zip.length + 1 })).message).toMatch(/listing said/);
    expect((await fail({ provider: p, key: 'x.zip', out: join(o, 'a.zip'), sidecarSha256: '0'.repeat(64) })).message).toMatch(/sha256 \(companion\) checksum/);
    expect((await fail({ provider: p, key: 'cut.zip', out: join(o, 'a.zip') })).message).toMatch(/not a complete zip archive: .*[^.]\.$/);
  });

  it('decrypts gpg-encrypted backups on the way; a wrong passphrase leaves nothing', async () => {
    await gpgEncryptSymmetric(gpg, join(dir, 'src.zip'), join(dir, 'src.zip.gpg'), 'correct horse');
    const enc = await readFile(join(dir, 'src.zip.gpg'));
    const p = createMemoryProvider();
    await put(p, 'db/acme_2024-01-01_00-00-00.zip.gpg', enc);
    const o = await mkdtemp(join(dir, 'o-'));
    const r = await downloadBackup({ provider: p, key: 'db/acme_2024-01-01_00-00-00.zip.gpg', out: o, decrypt: { passphrase: 'correct horse' }, sidecarSha256: createHash('sha256').update(enc).digest('hex') }, ctx().c);
    expect(r.path).toBe(join(o, 'acme_2024-01-01_00-00-00.zip'));
    expect(r.storedBytes).toBe(enc.length);
    expect(r.verified).toEqual(['size', 'sha256 (companion)', 'md5 (storage)', 'zip (2 entries)']);
    expect(r.decrypted).toBe(true);
    expect((await readFile(r.path)).equals(zip)).toBe(true);
    const o2 = await mkdtemp(join(dir, 'o-'));
    const e = await downloadBackup({ provider: p, key: 'db/acme_2024-01-01_00-00-00.zip.gpg', out: o2, decrypt: { passphrase: 'wrong' } }, ctx().c).catch((x: unknown) => x);
    expect(isAppError(e, 'AuthFailed')).toBe(true);
    expect(await readdir(o2)).toEqual([]);
  });

  it('asked to decrypt a backup that is not encrypted, saves it as it is and says so', async () => {
    const p = createMemoryProvider();
    await put(p, 'acme_2024-01-01_00-00-00.zip', zip);
    const o = await mkdtemp(join(dir, 'o-'));
    const r = await downloadBackup({ provider: p, key: 'acme_2024-01-01_00-00-00.zip', out: o, decrypt: {} }, ctx().c);
    expect(r).toMatchObject({ path: join(o, 'acme_2024-01-01_00-00-00.zip'), decrypted: false, bytes: zip.length });
    expect(r.verified).toContain('zip (2 entries)');
    expect((await readFile(r.path)).equals(zip)).toBe(true);
  });

  it('cancels cleanly mid-transfer', async () => {
    const big = randomBytes(8 * 1024 * 1024);
    const p = createMemoryProvider({ chunkSize: 64 * 1024 });
    await put(p, 'big.dump', big);
    const o = await mkdtemp(join(dir, 'o-'));
    const ctrl = new AbortController();
    const { c } = ctx(ctrl.signal);
    const origProgress = c.progress;
    const cc: JobContext = { ...c, progress: (pr) => { origProgress(pr); if ((pr.done ?? 0) > 1024 * 1024) ctrl.abort(); } };
    const e = await downloadBackup({ provider: p, key: 'big.dump', out: o }, cc).catch((x: unknown) => x);
    expect(isAppError(e, 'Cancelled')).toBe(true);
    expect(await readdir(o)).toEqual([]);
  });
});

describe('verifyZip', () => {
  it('accepts a real zip and rejects garbage', async () => {
    await expect(verifyZip(join(dir, 'src.zip'), 'src')).resolves.toEqual({ entries: 2 });
    await writeFile(join(dir, 'junk.zip'), '<html>Database backup error</html>');
    await expect(verifyZip(join(dir, 'junk.zip'), 'junk')).rejects.toMatchObject({ kind: 'Integrity' });
  });
});
