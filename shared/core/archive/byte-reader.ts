/** A pull-based reader over a byte stream: exact reads, bounded chunk reads and push-back. */
import { AppError } from '../errors';

/** Reads an async byte stream piece by piece. */
export class ByteReader {
  private readonly it: AsyncIterator<Uint8Array>;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private done = false;
  /** Bytes handed out so far (consumed position in the underlying stream). */
  position = 0;

  constructor(input: AsyncIterable<Uint8Array>) {
    this.it = input[Symbol.asyncIterator]();
  }

  private async pull(): Promise<boolean> {
    if (this.done) return false;
    for (;;) {
      const r = await this.it.next();
      if (r.done) {
        this.done = true;
        return false;
      }
      const v = r.value;
      const b = Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
      if (b.length === 0) continue;
      this.pending.push(b);
      this.pendingBytes += b.length;
      return true;
    }
  }

  /** Up to `max` bytes (at least 1), or undefined at the end of the stream. */
  async readChunk(max: number): Promise<Buffer | undefined> {
    if (this.pendingBytes === 0 && !(await this.pull())) return undefined;
    const first = this.pending[0]!;
    if (first.length <= max) {
      this.pending.shift();
      this.pendingBytes -= first.length;
      this.position += first.length;
      return first;
    }
    this.pending[0] = first.subarray(max);
    this.pendingBytes -= max;
    this.position += max;
    return first.subarray(0, max);
  }

  /** Exactly `n` bytes, or fewer only when the stream ends (check the length). */
  async readUpTo(n: number): Promise<Buffer> {
    while (this.pendingBytes < n && (await this.pull())) {
      /* gather */
    }
    const take = Math.min(n, this.pendingBytes);
    const all = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    const out = all.subarray(0, take);
    const rest = all.subarray(take);
    this.pending = rest.length > 0 ? [rest] : [];
    this.pendingBytes = rest.length;
    this.position += take;
    return out;
  }

  /**
   * Like `readUpTo`, into a buffer of its own allocated up front and filled chunk by chunk, so a
   * large read holds its bytes once (`readUpTo` gathers the chunks, then joins them); for reads
   * that usually fill `n` (a large object's segments), as `n` bytes are allocated whatever comes.
   */
  async readFilled(n: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(n);
    let got = 0;
    while (got < n) {
      const c = await this.readChunk(n - got);
      if (!c) break;
      c.copy(buf, got);
      got += c.length;
    }
    return got === n ? buf : buf.subarray(0, got);
  }

  /** Exactly `n` bytes; throws `Integrity` (`what` is truncated) when the stream ends first. */
  async readExact(n: number, what: string): Promise<Buffer> {
    const b = await this.readUpTo(n);
    if (b.length < n) {
      throw new AppError('Integrity', `${what} is truncated (the data ends early).`, {
        hint: 'The file is incomplete; download it again or use another backup.',
      });
    }
    return b;
  }

  /** Puts bytes back in front of the stream. */
  unshift(b: Buffer): void {
    if (b.length === 0) return;
    this.pending.unshift(b);
    this.pendingBytes += b.length;
    this.position -= b.length;
  }

  /** Skips `n` bytes; false when the stream ended first. */
  async skip(n: number): Promise<boolean> {
    let left = n;
    while (left > 0) {
      const c = await this.readChunk(Math.min(left, 1 << 20));
      if (!c) return false;
      left -= c.length;
    }
    return true;
  }

  /** True when no byte is left. */
  async atEnd(): Promise<boolean> {
    return this.pendingBytes === 0 && !(await this.pull());
  }

  /** Stops reading the underlying stream. */
  async close(): Promise<void> {
    this.pending = [];
    this.pendingBytes = 0;
    if (!this.done) {
      this.done = true;
      await this.it.return?.();
    }
  }
}
