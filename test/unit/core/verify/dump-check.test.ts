/** checkSqlDump: a plain dump read to its end — counts, version, pg_dump's closing line, the files attachments reference. */
import { describe, expect, it } from 'vitest';
import { checkSqlDump } from '../../../../shared/core/verify/dump-check';
import { caught } from '../../../helpers/assertions';

const HEAD = '--\n-- PostgreSQL database dump\n--\n\n-- Dumped from database version 16.4 (Debian 16.4-1)\n-- Dumped by pg_dump version 16.4\n\nSET statement_timeout = 0;\n';
const ATTACHMENTS = [
  'COPY public.ir_attachment (id, name, store_fname, db_datas) FROM stdin;',
  '1\tlogo.png\tab/ab00000000000000000000000000000000000000\t\\N',
  '2\tin db\t\\N\t\\\\x41',
  '3\ton s3\ts3://bucket/cd00000000000000000000000000000000000000\t\\N',
  '4\tsame file\tab/ab00000000000000000000000000000000000000\t\\N',
  '5\ttab\\tin name\tef/ef00000000000000000000000000000000000000\t\\N',
  '\\.',
  '',
].join('\n');
const PARTNERS = 'COPY public.res_partner (id, name) FROM stdin;\n1\tA\n2\tB\n\\.\n\nCREATE INDEX x ON public.res_partner USING btree (name);\n';
const TAIL = '\n--\n-- PostgreSQL database dump complete\n--\n\n\\unrestrict abc\n\n';

/** The dump in chunks of `size` bytes (so that lines and the closing line fall across chunks). */
async function* chunks(text: string, size: number): AsyncGenerator<Buffer> {
  const b = Buffer.from(text);
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

describe('checkSqlDump', () => {
  it.each([1, 7, 4096])('counts statements, tables and rows; finds the version, the closing line and the referenced files (chunks of %i bytes)', async (size) => {
    const r = await checkSqlDump(chunks(HEAD + ATTACHMENTS + PARTNERS + TAIL, size));
    expect(r).toMatchObject({ pgVersion: '16.4', complete: true, statements: 2, tables: 2, rows: 7 });
    // Filestore references only, each once: not the row in the database, not the S3 object.
    expect([...r.referenced].sort()).toEqual(['ab/ab00000000000000000000000000000000000000', 'ef/ef00000000000000000000000000000000000000']);
    // The S3 object, by its bucket.
    expect(r.remote).toEqual(new Map([['s3://bucket', new Set(['cd00000000000000000000000000000000000000'])]]));
  });

  it("says so when pg_dump's closing line is missing", async () => {
    const r = await checkSqlDump(chunks(HEAD + PARTNERS, 5));
    expect(r.complete).toBe(false);
    expect(r.rows).toBe(2);
  });

  it('fails on a dump cut off inside COPY data or a quoted string', async () => {
    const inCopy = await caught(checkSqlDump(chunks(HEAD + PARTNERS.slice(0, 53), 9)));
    expect(inCopy.kind).toBe('Integrity');
    expect(inCopy.message).toMatch(/ends inside COPY data .*truncated/);
    expect((await caught(checkSqlDump(chunks(HEAD + "COMMENT ON TABLE t IS 'cut off", 9)))).kind).toBe('Integrity');
  });

  it('stops when cancelled', async () => {
    const ac = new AbortController();
    ac.abort();
    expect((await caught(checkSqlDump(chunks(HEAD + PARTNERS + TAIL, 8), ac.signal))).kind).toBe('Cancelled');
  });
});
