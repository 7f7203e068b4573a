/**
 * Streaming ASCII-armor decoder (RFC 4880 §6) for a PGP MESSAGE block: skips the armor
 * headers and the CRC-24 line (the MDC covers integrity), rejects characters that are not
 * base64 and throws when the END line is missing (a truncated file).
 *
 * Speed: the body is decoded in ≤ 64 KiB pieces (strings that small live in V8's young
 * generation) straight into one reused output buffer with `Buffer#write(…, 'base64')`, which
 * skips line breaks itself; the decoded length proves the piece held nothing but base64 and
 * line breaks, so the common case costs no per-line work. Anything unusual (spaces, padding,
 * the last lines) takes the line-by-line path.
 */

const PIECE = 64 * 1024;
const B64_LINE = /^[A-Za-z0-9+/=]*$/;
const BEGIN = '-----BEGIN PGP MESSAGE-----';
const END = '-----END PGP MESSAGE-----';

type State = 'begin' | 'headers' | 'body' | 'after' | 'end';

/** Counts occurrences of `ch` in `s`. */
function count(s: string, ch: string): number {
  let n = 0;
  for (let i = s.indexOf(ch); i !== -1; i = s.indexOf(ch, i + 1)) n++;
  return n;
}

/** Decoder state; `out` is reused, so what `push` returns is valid until the next call. */
class Dearmorer {
  state: State = 'begin';

  /** True once the END line has been read. */
  get ended(): boolean {
    return this.state === 'end';
  }
  private pending = '';
  /** Base64 characters (< 4) carried to the next piece. */
  private carry = '';
  private out = Buffer.allocUnsafe((PIECE * 3) / 4 + 16);

  /** Decodes a piece of armored text; returns the bytes decoded (a view into a reused buffer). */
  push(piece: string, final: boolean): Buffer {
    const text = this.pending + piece;
    const cut = final ? text.length : text.lastIndexOf('\n') + 1;
    this.pending = text.slice(cut);
    const lines = text.slice(0, cut);
    const plain = lines.indexOf('-') === -1 && lines.indexOf('=') === -1 && lines.indexOf(' ') === -1 && lines.indexOf('\t') === -1;
    if (this.state === 'body' && plain) return this.fast(lines);
    return this.slow(lines);
  }

  /** Whole lines of base64 and line breaks only (no spaces, padding or markers): one native decode. */
  private fast(lines: string): Buffer {
    const k = lines.length - count(lines, '\n') - count(lines, '\r') + this.carry.length;
    const whole = k - (k % 4);
    if (whole === 0) return this.slow(lines);
    let text = this.carry + lines;
    // Keep the last k % 4 base64 characters for the next piece.
    let keep = k % 4;
    let end = text.length;
    let tail = '';
    while (keep > 0 && end > 0) {
      const c = text[--end]!;
      if (c !== '\n' && c !== '\r') {
        tail = c + tail;
        keep--;
      }
    }
    text = text.slice(0, end);
    this.ensure((whole / 4) * 3);
    const n = this.out.write(text, 0, 'base64');
    if (n !== (whole / 4) * 3) return this.slow(lines); // spaces or stray characters: checked line by line
    this.carry = tail;
    return this.out.subarray(0, n);
  }

  /** Line by line: BEGIN, headers, the CRC line, END, padding, stray whitespace. */
  private slow(lines: string): Buffer {
    let b64 = this.carry;
    const all = lines.split('\n');
    if (all.at(-1) === '') all.pop(); // the text ends with a line break: no further line
    for (const raw of all) {
      const line = raw.trim();
      if (this.state === 'begin') {
        if (line === BEGIN) this.state = 'headers';
      } else if (this.state === 'headers') {
        if (/^[^\s:]+: /.test(line)) continue;
        this.state = 'body';
        if (line !== '') b64 += this.bodyLine(line);
      } else if (this.state === 'body') {
        b64 += this.bodyLine(line);
      } else if (this.state === 'after' && line.startsWith(END)) {
        this.state = 'end';
      }
    }
    const n = this.state === 'body' ? b64.length - (b64.length % 4) : b64.length;
    this.carry = b64.slice(n);
    this.ensure((n / 4) * 3 + 3);
    const len = this.out.write(b64.slice(0, n), 0, 'base64');
    return this.out.subarray(0, len);
  }

  private bodyLine(line: string): string {
    if (line.startsWith(END)) {
      this.state = 'end';
      return '';
    }
    if (line.startsWith('=') && line.length === 5) {
      this.state = 'after'; // CRC-24 (the MDC covers integrity); END follows
      return '';
    }
    if (!B64_LINE.test(line)) throw new Error('Misformed armored text');
    return line;
  }

  private ensure(n: number): void {
    if (this.out.length < n) this.out = Buffer.allocUnsafe(n);
  }
}

/**
 * Decodes an armored message to its binary packets. Each yielded buffer is reused for the next
 * one: the consumer must be done with it before asking for more.
 */
export async function* dearmor(src: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  const d = new Dearmorer();
  for await (const chunk of src) {
    if (d.ended) continue;
    const b = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (let off = 0; off < b.length && !d.ended; off += PIECE) {
      const out = d.push(b.toString('latin1', off, Math.min(off + PIECE, b.length)), false);
      if (out.length) yield out;
    }
  }
  if (!d.ended) {
    const out = d.push('', true);
    if (out.length) yield out;
  }
  if (!d.ended) throw new Error('Misformed armored text: the END line is missing (truncated)');
}
