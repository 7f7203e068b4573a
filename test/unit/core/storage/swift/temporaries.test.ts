/** Swift temporaries: the segments an upload left when its process died, found and removed; live ones and others' never. */
import { PassThrough, Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemorySecretStore } from '../../../../../shared/core/secrets/secret-store';
import type { StorageProvider, TemporaryObject } from '../../../../../shared/core/storage/provider';
import { swiftFactory } from '../../../../../shared/core/storage/swift';
import { segmentGroup } from '../../../../../shared/core/storage/swift/temporaries';
import { nullLogger } from '../../../../../shared/core/util/logger';
import { caught, drain } from '../../../../helpers/assertions';
import { startFakeSwift, SWIFT_TEST_USER, type FakeSwift } from '../../../../helpers/fake-services/swift';

process.env.HTTPS_PROXY = 'http://127.0.0.1:9';

const SEG = 128 * 1024;
const bytes = (n: number, seed = 1): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 131 + seed) & 0xff));

describe('segmentGroup', () => {
  it('parses our segment names only', () => {
    expect(segmentGroup('prod/shop.zip/slo/1733500000.123456/131072/00000002')).toEqual({ group: 'prod/shop.zip/slo/1733500000.123456/131072', object: 'prod/shop.zip', startedAt: new Date(1733500000123) });
    // python-swiftclient's names have one more level (mtime, full size, segment size, index).
    expect(segmentGroup('shop.zip/slo/1733500000.123456/900000/131072/00000002')).toBeUndefined();
    expect(segmentGroup('shop.zip')).toBeUndefined();
  });
});

describe('Swift temporaries', () => {
  let server: FakeSwift;
  const secrets = new MemorySecretStore();
  const open = async (settings: Record<string, unknown> = {}): Promise<StorageProvider> => {
    await secrets.set('storage:sw', 'password', SWIFT_TEST_USER.password);
    const config = swiftFactory.configSchema.parse({
      authUrl: `${server.url}/v3`,
      username: SWIFT_TEST_USER.username,
      projectName: SWIFT_TEST_USER.projectName,
      container: 'backups',
      segmentThresholdBytes: 300_000,
      segmentSizeBytes: SEG,
      ...settings,
    });
    return swiftFactory.create(config, 'storage:sw', { secrets, log: nullLogger, fetch: server.fetch });
  };
  const segments = (): string[] => [...(server.container('AUTH_RegionOne', 'backups_segments')?.keys() ?? [])].sort();
  const list = async (p: StorageProvider): Promise<TemporaryObject[]> => {
    const out: TemporaryObject[] = [];
    for await (const t of p.temporaries!.list()) out.push(t);
    return out;
  };
  /** A write whose process stops sending after two segments and a bit, as one killed mid-upload leaves it. */
  const stalledWrite = async (p: StorageProvider, key: string, size: number): Promise<{ body: PassThrough; done: Promise<unknown> }> => {
    const body = new PassThrough();
    const done = p.write!(key, body, { size }).catch((e: unknown) => e);
    const before = segments().length;
    body.write(bytes(2 * SEG + 1000, 3));
    for (let i = 0; i < 200 && segments().length < before + 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(segments().length).toBe(before + 2);
    return { body, done };
  };

  beforeEach(async () => {
    server = await startFakeSwift({ minSegmentSize: 64 * 1024 });
  });
  afterEach(async () => {
    await server.close();
  });

  it('has none before any large upload (no segment container yet)', async () => {
    expect(await list(await open())).toEqual([]);
  });

  it("lists a stalled upload's segments, removes them, and never touches a live large object's or another tool's", async () => {
    const p = await open({ prefix: 'prod' });
    const big = bytes(3 * SEG + 50_000, 4);
    await p.write!('live.zip', Readable.from([big]), { size: big.length });
    // Another tool's segments beside ours, and ours of another prefix: not this storage's leftovers.
    const raw = await open({ container: 'backups_segments' });
    await raw.write!('prod/other.zip/slo/1700000000.000000/900000/131072/00000000', Readable.from([Buffer.from('theirs')]), { size: 6 });
    await raw.write!('test/x.zip/slo/1700000000.000000/131072/00000000', Readable.from([Buffer.from('other prefix')]), { size: 12 });

    const stalled = await stalledWrite(p, 'shop.2026-12-07_03-00-00.zip', 4 * SEG);
    const temps = await list(p);
    expect(temps).toEqual([expect.objectContaining({ forKey: 'shop.2026-12-07_03-00-00.zip', size: 2 * SEG })]);
    expect(temps[0]!.id).toMatch(/^shop\.2026-12-07_03-00-00\.zip \(large-object segments of an upload started \d{4}-\d\d-\d\dT/);
    expect(Date.now() - temps[0]!.modified.getTime()).toBeLessThan(60_000);

    await p.temporaries!.remove(temps[0]!);
    expect(segments().filter((n) => n.startsWith('prod/shop.'))).toEqual([]);
    expect((await caught(p.temporaries!.remove(temps[0]!))).kind).toBe('NotFound');
    expect(await list(p)).toEqual([]);
    // The live large object still reads whole; the other tool's and the other prefix's segments are there.
    expect((await drain(await p.read('live.zip'))).equals(big)).toBe(true);
    expect(segments().filter((n) => n.startsWith('prod/other.zip') || n.startsWith('test/'))).toHaveLength(2);
    stalled.body.destroy(new Error('killed'));
    await stalled.done;
  });

  it('refuses to remove the segments of an upload that finished since it was listed', async () => {
    const p = await open();
    const data = bytes(3 * SEG, 5);
    const stalled = await stalledWrite(p, 'late.zip', data.length);
    const [temp] = await list(p);
    expect(temp?.forKey).toBe('late.zip');
    stalled.body.end(data.subarray(2 * SEG + 1000));
    await stalled.done;
    const err = await caught(p.temporaries!.remove(temp!));
    expect(err.kind).toBe('Conflict');
    expect(err.message).toContain('became part of late.zip');
    expect(await list(p)).toEqual([]);
    expect((await p.stat('late.zip')).size).toBe(data.length);
  });
});
