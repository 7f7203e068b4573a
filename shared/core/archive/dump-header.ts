/**
 * Reads the header and table of contents of a pg_dump custom-format archive (`PGDMP…`), as written
 * by pg_backup_archiver.c (WriteHead/WriteToc) for archive versions 1.12 to 1.16.
 */

/** What the archive header and TOC say. */
export interface DumpHeader {
  /** Archive format version, e.g. `{ major: 1, minor: 14, rev: 0 }`. */
  readonly version: { major: number; minor: number; rev: number };
  /** `"1.14"` etc. */
  readonly versionText: string;
  /** 1 = custom, 3 = tar, 5 = directory (only custom is streamed). */
  readonly format: number;
  readonly database?: string;
  /** Server version the dump was taken from, e.g. `15.18 (Debian …)`. */
  readonly serverVersion?: string;
  readonly pgDumpVersion?: string;
  /** Extensions created by the dump (TOC entries of type EXTENSION). */
  readonly extensions?: string[];
  /** Number of TABLE entries. */
  readonly tables?: number;
  /** Number of TOC entries. */
  readonly entries?: number;
  /** True when the TOC was read completely from the bytes given. */
  readonly tocComplete: boolean;
}

class Cursor {
  pos = 0;
  constructor(
    private readonly b: Uint8Array,
    private readonly intSize: number,
  ) {}
  need(n: number): void {
    if (this.pos + n > this.b.length) throw new RangeError('short');
  }
  byte(): number {
    this.need(1);
    return this.b[this.pos++]!;
  }
  int(): number {
    const sign = this.byte();
    let v = 0;
    let mul = 1;
    for (let i = 0; i < this.intSize; i++) {
      v += this.byte() * mul;
      mul *= 256;
    }
    return sign ? -v : v;
  }
  str(): string | undefined {
    const len = this.int();
    if (len < 0) return undefined;
    this.need(len);
    const s = Buffer.from(this.b.buffer, this.b.byteOffset + this.pos, len).toString('utf8');
    this.pos += len;
    return s;
  }
  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }
}

/** True when the bytes start with the custom-format magic. */
export function isCustomDump(head: Uint8Array): boolean {
  return head.length >= 5 && Buffer.from(head.buffer, head.byteOffset, 5).toString('latin1') === 'PGDMP';
}

/** Parses what it can from the first bytes of a custom-format dump; undefined when not one. */
export function parseDumpHeader(head: Uint8Array): DumpHeader | undefined {
  if (!isCustomDump(head) || head.length < 11) return undefined;
  const version = { major: head[5]!, minor: head[6]!, rev: head[7]! };
  const versionText = `${version.major}.${version.minor}`;
  const intSize = head[8]!;
  const offSize = head[9]!;
  const format = head[10]!;
  const out: { -readonly [K in keyof DumpHeader]: DumpHeader[K] } = { version, versionText, format, tocComplete: false };
  if (intSize < 1 || intSize > 8 || offSize < 1 || offSize > 8) return out;
  const c = new Cursor(head, intSize);
  c.pos = 11;
  const v = version.major * 100 + version.minor;
  try {
    if (v >= 115) c.byte();
    else c.int();
    for (let i = 0; i < 7; i++) c.int();
    out.database = c.str();
    if (v >= 110) {
      out.serverVersion = c.str();
      out.pgDumpVersion = c.str();
    }
    const count = c.int();
    out.entries = count;
    const extensions: string[] = [];
    let tables = 0;
    for (let i = 0; i < count; i++) {
      c.int(); // dumpId
      c.int(); // hadDumper
      c.str(); // tableoid
      c.str(); // oid
      const tag = c.str();
      const desc = c.str();
      if (v >= 111) c.int(); // section
      c.str(); // defn
      c.str(); // dropStmt
      c.str(); // copyStmt
      c.str(); // namespace
      c.str(); // tablespace
      if (v >= 114) c.str(); // tableam
      if (v >= 116) c.int(); // relkind
      c.str(); // owner
      c.str(); // withOids
      while (c.str() !== undefined) {
        /* dependencies */
      }
      if (format === 1) c.skip(1 + offSize); // custom format: data state + offset
      if (desc === 'EXTENSION' && tag) extensions.push(tag);
      if (desc === 'TABLE') tables++;
    }
    out.extensions = extensions;
    out.tables = tables;
    out.tocComplete = true;
  } catch {
    /* header or TOC continues beyond the bytes given */
  }
  return out;
}

/** The PostgreSQL major version in a version string like `15.18 (Debian…)` or `9.6.24`. */
export function majorOf(version: string | undefined): number | undefined {
  if (!version) return undefined;
  const m = /^(\d+)(?:\.(\d+))?/.exec(version.trim());
  if (!m) return undefined;
  const a = Number(m[1]);
  return a >= 10 ? a : Number(`${a}.${m[2] ?? 0}`);
}
