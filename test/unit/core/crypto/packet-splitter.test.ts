/**
 * Packet framing over buffers cut anywhere: old and new headers, definite, partial and
 * indeterminate lengths give the same packets and bodies as in one piece; cut-off packets throw.
 */
import { describe, expect, it } from 'vitest';
import { PacketSplitter, type PacketEvent } from '../../../../shared/core/crypto/packet-splitter';

/** A new-format packet with its body in partial chunks of 2^k bytes, then a definite rest. */
function partialPacket(tag: number, body: Buffer, k: number): Buffer {
  const parts: Buffer[] = [Buffer.from([0xc0 | tag])];
  let off = 0;
  while (body.length - off > 1 << k) {
    parts.push(Buffer.from([224 + k]), body.subarray(off, off + (1 << k)));
    off += 1 << k;
  }
  const rest = body.length - off;
  const len = rest < 192 ? [rest] : rest < 8384 ? [((rest - 192) >> 8) + 192, (rest - 192) & 0xff] : [255, rest >>> 24, (rest >> 16) & 0xff, (rest >> 8) & 0xff, rest & 0xff];
  parts.push(Buffer.from(len), body.subarray(off));
  return Buffer.concat(parts);
}

function split(stream: Buffer, cuts: number[]): { tags: number[]; bodies: Buffer[] } {
  const s = new PacketSplitter();
  const ev: PacketEvent[] = [];
  let at = 0;
  for (const c of [...cuts, stream.length]) {
    s.feed(stream.subarray(at, c), ev);
    at = c;
  }
  s.finish(ev);
  const tags: number[] = [];
  const bodies: Buffer[] = [];
  let cur: Buffer[] = [];
  for (const e of ev) {
    if (e.kind === 'start') {
      tags.push(e.tag);
      cur = [];
    } else if (e.kind === 'body') cur.push(e.data);
    else bodies.push(Buffer.concat(cur));
  }
  return { tags, bodies };
}

describe('PacketSplitter', () => {
  const a = Buffer.alloc(300, 1);
  const b = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i & 0xff));
  const c = Buffer.alloc(5, 3);
  const stream = Buffer.concat([
    Buffer.from([0x8d, a.length >> 8, a.length & 0xff]), // old format, 2-byte length (tag 3)
    a,
    partialPacket(18, b, 13), // new format, 8 KiB partial chunks
    Buffer.from([0xc0 | 11, 255, 0, 0, 0, 5]), // new format, 5-byte length
    c,
    Buffer.from([0xa3]), // old format, indeterminate (tag 8)
    b,
  ]);

  it('finds the same packets however the stream is cut', () => {
    for (let trial = 0; trial < 20; trial++) {
      const cuts = Array.from({ length: trial }, () => Math.floor(Math.random() * stream.length)).sort((x, y) => x - y);
      const r = split(stream, cuts);
      expect(r.tags).toEqual([3, 18, 11, 8]);
      expect(r.bodies.map((x) => x.length)).toEqual([300, 70_000, 5, 70_000]);
      expect(r.bodies[1]!.equals(b) && r.bodies[3]!.equals(b) && r.bodies[0]!.equals(a)).toBe(true);
    }
  });

  it('throws on a cut-off packet and on a byte that is no packet header', () => {
    expect(() => split(stream.subarray(0, 1000), [])).toThrow(/truncated/);
    expect(() => split(Buffer.from([0x12, 0]), [])).toThrow(/Invalid packet header/);
  });
});
