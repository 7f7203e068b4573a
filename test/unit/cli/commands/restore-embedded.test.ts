/**
 * CLI: `restore … --target embedded` restores into the private PostgreSQL under the home (real
 * server binaries, Unix socket only), says where it went (socket path, a psql line), and the
 * database is there when the cluster is started again.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../../../shared/core/pg/connection';
import { EmbeddedPg, findServerBinaries } from '../../../../shared/core/pg/embedded';
import { writeTinyZip } from '../../../helpers/gpg';
import { runCliInProcess } from '../../../helpers/cli-in-process';

const run = promisify(execFile);
const hasServer = (await findServerBinaries()) !== undefined;
const DUMP_SQL = `SET client_encoding = 'UTF8';
CREATE TABLE public.res_partner (id integer NOT NULL, name character varying NOT NULL);
COPY public.res_partner (id, name) FROM stdin;
1\tAcme
2\tZoë
\\.
`;

let tmp: string;
let home: string;
let zip: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'bd-cli-emb-'));
  home = join(tmp, 'home');
  zip = join(tmp, 'emb_cli_2026-01-02_03-04-05.zip');
  await writeTinyZip(zip, {
    'dump.sql': DUMP_SQL,
    'manifest.json': JSON.stringify({ odoo_dump: '1', db_name: 'emb_cli', version: '16.0', major_version: '16.0', pg_version: '15.0' }),
  });
});
afterAll(async () => {
  await new EmbeddedPg({ home }).destroy().catch(() => undefined);
  await rm(tmp, { recursive: true, force: true });
});

const cli = (args: string[]) => runCliInProcess(home, args);

describe('restore --target embedded', () => {
  it('is documented in --help, and other words are a usage error naming it', async () => {
    const help = await cli(['restore', '--help']);
    expect(help.out + help.err).toMatch(/--target <url\|embedded\|local-odoo\|odoo:NAME>/);
    expect(help.out + help.err).toMatch(/"embedded"/);
    const bad = await cli(['restore', zip, '--db', 'x1', '--target', 'embeded']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/postgres:\/\/ URL, "embedded", "local-odoo" or odoo:NAME/);
  });

  it.skipIf(!hasServer || process.platform === 'win32')('restores into the private PostgreSQL and prints its socket', async () => {
    const r = await cli(['restore', zip, '--db', 'emb_cli_copy', '--target', 'embedded']);
    expect(r.err).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    const emb = new EmbeddedPg({ home });
    expect(r.out).toContain(`restored database emb_cli_copy into the embedded PostgreSQL`);
    expect(r.out).toContain(`(socket ${emb.socketPath})`);
    // The printed line is valid when printed: the server was left running, and psql reaches the data with it.
    expect(await emb.isRunning()).toBe(true);
    const line = /^connect: (psql .*)$/m.exec(r.out)?.[1];
    expect(line).toBe(`psql -h ${emb.socketDir} -p 5432 -U postgres emb_cli_copy`);
    const { stdout } = await run('sh', ['-c', `${line} -tA -c "SELECT string_agg(name, ',' ORDER BY id) FROM res_partner"`], { env: { ...process.env, PGUSER: 'someone_else' } });
    expect(stdout.trim()).toBe('Acme,Zoë');

    // embedded status: socket, databases, size; stop; status again; start leaves it running.
    const st = await cli(['embedded', 'status']);
    expect(st.code).toBe(0);
    expect(st.out).toContain(`folder:    ${join(home, 'embedded-pg')}`);
    expect(st.out).toMatch(/^state: {5}running \(PostgreSQL \d+\.\d+.*\)$/m);
    expect(st.out).toContain(`socket:    ${emb.socketPath}`);
    expect(st.out).toMatch(/^databases: 2$/m);
    expect(st.out).toMatch(/^ {2}emb_cli_copy\s+\d+(\.\d)? MB$/m);
    expect(st.out).toMatch(/^size: {6}\d+(\.\d)? MB on disk$/m);
    const stop = await cli(['embedded', 'stop']);
    expect(stop).toMatchObject({ code: 0, out: 'stopped the private PostgreSQL\n' });
    expect(await emb.isRunning()).toBe(false);
    expect((await cli(['embedded', 'status'])).out).toMatch(/^state: {5}stopped$/m);
    const start = await cli(['embedded', 'start']);
    expect(start.code).toBe(0);
    expect(start.out).toContain(`connect: psql -h ${emb.socketDir} -p 5432 -U postgres postgres`);
    expect(await emb.isRunning()).toBe(true);
    const info = await emb.start();
    try {
      const c = await connect(info.pgUrl, 'emb_cli_copy');
      try {
        expect((await c.query('SELECT id, name FROM res_partner ORDER BY id')).rows).toEqual([{ id: 1, name: 'Acme' }, { id: 2, name: 'Zoë' }]);
      } finally {
        await c.end();
      }
    } finally {
      await emb.stop({ force: true });
    }
  }, 120_000);
});
