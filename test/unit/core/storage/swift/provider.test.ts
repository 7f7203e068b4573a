/** Swift provider against the local Swift + Keystone server: auth, regions, paging, SLO, errors. */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../../../../shared/core/errors';
import { MemorySecretStore } from '../../../../../shared/core/secrets/secret-store';
import type { StorageProvider } from '../../../../../shared/core/storage/provider';
import { selectEndpoint, SwiftClient, SwiftProvider, swiftFactory } from '../../../../../shared/core/storage/swift';
import { nullLogger } from '../../../../../shared/core/util/logger';
import { startFakeSwift, SWIFT_TEMPAUTH_USER, SWIFT_TEST_USER, type FakeSwift } from '../../../../helpers/fake-services/swift';
import { caught, drain } from '../../../../helpers/assertions';

process.env.HTTPS_PROXY = 'http://127.0.0.1:9';

const bytes = (n: number, seed = 1): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 131 + seed) & 0xff));
const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

describe('Swift provider', () => {
  let server: FakeSwift;
  const secrets = new MemorySecretStore();
  const open = async (settings: Record<string, unknown> = {}, password: string = SWIFT_TEST_USER.password): Promise<StorageProvider> => {
    await secrets.set('storage:sw', 'password', password);
    const config = swiftFactory.configSchema.parse({
      authUrl: `${server.url}/v3`,
      username: SWIFT_TEST_USER.username,
      projectName: SWIFT_TEST_USER.projectName,
      region: 'RegionOne',
      container: 'backups',
      segmentThresholdBytes: 300_000,
      segmentSizeBytes: 128 * 1024,
      ...settings,
    });
    return swiftFactory.create(config, 'storage:sw', { secrets, log: nullLogger, fetch: server.fetch });
  };

  beforeEach(async () => {
    server = await startFakeSwift({ regions: ['RegionOne', 'RegionTwo'], minSegmentSize: 64 * 1024 });
  });
  afterEach(async () => {
    await server.close();
    expect(server.seenUrls.every((u) => u.startsWith(server.url))).toBe(true);
  });

  it('says the container is missing when a write (plain or large) is answered 404', async () => {
    const p = await open({ container: 'not-created' });
    for (const size of [1000, 700_000]) {
      const err = await p.write!(`x${size}.zip`, Readable.from([bytes(size)]), { size }).then(() => undefined, (e: unknown) => e as AppError);
      expect(err).toBeInstanceOf(AppError);
      expect(err!.kind).toBe('NotFound');
      expect(err!.message).toBe(`"x${size}.zip" cannot be written: the container "not-created" of storage "sw" does not exist.`);
      expect(err!.hint).toMatch(/swift post not-created/);
    }
  });

  it('names the storage by its configured name, not its secret scope id, in a rejected login and its hint', async () => {
    await secrets.set('storage:0b1c-uuid', 'password', 'wrong');
    const config = swiftFactory.configSchema.parse({ authUrl: `${server.url}/v3`, username: SWIFT_TEST_USER.username, projectName: SWIFT_TEST_USER.projectName, region: 'RegionOne', container: 'backups' });
    const p = await swiftFactory.create(config, 'storage:0b1c-uuid', { secrets, log: nullLogger, fetch: server.fetch, storageName: 'offsite' });
    const err = await caught((async () => {
      for await (const o of p.list('')) void o;
    })());
    expect(`${err.message} ${err.hint ?? ''}`).toMatch(/storage "offsite"/);
    expect(`${err.message} ${err.hint ?? ''}`).not.toContain('0b1c-uuid');
  });

  it('lists 8 objects with limit 3 by marker, each exactly once, and below a prefix folder', async () => {
    const p = await open({ prefix: 'prod' });
    const keys = Array.from({ length: 8 }, (_, i) => `db${i}.2024-01-0${i + 1}_00-00-00.zip`);
    for (const k of keys) await p.write!(k, Readable.from([Buffer.from(k)]), { size: k.length });
    expect([...server.container('AUTH_RegionOne', 'backups')!.keys()].every((n) => n.startsWith('prod/'))).toBe(true);
    const before = server.state.requests.length;
    const got: string[] = [];
    for await (const o of p.list('', { pageSize: 3 })) {
      got.push(o.key);
      expect(o.checksum).toEqual({ algorithm: 'md5', value: md5(Buffer.from(o.key)) });
    }
    expect(got).toEqual([...keys].sort());
    const listings = server.state.requests.slice(before).filter((r) => r.method === 'GET' && r.path === '/v1/AUTH_RegionOne/backups');
    expect(listings).toHaveLength(3);
    expect(new URLSearchParams(listings[1]!.query).get('marker')).toBe(`prod/${keys[2]}`);
    expect(new URLSearchParams(listings[2]!.query).get('marker')).toBe(`prod/${keys[5]}`);
  });

  it('the server caps listings at 10 000 and the provider never asks for more', async () => {
    const p = await open();
    for await (const _ of p.list('', { pageSize: 50_000 })) break;
    expect(server.state.requests.at(-1)!.query).toContain('limit=10000');
    const raw = await fetch(`${server.url}/v1/AUTH_RegionOne/backups?format=json&limit=10001`, { headers: { 'x-auth-token': 'x' } });
    expect(raw.status).toBe(401);
  });

  it('picks the object-store endpoint by region and interface from the Keystone catalog', async () => {
    const p2 = await open({ region: 'RegionTwo' });
    await p2.write!('r2.zip', Readable.from([Buffer.from('two')]));
    expect(server.container('AUTH_RegionTwo', 'backups')!.has('r2.zip')).toBe(true);
    expect(server.container('AUTH_RegionOne', 'backups')!.has('r2.zip')).toBe(false);
    const none = await open({ region: undefined });
    const e = await caught(none.stat('x.zip'));
    expect(e.kind).toBe('InvalidInput');
    expect(e.message).toMatch(/RegionOne, RegionTwo/);
    expect((await caught((await open({ region: 'Mars' })).stat('x'))).kind).toBe('InvalidInput');
    const catalog = [{ type: 'object-store', endpoints: [{ interface: 'internal', region: 'R', url: 'http://in' }, { interface: 'public', region: 'R', url: 'http://pub' }] }];
    expect(selectEndpoint(catalog, 'public', undefined, 's')).toBe('http://pub');
    expect(selectEndpoint(catalog, 'internal', 'R', 's')).toBe('http://in');
    expect(() => selectEndpoint([], 'public', undefined, 's')).toThrow(/no object-store/);
  });

  it('re-authenticates once after a 401; a second 401 is AuthFailed; a wrong password is AuthFailed', async () => {
    const p = await open();
    await p.write!('a.zip', Readable.from([Buffer.from('abc')]));
    expect(server.authCount.v3).toBe(1);
    server.expireAllTokens();
    expect((await p.stat('a.zip')).size).toBe(3);
    expect(server.authCount.v3).toBe(2);
    server.failNext({ route: /^HEAD /, status: 401, times: 2 });
    const e = await caught(p.stat('a.zip'));
    expect(e.kind).toBe('AuthFailed');
    expect(server.authCount.v3).toBe(3);
    const wrong = await open({}, 'wrong');
    const e2 = await caught(wrong.stat('a.zip'));
    expect(e2.kind).toBe('AuthFailed');
    // Commands that exist: the app's words in the hint, the CLI's in cliHint.
    expect(e2.hint).toMatch(/"Change secret" on the Storages screen/);
    expect(e2.details?.cliHint).toMatch(/`backup-desk storage set-secret sw`/);
  });

  it('authenticates with v1 tempauth', async () => {
    const p = await open({ authUrl: `${server.url}/auth/v1.0`, username: SWIFT_TEMPAUTH_USER.user, region: undefined }, SWIFT_TEMPAUTH_USER.key);
    await p.write!('t.zip', Readable.from([Buffer.from('temp')]));
    expect(server.authCount.v1).toBe(1);
    expect(server.container('AUTH_tempauth', 'backups')!.get('t.zip')!.data.toString()).toBe('temp');
  });

  it('uploads above the threshold as an SLO: segments, manifest, total size, ranged reads; replaces and deletes them', async () => {
    const p = await open();
    const data = bytes(128 * 1024 * 2 + 50_000, 4);
    let progress = 0;
    const info = await p.write!('big.zip', Readable.from([data.subarray(0, 100_000), data.subarray(100_000)]), { size: data.length, onProgress: (n) => (progress = n) });
    expect(info.size).toBe(data.length);
    expect(progress).toBe(data.length);
    const manifest = server.container('AUTH_RegionOne', 'backups')!.get('big.zip')!;
    expect(manifest.slo).toHaveLength(3);
    expect(manifest.slo!.map((s) => s.bytes)).toEqual([131072, 131072, 50_000]);
    const segs = server.container('AUTH_RegionOne', 'backups_segments')!;
    expect(segs.size).toBe(3);
    expect(manifest.slo!.every((s) => s.name.startsWith('/backups_segments/big.zip/slo/'))).toBe(true);
    const put = server.state.requests.find((r) => r.method === 'PUT' && r.query.includes('multipart-manifest=put'));
    expect(put?.status).toBe(201);
    const st = await p.stat('big.zip');
    expect(st.size).toBe(data.length);
    expect(st.checksum).toBeUndefined(); // an SLO's ETag is not the content MD5
    const listed = [];
    for await (const o of p.list('')) listed.push(o);
    expect(listed).toEqual([expect.objectContaining({ key: 'big.zip', size: data.length })]);
    expect((await drain(await p.read('big.zip'))).equals(data)).toBe(true);
    expect((await drain(await p.read('big.zip', { range: { offset: 131_000, length: 2_000 } }))).equals(data.subarray(131_000, 133_000))).toBe(true);

    // Replacing it with a small object removes the old segments.
    await p.write!('big.zip', Readable.from([Buffer.from('small now')]), { size: 9 });
    expect(segs.size).toBe(0);
    expect((await p.stat('big.zip')).checksum).toEqual({ algorithm: 'md5', value: md5(Buffer.from('small now')) });

    // Unknown size past the buffered probe goes segmented too; remove deletes the segments.
    const p2 = await open({ segmentThresholdBytes: 100_000 });
    await p2.write!('u.zip', Readable.from([data]));
    expect(server.container('AUTH_RegionOne', 'backups')!.get('u.zip')!.slo).toHaveLength(3);
    await p2.remove!('u.zip');
    expect(segs.size).toBe(0);
    expect((await caught(p2.stat('u.zip'))).kind).toBe('NotFound');
  });

  it('a failed segmented upload leaves no segments and no object', async () => {
    const p = await open();
    const data = bytes(128 * 1024 * 3, 2);
    server.failNext({ route: /^PUT \/v1\/AUTH_RegionOne\/backups_segments\/.*00000002$/, status: 403 });
    expect((await caught(p.write!('f.zip', Readable.from([data]), { size: data.length }))).kind).toBe('PermissionDenied');
    expect(server.container('AUTH_RegionOne', 'backups_segments')!.size).toBe(0);
    expect(server.container('AUTH_RegionOne', 'backups')!.has('f.zip')).toBe(false);
  });

  /** A provider whose first `segments` segments are held (and `bytes` large at most), the rest streamed at 128 KiB. */
  const withHeld = (held: { bytes: number; segments: number }): SwiftProvider => {
    const config = swiftFactory.configSchema.parse({ authUrl: `${server.url}/v3`, username: SWIFT_TEST_USER.username, projectName: SWIFT_TEST_USER.projectName, region: 'RegionOne', container: 'backups' });
    const client = new SwiftClient({ config, password: () => Promise.resolve(SWIFT_TEST_USER.password), fetch: server.fetch, log: nullLogger, storageName: 'sw' });
    return new SwiftProvider({ client, container: 'backups', prefix: '', segmentContainer: 'backups_segments', segmentThresholdBytes: 300_000, segmentSizeBytes: 128 * 1024, log: nullLogger, storageName: 'sw', retryDelayMs: 20, held });
  };

  it("sends a held segment again after a 503 or a dropped connection (a backup's unknown size, in pieces): the object is whole, no segment left over", async () => {
    const p = withHeld({ bytes: 100_000, segments: 800 });
    const data = bytes(100_000 * 4 + 12_345, 6);
    server.failNext({ route: /^PUT \/v1\/AUTH_RegionOne\/backups_segments\/.*00000001$/, status: 503 });
    server.failNext({ route: /^PUT \/v1\/AUTH_RegionOne\/backups_segments\/.*00000003$/, dropAfterBytes: 50_000 });
    let progress = 0;
    const pieces = Array.from({ length: Math.ceil(data.length / 7_000) }, (_, i) => data.subarray(i * 7_000, (i + 1) * 7_000));
    await p.write('held.zip', Readable.from(pieces), { onProgress: (n) => (progress = n) });
    const manifest = server.container('AUTH_RegionOne', 'backups')!.get('held.zip')!;
    expect(manifest.slo!.map((s) => s.bytes)).toEqual([100_000, 100_000, 100_000, 100_000, 12_345]);
    expect(server.container('AUTH_RegionOne', 'backups_segments')!.size).toBe(5);
    expect((await drain(await p.read('held.zip'))).equals(data)).toBe(true);
    expect(progress).toBe(data.length);
    const segmentPuts = server.state.requests.filter((r) => r.method === 'PUT' && r.path.startsWith('/v1/AUTH_RegionOne/backups_segments/'));
    expect(segmentPuts).toHaveLength(7); // 5 segments, two of them twice
  });

  it('past the held segments, segments of the configured size are streamed: a failure there fails the write and leaves nothing', async () => {
    const p = withHeld({ bytes: 70_000, segments: 2 });
    const data = bytes(70_000 * 2 + 128 * 1024 * 2 + 9_000, 7); // past the 300 kB probe: an SLO
    await p.write('mixed.zip', Readable.from([data]));
    expect(server.container('AUTH_RegionOne', 'backups')!.get('mixed.zip')!.slo!.map((s) => s.bytes)).toEqual([70_000, 70_000, 128 * 1024, 128 * 1024, 9_000]);
    expect((await drain(await p.read('mixed.zip'))).equals(data)).toBe(true);
    await p.remove('mixed.zip');
    server.failNext({ route: /^PUT \/v1\/AUTH_RegionOne\/backups_segments\/.*00000002$/, status: 503 });
    expect((await caught(p.write('mixed.zip', Readable.from([data])))).kind).toBe('Transient');
    expect(server.container('AUTH_RegionOne', 'backups_segments')!.size).toBe(0);
    expect(server.container('AUTH_RegionOne', 'backups')!.has('mixed.zip')).toBe(false);
  });

  it('sends again what it holds in memory after a transient failure: the segment container, the manifest, an object of known size up to 16 MiB', async () => {
    const p = await open();
    const data = bytes(128 * 1024 * 3, 4);
    server.failNext({ route: /^PUT \/v1\/AUTH_RegionOne\/backups_segments$/, status: 503, retryAfterSec: 1 });
    server.failNext({ route: /^PUT \/v1\/AUTH_RegionOne\/backups\/big\.zip\?multipart-manifest=put$/, status: 503 });
    await p.write!('big.zip', Readable.from([data]), { size: data.length });
    expect(server.container('AUTH_RegionOne', 'backups')!.get('big.zip')!.slo).toHaveLength(3);
    expect(md5(await drain(await p.read('big.zip')))).toBe(md5(data));
    server.failNext({ route: /^PUT \/v1\/AUTH_RegionOne\/backups\/small\.zip$/, dropResponse: true });
    await p.write!('small.zip', Readable.from([Buffer.from('small')]), { size: 5 });
    expect((await p.stat('small.zip')).size).toBe(5);
    // A plain object of known size up to 16 MiB (an attachment copied there) is held too.
    const p9 = await open({ segmentThresholdBytes: 64 * 1024 * 1024 });
    const nine = bytes(9 * 1024 * 1024, 8);
    server.failNext({ route: /^PUT \/v1\/AUTH_RegionOne\/backups\/nine\.bin$/, status: 503 });
    await p9.write!('nine.bin', Readable.from([nine.subarray(0, 5_000_000), nine.subarray(5_000_000)]), { size: nine.length });
    expect(server.container('AUTH_RegionOne', 'backups')!.get('nine.bin')!.slo).toBeUndefined();
    expect(md5(await drain(await p9.read('nine.bin')))).toBe(md5(nine));
  });

  it('classifies 404, 403, 429 (Retry-After), 5xx and a missing container', async () => {
    const p = await open();
    expect((await caught(p.stat('missing.zip'))).kind).toBe('NotFound');
    expect((await caught(p.read('missing.zip'))).kind).toBe('NotFound');
    expect((await caught(p.remove!('missing.zip'))).kind).toBe('NotFound');
    server.failNext({ route: /^HEAD /, status: 403 });
    expect((await caught(p.stat('x.zip'))).kind).toBe('PermissionDenied');
    server.failNext({ route: /^HEAD /, status: 429, retryAfterSec: 3 });
    const rl = await caught(p.stat('x.zip'));
    expect(rl.kind).toBe('Transient');
    expect(rl.retryAfterMs).toBe(3000);
    server.failNext({ route: /^GET /, status: 503 });
    expect((await caught(p.read('x.zip'))).kind).toBe('Transient');
    const nc = await open({ container: 'nope' });
    const e = await caught((async () => {
      for await (const _ of nc.list('')) break;
    })());
    expect(e.kind).toBe('NotFound');
    expect(e.message).toMatch(/container "nope"/);
  });

  it('validates settings: a Keystone storage needs a project, the version is guessed from the URL', () => {
    expect(swiftFactory.configSchema.safeParse({ authUrl: 'https://k:5000/v3', username: 'u', container: 'c' }).success).toBe(false);
    const v1 = swiftFactory.configSchema.parse({ authUrl: 'https://s:8080/auth/v1.0', username: 'a:u', container: 'c', prefix: '/x/y/' });
    expect(v1.authVersion).toBe('v1');
    expect(v1.prefix).toBe('x/y/');
    expect(swiftFactory.describe(v1)).toBe('Swift c/x/y/ at s:8080');
  });
});
