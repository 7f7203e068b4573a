import { describe, expect, it } from 'vitest';
import { parseSqlStream, type SqlItem } from '../../../../shared/core/restore/sql-stream';
import { isAppError } from '../../../../shared/core/errors';
import { parallelClass } from '../../../../shared/core/restore/sql-loader';

async function* chunked(b: Buffer, sizes: number | (() => number)): AsyncGenerator<Buffer> {
  let i = 0;
  while (i < b.length) {
    const n = typeof sizes === 'number' ? sizes : sizes();
    yield b.subarray(i, i + n);
    i += n;
  }
}

type Flat = { kind: string; text?: string; line: number; data?: Buffer; command?: string; args?: string };

async function collect(input: AsyncIterable<Buffer>): Promise<Flat[]> {
  const out: Flat[] = [];
  for await (const it of parseSqlStream(input)) out.push(await flatten(it));
  return out;
}

async function flatten(it: SqlItem): Promise<Flat> {
  if (it.kind === 'copy') {
    const parts: Buffer[] = [];
    for await (const c of it.data) parts.push(Buffer.from(c));
    return { kind: 'copy', text: it.text, line: it.line, data: Buffer.concat(parts) };
  }
  if (it.kind === 'meta') return { kind: 'meta', command: it.command, args: it.args, line: it.line };
  return { kind: 'sql', text: it.text, line: it.line };
}

const bin = Buffer.from([0x61, 0xff, 0xfe, 0x00 + 0x62, 0xc3]); // invalid UTF-8 bytes (as raw COPY text bytes)
const DUMP = Buffer.concat([
  Buffer.from(
    [
      '--',
      '-- PostgreSQL database dump',
      '--',
      '',
      '\\restrict AbC123xyz',
      '',
      "SET client_encoding = 'UTF8';",
      "SELECT pg_catalog.set_config('search_path', '', false);",
      '/* block /* nested */ comment ; */',
      'CREATE FUNCTION public.f(x text) RETURNS text',
      '    LANGUAGE plpgsql IMMUTABLE',
      "    AS $_$ BEGIN RETURN x || ';' || 'it''s'; END; $_$;",
      'CREATE FUNCTION public.g() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;',
      "COMMENT ON TABLE public.t IS 'semi; colon -- not a comment';",
      'CREATE TABLE public."we;ird" (id integer, "na""me" text);',
      "INSERT INTO public.t VALUES (E'back\\\\slash \\' quote;');",
      'SELECT $1$notdollar, a$b$c FROM x;',
      'COPY public.t (id, name, data) FROM stdin;',
      '1\tcafé ☕\t\\\\x00ff',
      '2\t\\N\t\\.notend',
    ].join('\n') + '\n',
  ),
  Buffer.from('3\t'),
  bin,
  Buffer.from('\t\\\\x\n\\.\n'),
  Buffer.from(['COPY public.empty (id) FROM stdin;', '\\.', '', 'CREATE INDEX i ON public.t USING btree (name);', '', '\\unrestrict AbC123xyz', ''].join('\n')),
]);

