/**
 * Native fast path for the message format gpg writes by default and odoo_backup_sh uses:
 * SEIPDv1 (AES-CFB + SHA-1 MDC), optionally ZIP/ZLIB-compressed, armored or binary.
 *
 * Why not openpgp.js alone: on its compressed path its memory grows with the message
 * (~0.25 MB per MB of plaintext measured, > 300 MB for a 512 MB backup) and it runs at a
 * fraction of gpg's speed. Here the same RFC 4880 steps run on Node's OpenSSL and zlib with
 * pull-based backpressure: constant memory, native speed. Where the time goes, and so the
 * shape: the input is read ahead (read-ahead.ts); ciphertext is gathered into 256 KiB runs
 * (gpg writes 8 KiB partial-length chunks) and decrypted on a worker thread — AES-CFB as
 * pipelined AES-ECB + SIMD XOR, with the MDC's SHA-1 beside it (cfb-mdc-offload.ts); inflate
 * runs on libuv's pool; the plaintext packet framing is squeezed out in place
 * (packet-level.ts); freed buffers stay mapped (heap-reuse.ts). openpgp.js
 * still parses keys and session-key packets and handles every other format (AEAD, BZip2,
 * legacy ciphers). Errors thrown here are plain Errors; decrypt.ts classifies them.
 */
import { createDecipheriv } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createInflate, createInflateRaw } from 'node:zlib';
import { openCfbMdc, warmUpCfbMdc } from './cfb-mdc-offload';
import { dearmor } from './dearmor-stream';
import { keepFreedBuffersMapped } from './heap-reuse';
import { PacketLevel, type LevelAction } from './packet-level';
import { PacketSplitter, type PacketEvent } from './packet-splitter';
import { readAhead } from './read-ahead';
import { inflateStoredFirst } from './stored-inflate';

/**
 * Size of the decryption runs and of the inflate output chunks. 256 KiB measured best: 32×
 * fewer steps than gpg's 8 KiB packets, while every fresh output buffer stays small enough
 * for malloc to reuse freed memory (1 MiB and larger buffers are mmap'd and page-faulted anew
 * each time, which cost 2–3× here).
 */
const RUN = 256 * 1024;
/** The MDC packet at the end of the plaintext: 0xD3 0x14 + SHA-1 (20 bytes). */
const MDC_LEN = 22;
/**
 * Bytes buffered before and after inflate, so that decryption, inflate (on libuv's pool) and
 * the consumer overlap instead of waiting on one another at every chunk.
 */
const INFLATE_SLACK = 2 * 1024 * 1024;
/** How far the input is read ahead of the decryption. */
const READ_AHEAD = 4 * 1024 * 1024;
const EMPTY = Buffer.alloc(0);

const truncated = (): Error => new Error('Unexpected end of data: the message is truncated');
const asBuffer = (c: Uint8Array): Buffer => (Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength));

/** Routes the outer packets: session-key packets skipped, the SEIPD body to the decryptor. */
class OuterPackets {
  private phase: 'esk' | 'seipd' | 'after' = 'esk';
  private versionChecked = false;
  /** Moves the SEIPD body bytes among `events` to `cipher` (views, in order). */
  handle(events: PacketEvent[], cipher: Buffer[]): void {
    for (const e of events) {
      if (e.kind === 'start') {
        if (this.phase === 'esk') {
          if (e.tag === 18) this.phase = 'seipd';
          else if (e.tag !== 1 && e.tag !== 3 && e.tag !== 10) throw new Error(`Unexpected packet (tag ${e.tag}) before the encrypted data`);
        }
      } else if (e.kind === 'end') {
        if (this.phase === 'seipd') this.phase = 'after';
      } else if (this.phase === 'seipd' && e.data.length) {
        let data = e.data;
        if (!this.versionChecked) {
          if (data[0] !== 1) throw new Error('Unsupported SEIPD version');
          this.versionChecked = true;
          data = data.subarray(1);
        }
        cipher.push(data);
      }
    }
    events.length = 0;
  }

  /** True once the whole encrypted data packet has been read. */
  get complete(): boolean {
    return this.phase === 'after';
  }
}

/** Holds back the last 22 bytes (the MDC) of the plaintext and strips the random prefix. */
class PlainTail {
  tail: Buffer = EMPTY;
  private prefixLeft: number;
  constructor(bs: number) {
    this.prefixLeft = bs + 2;
  }

