/**
 * Foreign keys and comments of the post-data section run beside the index builds of other
 * tables (real PostgreSQL): while a build on table a is held up (its index expression waits on an
 * advisory lock the test holds), the foreign key between b and c is added and committed; a's own
 * foreign key and the comment on a's key wait for a's build; the result is what the dump says.
 * A foreign key that fails beside a running build stops the load at once, naming its line.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppError } from '../../../shared/core/errors';
import { loadSqlItems } from '../../../shared/core/restore/sql-loader';
import { parseSqlStream } from '../../../shared/core/restore/sql-stream';
import { psql, startPgCluster, type PgCluster } from '../../helpers/pg-cluster';

let cluster: PgCluster;
let n = 0;
const GATE = 4242;

beforeAll(async () => {
  cluster = await startPgCluster();
});
afterAll(async () => {
  await cluster?.stop();
});

/** A dump whose index on a waits for the advisory lock GATE; `cRows` are c's ids (each must be one of b's). */
const dump = (cRows: string): string =>
  [
    "SET client_encoding = 'UTF8';",
    "SELECT pg_catalog.set_config('search_path', '', false);",
    `CREATE FUNCTION public.gate(i integer) RETURNS integer LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN PERFORM pg_catalog.pg_advisory_xact_lock_shared(${GATE}); RETURN i; END $$;`,
    'CREATE TABLE public.a (id integer NOT NULL);',
    'CREATE TABLE public.b (id integer NOT NULL);',
    'CREATE TABLE public.c (id integer NOT NULL);',
    'COPY public.a (id) FROM stdin;',
    '1\n2\n\\.',
    'COPY public.b (id) FROM stdin;',
    '1\n2\n\\.',
    'COPY public.c (id) FROM stdin;',
    cRows + '\\.',
    'ALTER TABLE ONLY public.a\n    ADD CONSTRAINT a_pkey PRIMARY KEY (id);',
    'ALTER TABLE ONLY public.b\n    ADD CONSTRAINT b_pkey PRIMARY KEY (id);',
    'CREATE INDEX a_gate ON public.a USING btree (public.gate(id));',
    "COMMENT ON CONSTRAINT a_pkey ON public.a IS 'key of a';",
    'ALTER TABLE ONLY public.c\n    ADD CONSTRAINT c_b_fk FOREIGN KEY (id) REFERENCES public.b(id);',
    'ALTER TABLE ONLY public.a\n    ADD CONSTRAINT a_b_fk FOREIGN KEY (id) REFERENCES public.b(id);',
    '',
  ].join('\n');

/** Starts loading `sql` into a fresh database while the test holds the gate; resolves once the load is under way. */
async function startLoad(sql: string): Promise<{ db: string; gate: pg.Client; done: Promise<unknown> }> {
  const db = `beside_${++n}`;
  await psql(cluster.url, `CREATE DATABASE ${db}`);
  const gate = new pg.Client({ connectionString: cluster.urlFor(db) });
  await gate.connect();
  await gate.query(`SELECT pg_advisory_lock(${GATE})`);
  const client = new pg.Client({ connectionString: cluster.urlFor(db) });
  await client.connect();
  const open = async (): Promise<pg.Client> => {
    const c = new pg.Client({ connectionString: cluster.urlFor(db) });
    await c.connect();
    return c;
  };
  const items = parseSqlStream((async function* () {
    yield Buffer.from(sql);
  })());
  const done = loadSqlItems(items, client, { parallel: { workers: 2, open } }).finally(() => client.end());
  done.catch(() => undefined);
  return { db, gate, done };
}

/** The constraints of `db` and the comment on a_pkey, as seen from another session. */
async function seen(db: string): Promise<{ constraints: string[]; comment: string | null }> {
  const c = new pg.Client({ connectionString: cluster.urlFor(db) });
  await c.connect();
  try {
    const cons = await c.query<{ conname: string }>("SELECT conname FROM pg_constraint WHERE contype IN ('p', 'f') AND connamespace = 'public'::regnamespace ORDER BY conname");
    const com = await c.query<{ d: string | null }>("SELECT (SELECT description FROM pg_description d JOIN pg_constraint k ON k.oid = d.objoid WHERE k.conname = 'a_pkey') AS d");
    return { constraints: cons.rows.map((r) => r.conname), comment: com.rows[0]!.d };
  } finally {
    await c.end();
  }
}

/** Waits (up to 10 s) until `db` has the constraint `name`; true when it did. */
async function appears(db: string, name: string): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if ((await seen(db)).constraints.includes(name)) return true;
    await new Promise((res) => setTimeout(res, 100));
  }
  return false;
}

describe('foreign keys and comments beside the builds of other tables', () => {
  it("adds c's foreign key while a's index still builds; a's key and the comment on a's constraint wait for it", async () => {
    const { db, gate, done } = await startLoad(dump('1\n2\n'));
    try {
      expect(await appears(db, 'c_b_fk')).toBe(true);
      const during = await seen(db);
      expect(during.constraints).not.toContain('a_b_fk');
      expect(during.comment).toBeNull();
    } finally {
      await gate.end();
    }
    await done;
    expect(await seen(db)).toEqual({ constraints: ['a_b_fk', 'a_pkey', 'b_pkey', 'c_b_fk'], comment: 'key of a' });
  }, 60_000);

  it('a foreign key that fails beside a running build stops the load at once, naming its line', async () => {
    const sql = dump('1\n3\n');
    const { gate, done } = await startLoad(sql);
    let err: AppError | undefined;
    try {
      err = (await Promise.race([done.then(() => undefined, (e: unknown) => e), new Promise((res) => setTimeout(res, 10_000, 'still loading'))])) as AppError | undefined;
    } finally {
      await gate.end();
    }
    expect(err?.kind).toBe('Fatal');
    const line = sql.slice(0, sql.indexOf('ALTER TABLE ONLY public.c')).split('\n').length;
    expect(err?.message).toContain(`line ${line} of dump.sql`);
    expect(err?.message).toMatch(/c_b_fk/);
  }, 60_000);
});
