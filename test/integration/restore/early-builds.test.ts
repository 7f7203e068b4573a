/**
 * Index and key builds start as soon as their table's COPY is done, while later tables still
 * load (real PostgreSQL, the real scout over a zip): the loader's input is held before the second
 * table's COPY until the first table's index and key exist — they never would if the builds
 * waited for the post-data section. A failing early build stops the load naming its statement.
 */
import { statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localFileSource } from '../../../shared/core/archive';
import { zipDirectory } from '../../../shared/core/archive/inspect';
import { scoutBuilds } from '../../../shared/core/restore/early-builds';
import { loadSqlItems } from '../../../shared/core/restore/sql-loader';
import { parseSqlStream, type SqlItem } from '../../../shared/core/restore/sql-stream';
import type { AppError } from '../../../shared/core/errors';
import { psql, startPgCluster, type PgCluster } from '../../helpers/pg-cluster';
import { writeZip } from '../../helpers/odoo-shaped-db';

let cluster: PgCluster;
let work: string;
let n = 0;

beforeAll(async () => {
  cluster = await startPgCluster();
  work = await mkdtemp(join(tmpdir(), 'bd-early-'));
});
afterAll(async () => {
  await cluster?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

const dump = (aRows: string): string =>
  [
    "SET client_encoding = 'UTF8';",
    "SELECT pg_catalog.set_config('search_path', '', false);",
    'CREATE TABLE public.a (id integer NOT NULL, v text);',
    'CREATE TABLE public.b (id integer NOT NULL);',
    'COPY public.a (id, v) FROM stdin;',
    aRows + '\\.',
    'COPY public.b (id) FROM stdin;',
    '1\n2\n\\.',
    'ALTER TABLE ONLY public.a\n    ADD CONSTRAINT a_pkey PRIMARY KEY (id);',
    "COMMENT ON CONSTRAINT a_pkey ON public.a IS 'the key';",
    'CREATE INDEX a_v ON public.a USING btree (v);',
    'ALTER TABLE ONLY public.b\n    ADD CONSTRAINT b_pkey PRIMARY KEY (id);',
    'ALTER TABLE ONLY public.b\n    ADD CONSTRAINT b_a_fk FOREIGN KEY (id) REFERENCES public.a(id);',
    '',
  ].join('\n');

/** Loads `sql` (zipped as dump.sql for the scout) into a fresh database; `beforeCopyOfB` runs before the loader sees b's COPY. */
async function load(sql: string, beforeCopyOfB: (db: string) => Promise<void>): Promise<{ db: string; client: pg.Client }> {
  const db = `early_${++n}`;
  await psql(cluster.url, `CREATE DATABASE ${db}`);
  const zip = join(work, `${db}.zip`);
  await writeZip(zip, [{ name: 'dump.sql', data: Buffer.from(sql) }]);
  const src = { ...localFileSource(zip), size: statSync(zip).size };
  const dumpEntry = (await zipDirectory(src, src.size)).find((e) => e.fileName === 'dump.sql')!;
  const early = scoutBuilds(src, dumpEntry, new AbortController().signal);
  await early.settled;
  const client = new pg.Client({ connectionString: cluster.urlFor(db) });
  await client.connect();
  async function* gated(): AsyncGenerator<SqlItem> {
    for await (const item of parseSqlStream((async function* () { yield Buffer.from(sql); })())) {
      if (item.kind === 'copy' && item.text.startsWith('COPY public.b')) await beforeCopyOfB(db);
      yield item;
    }
  }
  const open = async (): Promise<pg.Client> => {
    const c = new pg.Client({ connectionString: cluster.urlFor(db) });
    await c.connect();
    return c;
  };
  try {
    await loadSqlItems(gated(), client, { early, parallel: { workers: 2, open } });
  } catch (err) {
    await client.end();
    throw err;
  }
  return { db, client };
}

/** Waits (up to 10 s) until both of a's builds exist in `db`; true when they did. */
async function aBuildsAppear(db: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: cluster.urlFor(db) });
  await c.connect();
  try {
    for (let i = 0; i < 100; i++) {
      const r = await c.query("SELECT count(*)::int AS n FROM pg_class WHERE relname IN ('a_pkey', 'a_v')");
      if (r.rows[0].n === 2) return true;
      await new Promise((res) => setTimeout(res, 100));
    }
    return false;
  } finally {
    await c.end();
  }
}

describe('index builds as soon as their table is loaded', () => {
  it("builds a's key and index while b has not been loaded yet; the result is what the dump says", async () => {
    let early = false;
    const { client } = await load(dump('1\tx\n2\ty\n'), async (db) => {
      early = await aBuildsAppear(db);
    });
    try {
      expect(early).toBe(true);
      const cons = await client.query("SELECT conname, contype FROM pg_constraint WHERE conrelid IN ('public.a'::regclass, 'public.b'::regclass) ORDER BY conname");
      expect(cons.rows).toEqual([
        { conname: 'a_pkey', contype: 'p' },
        { conname: 'b_a_fk', contype: 'f' },
        { conname: 'b_pkey', contype: 'p' },
      ]);
      expect((await client.query("SELECT obj_description('public.a'::regclass, 'pg_class') IS NULL AS none, (SELECT description FROM pg_description d JOIN pg_constraint c ON c.oid = d.objoid WHERE c.conname = 'a_pkey') AS comment")).rows[0]).toEqual({ none: true, comment: 'the key' });
      expect((await client.query("SELECT indexdef FROM pg_indexes WHERE indexname = 'a_v'")).rows[0].indexdef).toBe('CREATE INDEX a_v ON public.a USING btree (v)');
    } finally {
      await client.end();
    }
  }, 60_000);

  it('an early build that fails (duplicate keys) stops the load, naming its statement and line', async () => {
    const sql = dump('1\tx\n1\ty\n');
    const err = await load(sql, async () => {
      await new Promise((res) => setTimeout(res, 500));
    }).then(
      (r) => (void r.client.end(), undefined),
      (e: unknown) => e as AppError,
    );
    expect(err?.kind).toBe('Fatal');
    const line = sql.slice(0, sql.indexOf('ALTER TABLE ONLY public.a')).split('\n').length;
    expect(err?.message).toContain(`line ${line} of dump.sql`);
    expect(err?.message).toMatch(/a_pkey/);
  }, 60_000);
});
