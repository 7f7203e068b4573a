/**
 * Synchronous OpenPGP packet framing (RFC 4880 §4.2) over a stream of buffers: finds packet
 * starts, body bytes and packet ends, whatever the length encoding (old/new format, definite,
 * partial or indeterminate), with headers allowed to straddle buffers.
 *
 * It exists for speed: gpg cuts compressed messages into 8 KiB partial-length chunks, and an
 * async step per chunk costs more than the decryption itself. Here a whole buffer is split in
 * one synchronous call; body bytes come back as views into that buffer (no copies).
 */

/** One step of a packet stream found in a buffer. `data` is a view into the fed buffer. */
export type PacketEvent = { kind: 'start'; tag: number } | { kind: 'body'; data: Buffer } | { kind: 'end' };

const truncated = (): Error => new Error('Unexpected end of data: the message is truncated');

type State = 'tag' | 'len' | 'body';

/** Splits a byte stream into packet events; feed buffers in order, then call `finish`. */
export class PacketSplitter {
  private state: State = 'tag';
  private newFormat = false;
  private hdr = [0, 0, 0, 0, 0];
  private hdrLen = 0;
  private hdrNeed = 0;
  private remaining = 0;
  private partial = false;
  private indeterminate = false;

  /** Appends the events found in `buf` to `out`; throws on an invalid packet header. */
  feed(buf: Buffer, out: PacketEvent[]): void {
    let i = 0;
    const n = buf.length;
    while (i < n) {
      if (this.state === 'body') {
        const k = Math.min(this.remaining, n - i);
        out.push({ kind: 'body', data: buf.subarray(i, i + k) });
        i += k;
        this.remaining -= k;
        if (this.remaining === 0) this.bodyChunkDone(out);
      } else if (this.state === 'tag') {
        this.startPacket(buf[i++]!, out);
      } else {
        this.hdr[this.hdrLen++] = buf[i++]!;
        this.lengthByte(out);
      }
    }
  }

  /** Ends the stream: closes an indeterminate-length packet, or throws when a packet is cut off. */
  finish(out: PacketEvent[]): void {
    if (this.state === 'body' && this.indeterminate) {
      this.state = 'tag';
      this.indeterminate = false;
      out.push({ kind: 'end' });
      return;
    }
    if (this.state !== 'tag') throw truncated();
  }

  /** True between packets (the stream may end here). */
  get atBoundary(): boolean {
    return this.state === 'tag';
  }

  private startPacket(b0: number, out: PacketEvent[]): void {
    if ((b0 & 0x80) === 0) throw new Error('Invalid packet header in the message');
    this.partial = false;
    this.indeterminate = false;
    this.hdrLen = 0;
    if (b0 & 0x40) {
      this.newFormat = true;
      this.hdrNeed = 1;
      this.state = 'len';
      out.push({ kind: 'start', tag: b0 & 0x3f });
      return;
    }
    this.newFormat = false;
    const lt = b0 & 3;
    out.push({ kind: 'start', tag: (b0 >> 2) & 0x0f });
    if (lt === 3) {
      this.indeterminate = true;
      this.remaining = Infinity;
      this.state = 'body';
      return;
    }
    this.hdrNeed = 1 << lt;
    this.state = 'len';
  }

  private lengthByte(out: PacketEvent[]): void {
    const h = this.hdr;
    if (this.newFormat && this.hdrLen === 1) {
      const l0 = h[0]!;
      if (l0 < 192) return this.bodyOf(l0, false, out);
      if (l0 < 224) this.hdrNeed = 2;
      else if (l0 === 255) this.hdrNeed = 5;
      else return this.bodyOf(1 << (l0 & 0x1f), true, out);
      return;
    }
    if (this.hdrLen < this.hdrNeed) return;
    if (this.newFormat) {
      const len = this.hdrNeed === 2 ? ((h[0]! - 192) << 8) + h[1]! + 192 : h[1]! * 2 ** 24 + (h[2]! << 16) + (h[3]! << 8) + h[4]!;
      return this.bodyOf(len, false, out);
    }
    let len = 0;
    for (let k = 0; k < this.hdrNeed; k++) len = len * 256 + h[k]!;
    this.bodyOf(len, false, out);
  }

  private bodyOf(len: number, partial: boolean, out: PacketEvent[]): void {
    this.remaining = len;
    this.partial = partial;
    this.hdrLen = 0;
    this.state = 'body';
    if (len === 0) this.bodyChunkDone(out);
  }

  private bodyChunkDone(out: PacketEvent[]): void {
    if (this.partial) {
      // The next chunk's length follows (a new-format length, no tag byte).
      this.state = 'len';
      this.newFormat = true;
      this.hdrNeed = 1;
      this.hdrLen = 0;
      return;
    }
    this.state = 'tag';
    out.push({ kind: 'end' });
  }
}
