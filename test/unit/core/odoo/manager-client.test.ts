import { createHash } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { writeZip } from '../../../../shared/core/backup/zip-writer';
import { OdooManagerClient } from '../../../../shared/core/odoo';
import { AppError, isAppError } from '../../../../shared/core/errors';
import { startFakeOdoo, uploadBytes, type FakeOdoo, type FakeOdooOptions } from '../../../helpers/fake-services/odoo-manager';

const PW = 's3cret-master';
let fake: FakeOdoo | undefined;

afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function start(opts: FakeOdooOptions = {}): Promise<{ fake: FakeOdoo; client: OdooManagerClient }> {
  fake = await startFakeOdoo({ masterPassword: PW, ...opts });
  return { fake, client: new OdooManagerClient({ url: fake.url, masterPassword: PW }) };
}

/** A small Odoo-shaped zip (dump.sql first, manifest.json, one filestore file). */
async function odooZip(version = '17.0'): Promise<Buffer> {
  const buf = (name: string, text: string) => ({ name, deflate: true, data: { kind: 'buffer' as const, buffer: Buffer.from(text) } });
  const entries = [buf('dump.sql', 'CREATE TABLE t (id int);\n'), buf('manifest.json', JSON.stringify({ odoo_dump: '1', db_name: 'src', version, major_version: version, pg_version: '15.0', modules: {} })), buf('filestore/ab/abcdef', 'attachment bytes')];
  const parts: Buffer[] = [];
  for await (const c of writeZip((async function* () { yield* entries; })())) parts.push(c);
  return Buffer.concat(parts);
}

