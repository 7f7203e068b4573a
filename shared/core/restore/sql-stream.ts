/**
 * A streaming parser for plain-SQL dumps (`pg_dump` plain format, the `dump.sql` inside an Odoo zip).
 *
 * It works on bytes, never on decoded lines: statement text is decoded only once a whole statement
 * is known (and must be valid UTF-8), while `COPY … FROM stdin` data passes through as raw Buffer
 * slices, whatever bytes it holds. It follows psql's lexical rules closely enough for pg_dump output:
 * `'…'` (with `''`), `E'…'` (with backslash escapes), `"…"`, `--` and nested `/* … *\/` comments,
 * `$tag$ … $tag$` bodies, statements ending at a top-level `;`, psql meta-commands on their own line
 * at a statement boundary (`\restrict KEY`, `\unrestrict KEY`, `\connect …`), and COPY data ending at
 * a line `\.`.
 *
 * Output is a stream of items (`sql` | `copy` | `meta`) so that a loader can batch statements, stream
 * COPY data, and later run COPYs in parallel or defer index builds without touching the lexer.
 */
import { isUtf8 } from 'node:buffer';
import { AppError } from '../errors';

/** One complete SQL statement (with its terminating `;`). */
export interface SqlStatementItem {
  readonly kind: 'sql';
  /** The statement text, leading comments and blanks removed. */
  readonly text: string;
  /** 1-based line in the dump where the statement starts. */
  readonly line: number;
}

/** A `COPY … FROM stdin;` statement and its data (raw bytes, without the final `\.` line). */
export interface SqlCopyItem {
  readonly kind: 'copy';
  readonly text: string;
  readonly line: number;
  /** The data rows; must be consumed (or left alone: the parser then skips it) before the next item. */
  readonly data: AsyncIterable<Buffer>;
}

/** A psql meta-command line, e.g. `\restrict KEY`. */
export interface SqlMetaItem {
  readonly kind: 'meta';
  /** Command name without the backslash, e.g. `restrict`. */
  readonly command: string;
  /** The rest of the line, trimmed. */
  readonly args: string;
  readonly line: number;
}

/** What the parser yields. */
export type SqlItem = SqlStatementItem | SqlCopyItem | SqlMetaItem;

const enum St {
  Normal,
  SQuote,
  EQuote,
  DQuote,
  LineComment,
  BlockComment,
  Dollar,
}

const NL = 10;
const COPY_FROM_STDIN = /^COPY\s[\s\S]*\sFROM\s+stdin\b/i;

