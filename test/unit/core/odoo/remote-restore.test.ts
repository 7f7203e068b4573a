import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createWriteStream } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { localFileSource } from '../../../../shared/core/archive';
import type { FolderSource, MultiPartBackup } from '../../../../shared/core/archive/source';
import { encryptStream } from '../../../../shared/core/crypto';
import { AppError } from '../../../../shared/core/errors';
import { silentContext, type JobContext, type JobProgress } from '../../../../shared/core/jobs/job';
import { OdooManagerClient, restoreToOdoo, type RemoteRestoreOptions } from '../../../../shared/core/odoo';
import { fixtureDirWith } from '../../../helpers/fixtures';
import { writeTinyZip } from '../../../helpers/gpg';
import { startFakeOdoo, type FakeOdoo, type FakeOdooOptions } from '../../../helpers/fake-services/odoo-manager';

const PW = 'master-pw';
const dirs: string[] = [];
let fake: FakeOdoo | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'bd-remote-'));
  dirs.push(d);
  return d;
}

async function setup(opts: FakeOdooOptions = {}): Promise<{ fake: FakeOdoo; base: Omit<RemoteRestoreOptions, 'source' | 'db'> }> {
  fake = await startFakeOdoo({ masterPassword: PW, ...opts });
  return { fake, base: { instance: 'prod', client: new OdooManagerClient({ url: fake.url, masterPassword: PW }), mode: 'copy', neutralize: false, replace: false, probeWaitMs: 200 } };
}

function recordingContext(signal?: AbortSignal): JobContext & { phases: string[]; progress: (p: JobProgress) => void; last: Map<string, JobProgress> } {
  const phases: string[] = [];
  const last = new Map<string, JobProgress>();
  return {
    ...silentContext(signal),
    phases,
    last,
    progress: (p) => {
      if (phases[phases.length - 1] !== p.phase) phases.push(p.phase);
      last.set(p.phase, p);
    },
  };
}

async function failure(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected a failure');
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** The names in a zip file. */
function zipNames(path: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: false }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error('no zip'));
      const names: string[] = [];
      zip.on('entry', (e: yauzl.Entry) => names.push(e.fileName));
      zip.on('end', () => resolve(names));
      zip.on('error', reject);
    });
  });
}

function folderSource(root: string): FolderSource {
  return {
    name: root,
    async *list() {
      const walk = async function* (dir: string): AsyncGenerator<{ path: string; size: number }> {
        for (const e of await readdir(dir, { withFileTypes: true })) {
          const p = join(dir, e.name);
          if (e.isDirectory()) yield* walk(p);
          else yield { path: relative(root, p).split('\\').join('/'), size: (await stat(p)).size };
        }
      };
      yield* walk(root);
    },
    open: async (path) => createReadStream(join(root, path)),
  };
}

/** A tiny Odoo zip with `version` in its manifest, OpenPGP-encrypted with "pass phrase". */
async function encryptedTinyZip(version: string): Promise<string> {
  const dir = await tmp();
  const zip = join(dir, 'acme.zip');
  await writeTinyZip(zip, { 'dump.sql': 'CREATE TABLE t (id int);\n', 'manifest.json': JSON.stringify({ db_name: 'acme', version }) });
  const enc = join(dir, 'acme.2024-05-01_10-00-00.zip.enc');
  await pipeline(await encryptStream(createReadStream(zip), { passphrase: 'pass phrase' }), createWriteStream(enc));
  return enc;
}

const fixture16 = fixtureDirWith('acme_small_zip.zip');
const fixture17 = fixtureDirWith('acme17_zip.zip');

