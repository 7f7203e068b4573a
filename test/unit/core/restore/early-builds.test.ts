/**
 * Which builds the scout may start early: index and key builds after the first COPY, by the
 * table the dump names; nothing from a statement on that could change what a build sees.
 */
import { describe, expect, it } from 'vitest';
import { buildsByTable } from '../../../../shared/core/restore/early-builds';
import { parseSqlStream } from '../../../../shared/core/restore/sql-stream';

async function* once(text: string): AsyncGenerator<Buffer> {
  yield Buffer.from(text);
}

async function scouted(text: string): Promise<Record<string, number[]>> {
  const found = await buildsByTable(parseSqlStream(once(text)));
  return Object.fromEntries([...found!].map(([t, bs]) => [t, bs.map((b) => b.line)]));
}

const PRE = 'SET client_encoding = \'UTF8\';\nCREATE TABLE public.a (id integer NOT NULL, v text);\nCREATE INDEX pre_idx ON public.a USING btree (v);\nCREATE TABLE public."B b" (id integer NOT NULL);\n';
const DATA = 'COPY public.a (id, v) FROM stdin;\n1\tx\n\\.\nCOPY public."B b" (id) FROM stdin;\n1\n\\.\nSELECT pg_catalog.setval(\'public.a_id_seq\', 1, true);\n';

describe('early builds', () => {
  it('takes the builds after the data section began, by table; comments, sequence values and foreign keys do not stop it', async () => {
    const post = [
      'ALTER TABLE ONLY public.a\n    ADD CONSTRAINT a_pkey PRIMARY KEY (id);',
      "COMMENT ON CONSTRAINT a_pkey ON public.a IS 'key';",
      'CREATE INDEX b_idx ON public."B b" USING btree (id);',
      'ALTER TABLE ONLY public."B b"\n    ADD CONSTRAINT b_fk FOREIGN KEY (id) REFERENCES public.a(id);',
      'CREATE INDEX a_v ON public.a USING btree (v);',
    ].join('\n');
    const text = PRE + DATA + post + '\n';
    const lineOf = (s: string): number => text.slice(0, text.indexOf(s)).split('\n').length;
    expect(await scouted(text)).toEqual({
      'public.a': [lineOf('ALTER TABLE ONLY public.a'), lineOf('CREATE INDEX a_v')],
      'public."B b"': [lineOf('CREATE INDEX b_idx')],
    });
  });

  it('stops at a statement that could change what a later build sees (a session setting, a new column)', async () => {
    const setFirst = PRE + DATA + 'CREATE INDEX a_v ON public.a USING btree (v);\nSET default_tablespace = fast;\nCREATE INDEX a_id ON public.a USING btree (id);\n';
    expect(await scouted(setFirst)).toEqual({ 'public.a': [setFirst.slice(0, setFirst.indexOf('CREATE INDEX a_v')).split('\n').length] });
    const newColumn = PRE + DATA + 'ALTER TABLE public.a ADD COLUMN w text;\nCREATE INDEX a_w ON public.a USING btree (w);\n';
    expect(await scouted(newColumn)).toEqual({});
  });
});
