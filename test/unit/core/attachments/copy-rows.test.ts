import { describe, expect, it } from 'vitest';
import { copyColumns, copyRows, copyTable } from '../../../../shared/core/attachments/copy-rows';

async function collect(chunks: string[], wanted: number[], max?: number): Promise<Array<Array<string | null>>> {
  const out: Array<Array<string | null>> = [];
  async function* gen(): AsyncGenerator<Buffer> {
    for (const c of chunks) yield Buffer.from(c);
  }
  for await (const r of copyRows(gen(), wanted, max)) out.push(r.map((f) => f.text));
  return out;
}

describe('COPY rows', () => {
  it('names the table and columns of a COPY statement', () => {
    const s = 'COPY public.ir_attachment (id, "res_id", store_fname) FROM stdin;';
    expect(copyTable(s)).toBe('ir_attachment');
    expect(copyColumns(s)).toEqual(['id', 'res_id', 'store_fname']);
  });

  it('keeps only the wanted fields, across chunk boundaries, decoding escapes and \\N', async () => {
    const data = '1\ta\\tb\t\\N\n2\tx\\\\y\tz\n';
    // split at every position: the result must not depend on chunking
    for (let cut = 1; cut < data.length; cut++) {
      expect(await collect([data.slice(0, cut), data.slice(cut)], [1, 2])).toEqual([
        ['a\tb', null],
        ['x\\y', 'z'],
      ]);
    }
  });

  it('caps long fields without buffering them, and still reports their raw length', async () => {
    const big = 'x'.repeat(100_000);
    const rows: number[] = [];
    async function* gen(): AsyncGenerator<Buffer> {
      yield Buffer.from(`1\t${big}`);
      yield Buffer.from(`${big}\tend\n`);
    }
    for await (const r of copyRows(gen(), [1, 2], 16)) {
      expect(r[0]!.text).toBe('x'.repeat(16));
      rows.push(r[0]!.rawLength);
      expect(r[1]!.text).toBe('end');
    }
    expect(rows).toEqual([200_000]);
  });
});
