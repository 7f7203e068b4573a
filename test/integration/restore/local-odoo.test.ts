/**
 * One-click restore into the Odoo on this machine, through the CLI in-process: `--odoo-conf`
 * gives its PostgreSQL, role, password (never printed) and data dir; the restored database and
 * every object in it belong to Odoo's role, which can work in it at once; the filestore belongs to
 * the data dir's owner with Odoo's modes; the result says how to open it. `--owner ROLE` does
 * the same on any target; without it and without a local Odoo, a warning says what Odoo needs.
 */
import { createHash } from 'node:crypto';
import { chown, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../../shared/core/pg/connection';
import { detectLocalOdoo } from '../../../shared/core/local-odoo';
import { Desk } from '../../../shared/core/desk';
import { MemorySecretStore } from '../../../shared/core/secrets/secret-store';
import { writeTinyZip } from '../../helpers/gpg';
import { psql, startPgCluster, type PgCluster } from '../../helpers/pg-cluster';
import { runCliInProcess } from '../../helpers/cli-in-process';

const PASSWORD = 'odoo-Secret-pw-93';
const FILE = Buffer.from('attachment bytes\n');
const SHA = createHash('sha1').update(FILE).digest('hex');
const DUMP = `SET client_encoding = 'UTF8';
CREATE TABLE public.res_users (id serial PRIMARY KEY, login character varying NOT NULL);
CREATE TABLE public.ir_config_parameter (id serial NOT NULL, key character varying NOT NULL, value text NOT NULL);
CREATE TABLE public.ir_attachment (id serial PRIMARY KEY, name character varying, store_fname character varying);
COPY public.ir_attachment (id, name, store_fname) FROM stdin;
1\tlogo.png\t${SHA.slice(0, 2)}/${SHA}
\\.
COPY public.res_users (id, login) FROM stdin;
1\tadmin
\\.
SELECT pg_catalog.setval('public.res_users_id_seq', 1, true);
`;
const asRoot = process.getuid?.() === 0;

let pg: PgCluster;
let tmp: string;
let zip: string;
let dataDir: string;
let conf: string;

const cli = (args: string[]) => runCliInProcess(join(tmp, 'home'), args);

async function query(url: string, db: string, sql: string): Promise<unknown[]> {
  const c = await connect(url, db);
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  pg = await startPgCluster();
  tmp = await mkdtemp(join(tmpdir(), 'bd-local-odoo-'));
  zip = join(tmp, 'shop_2026-01-02_03-04-05.zip');
  await writeTinyZip(zip, {
    'dump.sql': DUMP,
    'manifest.json': JSON.stringify({ odoo_dump: '1', db_name: 'shop', version: '17.0', major_version: '17.0', pg_version: '15.0' }),
    [`filestore/${SHA.slice(0, 2)}/${SHA}`]: FILE,
  });
  await psql(pg.url, `CREATE ROLE odoo LOGIN CREATEDB PASSWORD '${PASSWORD}'; CREATE ROLE odoo_other LOGIN;`);
  dataDir = join(tmp, 'odoo-data');
  await mkdir(dataDir, { mode: 0o700 });
  if (asRoot) await chown(dataDir, 65534, 65534); // the Odoo service user owns its data dir
  conf = join(tmp, 'odoo.conf');
  await writeFile(conf, `[options]\ndb_host = 127.0.0.1\ndb_port = ${pg.port}\ndb_user = odoo\ndb_password = ${PASSWORD}\ndata_dir = ${dataDir}\nhttp_port = 8071\n`, { mode: 0o600 });
}, 120_000);
afterAll(async () => {
  await pg?.stop();
  await rm(tmp, { recursive: true, force: true });
});