describe('restore into a running Odoo through its database manager', () => {
  it.skipIf(!fixture17)('uploads a real Odoo 17 backup as is, with progress, and checks the database answers', async () => {
    const { fake, base } = await setup({ version: '17.0' });
    const file = join(fixture17!, 'acme17_zip.zip');
    const ctx = recordingContext();
    const r = await restoreToOdoo({ ...base, source: localFileSource(file), db: 'acme17' }, ctx);
    expect(r).toMatchObject({ target: 'odoo', db: 'acme17', sent: 'zip', serverVersion: '17.0', replaced: false, mode: 'copy', neutralized: false, listed: true, odooUrl: `${fake.url}/web?db=acme17` });
    expect(r.odooVersion).toMatch(/^17\./);
    expect(ctx.phases).toEqual(['preflight', 'upload', 'server', 'verify']);
    const up = ctx.last.get('upload')!;
    expect(up.done).toBe(up.total);
    expect(fake.uploads).toHaveLength(1);
    expect(fake.uploads[0]!.sha256).toBe(sha(await readFile(file)));
    expect(fake.uploads[0]!.fields.copy).toBe('true');
    expect(fake.databases.get('acme17')?.halfBuilt).toBe(false);
  });

  it.skipIf(!fixture16)('refuses an Odoo 16 backup for an Odoo 17 server, naming both, before uploading', async () => {
    const { fake, base } = await setup({ version: '17.0' });
    const e = await failure(restoreToOdoo({ ...base, source: localFileSource(join(fixture16!, 'acme_small_zip.zip')), db: 'xx' }, silentContext()));
    expect(e.kind).toBe('InvalidInput');
    expect(e.message).toMatch(/Odoo 16\.0.*Odoo 17\.0/);
    expect(fake.uploads).toHaveLength(0);
  });

  it.skipIf(!fixture16)('decrypts an encrypted backup on the way: Odoo receives the plain zip', async () => {
    const { fake, base } = await setup({ version: '16.0' });
    const plain = join(fixture16!, 'acme_small_zip.zip');
    const enc = join(await tmp(), 'acme.zip.gpg');
    await pipeline(await encryptStream(createReadStream(plain), { passphrase: 'pass phrase' }), createWriteStream(enc));
    const r = await restoreToOdoo({ ...base, source: localFileSource(enc), db: 'acme', decrypt: { passphrase: 'pass phrase' }, knownOdooVersion: '16.0' }, silentContext());
    expect(r.sent).toBe('zip');
    expect(fake.uploads[0]!.sha256).toBe(sha(await readFile(plain)));
    const wrong = await failure(restoreToOdoo({ ...base, source: localFileSource(enc), db: 'acme2', decrypt: { passphrase: 'nope' } }, silentContext()));
    expect(wrong.kind).toBe('AuthFailed');
    expect(fake.uploads).toHaveLength(1);
  });

  it('packs a plain SQL dump + filestore folder into an Odoo zip on the fly', async () => {
    const { fake, base } = await setup({ version: '16.0' });
    const dir = await tmp();
    await writeFile(join(dir, 'db.sql'), 'CREATE TABLE t (id int);\nCOPY t (id) FROM stdin;\n1\n\\.\n');
    await mkdir(join(dir, 'filestore', 'ab'), { recursive: true });
    await writeFile(join(dir, 'filestore', 'ab', 'abcdef0123'), Buffer.alloc(5000, 9));
    await writeFile(join(dir, 'manifest.json'), JSON.stringify({ version: '16.0', db_name: 'x' }));
    const mp: MultiPartBackup = { kind: 'multipart', name: 'folder', dump: localFileSource(join(dir, 'db.sql')), manifest: localFileSource(join(dir, 'manifest.json')), filestore: folderSource(join(dir, 'filestore')) };
    const r = await restoreToOdoo({ ...base, source: mp, db: 'packed', neutralize: true }, silentContext());
    expect(r.sent).toBe('packed-zip');
    const up = fake.uploads[0]!;
    expect(up.manifestVersion).toBe('16.0');
    expect((await zipNames(up.path)).sort()).toEqual(['dump.sql', 'filestore/ab/abcdef0123', 'manifest.json']);
    expect(up.fields.neutralize_database).toBe('on');
    expect(fake.databases.get('packed')?.neutralized).toBe(true);
  });

  it('replaces an existing database only once the new one is complete (temporary name, drop, rename)', async () => {
    const { fake, base } = await setup({ version: '16.0', databases: [{ name: 'prod' }] });
    const dump = join(await tmp(), 'x.dump');
    await writeFile(dump, Buffer.concat([Buffer.from('PGDMP'), Buffer.alloc(4096, 1)]));
    const taken = await failure(restoreToOdoo({ ...base, source: localFileSource(dump), db: 'prod' }, silentContext()));
    expect(taken.kind).toBe('Conflict');
    expect(fake.uploads).toHaveLength(0);

    fake.set({ failRestore: true });
    const failed = await failure(restoreToOdoo({ ...base, source: localFileSource(dump), db: 'prod', replace: true, knownOdooVersion: '16.0' }, silentContext()));
    const half = failed.details?.halfBuilt as string;
    expect(half).toMatch(/^bd_tmp_prod_/);
    expect(failed.message).toContain(`half-built database "${half}"`);
    expect(failed.hint).toMatch(/Drop it when it is not wanted\.$/);
    expect(failed.details?.command).toBe(`backup-desk odoo drop prod ${half} --confirm ${half}`);
    expect(fake.databases.get('prod')?.origin).toBe('seed'); // the old one untouched

    fake.set({ failRestore: false });
    const r = await restoreToOdoo({ ...base, source: localFileSource(dump), db: 'prod', replace: true, knownOdooVersion: '16.0' }, silentContext());
    expect(r.replaced).toBe(true);
    expect(fake.databases.get('prod')?.origin).toBe('restore');
    expect([...fake.databases.keys()].filter((n) => n.startsWith('bd_tmp_prod_') && n !== half)).toEqual([]);
  });

  it('says when Odoo left a half-built database under the target name', async () => {
    const { fake, base } = await setup({ version: '17.0', failRestore: true });
    const dump = join(await tmp(), 'x.dump');
    await writeFile(dump, Buffer.concat([Buffer.from('PGDMP'), Buffer.alloc(100)]));
    const e = await failure(restoreToOdoo({ ...base, source: localFileSource(dump), db: 'newdb', knownOdooVersion: '17.0' }, silentContext()));
    expect(e.details?.halfBuilt).toBe('newdb');
    expect(fake.databases.get('newdb')?.halfBuilt).toBe(true);
  });

  it('checks the size against the proxy before uploading: nothing is sent when nginx would refuse it', async () => {
    const { fake, base } = await setup({ version: '17.0', proxyMaxBodySize: 1024 * 1024 });
    const dump = join(await tmp(), 'big.dump');
    await writeFile(dump, Buffer.concat([Buffer.from('PGDMP'), Buffer.alloc(3 * 1024 * 1024)]));
    const e = await failure(restoreToOdoo({ ...base, source: localFileSource(dump), db: 'big', knownOdooVersion: '17.0' }, silentContext()));
    expect(e.details?.limit).toBe('proxy');
    expect(e.hint).toMatch(/client_max_body_size/);
    expect(fake.bodyBytesSeen).toBe(0);
    expect(fake.databases.has('big')).toBe(false);
  });

  it('does not refuse an encrypted backup on its stored size: what is sent is the decrypted zip, smaller than the limit', async () => {
    const dir = await tmp();
    const zip = join(dir, 'acme.zip');
    await writeTinyZip(zip, { 'dump.sql': 'CREATE TABLE t (id int);\n', 'manifest.json': JSON.stringify({ db_name: 'acme', version: '17.0' }), 'filestore/ab/abc': randomBytes(96 * 1024) });
    const enc = join(dir, 'acme.2024-05-01_10-00-00.zip.enc');
    await pipeline(await encryptStream(createReadStream(zip), { passphrase: 'pass phrase', armor: true }), createWriteStream(enc));
    const [plain, armored] = [(await stat(zip)).size, (await stat(enc)).size];
    expect(armored).toBeGreaterThan(plain + 16 * 1024); // armor: about 4/3 of the zip
    const { fake, base } = await setup({ version: '17.0', proxyMaxBodySize: plain + 8 * 1024 });
    const r = await restoreToOdoo({ ...base, source: localFileSource(enc), db: 'acme', decrypt: { passphrase: 'pass phrase' }, knownOdooVersion: '17.0' }, silentContext());
    expect(r.encrypted).toBe(true);
    expect(fake.databases.get('acme')?.halfBuilt).toBe(false);
    expect(fake.uploads[0]?.size).toBe(plain);
    expect(r.warnings.join(' ')).toMatch(/^prod refuses an upload of .*, the size of the encrypted backup as stored \(HTTP 413: its web server's client_max_body_size \(or its proxy's limit\)\)\. What is sent is the backup decrypted on the way/m);
    // Over the limit once decrypted too: the server's own 413 during the upload names it, and nothing is created.
    fake.set({ proxyMaxBodySize: plain / 2 });
    const e = await failure(restoreToOdoo({ ...base, source: localFileSource(enc), db: 'acme2', decrypt: { passphrase: 'pass phrase' }, knownOdooVersion: '17.0' }, silentContext()));
    expect(e.details?.limit).toBe('proxy');
    expect(e.hint).toMatch(/client_max_body_size/);
    expect(fake.databases.has('acme2')).toBe(false);
  });

  it('stops before uploading when the server\'s database manager is disabled (list_db = False)', async () => {
    const { fake, base } = await setup({ version: '17.0', listDb: false });
    const dump = join(await tmp(), 'x.dump');
    await writeFile(dump, Buffer.concat([Buffer.from('PGDMP'), Buffer.alloc(64 * 1024)]));
    const e = await failure(restoreToOdoo({ ...base, source: localFileSource(dump), db: 'nope', knownOdooVersion: '17.0' }, silentContext()));
    expect(e.kind).toBe('PermissionDenied');
    expect(e.message).toMatch(/database manager of .* is disabled \(list_db = False\)/);
    expect(fake.uploads).toHaveLength(0);
  });

  it('refuses an encrypted backup whose Odoo version the catalog knows, naming both versions, before uploading', async () => {
    const { fake, base } = await setup({ version: '17.0' });
    const enc = await encryptedTinyZip('16.0');
    const e = await failure(restoreToOdoo({ ...base, source: localFileSource(enc), db: 'acme', decrypt: { passphrase: 'pass phrase' }, knownOdooVersion: '16.0+e' }, silentContext()));
    expect(e.kind).toBe('InvalidInput');
    expect(e.message).toBe('The backup is from Odoo 16.0+e, and prod runs Odoo 17.0: Odoo does not migrate a database on restore.');
    expect(e.details).toMatchObject({ backupVersion: '16.0+e', serverVersion: '17.0' });
    expect(fake.uploads).toHaveLength(0);
    expect(fake.requests.some((r) => r.path === '/web/database/restore')).toBe(false);
  });

  it('restores an encrypted backup of unknown version with a warning saying it went unchecked and that Odoo does not migrate', async () => {
    const { fake, base } = await setup({ version: '17.0' });
    const enc = await encryptedTinyZip('17.0');
    const r = await restoreToOdoo({ ...base, source: localFileSource(enc), db: 'acme', decrypt: { passphrase: 'pass phrase' } }, silentContext());
    expect(r.odooVersion).toBeUndefined();
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/^The backup is encrypted, so its Odoo version could not be read before uploading.*sent to prod \(Odoo 17\.0\) unchecked: Odoo does not migrate a database on restore/);
    expect(r.warnings[0]).toMatch(/Inspect it first with its passphrase: inspect shows its Odoo version, and remembers it for a backup on a storage/);
    expect(fake.databases.get('acme')?.halfBuilt).toBe(false);
  });

  it('a pg_dump dump of unknown version: the warning does not send the user to inspect, which cannot tell either', async () => {
    const { base } = await setup({ version: '17.0' });
    const dump = join(await tmp(), 'acme.dump');
    await writeFile(dump, Buffer.concat([Buffer.from('PGDMP'), Buffer.alloc(1024)]));
    const r = await restoreToOdoo({ ...base, source: localFileSource(dump), db: 'acme' }, silentContext());
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/^The backup's Odoo version could not be read before uploading \(a pg_dump dump, or a zip without manifest\.json, does not record it\)\. It was sent to prod \(Odoo 17\.0\) unchecked/);
    expect(r.warnings[0]).not.toMatch(/Inspect (it|a backup) first/);
    expect(r.warnings[0]).toMatch(/make sure it comes from an Odoo 17 database\.$/);
  });

  it('stops at a wrong master password or a server that does not answer, before reading the backup', async () => {
    const { fake } = await setup();
    const dump = join(await tmp(), 'x.dump');
    await writeFile(dump, Buffer.from('PGDMP'));
    const client = new OdooManagerClient({ url: fake.url, masterPassword: 'wrong' });
    const e = await failure(restoreToOdoo({ instance: 'prod', client, mode: 'copy', neutralize: false, replace: false, source: localFileSource(dump), db: 'xx' }, silentContext()));
    expect(e.kind).toBe('AuthFailed');
    expect(fake.uploads).toHaveLength(0);
    await fake.close();
    const gone = await failure(restoreToOdoo({ instance: 'prod', client, mode: 'copy', neutralize: false, replace: false, source: localFileSource(dump), db: 'xx' }, silentContext()));
    expect(gone.kind).toBe('Transient');
    expect(gone.message).toMatch(/Cannot reach/);
  });
});