  /** The pieces of `run` that are certainly not the MDC (in order). */
  take(run: Buffer): Buffer[] {
    const all = this.tail.length + run.length;
    if (all <= MDC_LEN) {
      this.tail = this.tail.length ? Buffer.concat([this.tail, run]) : run;
      return [];
    }
    if (run.length >= MDC_LEN) {
      const out = this.tail.length ? [this.tail, run.subarray(0, run.length - MDC_LEN)] : [run.subarray(0, run.length - MDC_LEN)];
      this.tail = run.subarray(run.length - MDC_LEN);
      return out;
    }
    const both = Buffer.concat([this.tail, run]);
    this.tail = both.subarray(all - MDC_LEN);
    return [both.subarray(0, all - MDC_LEN)];
  }

  /** `piece` without the random prefix (the first block + 2 bytes of the plaintext). */
  strip(piece: Buffer): Buffer {
    if (this.prefixLeft === 0) return piece;
    const k = Math.min(this.prefixLeft, piece.length);
    this.prefixLeft -= k;
    return piece.subarray(k);
  }

  get prefixDone(): boolean {
    return this.prefixLeft === 0;
  }
}

/**
 * The plaintext of the SEIPD packet (random prefix stripped) in runs; throws at the end when
 * the message is truncated or its MDC does not match.
 */
async function* decryptedRuns(source: AsyncIterable<Uint8Array>, cfbName: string, key: Uint8Array, bs: number): AsyncGenerator<Buffer> {
  const split = new PacketSplitter();
  const outer = new OuterPackets();
  const plain = new PlainTail(bs);
  const dec = openCfbMdc(cfbName, key);
  const events: PacketEvent[] = [];
  const cipher: Buffer[] = [];
  const pass = function* (runs: Buffer[]): Generator<Buffer> {
    for (const run of runs) {
      for (const piece of plain.take(run)) {
        const out = plain.strip(piece);
        if (out.length) yield out;
      }
    }
  };
  try {
    for await (const chunk of source) {
      split.feed(asBuffer(chunk), events);
      outer.handle(events, cipher);
      for (const c of cipher) {
        const wait = dec.push(c);
        if (wait) await wait;
      }
      cipher.length = 0;
      yield* pass(dec.takeReady());
    }
    split.finish(events);
    outer.handle(events, cipher);
    if (!outer.complete) throw truncated();
    const digest = await dec.end();
    yield* pass(dec.takeReady());
    const tail = plain.tail;
    if (!plain.prefixDone || tail.length < MDC_LEN) throw truncated();
    if (tail[0] !== 0xd3 || tail[1] !== 0x14) throw new Error('Modification detected (no MDC packet at the end).');
    if (!digest.equals(tail.subarray(2))) throw new Error('Modification detected.');
  } finally {
    dec.close();
  }
}

/** Inflates raw deflate or a ZLIB stream on libuv's thread pool, in large chunks (`dictionary`: the window so far). */
async function* inflate(src: AsyncIterable<Buffer>, raw: boolean, dictionary?: Buffer): AsyncGenerator<Buffer> {
  const opts = { chunkSize: RUN, highWaterMark: INFLATE_SLACK, ...(dictionary ? { dictionary } : {}) };
  const z = raw ? createInflateRaw(opts) : createInflate(opts);
  const done = pipeline(Readable.from(src, { objectMode: false, highWaterMark: INFLATE_SLACK }), z);
  done.catch(() => undefined);
  let ended = false;
  try {
    // Not destroyed at its end: bytes after the deflate stream (a ZLIB trailer when the stored
    // path handed over mid-stream) must still flow in, or the packet's rest would be left unread.
    for await (const c of z.iterator({ destroyOnReturn: false })) yield c as Buffer;
    ended = true;
  } finally {
    if (!ended) z.destroy();
  }
  await done;
}

/** A level's source with its pending actions, shared by the level and a compressed packet in it. */
interface LevelFeed {
  queue: LevelAction[];
  /** Reads more actions; false at the end of the level's data. */
  pull(): Promise<boolean>;
}

/** The body of a compressed packet of `feed`'s level, up to the packet's end. */
async function* compressedBody(feed: LevelFeed): AsyncGenerator<Buffer> {
  for (;;) {
    while (feed.queue.length) {
      const a = feed.queue.shift()!;
      if (a.type === 'cend') return;
      if (a.type !== 'cdata') throw new Error('Misformed compressed packet');
      yield a.data;
    }
    if (!(await feed.pull())) throw truncated();
  }
}

