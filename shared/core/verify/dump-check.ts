/**
 * Reads a plain-SQL dump to its end through the restore's own parser (so a dump that parses here
 * loads there): counts statements, tables and rows, notes the PostgreSQL version it was dumped
 * from and whether pg_dump's closing line is there, and collects the filestore files (and the
 * S3/Swift objects) that its `ir_attachment` rows reference. A dump cut off inside a statement or COPY data fails with the
 * parser's `Integrity` error.
 */
import { copyColumns, copyRows, copyTable, parseStoreFname, storeLabel, type StoredAt } from '../attachments';
import { throwIfAborted } from '../errors';
import { parseSqlStream, type SqlItem } from '../restore/sql-stream';

/** What reading a dump found. */
export interface DumpCheck {
  pgVersion: string | undefined;
  /** pg_dump's `-- PostgreSQL database dump complete` line was seen. */
  complete: boolean;
  statements: number;
  tables: number;
  rows: number;
  /** Filestore paths (`ab/abcdef…`) that attachments reference. */
  readonly referenced: Set<string>;
  /** Objects that attachments reference in S3/Swift (or another object store), by bucket/container label: their SHA-1 (else key). */
  readonly remote: Map<string, Set<string>>;
}

const COMPLETE = Buffer.from('-- PostgreSQL database dump complete');
const VERSION = /-- Dumped from database version (\d+(?:\.\d+)?)/;
const TAIL = 4096;

/** Passes `input` through, noting the version in its head and whether its tail closes the dump. */
async function* watched(input: AsyncIterable<Uint8Array>, found: DumpCheck): AsyncGenerator<Buffer> {
  let head = Buffer.alloc(0);
  let tail = Buffer.alloc(0);
  for await (const c of input) {
    const b = Buffer.isBuffer(c) ? c : Buffer.from(c);
    if (head.length < TAIL) head = Buffer.concat([head, b.subarray(0, TAIL - head.length)]);
    tail = Buffer.concat([tail, b.subarray(Math.max(0, b.length - TAIL))]);
    if (tail.length > TAIL) tail = tail.subarray(tail.length - TAIL);
    yield b;
  }
  found.pgVersion = VERSION.exec(head.toString('latin1'))?.[1];
  found.complete = tail.includes(COMPLETE);
}

/** Counts the rows of a COPY block (each ends with a raw LF in COPY's text format). */
async function countRows(data: AsyncIterable<Buffer>): Promise<number> {
  let rows = 0;
  for await (const c of data) for (let i = c.indexOf(10); i >= 0; i = c.indexOf(10, i + 1)) rows++;
  return rows;
}

/** Notes where one `store_fname` points: a filestore path, or an object in a bucket/container. */
function noteReference(name: string, found: DumpCheck): void {
  const at: StoredAt = parseStoreFname(name);
  if (at.kind === 'filestore') found.referenced.add(name);
  else if (at.kind !== 'unknown') {
    const store = storeLabel(at);
    const objects = found.remote.get(store) ?? new Set<string>();
    objects.add(at.sha1 ?? name);
    found.remote.set(store, objects);
  }
}

/** Counts `ir_attachment`'s rows and notes the files and objects they reference. */
async function attachmentRows(item: Extract<SqlItem, { kind: 'copy' }>, found: DumpCheck): Promise<number> {
  const col = copyColumns(item.text).indexOf('store_fname');
  if (col < 0) return countRows(item.data);
  let rows = 0;
  for await (const [f] of copyRows(item.data, [col])) {
    rows++;
    if (f?.text) noteReference(f.text, found);
  }
  return rows;
}

/** Reads the dump `input` to its end. */
export async function checkSqlDump(input: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<DumpCheck> {
  const found: DumpCheck = { pgVersion: undefined, complete: false, statements: 0, tables: 0, rows: 0, referenced: new Set(), remote: new Map() };
  for await (const item of parseSqlStream(watched(input, found))) {
    throwIfAborted(signal, 'Verifying');
    if (item.kind === 'sql') found.statements++;
    else if (item.kind === 'copy') {
      found.tables++;
      found.rows += copyTable(item.text) === 'ir_attachment' ? await attachmentRows(item, found) : await countRows(item.data);
    }
  }
  return found;
}