async function* chunks(b: Buffer, size = 64 * 1024): AsyncGenerator<Buffer> {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
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

describe.each(['16.0', '17.0'])('OdooManagerClient against an Odoo %s database manager', (version) => {
  it('reads the version, the databases and whether one exists; checks the master password', async () => {
    const { client } = await start({ version, databases: [{ name: 'prod' }, { name: 'staging' }] });
    expect(await client.version()).toEqual({ version, serie: version, major: Number(version.slice(0, 2)) });
    expect(await client.listDatabases()).toEqual([{ name: 'prod' }, { name: 'staging' }]);
    expect(await client.databaseExists('prod')).toBe(true);
    expect(await client.databaseExists('nope')).toBe(false);
    await client.checkMasterPassword();
    const wrong = new OdooManagerClient({ url: fake!.url, masterPassword: 'wrong' });
    const e = await failure(wrong.checkMasterPassword());
    expect(e.kind).toBe('AuthFailed');
    expect(e.message).toMatch(/master password/);
  });

  it('restores a streamed upload: 303 is success, the bytes arrive intact, copy/neutralize sent as Odoo reads them', async () => {
    const { fake, client } = await start({ version });
    const zip = await odooZip(version);
    let sent = 0;
    let uploaded = false;
    const r = await client.restore({ name: 'restored', data: chunks(zip), size: zip.length, filename: 'backup.zip', copy: true, neutralize: false, onSent: (n) => (sent = n), onUploaded: () => (uploaded = true) });
    expect(r.bytesSent).toBeGreaterThan(zip.length);
    expect(sent).toBe(r.bytesSent);
    expect(uploaded).toBe(true);
    const up = fake.uploads[0]!;
    expect(up.outcome).toBe('restored');
    expect(up.sha256).toBe(sha(zip));
    expect(await uploadBytes(up)).toEqual(zip);
    expect(up.fields.copy).toBe('true');
    expect('neutralize_database' in up.fields).toBe(false); // "false" would neutralize on 16+
    expect(up.manifestVersion).toBe(version);
    expect(fake.databases.get('restored')).toMatchObject({ halfBuilt: false, neutralized: false, newIdentity: true });
    expect(await client.databaseExists('restored')).toBe(true);

    await client.restore({ name: 'neutral', data: chunks(zip), filename: 'backup.zip', copy: false, neutralize: true });
    expect(fake.uploads[1]!.fields).toMatchObject({ copy: 'false', neutralize_database: 'on' });
    expect(fake.databases.get('neutral')).toMatchObject({ neutralized: true, newIdentity: false });
    // Without a size the body goes chunked; the server still gets every byte.
    expect(fake.uploads[1]!.sha256).toBe(sha(zip));
  });

  it('classifies Odoo\'s 200 error pages: wrong master password, name taken, half-built database left behind', async () => {
    const { fake, client } = await start({ version, databases: [{ name: 'prod' }] });
    const zip = await odooZip(version);
    const wrong = new OdooManagerClient({ url: fake.url, masterPassword: 'nope' });
    const auth = await failure(wrong.restore({ name: 'x', data: chunks(zip), size: zip.length, filename: 'b.zip', copy: true, neutralize: false }));
    expect(auth.kind).toBe('AuthFailed');
    expect(auth.details?.odooMessage).toBe('Database restore error: Access Denied');
    expect(fake.databases.has('x')).toBe(false);

    const taken = await failure(client.restore({ name: 'prod', data: chunks(zip), size: zip.length, filename: 'b.zip', copy: true, neutralize: false }));
    expect(taken.kind).toBe('Conflict');

    fake.set({ failRestore: true });
    const half = await failure(client.restore({ name: 'half', data: chunks(zip), size: zip.length, filename: 'b.zip', copy: true, neutralize: false }));
    expect(half.kind).toBe('Fatal');
    expect(half.message).toContain("Couldn't restore database");
    expect(half.hint).toMatch(/half-built/);
    expect(await client.databaseExists('half')).toBe(true); // Odoo does not clean up
    await client.drop('half');
    expect(await client.databaseExists('half')).toBe(false);

    fake.set({ failRestore: false });
    const notZip = await failure(client.restore({ name: 'junk', data: chunks(Buffer.from('not a backup at all')), filename: 'b.zip', copy: true, neutralize: false }));
    expect(notZip.message).toContain("Couldn't restore database");
    expect(fake.databases.get('junk')?.halfBuilt).toBe(true);
  });

  it('tells a disabled database manager (list_db = False) from a wrong password', async () => {
    const { fake, client } = await start({ version, listDb: false, databases: [{ name: 'prod' }] });
    const list = await failure(client.listDatabases());
    expect(list.kind).toBe('PermissionDenied');
    expect(list.message).toMatch(/disabled/);
    await client.checkMasterPassword(); // the password itself is right
    const zip = await odooZip(version);
    const e = await failure(client.restore({ name: 'x', data: chunks(zip), size: zip.length, filename: 'b.zip', copy: true, neutralize: false }));
    expect(e.kind).toBe('PermissionDenied');
    expect(e.hint).toMatch(/list_db = True/);
    expect(fake.databases.has('x')).toBe(false);
    expect(await client.databaseExists('prod')).toBe(true); // db_exist still answers
  });

  it('streams a backup: zip bytes, Odoo\'s filename from filename*, no size; errors from the 200 page', async () => {
    const zip = await odooZip(version);
    const { fake, client } = await start({ version, databases: [{ name: 'prod' }] });
    await client.restore({ name: 'copy1', data: chunks(zip), size: zip.length, filename: 'b.zip', copy: true, neutralize: false });
    const b = await client.streamBackup('copy1', 'zip');
    expect(b.filename).toMatch(/^copy1_\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d\.zip$/);
    expect(b.size).toBeUndefined();
    const parts: Buffer[] = [];
    for await (const c of b.stream) parts.push(c as Buffer);
    expect(Buffer.concat(parts)).toEqual(zip);

    const dump = await client.streamBackup('prod', 'dump');
    const d: Buffer[] = [];
    for await (const c of dump.stream) d.push(c as Buffer);
    expect(Buffer.concat(d).subarray(0, 5).toString()).toBe('PGDMP');
    expect(dump.filename).toMatch(/\.dump$/);

    const unknown = await failure(client.streamBackup('nope', 'zip'));
    expect(unknown.kind).toBe('NotFound');
    expect(unknown.details?.odooMessage).toMatch(/^Database backup error: .*database "nope" does not exist/);
    const wrong = await failure(new OdooManagerClient({ url: fake.url, masterPassword: 'x' }).streamBackup('prod', 'zip'));
    expect(wrong.kind).toBe('AuthFailed');
  });

  it('duplicates (optionally neutralized) and drops; an unknown drop is NotFound although Odoo answers 303', async () => {
    const { fake, client } = await start({ version, databases: [{ name: 'prod' }] });
    await client.duplicate('prod', 'prod-test', { neutralize: true });
    expect(fake.databases.get('prod-test')).toMatchObject({ origin: 'duplicate', neutralized: true });
    await client.duplicate('prod', 'prod-copy');
    expect(fake.databases.get('prod-copy')?.neutralized).toBe(false);
    expect((await failure(client.duplicate('prod', '-bad name'))).kind).toBe('InvalidInput');
    expect((await failure(client.duplicate('prod', 'prod-copy'))).kind).toBe('Conflict');
    await client.drop('prod-copy');
    expect(fake.databases.has('prod-copy')).toBe(false);
    expect((await failure(client.drop('prod-copy'))).kind).toBe('NotFound');
    const wrong = await failure(new OdooManagerClient({ url: fake.url, masterPassword: 'x' }).drop('prod'));
    expect(wrong.kind).toBe('AuthFailed');
    expect(fake.databases.has('prod')).toBe(true);
  });
});

describe('OdooManagerClient: limits, time-outs, cancel, unreachable', () => {
  it('names the proxy\'s client_max_body_size on nginx\'s 413, announced or chunked', async () => {
    const { fake, client } = await start({ proxyMaxBodySize: 64 * 1024 });
    const big = Buffer.alloc(512 * 1024, 7);
    for (const size of [big.length, undefined]) {
      const e = await failure(client.restore({ name: 'big', data: chunks(big), ...(size !== undefined ? { size } : {}), filename: 'b.dump', copy: true, neutralize: false }));
      expect(e.kind).toBe('Unsupported');
      expect(e.details?.limit).toBe('proxy');
      expect(e.hint).toMatch(/client_max_body_size/);
    }
    expect(fake.databases.has('big')).toBe(false);
  });

  it('names Odoo 17\'s own upload cap on Werkzeug\'s 413', async () => {
    const { client } = await start({ odooMaxContentLength: 128 * 1024 });
    const big = Buffer.alloc(300 * 1024, 1);
    const e = await failure(client.restore({ name: 'big', data: chunks(big), size: big.length, filename: 'b.dump', copy: true, neutralize: false }));
    expect(e.details?.limit).toBe('odoo');
    expect(e.hint).toMatch(/128 MiB/);
  });

  it('a worker killed past limit_time_real: says so, and the half-built database is there', async () => {
    const { client } = await start({ limitTimeRealMs: 300, restoreWorkMs: 1500 });
    const dump = Buffer.concat([Buffer.from('PGDMP'), Buffer.alloc(1000)]);
    const e = await failure(client.restore({ name: 'slow', data: chunks(dump), size: dump.length, filename: 'b.dump', copy: true, neutralize: false }));
    expect(e.kind).toBe('Transient');
    expect(e.details?.timeout).toBe(true);
    expect(e.hint).toMatch(/limit_time_real/);
    expect(await client.databaseExists('slow')).toBe(true);
  });

  it('cancel mid-upload: Cancelled at once, the server creates nothing', async () => {
    const { fake, client } = await start();
    const ctrl = new AbortController();
    let produced = 0;
    async function* endless(): AsyncGenerator<Buffer> {
      yield Buffer.from('PGDMP');
      for (;;) {
        const c = Buffer.alloc(64 * 1024, 3);
        produced += c.length;
        if (produced > 4 * 1024 * 1024) ctrl.abort();
        yield c;
        await new Promise((r) => setImmediate(r));
      }
    }
    const e = await failure(client.restore({ name: 'cancelled', data: endless(), filename: 'b.dump', copy: true, neutralize: false, signal: ctrl.signal }));
    expect(e.kind).toBe('Cancelled');
    await new Promise((r) => setTimeout(r, 100));
    expect(fake.databases.has('cancelled')).toBe(false);
    expect(fake.uploads).toHaveLength(0);
    expect(produced).toBeLessThan(8 * 1024 * 1024); // the source stopped being read
  });

  it('an address where nothing listens is unreachable (Transient, says to check the URL)', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const e = await failure(new OdooManagerClient({ url: `http://127.0.0.1:${port}`, masterPassword: PW }).version());
    expect(e.kind).toBe('Transient');
    expect(e.message).toMatch(/Cannot reach/);
  });

  it('a server that is not Odoo: 404 on the JSON routes is NotFound', async () => {
    const { fake } = await start();
    const e = await failure(new OdooManagerClient({ url: `${fake.url}/not-odoo`, masterPassword: PW }).version());
    expect(isAppError(e, 'NotFound')).toBe(true);
  });

  it('an address that redirects (http to https, nginx 301) says where to, and that the instance needs that address', async () => {
    const server = createHttpServer((req, res) => {
      req.resume();
      res.writeHead(301, { location: `https://odoo.example.com${req.url ?? '/'}`, 'content-type': 'text/html' });
      res.end('<html><head><title>301 Moved Permanently</title></head><body><center>nginx</center></body></html>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      const e = await failure(new OdooManagerClient({ url, masterPassword: PW }).version());
      expect(e.kind).toBe('InvalidInput');
      expect(e.message).toBe(`${url} redirects to https://odoo.example.com (HTTP 301): the database manager is not reached at this address.`);
      expect(e.hint).toBe('Give the instance the address it redirects to: https://odoo.example.com');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('probes the upload limits without uploading: nginx and Odoo 17 answer 413 at once, an open server creates nothing', async () => {
    const { fake, client } = await start({ proxyMaxBodySize: 1024 * 1024 });
    const e = await client.probeUploadLimit(5 * 1024 * 1024);
    expect(e?.details?.limit).toBe('proxy');
    expect(await client.probeUploadLimit(512 * 1024, undefined, 300)).toBeUndefined();
    fake.set({ proxyMaxBodySize: undefined, odooMaxContentLength: 128 * 1024 * 1024 });
    expect((await client.probeUploadLimit(200 * 1024 * 1024))?.details?.limit).toBe('odoo');
    await new Promise((r) => setTimeout(r, 100));
    expect(fake.databases.size).toBe(0);
    expect(fake.uploads).toHaveLength(0);
  });

  it('renames through db.rename (Conflict when the new name is taken)', async () => {
    const { fake, client } = await start({ databases: [{ name: 'a' }, { name: 'b' }] });
    await client.rename('a', 'c');
    expect([...fake.databases.keys()].sort()).toEqual(['b', 'c']);
    expect((await failure(client.rename('b', 'c'))).kind).toBe('Conflict');
    expect((await failure(client.rename('zz', 'y'))).kind).toBe('NotFound');
  });

  it('checking the password never trips 14.0+\'s "admin is replaced by what you send" quirk', async () => {
    const { fake } = await start({ masterPassword: 'admin' });
    const c = new OdooManagerClient({ url: fake.url, masterPassword: 'guess' });
    expect((await failure(c.checkMasterPassword())).kind).toBe('AuthFailed');
    expect(fake.masterPassword).toBe('admin');
  });

  it('a wrong stored password never drops, duplicates or backs up through the "admin" quirk (checked first, side-effect free)', async () => {
    const { fake } = await start({ masterPassword: 'admin', databases: [{ name: 'prod' }] });
    const c = new OdooManagerClient({ url: fake.url, masterPassword: 'typo' });
    expect((await failure(c.drop('prod'))).kind).toBe('AuthFailed');
    expect((await failure(c.duplicate('prod', 'prod-copy'))).kind).toBe('AuthFailed');
    expect((await failure(c.streamBackup('prod', 'zip'))).kind).toBe('AuthFailed');
    expect(fake.masterPassword).toBe('admin');
    expect([...fake.databases.keys()]).toEqual(['prod']);
    expect(fake.requests.filter((r) => r.path.startsWith('/web/database/'))).toEqual([]);
  });
});
