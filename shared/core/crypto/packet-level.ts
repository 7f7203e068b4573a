/**
 * One level of the decrypted packet stream (the plaintext of a SEIPD packet, or the inflated
 * body of a compressed packet): literal data comes out, a compressed packet's body comes out
 * for inflating, signature and marker packets are skipped.
 *
 * The kept bytes of a fed buffer are moved to its front in place (literal-data headers and
 * gpg's 8 KiB partial-length headers squeezed out) so that one buffer in gives at most a few
 * large views out: no allocation and no copy to another buffer.
 */
import { PacketSplitter, type PacketEvent } from './packet-splitter';

/** What a level yields, in stream order. */
export type LevelAction =
  | { type: 'literal'; data: Buffer }
  | { type: 'cstart'; algo: number }
  | { type: 'cdata'; data: Buffer }
  | { type: 'cend' };

type Kind = 'literal' | 'compressed' | 'skip';

/** Splits one level of packets; the buffers fed become owned by it (they are compacted in place). */
export class PacketLevel {
  private readonly split = new PacketSplitter();
  private readonly ev: PacketEvent[] = [];
  private kind: Kind = 'skip';
  /** Bytes of the literal-data header (format, name length, name, date) still to skip. */
  private litSkip = 0;
  private litPos = 0;
  private algoPending = false;
  /** True once a literal data packet has started (even an empty one). */
  sawLiteral = false;

  /** The actions found in `buf`, whose kept bytes are compacted to its front. */
  feed(buf: Buffer): LevelAction[] {
    this.split.feed(buf, this.ev);
    return this.drain(buf);
  }

  /** Ends the level: throws when a packet is cut off. */
  finish(): LevelAction[] {
    this.split.finish(this.ev);
    return this.drain(undefined);
  }

  private drain(buf: Buffer | undefined): LevelAction[] {
    const out: LevelAction[] = [];
    let w = 0;
    let runStart = 0;
    let runKind: 'literal' | 'cdata' | undefined;
    const flush = (): void => {
      if (runKind && buf && w > runStart) out.push({ type: runKind, data: buf.subarray(runStart, w) });
      runKind = undefined;
      runStart = w;
    };
    for (const e of this.ev) {
      if (e.kind === 'start') {
        flush();
        this.begin(e.tag);
      } else if (e.kind === 'end') {
        flush();
        if (this.kind === 'compressed') out.push({ type: 'cend' });
        this.kind = 'skip';
      } else if (buf) {
        let s = e.data.byteOffset - buf.byteOffset;
        const end = s + e.data.length;
        s = this.skipHeaders(buf, s, end, out, flush);
        if (this.kind === 'skip' || s >= end) continue;
        const k: 'literal' | 'cdata' = this.kind === 'literal' ? 'literal' : 'cdata';
        if (runKind !== k) {
          flush();
          runKind = k;
        }
        if (w !== s) buf.copyWithin(w, s, end);
        w += end - s;
      }
    }
    flush();
    this.ev.length = 0;
    return out;
  }

  private begin(tag: number): void {
    if (tag === 11) {
      this.kind = 'literal';
      this.sawLiteral = true;
      this.litPos = 0;
      this.litSkip = 2;
    } else if (tag === 8) {
      this.kind = 'compressed';
      this.algoPending = true;
    } else if (tag === 4 || tag === 2 || tag === 10) {
      this.kind = 'skip'; // one-pass signature / signature / marker: skipped (not verified)
    } else {
      throw new Error(`Unexpected packet (tag ${tag}) in the decrypted data`);
    }
  }

  /** Consumes literal-data header bytes / the compression algorithm byte; returns the new start. */
  private skipHeaders(buf: Buffer, s: number, end: number, out: LevelAction[], flush: () => void): number {
    if (this.kind === 'literal') {
      while (this.litPos < this.litSkip && s < end) {
        if (this.litPos === 1) this.litSkip += buf[s]! + 4; // file name length, then the name and a date
        this.litPos++;
        s++;
      }
    } else if (this.kind === 'compressed' && this.algoPending && s < end) {
      this.algoPending = false;
      flush();
      out.push({ type: 'cstart', algo: buf[s]! });
      s++;
    }
    return s;
  }
}
