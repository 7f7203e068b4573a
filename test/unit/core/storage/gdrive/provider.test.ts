/** Google Drive provider against the local Drive API server: paging, trash, duplicates, resumable uploads, auth, errors. */
import { generateKeyPairSync } from 'node:crypto';
import { Readable } from 'node:stream';
import { drive_v3 } from '@googleapis/drive';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemorySecretStore } from '../../../../../shared/core/secrets/secret-store';
import { gdriveFactory } from '../../../../../shared/core/storage/gdrive';
import { driveQuoted } from '../../../../../shared/core/storage/gdrive/provider';
import type { StorageProvider } from '../../../../../shared/core/storage/provider';
import { nullLogger } from '../../../../../shared/core/util/logger';
import { MY_DRIVE_ROOT, startFakeDrive, type FakeDrive } from '../../../../helpers/fake-services/gdrive';
import { caught, drain } from '../../../../helpers/assertions';

process.env.HTTPS_PROXY = 'http://127.0.0.1:9';
process.env.NO_PROXY = '127.0.0.1,localhost';
const CHUNK = 512 * 1024;

const bytes = (n: number, seed = 1): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + seed * 13 + (i >> 9)) & 0xff));
const keysOf = async (p: StorageProvider, prefix = '', pageSize?: number): Promise<string[]> => {
  const out: string[] = [];
  for await (const o of p.list(prefix, pageSize ? { pageSize } : {})) out.push(o.key);
  return out.sort();
};