/** Yields the literal data of a decrypted packet stream, inflating compressed packets. */
async function* literalData(src: AsyncIterable<Buffer>, state: { literal: boolean }, depth: number): AsyncGenerator<Buffer> {
  const level = new PacketLevel();
  const it = src[Symbol.asyncIterator]();
  let ended = false;
  const feed: LevelFeed = {
    queue: [],
    async pull() {
      if (ended) return false;
      const r = await it.next();
      if (r.done) {
        ended = true;
        feed.queue.push(...level.finish());
      } else {
        feed.queue.push(...level.feed(r.value));
      }
      if (level.sawLiteral) state.literal = true;
      return true;
    },
  };
  for (;;) {
    const a = feed.queue.shift();
    if (!a) {
      if (!(await feed.pull())) return;
      continue;
    }
    if (a.type === 'literal') {
      yield a.data;
    } else if (a.type === 'cstart') {
      if (depth > 2) throw new Error('Too deeply nested compressed data');
      if (a.algo !== 0 && a.algo !== 1 && a.algo !== 2) throw new Error(`Unsupported compression algorithm ${String(a.algo)}`);
      const body = compressedBody(feed);
      yield* literalData(a.algo === 0 ? body : inflateStoredFirst(body, a.algo === 2, inflate), state, depth + 1);
    } else {
      throw new Error('Misformed compressed packet');
    }
  }
}

/** The cipher parameters Node supports for the fast path. */
export const FAST_CIPHERS: Readonly<Record<string, readonly [string, number]>> = {
  aes128: ['aes-128-cfb', 16],
  aes192: ['aes-192-cfb', 16],
  aes256: ['aes-256-cfb', 16],
};

/** Gets the fast path's thread and allocator ready while the caller derives the session key. */
export function prepareFastPath(): void {
  keepFreedBuffersMapped();
  warmUpCfbMdc();
}

/**
 * Decrypts a whole SEIPDv1 message (session-key packets first, as in the source) to its
 * literal data. Output is unauthenticated until the generator completes: the MDC is checked
 * after the last byte, and a mismatch or a truncation throws.
 */
export async function* decryptSeipdV1(source: AsyncIterable<Uint8Array>, armored: boolean, sk: { data: Uint8Array; algorithm: string }): AsyncGenerator<Buffer> {
  const spec = FAST_CIPHERS[sk.algorithm];
  if (!spec) throw new Error(`Unsupported cipher ${sk.algorithm}`);
  keepFreedBuffersMapped();
  const state = { literal: false };
  const input = readAhead(source, READ_AHEAD);
  yield* literalData(decryptedRuns(armored ? dearmor(input) : input, spec[0], sk.data, spec[1]), state, 0);
  if (!state.literal) throw new Error('The message holds no literal data');
}

/**
 * Looks at the first decrypted bytes (from the head) to tell whether the fast path applies:
 * the first inner packet must be literal data, or compressed with none/ZIP/ZLIB.
 */
export function fastPathApplies(sk: { data: Uint8Array; algorithm: string }, firstBytes: Uint8Array): boolean {
  const spec = FAST_CIPHERS[sk.algorithm];
  if (!spec) return false;
  const [cipher, bs] = spec;
  const n = Math.min(firstBytes.length, bs + 2 + 8);
  if (n < bs + 2 + 3) return false;
  const d = createDecipheriv(cipher, sk.data, Buffer.alloc(bs));
  const p = Buffer.concat([d.update(firstBytes.subarray(0, n)), d.final()]).subarray(bs + 2);
  const b0 = p[0]!;
  if ((b0 & 0x80) === 0) return false;
  let tag: number;
  let off: number;
  if (b0 & 0x40) {
    tag = b0 & 0x3f;
    const l0 = p[1]!;
    off = l0 < 192 ? 2 : l0 < 224 ? 3 : l0 === 255 ? 6 : 2;
  } else {
    tag = (b0 >> 2) & 0x0f;
    const lt = b0 & 3;
    off = lt === 3 ? 1 : lt === 0 ? 2 : lt === 1 ? 3 : 5;
  }
  if (tag === 11) return true;
  if (tag !== 8) return false;
  const algo = p[off];
  return algo === 0 || algo === 1 || algo === 2;
}