describe('parseSqlStream', () => {
  it('splits statements, COPY blocks and meta-commands like psql', async () => {
    const items = await collect(chunked(DUMP, 1 << 20));
    expect(items.map((i) => i.kind)).toEqual(['meta', 'sql', 'sql', 'sql', 'sql', 'sql', 'sql', 'sql', 'sql', 'copy', 'copy', 'sql', 'meta']);
    expect(items[0]).toMatchObject({ command: 'restrict', args: 'AbC123xyz', line: 5 });
    expect(items[1]).toMatchObject({ text: "SET client_encoding = 'UTF8';", line: 7 });
    expect(items[3]!.text).toBe(
      "CREATE FUNCTION public.f(x text) RETURNS text\n    LANGUAGE plpgsql IMMUTABLE\n    AS $_$ BEGIN RETURN x || ';' || 'it''s'; END; $_$;",
    );
    expect(items[3]!.line).toBe(10);
    expect(items[4]!.text).toBe('CREATE FUNCTION public.g() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;');
    expect(items[5]!.text).toBe("COMMENT ON TABLE public.t IS 'semi; colon -- not a comment';");
    expect(items[6]!.text).toBe('CREATE TABLE public."we;ird" (id integer, "na""me" text);');
    expect(items[7]!.text).toBe("INSERT INTO public.t VALUES (E'back\\\\slash \\' quote;');");
    expect(items[8]!.text).toBe('SELECT $1$notdollar, a$b$c FROM x;');
    const copy = items[9]!;
    expect(copy.text).toBe('COPY public.t (id, name, data) FROM stdin;');
    expect(copy.line).toBe(18);
    expect(copy.data!.equals(Buffer.concat([Buffer.from('1\tcafé ☕\t\\\\x00ff\n2\t\\N\t\\.notend\n3\t'), bin, Buffer.from('\t\\\\x\n')]))).toBe(true);
    expect(items[10]).toMatchObject({ text: 'COPY public.empty (id) FROM stdin;', data: Buffer.alloc(0) });
    expect(items[11]).toMatchObject({ text: 'CREATE INDEX i ON public.t USING btree (name);' });
    expect(items[11]!.line).toBe(26);
    expect(items[12]).toMatchObject({ command: 'unrestrict', line: 28 });
  });

  it('gives the same result whatever the chunk boundaries (1-byte, 2-byte, random chunks)', async () => {
    const ref = await collect(chunked(DUMP, 1 << 20));
    for (const size of [1, 2, 3, 5, 7]) {
      expect(await collect(chunked(DUMP, size))).toEqual(ref);
    }
    let seed = 42;
    const rnd = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return 1 + (seed % 17);
    };
    for (let k = 0; k < 20; k++) expect(await collect(chunked(DUMP, rnd))).toEqual(ref);
  });

  it('keeps multibyte characters split across chunks intact in statements', async () => {
    const sql = Buffer.from("INSERT INTO t VALUES ('żółć 日本語 🎉');\nSELECT 'ok';\n");
    const items = await collect(chunked(sql, 1));
    expect(items[0]!.text).toBe("INSERT INTO t VALUES ('żółć 日本語 🎉');");
    expect(items[1]!.line).toBe(2);
  });

  it('skips COPY data the consumer does not read', async () => {
    const kinds: string[] = [];
    for await (const it of parseSqlStream(chunked(DUMP, 3))) kinds.push(it.kind === 'sql' ? it.text.slice(0, 12) : it.kind);
    expect(kinds.at(-2)).toBe('CREATE INDEX');
  });

  it('executes a last statement without a semicolon and handles CRLF line ends', async () => {
    const items = await collect(chunked(Buffer.from('SELECT 1;\r\nCOPY t FROM stdin;\r\na\r\n\\.\r\nSELECT 2'), 2));
    expect(items.map((i) => i.text)).toEqual(['SELECT 1;', 'COPY t FROM stdin;', 'SELECT 2']);
    expect(items[1]!.data!.toString()).toBe('a\r\n');
  });

  it.each([
    ['inside a dollar body', 'CREATE FUNCTION f() AS $$ SELECT 1; '],
    ['inside a string', "SELECT 'abc"],
    ['inside COPY data', 'COPY t FROM stdin;\n1\n2\n'],
    ['inside COPY data right after the statement', 'COPY t FROM stdin;'],
    ['inside a block comment', '/* abc'],
  ])('fails with Integrity when the dump ends %s', async (_what, text) => {
    const err = await collect(chunked(Buffer.from(text), 4)).catch((e: unknown) => e);
    expect(isAppError(err, 'Integrity')).toBe(true);
  });

  it('refuses statements that are not valid UTF-8 with a clear error', async () => {
    const err = await collect(chunked(Buffer.concat([Buffer.from("SELECT '"), Buffer.from([0xff]), Buffer.from("';")]), 8)).catch((e: unknown) => e);
    expect(isAppError(err, 'Unsupported')).toBe(true);
  });
});

describe('parallelClass', () => {
  it('lets index builds and key constraints run in parallel, foreign keys in a later group, nothing else', () => {
    expect(parallelClass('CREATE INDEX a_idx ON public.a USING btree (x);')).toBe('index');
    expect(parallelClass('CREATE UNIQUE INDEX a_uniq ON public.a USING btree (x);')).toBe('index');
    expect(parallelClass('CREATE INDEX CONCURRENTLY a_idx ON public.a (x);')).toBeUndefined();
    expect(parallelClass('ALTER TABLE ONLY public.a\n    ADD CONSTRAINT a_pkey PRIMARY KEY (id);')).toBe('index');
    expect(parallelClass('ALTER TABLE ONLY public.a\n    ADD CONSTRAINT a_key UNIQUE (code, company_id);')).toBe('index');
    expect(parallelClass('ALTER TABLE ONLY public.a\n    ADD CONSTRAINT a_b_fkey FOREIGN KEY (b) REFERENCES public.b(id) ON DELETE CASCADE;')).toBe('fk');
    expect(parallelClass("ALTER TABLE ONLY public.a\n    ADD CONSTRAINT a_check CHECK ((x <> ';'));")).toBeUndefined();
    expect(parallelClass('ALTER TABLE ONLY public.a ALTER COLUMN id SET DEFAULT nextval(1);')).toBeUndefined();
    expect(parallelClass('COMMENT ON INDEX public.a_idx IS NULL;')).toBeUndefined();
  });
});