describe('Google Drive provider', () => {
  let server: FakeDrive;
  let folderId: string;
  const secrets = new MemorySecretStore();
  const open = async (settings: Record<string, unknown> = {}): Promise<StorageProvider> => {
    const config = gdriveFactory.configSchema.parse({ folderId, clientId: 'cid', rootUrl: server.url, tokenUrl: `${server.url}/token`, uploadChunkBytes: CHUNK, ...settings });
    return gdriveFactory.create(config, 'storage:gd', { secrets, log: nullLogger, fetch: server.fetch });
  };

  beforeEach(async () => {
    server = await startFakeDrive();
    server.addRefreshToken('1//r');
    await secrets.set('storage:gd', 'refreshToken', '1//r');
    folderId = server.put(MY_DRIVE_ROOT, 'Backups');
  });
  afterEach(async () => {
    await server.close();
    expect(server.seenUrls.every((u) => u.startsWith(server.url))).toBe(true);
  });

  it('follows nextPageToken over 8 objects with pageSize 3, excluding trashed files and Google Docs', async () => {
    for (let i = 0; i < 8; i++) server.put(folderId, `db${i}.zip`, Buffer.from(`v${i}`));
    server.put(folderId, 'old.zip', Buffer.from('trashed'), { trashed: true });
    server.state.files.get(server.put(folderId, 'Notes'))!.mimeType = 'application/vnd.google-apps.document';
    const p = await open();
    const before = server.state.requests.length;
    expect(await keysOf(p, '', 3)).toEqual(Array.from({ length: 8 }, (_, i) => `db${i}.zip`));
    const lists = server.state.requests.slice(before).filter((r) => r.method === 'GET' && r.path === '/drive/v3/files');
    expect(lists).toHaveLength(3); // 9 live entries (8 files + 1 Doc) in pages of 3
    expect(lists.filter((r) => r.query.includes('pageToken='))).toHaveLength(2);
    expect((await caught(p.stat('old.zip'))).kind).toBe('NotFound');
  });

  it('says a wrong, trashed or file folder id does not name a folder, on list and write, instead of listing nothing', async () => {
    const trashed = server.put(MY_DRIVE_ROOT, 'Old', undefined, { trashed: true });
    const file = server.put(folderId, 'a.zip', Buffer.from('x'));
    for (const [id, why] of [['1FnoSuchFolder', /does not exist or is not shared/], [trashed, /is in the trash/], [file, /is a file, not a folder/]] as const) {
      const p = await open({ folderId: id });
      const listed = await caught(keysOf(p));
      expect(listed.kind).toBe('NotFound');
      expect(listed.message).toMatch(why);
      expect(listed.message).toContain(`folder id "${id}"`);
      const written = await caught(p.write!('b.zip', Readable.from([Buffer.from('y')]), { size: 1 }));
      expect(written.message).toMatch(why);
    }
    expect(await keysOf(await open())).toEqual(['a.zip']);
  });

  it('the server rejects an unknown pageToken and a page size over 1000, as Drive does', async () => {
    const token = server.issueToken();
    const drive = new drive_v3.Drive({ rootUrl: server.url, fetchImplementation: server.fetch, retry: false });
    const headers = { authorization: `Bearer ${token}` };
    await expect(drive.files.list({ q: `${driveQuoted(folderId)} in parents`, pageToken: 'bogus' }, { headers })).rejects.toMatchObject({ status: 400 });
    await expect(drive.files.list({ pageSize: 5000 }, { headers })).rejects.toMatchObject({ status: 400 });
  });

  it('resolves a folder path by name, creates sub-folders on write, and reports a missing base folder', async () => {
    server.put(server.put(MY_DRIVE_ROOT, 'A'), 'B');
    const p = await open({ folderId: undefined, folderPath: '/A/B/' });
    await p.write!('x/y/z.zip', Readable.from([Buffer.from('deep')]));
    expect(await keysOf(p)).toEqual(['x/y/z.zip']);
    const folders = [...server.state.files.values()].filter((f) => f.mimeType.endsWith('folder')).map((f) => f.name);
    expect(folders.sort()).toEqual(['A', 'B', 'Backups', 'x', 'y']);
    const missing = await open({ folderId: undefined, folderPath: 'Nope' });
    const e = await caught(missing.stat('a.zip'));
    expect(e.kind).toBe('NotFound');
    expect(e.message).toMatch(/folder "Nope"/);
  });

  it('with duplicate names the newest wins in list, stat and read; a write updates that file', async () => {
    server.put(folderId, 'dup.zip', Buffer.from('older'), { modifiedTime: new Date('2024-01-01T00:00:00Z') });
    const newestId = server.put(folderId, 'dup.zip', Buffer.from('newest!'), { modifiedTime: new Date('2024-02-01T00:00:00Z') });
    server.put(folderId, 'dup.zip', Buffer.from('middle'), { modifiedTime: new Date('2024-01-15T00:00:00Z') });
    const p = await open();
    const listed = [];
    for await (const o of p.list('')) listed.push(o);
    expect(listed).toHaveLength(1);
    expect(listed[0]!.size).toBe(7);
    expect((await drain(await p.read('dup.zip'))).toString()).toBe('newest!');
    await p.write!('dup.zip', Readable.from([Buffer.from('replaced')]));
    expect(server.state.files.get(newestId)!.data.toString()).toBe('replaced');
    expect([...server.state.files.values()].filter((f) => f.name === 'dup.zip')).toHaveLength(3);
  });

  it('a resumable upload that loses its connection half way resumes from the offset the server reports', async () => {
    const p = await open();
    const data = bytes(CHUNK * 3 + 12_345, 2);
    // The first chunk's PUT drops before anything counts; the second drops after 300 KiB, of
    // which the server keeps the first 256 KiB (Drive persists whole 256 KiB units).
    server.failNext({ route: / bytes 0-/, dropAfterBytes: 0 });
    server.failNext({ route: new RegExp(` bytes ${CHUNK}-`), dropAfterBytes: 300 * 1024 });
    const info = await p.write!('big.zip', Readable.from([data]), { size: data.length });
    expect(info.size).toBe(data.length);
    expect(info.checksum?.algorithm).toBe('md5');
    const ranges = server.state.requests.filter((r) => r.method === 'PUT').map((r) => r.contentRange);
    const total = data.length;
    expect(ranges).toEqual([
      `bytes 0-${CHUNK - 1}/*`, // dropped (nothing kept)
      'bytes */*', // status query → no Range header: start again at 0
      `bytes 0-${CHUNK - 1}/*`,
      `bytes ${CHUNK}-${2 * CHUNK - 1}/*`, // dropped after 300 KiB, 256 KiB kept
      'bytes */*',
      `bytes ${CHUNK + 256 * 1024}-${2 * CHUNK - 1}/*`, // resumed mid-chunk
      `bytes ${2 * CHUNK}-${3 * CHUNK - 1}/*`,
      `bytes ${3 * CHUNK}-${total - 1}/${total}`,
    ]);
    expect((await drain(await p.read('big.zip'))).equals(data)).toBe(true);
    expect(server.state.sessions.size).toBe(0);
  });

  it('refreshes the token once after a 401; a revoked grant is AuthFailed asking to reconnect', async () => {
    const p = await open();
    await p.write!('a.zip', Readable.from([Buffer.from('abc')]));
    const tokenCalls = (): number => server.state.requests.filter((r) => r.path === '/token').length;
    expect(tokenCalls()).toBe(1);
    server.expireAllTokens();
    expect((await p.stat('a.zip')).size).toBe(3);
    expect(tokenCalls()).toBe(2);
    expect(server.state.requests.filter((r) => r.status === 401)).toHaveLength(1);
    const s2 = new MemorySecretStore();
    await s2.set('storage:gd', 'refreshToken', 'revoked');
    const p2 = await gdriveFactory.create(gdriveFactory.configSchema.parse({ folderId, clientId: 'cid', rootUrl: server.url, tokenUrl: `${server.url}/token` }), 'storage:gd', { secrets: s2, log: nullLogger, fetch: server.fetch });
    const e = await caught(p2.stat('a.zip'));
    expect(e.kind).toBe('AuthFailed');
    expect(e.details?.reconnect).toBe(true);
  });

  it('signs in with a service-account key (RS256 assertion verified by the server); a foreign key is refused', async () => {
    const good = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    server.addServiceAccount('sa@p.iam.gserviceaccount.com', good.publicKey.export({ type: 'spki', format: 'pem' }).toString());
    const keyJson = (k: typeof good): string => JSON.stringify({ type: 'service_account', client_email: 'sa@p.iam.gserviceaccount.com', private_key: k.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() });
    const config = gdriveFactory.configSchema.parse({ folderId, rootUrl: server.url, tokenUrl: `${server.url}/token` });
    const s1 = new MemorySecretStore();
    await s1.set('storage:gd', 'serviceAccountKey', keyJson(good));
    const p = await gdriveFactory.create(config, 'storage:gd', { secrets: s1, log: nullLogger, fetch: server.fetch });
    await p.write!('sa.zip', Readable.from([Buffer.from('via service account')]));
    expect(await keysOf(p)).toEqual(['sa.zip']);
    await s1.set('storage:gd', 'serviceAccountKey', keyJson(other));
    const bad = await gdriveFactory.create(config, 'storage:gd', { secrets: s1, log: nullLogger, fetch: server.fetch });
    expect((await caught(bad.stat('sa.zip'))).kind).toBe('AuthFailed');
    await s1.set('storage:gd', 'serviceAccountKey', '{"not":"a key"}');
    expect((await caught(gdriveFactory.create(config, 'storage:gd', { secrets: s1, log: nullLogger, fetch: server.fetch }))).kind).toBe('InvalidInput');
  });

  it('shared-drive files are invisible without supportsAllDrives, and the provider sets it', async () => {
    const driveId = server.addSharedDrive('Team');
    server.put(driveId, 'team.zip', Buffer.from('team'));
    const token = server.issueToken();
    const drive = new drive_v3.Drive({ rootUrl: server.url, fetchImplementation: server.fetch, retry: false });
    const plain = await drive.files.list({ q: `${driveQuoted(driveId)} in parents` }, { headers: { authorization: `Bearer ${token}` } });
    expect(plain.data.files).toEqual([]);
    await expect(drive.files.list({ corpora: 'drive', driveId }, { headers: { authorization: `Bearer ${token}` } })).rejects.toMatchObject({ status: 403 });
    const p = await open({ folderId: undefined, driveId });
    expect(await keysOf(p)).toEqual(['team.zip']);
    expect(gdriveFactory.describe(gdriveFactory.configSchema.parse({ driveId, folderPath: 'x' }))).toBe(`Google Drive shared drive ${driveId}/x`);
  });

  it('classifies 404, 429 and 403 rate limits (with Retry-After), 5xx and permission errors', async () => {
    server.put(folderId, 'a.zip', Buffer.from('abc'));
    const p = await open();
    expect((await caught(p.stat('missing.zip'))).kind).toBe('NotFound');
    expect((await caught(p.read('missing.zip'))).kind).toBe('NotFound');
    expect((await caught(p.remove!('missing.zip'))).kind).toBe('NotFound');
    server.failNext({ route: /^GET \/drive\/v3\/files\?/, status: 429, retryAfterSec: 2 });
    const rl = await caught(p.stat('a.zip'));
    expect(rl.kind).toBe('Transient');
    expect(rl.retryAfterMs).toBe(2000);
    server.failNext({ route: /^GET \/drive\/v3\/files\?/, status: 403, reason: 'userRateLimitExceeded' });
    expect((await caught(p.stat('a.zip'))).kind).toBe('Transient');
    server.failNext({ route: /^GET \/drive\/v3\/files\//, status: 500 });
    expect((await caught(p.read('a.zip'))).kind).toBe('Transient');
    server.failNext({ route: /^GET \/drive\/v3\/files\?/, status: 403, reason: 'insufficientFilePermissions' });
    expect((await caught(p.stat('a.zip'))).kind).toBe('PermissionDenied');
    server.failNext({ route: /^GET \/drive\/v3\/files\?/, status: 403, reason: 'storageQuotaExceeded' });
    expect((await caught(p.stat('a.zip'))).kind).toBe('Fatal');
    expect((await p.stat('a.zip')).size).toBe(3);
  });
});
