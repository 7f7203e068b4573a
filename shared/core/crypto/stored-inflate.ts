/**
 * Inflate without zlib for the stored blocks deflate writes when data does not compress —
 * already-compressed content such as an encrypted zip, what odoo_backup_sh writes: the stored
 * bytes pass through as views of the input (no copy, no thread hop, no fresh buffer).
 *
 * At the first block that is really compressed, zlib takes over: the whole stream when it is
 * the first block (so SQL-like content inflates exactly as before, ZLIB checksum included),
 * else the rest as raw deflate with the last 32 KiB of output as its dictionary (deflate's
 * window), so any mix of blocks inflates correctly. Where the stored path ran, the ZLIB
 * trailer's Adler-32 is not checked: the MDC already authenticates every byte of the stream.
 */

const EMPTY = Buffer.alloc(0);
/** Deflate's window: how far back a compressed block may reach into earlier output. */
const WINDOW = 32 * 1024;

const truncated = (): Error => new Error('Unexpected end of data: the compressed data is truncated');

/** Hands (part of) a deflate stream to zlib: `raw` = no ZLIB header; `dictionary` = the window so far. */
export type ZlibInflate = (src: AsyncIterable<Buffer>, raw: boolean, dictionary?: Buffer) => AsyncIterable<Buffer>;

/** The last 32 KiB of output, copied (the views handed out may be changed downstream). */
class Window {
  private readonly buf = Buffer.alloc(WINDOW);
  private len = 0;

  push(v: Buffer): void {
    if (v.length >= WINDOW) {
      v.copy(this.buf, 0, v.length - WINDOW);
      this.len = WINDOW;
      return;
    }
    const keep = Math.min(this.len, WINDOW - v.length);
    this.buf.copy(this.buf, 0, this.len - keep, this.len);
    v.copy(this.buf, keep);
    this.len = keep + v.length;
  }

  get bytes(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.len));
  }
}

/** A byte cursor over an async iterable of buffers. */
class Cursor {
  buf: Buffer = EMPTY;
  pos = 0;
  private readonly it: AsyncIterator<Buffer>;

  constructor(src: AsyncIterable<Buffer>) {
    this.it = src[Symbol.asyncIterator]();
  }

  /** Reads the next buffer (keeping unread bytes in front); false at the end. */
  async more(): Promise<boolean> {
    const r = await this.it.next();
    if (r.done) return false;
    this.buf = this.pos < this.buf.length ? Buffer.concat([this.buf.subarray(this.pos), r.value]) : r.value;
    this.pos = 0;
    return true;
  }

  /** Makes at least `n` unread bytes available, or throws: truncated. */
  async need(n: number): Promise<void> {
    while (this.buf.length - this.pos < n) if (!(await this.more())) throw truncated();
  }

  /** Reads and drops the rest of the source. */
  async drain(): Promise<void> {
    while (!(await this.it.next()).done);
  }

  /** The unread bytes, then the rest of the source. */
  async *rest(): AsyncGenerator<Buffer> {
    if (this.pos < this.buf.length) yield this.buf.subarray(this.pos);
    for (;;) {
      const r = await this.it.next();
      if (r.done) return;
      yield r.value;
    }
  }
}

/** Checks a ZLIB header (RFC 1950): deflate, no preset dictionary, valid check bits. */
function checkZlibHeader(cmf: number, flg: number): void {
  if ((cmf & 0x0f) !== 8 || (cmf * 256 + flg) % 31 !== 0 || flg & 0x20) throw new Error('Invalid ZLIB header in the compressed data');
}

/**
 * Inflates a ZIP (raw deflate) or ZLIB (`zlibWrapped`) stream: stored blocks here, the rest
 * through `zlib`. Throws when the stream ends before its final block.
 */
export async function* inflateStoredFirst(src: AsyncIterable<Buffer>, zlibWrapped: boolean, zlib: ZlibInflate): AsyncGenerator<Buffer> {
  const c = new Cursor(src);
  const win = new Window();
  let first = true;
  const start = zlibWrapped ? 2 : 0;
  await c.need(start + 1);
  if (zlibWrapped) checkZlibHeader(c.buf[c.pos]!, c.buf[c.pos + 1]!);
  c.pos += start;
  for (;;) {
    await c.need(1);
    const hdr = c.buf[c.pos]!;
    if ((hdr >> 1) & 3) {
      // A compressed block: it starts on this byte (stored blocks end byte-aligned).
      if (first) c.pos -= start;
      yield* zlib(c.rest(), !first || !zlibWrapped, first ? undefined : win.bytes);
      return;
    }
    await c.need(5);
    const len = c.buf[c.pos + 1]! | (c.buf[c.pos + 2]! << 8);
    const nlen = c.buf[c.pos + 3]! | (c.buf[c.pos + 4]! << 8);
    if ((len ^ 0xffff) !== nlen) throw new Error('Invalid stored block lengths in the compressed data');
    c.pos += 5;
    first = false;
    for (let left = len; left > 0; ) {
      if (c.pos === c.buf.length && !(await c.more())) throw truncated();
      const k = Math.min(left, c.buf.length - c.pos);
      const v = c.buf.subarray(c.pos, c.pos + k);
      c.pos += k;
      left -= k;
      win.push(v);
      yield v;
    }
    if (hdr & 1) break;
  }
  if (zlibWrapped) await c.need(4); // the Adler-32 trailer (see above)
  await c.drain(); // anything after the stream is ignored, as zlib does
}
