/**
 * One backup, several storages: a local folder, S3 (a local S3 server) and SFTP (real OpenSSH
 * sshd) at once from one read of the source; encryption read back by real `gpg --decrypt`; the
 * odoo-manager layout's `.sha256` file; one failing destination that does not stop the others; a
 * cancel half-way that leaves nothing that `list` shows (nor temporary files, nor incomplete
 * multipart uploads).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPgSource, runBackup, type BackupDestination, type BackupOptions } from '../../../shared/core/backup';
import { scanStorage } from '../../../shared/core/catalog';
import { isAppError } from '../../../shared/core/errors';
import { silentContext, type JobContext } from '../../../shared/core/jobs/job';
import { LocalProvider } from '../../../shared/core/storage/local';
import type { StorageProvider } from '../../../shared/core/storage/provider';
import { s3ConfigSchema } from '../../../shared/core/storage/s3/config';
import { createS3Provider } from '../../../shared/core/storage/s3/s3-provider';
import { sftpConfigSchema } from '../../../shared/core/storage/sftp/config';
import { createSftpProvider } from '../../../shared/core/storage/sftp/sftp-provider';
import { gpgDecrypt, gpgGenKey, makeGpgHome, type GpgHome } from '../../helpers/gpg';
import { createOdooShapedDb } from '../../helpers/odoo-shaped-db';
import { startPgCluster, type PgCluster } from '../../helpers/pg-cluster';
import { keysOf, sha256Of } from '../../helpers/assertions';
import { startS3Server, type S3TestServer } from '../../helpers/s3-server';
import { startSshd, type TestSshd } from '../../helpers/sshd';

const run = promisify(execFile);
const MIB = 1024 * 1024;

describe('backup to several storages at once', () => {
  let cluster: PgCluster;
  let s3: S3TestServer;
  let sshd: TestSshd;
  let gpg: GpgHome;
  let work: string;
  let dataDir: string;
  const db = 'multi';
  let n = 0;

  const s3Provider = (prefix: string): StorageProvider =>
    createS3Provider(s3ConfigSchema.parse({ endpoint: s3.endpoint, bucket: s3.bucket, forcePathStyle: true, accessKeyId: s3.accessKeyId, prefix }), { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey }, { partSize: 5 * MIB, queueSize: 2 });
  const sftpProvider = async (sub: string): Promise<StorageProvider> => {
    await mkdir(join(sshd.root, sub), { recursive: true });
    const config = sftpConfigSchema.parse({ host: sshd.host, port: sshd.port, username: sshd.username, path: join(sshd.root, sub), auth: 'key', hostKeyFingerprint: sshd.hostKeyFingerprint });
    return createSftpProvider(config, { privateKey: sshd.clientKey });
  };
  const three = async (): Promise<BackupDestination[]> => {
    n++;
    const local = join(work, `local${n}`);
    await mkdir(local);
    return [
      { name: 'local', provider: new LocalProvider(local) },
      { name: 's3', provider: s3Provider(`run${n}`) },
      { name: 'sftp', provider: await sftpProvider(`run${n}`) },
    ];
  };
  const options = (destinations: BackupDestination[], extra: Partial<BackupOptions> = {}): BackupOptions => ({
    db,
    format: 'zip',
    layout: 'odoo-backup-sh',
    destinations,
    openSource: (c) => openPgSource({ db, pgUrl: cluster.url, dataDir, filestore: true, format: 'zip' }, c),
    ...extra,
  });

  beforeAll(async () => {
    [cluster, s3, sshd, gpg] = await Promise.all([startPgCluster(), startS3Server(), startSshd(), makeGpgHome()]);
    work = await mkdtemp(join(tmpdir(), 'bd-multi-'));
    dataDir = join(work, 'data');
    // ~12 MB of incompressible filestore: several S3 parts, and time to cancel half-way
    await createOdooShapedDb(cluster.url, db, { partners: 3000, blobs: 4, blobBytes: 200_000, files: 40, fileBytes: 300_000 }, join(dataDir, 'filestore', db));
  });
  afterAll(async () => {
    await Promise.all([cluster?.stop(), s3?.stop(), sshd?.stop(), gpg?.close()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('writes the same encrypted backup to local, S3 and SFTP from one read; gpg decrypts it; each catalog lists it', async () => {
    const dests = await three();
    const r = await runBackup(options(dests, { layout: 'backup-desk', encrypt: { passphrase: 'correct horse' } }), silentContext());
    expect(r.destinations.map((d) => [d.storage, d.ok])).toEqual([['local', true], ['s3', true], ['sftp', true]]);
    expect(r.size).toBeGreaterThan(10 * MIB);
    expect(r.verification.status).toBe('complete');
    for (const d of dests) {
      expect(await keysOf(d.provider)).toEqual([r.destinations[0]!.companionKey, r.destinations[0]!.key].sort());
      expect(await sha256Of(d.provider, r.destinations[0]!.key)).toBe(r.sha256);
      const scan = await scanStorage(d.name, d.provider);
      expect(scan.strays).toEqual([]);
      expect(scan.backups).toEqual([expect.objectContaining({ database: db, convention: 'backup-desk', encrypted: true, size: r.size })]);
      expect(scan.backups[0]!.warnings ?? []).toEqual([]);
    }
    const localFile = join((dests[0]!.provider as LocalProvider).root, r.destinations[0]!.key);
    const out = join(work, 'decrypted.zip');
    const g = await gpgDecrypt(gpg, localFile, out, 'correct horse');
    expect(g.code).toBe(0);
    expect((await run('unzip', ['-tq', out])).stdout).toMatch(/No errors detected/);
  });

  it("writes odoo_backup_sh's armored .zip.enc (gpg reads it) and to a recipient's public key", async () => {
    const local = join(work, 'enc');
    await mkdir(local);
    const r = await runBackup(options([{ name: 'local', provider: new LocalProvider(local) }], { encrypt: { passphrase: 'pw' } }), silentContext());
    const key = r.destinations[0]!.key;
    expect(key).toMatch(/^multi\.\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}\.zip\.enc$/);
    const enc = await readFile(join(local, key), 'utf8');
    expect(enc.startsWith('-----BEGIN PGP MESSAGE-----')).toBe(true);
    expect(await readFile(join(local, r.destinations[0]!.companionKey!), 'utf8')).toContain('encrypted = True\n');
    expect((await gpgDecrypt(gpg, join(local, key), join(work, 'a.zip'), 'pw')).code).toBe(0);
    expect((await scanStorage('local', new LocalProvider(local))).backups).toEqual([expect.objectContaining({ encrypted: true, convention: 'odoo-backup-sh' })]);

    const k = await gpgGenKey(gpg, 'Backup Key <backup@example.com>', 'keypw');
    const local2 = join(work, 'enc2');
    await mkdir(local2);
    const r2 = await runBackup(options([{ name: 'local', provider: new LocalProvider(local2) }], { layout: 'odoo-manager', encrypt: { publicKeys: [k.armoredPublic] } }), silentContext());
    expect(r2.destinations[0]!.key).toMatch(/^multi_\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}\.zip\.gpg$/);
    expect((await gpgDecrypt(gpg, join(local2, r2.destinations[0]!.key), join(work, 'b.zip'), 'keypw')).code).toBe(0);
    expect((await run('unzip', ['-tq', join(work, 'b.zip')])).stdout).toMatch(/No errors detected/);
  });

  it('records size and sha256 of an odoo-manager backup in a .sha256 file that sha256sum -c checks and the catalog shows', async () => {
    const local = join(work, 'mgr');
    await mkdir(local);
    const r = await runBackup(options([{ name: 'local', provider: new LocalProvider(local) }], { layout: 'odoo-manager' }), silentContext());
    const key = r.destinations[0]!.key;
    expect(r.destinations[0]).toMatchObject({ ok: true, companionKey: `${key}.sha256` });
    expect((await readdir(local)).sort()).toEqual([key, `${key}.sha256`]);
    expect(await readFile(join(local, `${key}.sha256`), 'utf8')).toBe(`${r.sha256}  ${key}\n# bytes: ${r.size}\n`);
    expect((await run('sha256sum', ['-c', `${key}.sha256`], { cwd: local })).stdout).toBe(`${key}: OK\n`);
    const scan = await scanStorage('local', new LocalProvider(local));
    expect(scan.strays).toEqual([]);
    expect(scan.backups).toEqual([expect.objectContaining({ key, convention: 'odoo-manager', size: r.size, sha256: r.sha256, companions: [`${key}.sha256`] })]);
    expect(scan.backups[0]!.warnings).toBeUndefined();
  });

  it('goes on when one destination fails half-way; the failed one is left with nothing', async () => {
    const dests = await three();
    // The connection drops 3 MiB into the upload, and the part sent again is refused.
    s3.interruptNext('write', 3 * MIB);
    let puts = 0;
    s3.failNext({ status: 403, code: 'AccessDenied' }, 1, (method) => method === 'PUT' && ++puts === 2);
    const r = await runBackup(options(dests), silentContext());
    const byName = Object.fromEntries(r.destinations.map((d) => [d.storage, d]));
    expect(byName.local!.ok).toBe(true);
    expect(byName.sftp!.ok).toBe(true);
    expect(byName.s3!.ok).toBe(false);
    expect(byName.s3!.error?.message).toBeTruthy();
    expect(r.warnings.join('\n')).toMatch(/Storage "s3" did not get the backup/);
    expect(await keysOf(dests[1]!.provider)).toEqual([]);
    expect(await s3.incompleteUploads()).toEqual([]);
    for (const d of [dests[0]!, dests[2]!]) expect(await sha256Of(d.provider, r.destinations[0]!.key)).toBe(r.sha256);
  });

  it('leaves nothing listed anywhere when cancelled half-way', async () => {
    const dests = await three();
    const ac = new AbortController();
    const ctx: JobContext = {
      ...silentContext(ac.signal),
      progress: (p) => {
        if (p.phase === 'backup' && (p.done ?? 0) > 4 * MIB) ac.abort();
      },
    };
    const err = await runBackup(options(dests), ctx).then(() => undefined, (e: unknown) => e);
    expect(isAppError(err, 'Cancelled')).toBe(true);
    for (const d of dests) {
      expect(await keysOf(d.provider)).toEqual([]);
      expect((await scanStorage(d.name, d.provider)).backups).toEqual([]);
    }
    expect(await readdir((dests[0]!.provider as LocalProvider).root)).toEqual([]); // no temporary file either
    expect(await readdir(join(sshd.root, `run${n}`))).toEqual([]);
    expect(await s3.incompleteUploads()).toEqual([]);
  });

  /** A local folder whose writes call `before(key)` before they start and `after(key)` once committed. */
  const tapped = async (hooks: { before?: (key: string) => Promise<void>; after?: (key: string) => void }): Promise<BackupDestination> => {
    const dir = join(work, `tapped${++n}`);
    await mkdir(dir);
    const inner = new LocalProvider(dir);
    const provider = Object.create(inner) as LocalProvider;
    provider.write = async (key, body, o) => {
      await hooks.before?.(key);
      const info = await inner.write(key, body, o);
      hooks.after?.(key);
      return info;
    };
    return { name: 'local', provider };
  };

  it('writes the companion once the archive is stored and before the archive appears', async () => {
    const box: { d?: BackupDestination } = {};
    const seen: string[] = [];
    const d = (box.d = await tapped({
      before: async (key) => {
        if (!key.endsWith('.info')) return;
        // The whole archive is stored by now (its sha256 is in the companion), yet not listed.
        seen.push(...(await keysOf(box.d!.provider)));
      },
    }));
    const r = await runBackup(options([d]), silentContext());
    expect(seen).toEqual([]);
    expect(await keysOf(d.provider)).toEqual([r.destinations[0]!.companionKey, r.destinations[0]!.key].sort());
    const info = await readFile(join((d.provider as LocalProvider).root, r.destinations[0]!.companionKey!), 'utf8');
    expect(info).toContain(`backup_sha256 = ${r.sha256}`);
  });

  it('a cancel up to the archive\'s commit leaves nothing (the companion is taken back); after it, it is too late and the backup stands', async () => {
    const early = new AbortController();
    const d1 = await tapped({ after: (key) => key.endsWith('.info') && early.abort() });
    const err = await runBackup(options([d1]), silentContext(early.signal)).then(() => undefined, (e: unknown) => e);
    expect(isAppError(err, 'Cancelled')).toBe(true);
    expect(await keysOf(d1.provider)).toEqual([]);
    expect(await readdir((d1.provider as LocalProvider).root)).toEqual([]); // no temporary archive either

    const late = new AbortController();
    const d2 = await tapped({ after: (key) => key.endsWith('.zip') && late.abort() });
    const r = await runBackup(options([d2]), silentContext(late.signal));
    expect(r.destinations).toEqual([expect.objectContaining({ ok: true })]);
    expect(await keysOf(d2.provider)).toEqual([r.destinations[0]!.companionKey, r.destinations[0]!.key].sort());
    expect((await scanStorage(d2.name, d2.provider)).backups).toHaveLength(1);
  });

  it('a companion already there (another backup of the same second) stops the archive before it is committed', async () => {
    const box: { d?: BackupDestination } = {};
    const d = (box.d = await tapped({
      before: async (key) => {
        if (!key.endsWith('.info')) return;
        await writeFile(join((box.d!.provider as LocalProvider).root, key), "the other backup's .info");
      },
    }));
    const err = await runBackup(options([d]), silentContext()).then(() => undefined, (e: unknown) => e);
    expect(isAppError(err, 'Conflict')).toBe(true);
    expect((err as Error).message).toMatch(/\.info" already exists on storage "local"/);
    const left = await readdir((d.provider as LocalProvider).root);
    expect(left).toHaveLength(1); // only the other backup's .info: no archive, no temporary
    expect(left[0]).toMatch(/\.info$/);
    expect(await readFile(join((d.provider as LocalProvider).root, left[0]!), 'utf8')).toBe("the other backup's .info");
  });

  it('fails as a whole, leaving nothing, when no destination can take it', async () => {
    const blocked = join(work, 'not-a-folder');
    await writeFile(blocked, 'x');
    const err = await runBackup(options([{ name: 'broken', provider: new LocalProvider(join(blocked, 'sub')) }]), silentContext()).then(() => undefined, (e: unknown) => e);
    expect(isAppError(err)).toBe(true);
    expect((err as Error).message).toMatch(/No storage got the backup/);
  });
});