function isIdentByte(c: number): boolean {
  return (
    (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36 || c >= 0x80
  );
}

function isTagByte(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c >= 0x80;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 9 || c === 13 || c === 12 || c === 11;
}

/** Counts `\n` bytes in `b[from, to)`. */
export function countNewlines(b: Buffer, from: number, to: number): number {
  let n = 0;
  let i = b.indexOf(NL, from);
  while (i !== -1 && i < to) {
    n++;
    i = b.indexOf(NL, i + 1);
  }
  return n;
}

const EMPTY = Buffer.alloc(0);

/** Stateful lexer over a byte stream; use `parseSqlStream` rather than this class directly. */
class SqlLexer {
  private readonly it: AsyncIterator<Uint8Array>;
  private buf: Buffer = EMPTY;
  private pos = 0;
  private eof = false;
  /** Current line (1-based) at `pos`. */
  line = 1;

  // statement state
  private st: St = St.Normal;
  private started = false;
  private stmtStart = 0;
  private stmtLine = 1;
  private parts: Buffer[] = [];
  private identLen = 0;
  private identFirst = 0;
  private depth = 0;
  private tag: Buffer = EMPTY;

  // copy state
  private inCopy = false;
  private copyAtLineStart = true;

  constructor(input: AsyncIterable<Uint8Array>) {
    this.it = input[Symbol.asyncIterator]();
  }

  /** Appends the next input chunk (keeping unconsumed bytes from `pos`); false at end of input. */
  private async fill(): Promise<boolean> {
    if (this.eof) return false;
    for (;;) {
      const r = await this.it.next();
      if (r.done) {
        this.eof = true;
        return false;
      }
      const chunk = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
      if (chunk.length === 0) continue;
      if (this.started && !this.inCopy) {
        if (this.pos > this.stmtStart) this.parts.push(this.buf.subarray(this.stmtStart, this.pos));
        this.stmtStart = 0;
      }
      const rest = this.buf.subarray(this.pos);
      this.buf = rest.length === 0 ? chunk : Buffer.concat([rest, chunk]);
      this.pos = 0;
      return true;
    }
  }

  /** Closes the input early. */
  async close(): Promise<void> {
    if (!this.eof) {
      this.eof = true;
      await this.it.return?.();
    }
  }

  /** The next item, or undefined at the end of the dump. */
  async next(): Promise<SqlItem | undefined> {
    if (this.inCopy) {
      // The consumer did not read the COPY data: skip it.
      while ((await this.nextCopyChunk()) !== undefined) {
        /* drain */
      }
    }
    for (;;) {
      const r = this.scan();
      if (r === 'more') {
        if (await this.fill()) continue;
        return this.atEof();
      }
      return r;
    }
  }

  private atEof(): SqlItem | undefined {
    if (this.st === St.LineComment && !this.started) return undefined;
    if (this.st !== St.Normal && this.st !== St.LineComment) {
      const what = { [St.SQuote]: 'quoted string', [St.EQuote]: 'quoted string', [St.DQuote]: 'quoted identifier', [St.BlockComment]: 'comment', [St.Dollar]: 'dollar-quoted body' }[this.st];
      throw new AppError('Integrity', `The SQL dump ends inside a ${what ?? 'statement'} (line ${this.line}): it is truncated.`, {
        hint: 'The backup is incomplete; download it again or use another backup.',
        details: { line: this.line },
      });
    }
    if (!this.started) return undefined;
    // psql executes a last statement without ';' at the end of input.
    const item = this.finishStatement(this.buf.length);
    this.pos = this.buf.length;
    return item.kind === 'copy' ? this.truncatedCopy() : item;
  }

  private truncatedCopy(): never {
    throw new AppError('Integrity', `The SQL dump ends inside COPY data (line ${this.line}): it is truncated.`, {
      hint: 'The backup is incomplete; download it again or use another backup.',
    });
  }

  private finishStatement(end: number): SqlStatementItem | SqlCopyItem {
    const last = this.buf.subarray(this.stmtStart, end);
    const bytes = this.parts.length === 0 ? last : Buffer.concat([...this.parts, last]);
    this.parts = [];
    this.started = false;
    this.identLen = 0;
    if (!isUtf8(bytes)) {
      throw new AppError('Unsupported', `The SQL statement at line ${this.stmtLine} of the dump is not valid UTF-8.`, {
        hint: 'Only UTF-8 dumps (as Odoo makes them) can be restored; convert the dump with iconv first.',
        details: { line: this.stmtLine },
      });
    }
    const text = bytes.toString('utf8');
    if (COPY_FROM_STDIN.test(text)) {
      this.inCopy = true;
      this.copyAtLineStart = false;
      const nextChunk = (): Promise<Buffer | undefined> => this.nextCopyChunk();
      const data: AsyncIterable<Buffer> = {
        [Symbol.asyncIterator]: () => ({
          next: async (): Promise<IteratorResult<Buffer>> => {
            const c = await nextChunk();
            return c === undefined ? { done: true, value: undefined } : { done: false, value: c };
          },
        }),
      };
      return { kind: 'copy', text, line: this.stmtLine, data };
    }
    return { kind: 'sql', text, line: this.stmtLine };
  }

  /**
   * Scans from `pos` in the current buffer. Returns an item when one is complete, or 'more' when
   * the buffer is exhausted (or a token needs bytes beyond it).
   */
  private scan(): SqlItem | 'more' {
    const b = this.buf;
    const n = b.length;
    let i = this.pos;
    const eof = this.eof;
    try {
      while (i < n) {
        switch (this.st) {
          case St.Normal: {
            const c = b[i]!;
            if (!this.started) {
              if (isSpace(c)) {
                if (c === NL) this.line++;
                i++;
                continue;
              }
              if (c === 92) {
                // psql meta-command: the rest of the line.
                const nl = b.indexOf(NL, i);
                if (nl === -1 && !eof) return 'more';
                const end = nl === -1 ? n : nl;
                const lineText = b.subarray(i + 1, end).toString('utf8').replace(/\r$/, '');
                const m = /^(\S*)\s*([\s\S]*)$/.exec(lineText);
                const item: SqlMetaItem = { kind: 'meta', command: m?.[1] ?? '', args: (m?.[2] ?? '').trim(), line: this.line };
                i = nl === -1 ? n : nl + 1;
                if (nl !== -1) this.line++;
                return item;
              }
              if (c !== 45 && c !== 47) {
                this.started = true;
                this.stmtStart = i;
                this.stmtLine = this.line;
                this.parts = [];
              }
            }
            if (c === 59) {
              i++;
              const item = this.finishStatement(i);
              if (item.kind === 'copy') {
                // Data starts on the next line.
                const nl = b.indexOf(NL, i);
                if (nl === -1) {
                  i = n;
                  this.copySkipToEol = true;
                } else {
                  i = nl + 1;
                  this.line++;
                  this.copyAtLineStart = true;
                }
              }
              return item;
            }
            if (c === 45) {
              if (i + 1 >= n && !eof) return 'more';
              if (b[i + 1] === 45) {
                this.st = St.LineComment;
                i += 2;
                continue;
              }
            } else if (c === 47) {
              if (i + 1 >= n && !eof) return 'more';
              if (b[i + 1] === 42) {
                this.st = St.BlockComment;
                this.depth = 1;
                i += 2;
                continue;
              }
            }
            if (!this.started) {
              // a lone '-' or '/' starting a statement
              this.started = true;
              this.stmtStart = i;
              this.stmtLine = this.line;
              this.parts = [];
            }
            if (c === 39) {
              this.st = this.identLen === 1 && (this.identFirst === 69 || this.identFirst === 101) ? St.EQuote : St.SQuote;
              this.identLen = 0;
              i++;
              continue;
            }
            if (c === 34) {
              this.st = St.DQuote;
              this.identLen = 0;
              i++;
              continue;
            }
            if (c === 36 && this.identLen === 0) {
              let j = i + 1;
              while (j < n && j - i <= 64 && isTagByte(b[j]!)) j++;
              if (j >= n && !eof) return 'more';
              const firstIsDigit = j > i + 1 && b[i + 1]! >= 48 && b[i + 1]! <= 57;
              if (j < n && b[j] === 36 && !firstIsDigit) {
                this.tag = Buffer.from(b.subarray(i, j + 1));
                this.st = St.Dollar;
                i = j + 1;
                continue;
              }
              i++;
              continue;
            }
            if (isIdentByte(c)) {
              if (this.identLen === 0) this.identFirst = c;
              this.identLen++;
            } else {
              this.identLen = 0;
              if (c === NL) this.line++;
            }
            i++;
            continue;
          }
          case St.SQuote:
          case St.DQuote: {
            const q = this.st === St.SQuote ? 39 : 34;
            const k = b.indexOf(q, i);
            if (k === -1) {
              this.line += countNewlines(b, i, n);
              i = n;
              return 'more';
            }
            if (k + 1 >= n && !eof) {
              this.line += countNewlines(b, i, k);
              i = k;
              return 'more';
            }
            this.line += countNewlines(b, i, k);
            if (b[k + 1] === q) {
              i = k + 2;
            } else {
              i = k + 1;
              this.st = St.Normal;
            }
            continue;
          }
          case St.EQuote: {
            const c = b[i]!;
            if (c === 92) {
              if (i + 1 >= n && !eof) return 'more';
              if (b[i + 1] === NL) this.line++;
              i += 2;
              continue;
            }
            if (c === 39) {
              if (i + 1 >= n && !eof) return 'more';
              if (b[i + 1] === 39) {
                i += 2;
              } else {
                i++;
                this.st = St.Normal;
              }
              continue;
            }
            if (c === NL) this.line++;
            i++;
            continue;
          }
          case St.LineComment: {
            const k = b.indexOf(NL, i);
            if (k === -1) {
              i = n;
              return 'more';
            }
            i = k + 1;
            this.line++;
            this.st = St.Normal;
            continue;
          }
          case St.BlockComment: {
            const c = b[i]!;
            if ((c === 42 || c === 47) && i + 1 >= n && !eof) return 'more';
            if (c === 42 && b[i + 1] === 47) {
              i += 2;
              if (--this.depth === 0) this.st = St.Normal;
              continue;
            }
            if (c === 47 && b[i + 1] === 42) {
              i += 2;
              this.depth++;
              continue;
            }
            if (c === NL) this.line++;
            i++;
            continue;
          }
          case St.Dollar: {
            const k = b.indexOf(this.tag, i);
            if (k === -1) {
              const keep = Math.max(i, n - this.tag.length + 1);
              this.line += countNewlines(b, i, keep);
              i = keep;
              return 'more';
            }
            this.line += countNewlines(b, i, k);
            i = k + this.tag.length;
            this.st = St.Normal;
            this.identLen = 0;
            continue;
          }
        }
      }
      return 'more';
    } finally {
      this.pos = i;
    }
  }

  private copySkipToEol = false;

  /** The next slice of the current COPY block's data, or undefined when the block has ended. */
  async nextCopyChunk(): Promise<Buffer | undefined> {
    if (!this.inCopy) return undefined;
    for (;;) {
      if (this.copySkipToEol) {
        const nl = this.buf.indexOf(NL, this.pos);
        if (nl === -1) {
          this.pos = this.buf.length;
          if (!(await this.fill())) this.truncatedCopy();
          continue;
        }
        this.pos = nl + 1;
        this.line++;
        this.copySkipToEol = false;
        this.copyAtLineStart = true;
      }
      const r = this.scanCopy();
      if (r === 'end') {
        this.inCopy = false;
        return undefined;
      }
      if (r !== 'more') return r;
      if (!(await this.fill())) {
        if (this.pos < this.buf.length) {
          // Only a partial terminator candidate was held back and the input ended.
          this.truncatedCopy();
        }
        this.truncatedCopy();
      }
    }
  }

  /** Finds the end marker `\.` on a line of its own; returns data to emit, 'more', or 'end'. */
  private scanCopy(): Buffer | 'more' | 'end' {
    const b = this.buf;
    const n = b.length;
    const start = this.pos;
    if (start >= n) return 'more';
    // candidate marker positions: line starts followed by "\."
    let p = this.copyAtLineStart ? start : -1;
    if (p === -1 || !(b[p] === 92)) {
      p = -1;
      let k = b.indexOf('\n\\', start);
      while (k !== -1) {
        const cand = k + 1;
        if (cand + 1 >= n || b[cand + 1] === 46) {
          p = cand;
          break;
        }
        k = b.indexOf('\n\\', k + 1);
      }
    }
    if (p !== -1) {
      // Need up to 3 bytes after p to decide: "\." then "\n" | "\r\n" | EOF.
      const need = (k: number): boolean => k >= n && !this.eof;
      if (need(p + 1)) return this.emitCopy(start, p, 'more');
      if (b[p + 1] === 46) {
        if (need(p + 2)) return this.emitCopy(start, p, 'more');
        const c2 = b[p + 2];
        let endLen = -1;
        if (p + 2 >= n) endLen = 2;
        else if (c2 === NL) endLen = 3;
        else if (c2 === 13) {
          if (need(p + 3)) return this.emitCopy(start, p, 'more');
          if (p + 3 >= n) endLen = 3;
          else if (b[p + 3] === NL) endLen = 4;
        }
        if (endLen !== -1) {
          if (p > start) {
            // emit the data before the marker first
            const data = b.subarray(start, p);
            this.line += countNewlines(b, start, p);
            this.pos = p;
            this.copyAtLineStart = true;
            return data;
          }
          this.pos = p + endLen;
          if (b[p + endLen - 1] === NL) this.line++;
          return 'end';
        }
      }
      // not a terminator: emit through p+1 and continue
      const data = b.subarray(start, p + 1);
      this.line += countNewlines(b, start, p + 1);
      this.pos = p + 1;
      this.copyAtLineStart = false;
      return data;
    }
    // No candidate: emit everything (a trailing '\n' makes the next byte a line start).
    const data = b.subarray(start, n);
    this.line += countNewlines(b, start, n);
    this.pos = n;
    this.copyAtLineStart = b[n - 1] === NL;
    return data;
  }

  private emitCopy(start: number, p: number, otherwise: 'more'): Buffer | 'more' {
    if (p > start) {
      const data = this.buf.subarray(start, p);
      this.line += countNewlines(this.buf, start, p);
      this.pos = p;
      this.copyAtLineStart = true;
      return data;
    }
    return otherwise;
  }
}

/** Parses a plain SQL dump from a byte stream into statements, COPY blocks and meta-commands. */
export async function* parseSqlStream(input: AsyncIterable<Uint8Array>): AsyncGenerator<SqlItem, void, undefined> {
  const lexer = new SqlLexer(input);
  try {
    for (;;) {
      const item = await lexer.next();
      if (item === undefined) return;
      yield item;
    }
  } finally {
    await lexer.close();
  }
}
