/**
 * Reads rows of a `COPY … FROM stdin` block (PostgreSQL's text format) as they stream by, keeping
 * only the wanted columns and at most `maxField` bytes of each: a row with a 50 MB `db_datas` costs
 * no more memory than any other. Raw tabs and newlines only ever separate fields and rows in this
 * format (inside values they are escaped), so splitting on bytes is exact.
 */

/** One wanted field of a row: its decoded text (capped) or null for `\N`, and its raw length. */
export interface CopyField {
  readonly text: string | null;
  readonly rawLength: number;
}

/** The column names of a `COPY table (a, "b", …) FROM stdin` statement, in order. */
export function copyColumns(statement: string): string[] {
  const m = /^COPY\s+\S+\s*\(([\s\S]*?)\)\s+FROM\s+stdin/i.exec(statement.trim());
  if (!m) return [];
  return m[1]!.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1').replace(/""/g, '"'));
}

/** The table a COPY statement loads, without schema and quotes (`ir_attachment`). */
export function copyTable(statement: string): string | undefined {
  const m = /^COPY\s+(?:"?([^\s."]+)"?\.)?"?([^\s("]+)"?/i.exec(statement.trim());
  return m ? m[2] : undefined;
}

const ESCAPES: Readonly<Record<string, string>> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' };

/** Decodes a COPY text value (not `\N`). */
export function decodeCopyText(raw: string): string {
  if (!raw.includes('\\')) return raw;
  return raw.replace(/\\(x[0-9A-Fa-f]{1,2}|[0-7]{1,3}|.)/g, (_, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]/.test(e)) return String.fromCharCode(parseInt(e, 8));
    return ESCAPES[e] ?? e;
  });
}

class RowState {
  col = 0;
  len = 0;
  parts: Buffer[] = [];
  kept = 0;
  fields: (CopyField | undefined)[] = [];
}

/**
 * The wanted columns (by index) of every row of a COPY block's data, as `fields[i]` for the
 * i-th wanted index. Fields are capped at `maxField` bytes of text.
 */
export async function* copyRows(data: AsyncIterable<Buffer>, wanted: readonly number[], maxField = 4096): AsyncGenerator<CopyField[]> {
  const pos = new Map(wanted.map((w, i) => [w, i]));
  let st = new RowState();
  const endField = (): void => {
    const i = pos.get(st.col);
    if (i !== undefined) {
      const raw = Buffer.concat(st.parts).toString('utf8');
      st.fields[i] = { text: raw === '\\N' ? null : decodeCopyText(raw), rawLength: st.len };
    }
    st.col++;
    st.len = 0;
    st.parts = [];
    st.kept = 0;
  };
  const take = (chunk: Buffer, from: number, to: number): void => {
    st.len += to - from;
    if (!pos.has(st.col) || st.kept >= maxField) return;
    const end = Math.min(to, from + (maxField - st.kept));
    st.parts.push(Buffer.from(chunk.subarray(from, end)));
    st.kept += end - from;
  };
  for await (const chunk of data) {
    let p = 0;
    while (p < chunk.length) {
      const tab = chunk.indexOf(9, p);
      const nl = chunk.indexOf(10, p);
      const stop = tab < 0 ? nl : nl < 0 ? tab : Math.min(tab, nl);
      if (stop < 0) {
        take(chunk, p, chunk.length);
        break;
      }
      take(chunk, p, stop);
      endField();
      if (chunk[stop] === 10) {
        yield wanted.map((_, i) => st.fields[i] ?? { text: null, rawLength: 0 });
        st = new RowState();
      }
      p = stop + 1;
    }
  }
}
