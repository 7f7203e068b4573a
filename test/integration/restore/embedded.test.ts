/**
 * The embedded restore target through the Desk: a private PostgreSQL cluster made with the real
 * server binaries in a temp home, listening on a Unix socket only; a tiny Odoo-shaped zip (and,
 * with ODOO_FIXTURES_DIR, a real pg_dump custom-format backup through pg_restore) restored into it,
 * queried back, stopped by `desk.close()`, and reused by the next Desk on the same home.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Desk } from '../../../shared/core/desk';
import { EmbeddedPg, findServerBinaries } from '../../../shared/core/pg/embedded';
import { connect } from '../../../shared/core/pg/connection';
import { MemorySecretStore } from '../../../shared/core/secrets/secret-store';
import { writeTinyZip } from '../../helpers/gpg';
import { fixtureDirWith } from '../../helpers/fixtures';

const FIX = fixtureDirWith('acme_small_dump.dump');
const hasServer = (await findServerBinaries()) !== undefined;

const DUMP_SQL = `--
-- PostgreSQL database dump
--

-- Dumped from database version 15.4
-- Dumped by pg_dump version 15.4

SET statement_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);

CREATE TABLE public.ir_config_parameter (id serial NOT NULL, key character varying NOT NULL, value text NOT NULL, create_date timestamp without time zone, write_date timestamp without time zone);
CREATE TABLE public.res_partner (id integer NOT NULL, name character varying NOT NULL);

COPY public.ir_config_parameter (id, key, value, create_date, write_date) FROM stdin;
1\tdatabase.uuid\told-uuid-0000\t\\N\t\\N
2\tdatabase.secret\told-secret\t\\N\t\\N
\\.

SELECT pg_catalog.setval('public.ir_config_parameter_id_seq', 2, true);

COPY public.res_partner (id, name) FROM stdin;
1\tAcme
2\tJosé Müller
3\tZoë
\\.
`;
const FILE = Buffer.from('attachment bytes\n');
const FILE_SHA = createHash('sha1').update(FILE).digest('hex');

async function waitJob(desk: Desk, jobId: string): Promise<Record<string, unknown>> {
  for (;;) {
    const j = await desk['jobs:get']({ jobId });
    if (j.state === 'succeeded') return j.result as Record<string, unknown>;
    if (j.state !== 'running') throw new Error(`job ${j.state}: ${JSON.stringify(j.error)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function rows(pgUrl: string, db: string, sql: string): Promise<Array<Record<string, unknown>>> {
  const c = await connect(pgUrl, db);
  try {
    return (await c.query(sql)).rows as Array<Record<string, unknown>>;
  } finally {
    await c.end();
  }
}

/** Whether `pid` is a live process (a zombie no init process has reaped yet counts as gone). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return process.platform !== 'linux';
  }
}

describe.skipIf(!hasServer || process.platform === 'win32')('embedded restore target (private PostgreSQL on a Unix socket)', () => {
  let tmp: string;
  let home: string;
  let zip: string;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'bd-emb-'));
    home = join(tmp, 'home');
    zip = join(tmp, 'emb_src_2026-01-02_03-04-05.zip');
    await writeTinyZip(zip, {
      'dump.sql': DUMP_SQL,
      'manifest.json': JSON.stringify({ odoo_dump: '1', db_name: 'emb_src', version: '16.0', major_version: '16.0', pg_version: '15.0' }),
      [`filestore/${FILE_SHA.slice(0, 2)}/${FILE_SHA}`]: FILE,
    });
  });

  afterAll(async () => {
    await new EmbeddedPg({ home }).destroy().catch(() => undefined);
    await rm(tmp, { recursive: true, force: true });
  });

  it('lists the target, restores a zip into it, stops on close, and reuses the cluster on the next start', async () => {
    const desk = await Desk.open({ home, secrets: new MemorySecretStore() });
    const targets = await desk['targets:detect']({});
    const emb = targets.find((t) => t.target.type === 'embedded');
    expect(emb).toMatchObject({ id: 'embedded', available: true });
    expect(emb?.detail).toMatch(/^private PostgreSQL \d+\.\d+ in .+; started on demand$/);
    expect(await desk.embedded.isRunning()).toBe(false);

    // Not made yet: the name check says a valid name is free without creating the cluster (initdb, 40 MB).
    expect(await desk['restore:check-name']({ db: 'emb_one', target: { type: 'embedded' } })).toEqual({ valid: true, exists: false });
    expect((await desk['restore:check-name']({ db: 'bad name!', target: { type: 'embedded' } })).valid).toBe(false);
    await expect(stat(join(home, 'embedded-pg', 'data', 'PG_VERSION'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await desk.embedded.isRunning()).toBe(false);
    // Once made, the name check starts the server and asks it.
    await desk.embedded.start();
    await desk.embedded.stop();
    expect(await desk['restore:check-name']({ db: 'emb_one', target: { type: 'embedded' } })).toEqual({ valid: true, exists: false });
    const pid = await desk.embedded.livePid();
    expect(pid).toBeGreaterThan(0);

    // Under the home, also as root (never a temp folder a reboot clears), with the database files in it.
    expect(desk.embedded.root).toBe(join(home, 'embedded-pg'));
    expect((await stat(join(home, 'embedded-pg', 'data', 'PG_VERSION'))).isFile()).toBe(true);
    // Private: socket only, 0700 folders, no TCP listener.
    const conf = await readFile(join(desk.embedded.dataDir, 'backup-desk.conf'), 'utf8');
    expect(conf).toContain("listen_addresses = ''");
    expect((await stat(desk.embedded.root)).mode & 0o777).toBe(0o700);
    expect((await stat(desk.embedded.socketDir)).mode & 0o777).toBe(0o700);
    expect((await stat(desk.embedded.socketPath)).isSocket()).toBe(true);
    const info = await desk.embedded.start();
    const settings = await rows(info.pgUrl, 'postgres', "SELECT current_setting('listen_addresses') AS l, current_setting('unix_socket_directories') AS d");
    expect(settings[0]).toEqual({ l: '', d: desk.embedded.socketDir });

    const { jobId } = await desk['restore:start']({ source: zip, db: 'emb_one', target: { type: 'embedded' }, mode: 'copy', neutralize: false, replace: false, filestore: true });
    const result = await waitJob(desk, jobId);
    expect(result).toMatchObject({ db: 'emb_one', format: 'zip', tables: 2, filestoreFiles: 1, target: { type: 'embedded', socketDir: desk.embedded.socketDir, port: 5432 } });
    expect(result.filestorePath).toBe(join(home, 'embedded-pg', 'odoo-data', 'filestore', 'emb_one'));
    expect(await readFile(join(result.filestorePath as string, FILE_SHA.slice(0, 2), FILE_SHA))).toEqual(FILE);
    const partners = await rows(info.pgUrl, 'emb_one', 'SELECT id, name FROM res_partner ORDER BY id');
    expect(partners).toEqual([
      { id: 1, name: 'Acme' },
      { id: 2, name: 'José Müller' },
      { id: 3, name: 'Zoë' },
    ]);
    const uuid = await rows(info.pgUrl, 'emb_one', "SELECT value FROM ir_config_parameter WHERE key = 'database.uuid'");
    expect(uuid[0]?.value).not.toBe('old-uuid-0000'); // copy mode regenerated the identity

    const ov = await desk.embedded.overview();
    expect(ov).toMatchObject({ root: join(home, 'embedded-pg'), running: true, initialised: true, socketPath: desk.embedded.socketPath });
    expect(ov.databases?.map((d) => d.name)).toEqual(['emb_one', 'postgres']);
    expect(ov.databases?.[0]?.bytes).toBeGreaterThan(1_000_000);
    expect(ov.diskBytes).toBeGreaterThan(ov.databases![0]!.bytes);

    await desk.close();
    expect(alive(pid!)).toBe(false);
    expect(await desk.embedded.overview()).toMatchObject({ running: false, initialised: true });
    expect(await desk.embedded.isRunning()).toBe(false);

    // A second Desk on the same home: same cluster, the restored database is still there.
    const desk2 = await Desk.open({ home, secrets: new MemorySecretStore() });
    try {
      expect(await desk2['restore:check-name']({ db: 'emb_one', target: { type: 'embedded' } })).toMatchObject({ valid: true, exists: true });
      const again = await rows((await desk2.embedded.start()).pgUrl, 'emb_one', 'SELECT count(*)::int AS n FROM res_partner');
      expect(again).toEqual([{ n: 3 }]);
      const running = (await desk2['targets:detect']({})).find((t) => t.id === 'embedded');
      expect(running?.detail).toMatch(/running \(socket /);
      // A Desk that never used the target (e.g. a CLI run beside the app) leaves the server alone.
      const bystander = await Desk.open({ home, secrets: new MemorySecretStore() });
      await bystander['targets:detect']({});
      await bystander.close();
      expect(await desk2.embedded.isRunning()).toBe(true);
    } finally {
      await desk2.close();
    }
    expect(await desk2.embedded.isRunning()).toBe(false);
  }, 60_000);

  it('leaves running a server it found running (started by `embedded start` or another process), and stops one it started', async () => {
    const first = new EmbeddedPg({ home });
    await first.start();
    const second = new EmbeddedPg({ home });
    await second.start();
    await second.stop();
    expect(await first.isRunning()).toBe(true);
    await first.stop();
    expect(await first.isRunning()).toBe(false);
  }, 60_000);

  it('recovers from a stale postmaster.pid left by a crash', async () => {
    const e = new EmbeddedPg({ home });
    await e.start();
    const pid = (await e.livePid())!;
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
    // Children may linger a moment after the postmaster dies; the lock files stay behind.
    await stat(join(e.dataDir, 'postmaster.pid'));
    expect(await e.isRunning()).toBe(false);
    await new Promise((r) => setTimeout(r, 500));
    const info = await e.start();
    expect(await rows(info.pgUrl, 'emb_one', 'SELECT count(*)::int AS n FROM res_partner')).toEqual([{ n: 3 }]);
    await e.stop();
  }, 60_000);

  it.skipIf(!FIX)('restores a real pg_dump custom-format backup through pg_restore on the socket', async () => {
    const desk = await Desk.open({ home, secrets: new MemorySecretStore() });
    try {
      const expected = JSON.parse(await readFile(join(FIX!, 'acme_small_dump.expected.json'), 'utf8')) as { table_count: number; tables: Record<string, number> };
      const { jobId } = await desk['restore:start']({ source: join(FIX!, 'acme_small_dump.dump'), db: 'acme_emb', target: { type: 'embedded' }, mode: 'copy', neutralize: true, replace: false, filestore: true });
      const result = await waitJob(desk, jobId);
      expect(result).toMatchObject({ db: 'acme_emb', format: 'dump', tables: expected.table_count });
      const n = await rows(desk.embedded.pgUrl, 'acme_emb', 'SELECT count(*)::int AS n FROM res_partner');
      expect(n).toEqual([{ n: expected.tables.res_partner }]);
    } finally {
      await desk.close();
    }
    expect(await desk.embedded.isRunning()).toBe(false);
  }, 90_000);
});