describe('restore into the Odoo on this machine', () => {
  it('is the first restore target when its odoo.conf is found ($ODOO_RC here), with the role it connects as (the wizard\'s default owner), its password never shown', async () => {
    const before = process.env.ODOO_RC;
    process.env.ODOO_RC = conf;
    const desk = await Desk.open({ home: join(tmp, 'home'), secrets: new MemorySecretStore() });
    try {
      const targets = await desk['targets:detect']({});
      expect(targets[0]).toMatchObject({ id: 'local-odoo', label: 'The Odoo on this machine', available: true, target: { type: 'local-odoo', conf }, odooRole: 'odoo' });
      expect(targets[0]!.detail).toMatch(new RegExp(`^${conf}: PostgreSQL \\d+\\.\\d+.* as role odoo, data dir ${dataDir}, http://localhost:8071$`));
      expect(JSON.stringify(targets)).not.toContain(PASSWORD);
    } finally {
      await desk.close();
      if (before === undefined) delete process.env.ODOO_RC;
      else process.env.ODOO_RC = before;
    }
  });

  it('--odoo-conf: Odoo\'s role owns everything, the filestore is the data dir owner\'s, and the result says how to open it', async () => {
    const r = await cli(['restore', zip, '--db', 'shop_copy', '--odoo-conf', conf]);
    expect(r.err).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(r.out + r.err).not.toContain(PASSWORD);
    expect(r.out).toContain('owner: odoo (the database and all its objects)');
    expect(r.out).toContain('open: http://localhost:8071/web?db=shop_copy');
    expect(r.out).toContain(`connect: psql -h 127.0.0.1 -p ${pg.port} -U odoo shop_copy`);
    const owners = await query(pg.url, 'shop_copy', "SELECT DISTINCT pg_get_userbyid(relowner) AS o FROM pg_class WHERE relnamespace = 'public'::regnamespace UNION SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'shop_copy'");
    expect(owners).toEqual([{ o: 'odoo' }]);
    const fsDir = join(dataDir, 'filestore', 'shop_copy');
    const f = await stat(join(fsDir, SHA.slice(0, 2), SHA));
    expect((f.mode & 0o777).toString(8)).toBe('644');
    expect(((await stat(fsDir)).mode & 0o777).toString(8)).toBe('755');
    if (asRoot) {
      expect(r.out).toContain('filestore owned by nobody');
      expect([f.uid, f.gid]).toEqual([65534, 65534]);
    }
  }, 60_000);

  it('a login its PostgreSQL refuses points at the odoo.conf the role came from', async () => {
    const bad = join(tmp, 'odoo-ghost.conf');
    await writeFile(bad, `[options]\ndb_host = 127.0.0.1\ndb_port = ${pg.port}\ndb_user = ghost_role\ndata_dir = ${dataDir}\n`, { mode: 0o600 });
    const r = await cli(['restore', zip, '--db', 'shop_ghost', '--odoo-conf', bad]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error: .*refused the login: .*ghost_role/m);
    expect(r.err).toContain(`hint: The role came from ${bad} (db_user): check it there, or restore into another target.`);
  }, 60_000);

  it('--owner ROLE on a server URL: connected as the superuser, the database is given to the role, which can then work in it', async () => {
    const r = await cli(['restore', zip, '--db', 'shop_owned', '--target', pg.url, '--data-dir', join(tmp, 'other-data'), '--owner', 'odoo_other']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('owner: odoo_other (the database and all its objects)');
    const other = pg.urlFor('postgres').replace('//postgres@', '//odoo_other@');
    await query(other, 'shop_owned', "INSERT INTO res_users (login) VALUES ('demo')");
    expect(await query(other, 'shop_owned', 'SELECT login FROM res_users ORDER BY id')).toEqual([{ login: 'admin' }, { login: 'demo' }]);
  }, 60_000);

  it('the owner is settled while the database still has its temporary name: it never shows under its name owned by another role', async () => {
    const desk = await Desk.open({ home: join(tmp, 'home-early'), secrets: new MemorySecretStore() });
    const watcher = await connect(pg.url, 'postgres');
    try {
      const { jobId } = await desk['restore:start']({ source: zip, db: 'shop_early', target: { type: 'postgres', url: pg.url }, mode: 'copy', neutralize: false, replace: false, filestore: false, owner: 'odoo_other' });
      // Watch the name as often as the server answers until the job ends (before, it stood there owned by postgres until the owner changed).
      const owners = new Set<string>();
      while (desk.jobs.get(jobId)!.state === 'running') {
        const r = await watcher.query<{ o: string }>("SELECT pg_get_userbyid(datdba) AS o FROM pg_database WHERE datname = 'shop_early'");
        if (r.rows[0]) owners.add(r.rows[0].o);
      }
      expect(desk.jobs.get(jobId)!.state).toBe('succeeded');
      const final = await watcher.query<{ o: string }>("SELECT pg_get_userbyid(datdba) AS o FROM pg_database WHERE datname = 'shop_early'");
      owners.add(final.rows[0]!.o);
      expect([...owners]).toEqual(['odoo_other']);
      expect(desk.jobs.get(jobId)!.result).toMatchObject({ owner: 'odoo_other', psql: expect.stringMatching(/ -U odoo_other shop_early$/) });
    } finally {
      await watcher.end();
      await desk.close();
    }
  }, 60_000);

  it('without --owner and no Odoo found, it warns what Odoo will need; an unknown --owner is refused with the statement to create it', async () => {
    const r = await cli(['restore', zip, '--db', 'shop_plain', '--target', pg.url, '--data-dir', join(tmp, 'plain-data'), '--no-filestore']);
    expect(r.code).toBe(0);
    // Nothing in S3/Swift was asked about: the result does not mention it.
    expect(r.out).not.toContain('S3/Swift');
    if (!(await detectLocalOdoo())) {
      expect(r.out).toContain('owner: postgres (the database and all its objects)');
      expect(r.err).toMatch(/^warning: The database and its objects belong to "postgres", .* it will get "permission denied"\.\nhint: restore again with --owner ROLE, the role Odoo connects as \(db_user in its odoo\.conf\)\.$/m);
      expect(r.err).not.toMatch(/Owner \(role\)/);
    }
    // Shown while the restore runs and kept in its result: printed once.
    expect(r.err.match(/warning: 1 attachments point into the filestore, which was not restored/g)).toHaveLength(1);
    const bad = await cli(['restore', zip, '--db', 'shop_bad', '--target', pg.url, '--data-dir', join(tmp, 'bad-data'), '--no-filestore', '--owner', 'nobody_here']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/The role "nobody_here" .* does not exist.*\n.*CREATE ROLE "nobody_here"/);
    expect(await query(pg.url, 'postgres', "SELECT datname FROM pg_database WHERE datname LIKE '%shop_bad%'")).toEqual([]); // refused before any work
  }, 60_000);
});
