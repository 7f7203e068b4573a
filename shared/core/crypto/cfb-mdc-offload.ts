/**
 * The SEIPDv1 decryption proper — AES-CFB (as ECB + SIMD XOR) and the MDC's SHA-1 over the
 * plaintext — on one shared worker thread, so the main thread only frames packets and moves
 * bytes. Why: on the main thread these cost about as much as everything else together, and
 * gpg, the bar, is single-threaded.
 *
 * Ciphertext goes to the worker in a small pool of ArrayBuffers that travel back and forth
 * (transferred, never copied: a SharedArrayBuffer would be copied into with V8's slow relaxed
 * memmove); each plaintext run comes back as a transferred ArrayBuffer too. The worker
 * hashes all plaintext but its last 20 bytes (the MDC packet's hash field) and returns the
 * digest at the end; checking it is the caller's job. When no worker can be started the same
 * steps run inline (CfbDecryptor + SHA-1): same bytes, slower.
 */
import { createHash, type Hash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { CfbDecryptor } from './cfb-decryptor';
import { XOR_WASM } from './simd-xor';

/** Bytes per ciphertext buffer (= the size of the plaintext runs) and buffers per job. */
const SLOT = 256 * 1024;
const SLOTS = 8;
/** Length of the SHA-1 value at the very end of the plaintext, which the MDC hash leaves out. */
const HASH_LEN = 20;

const WORKER_SRC = `
const { parentPort } = require('node:worker_threads');
const { createHash, createCipheriv } = require('node:crypto');
const SLOT = ${SLOT}, BS = 16, HOLD = ${HASH_LEN};
let xorMod = null;
try { xorMod = new WebAssembly.Module(Buffer.from('${XOR_WASM}', 'base64')); } catch {}
function space(bytes) {
  if (!xorMod) { const buf = Buffer.alloc(bytes); return { buf, xor(d, s, n) { for (let i = 0; i < n; i++) buf[d + i] ^= buf[s + i]; } }; }
  const memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / 65536) });
  const x = new WebAssembly.Instance(xorMod, { env: { memory } }).exports.xor;
  const buf = Buffer.from(memory.buffer, 0, bytes);
  return { buf, xor(d, s, n) { const w = n & ~15; if (w) x(d, s, w); for (let i = w; i < n; i++) buf[d + i] ^= buf[s + i]; } };
}
const jobs = new Map();
function start(m) {
  const ecb = createCipheriv(m.ecb, Buffer.from(m.key), null);
  ecb.setAutoPadding(false);
  const gLen = SLOT + 2 * BS;
  const sp = space(gLen + SLOT + BS);
  sp.buf.fill(0, 0, BS);
  jobs.set(m.id, { ecb, sp, gLen, fill: BS, h: createHash('sha1'), hold: Buffer.alloc(0) });
}
function hashHeld(j, p) {
  const total = j.hold.length + p.length;
  if (total <= HOLD) { j.hold = Buffer.concat([j.hold, p]); return; }
  const fromHold = Math.min(j.hold.length, total - HOLD);
  const fromP = total - HOLD - fromHold;
  if (fromHold) j.h.update(j.hold.subarray(0, fromHold));
  if (fromP) j.h.update(p.subarray(0, fromP));
  j.hold = Buffer.concat([j.hold.subarray(fromHold), p.subarray(fromP)]);
}
function xorOut(j, e) {
  const b = j.sp.buf;
  b.set(e, j.gLen);
  j.sp.xor(j.gLen, BS, e.length);
  b.copy(e, 0, j.gLen, j.gLen + e.length);
  hashHeld(j, e);
  return e;
}
function run(j) {
  const len = Math.floor((j.fill - BS) / BS) * BS;
  if (len === 0) return null;
  const e = xorOut(j, j.ecb.update(j.sp.buf.subarray(0, len)));
  j.sp.buf.copy(j.sp.buf, 0, len, j.fill);
  j.fill -= len;
  return e;
}
function last(j) {
  const k = j.fill - BS;
  if (k <= 0) return null;
  j.fill = BS;
  return xorOut(j, j.ecb.update(j.sp.buf.subarray(0, BS)).subarray(0, k));
}
function send(id, op, slot, e, extra) {
  const moved = slot ? [slot] : [];
  if (!e) return parentPort.postMessage({ id, op, slot, ...extra }, moved);
  const whole = e.byteOffset === 0 && e.buffer.byteLength === e.length;
  const buf = whole ? e.buffer : e.buffer.slice(e.byteOffset, e.byteOffset + e.length);
  parentPort.postMessage({ id, op, slot, buf, ...extra }, [...moved, buf]);
}
parentPort.on('message', (m) => {
  if (m.op === 'start') return start(m);
  const j = jobs.get(m.id);
  if (!j) return;
  if (m.op === 'data') {
    j.sp.buf.set(new Uint8Array(m.slot, 0, m.len), j.fill);
    j.fill += m.len;
    send(m.id, 'plain', m.slot, run(j));
  } else if (m.op === 'end') {
    const a = run(j);
    const b = last(j);
    const e = a && b ? Buffer.concat([a, b]) : a || b;
    jobs.delete(m.id);
    send(m.id, 'end', null, e, { digest: j.h.digest() });
  } else if (m.op === 'drop') jobs.delete(m.id);
});
`;

interface Msg {
  id: number;
  op: 'plain' | 'end';
  slot: ArrayBuffer | null;
  buf?: ArrayBuffer;
  digest?: Uint8Array;
}

interface JobHooks {
  message(m: Msg): void;
  fail(err: Error): void;
}

/** What the decryption yields: plaintext runs in order, then the MDC hash of all but the last 20 bytes. */
export interface CfbMdc {
  /**
   * Takes ciphertext (copied: the caller may reuse it). Returns a promise only when it had to
   * wait for a free buffer (gpg's 8 KiB packets make this a hot path: no await per piece).
   */
  push(data: Buffer): Promise<void> | undefined;
  /** Plaintext decrypted so far and not yet taken. */
  takeReady(): Buffer[];
  /** Ends the ciphertext; resolves with the SHA-1 of the plaintext less its last 20 bytes, once all plaintext is ready. */
  end(): Promise<Buffer>;
  /** Abandons the job (safe to call more than once). */
  close(): void;
}

let worker: Worker | undefined;
let workerBroken = false;
let nextId = 1;
const jobs = new Map<number, JobHooks>();

function getWorker(): Worker | undefined {
  if (worker || workerBroken) return worker;
  try {
    const w = new Worker(WORKER_SRC, { eval: true });
    w.on('message', (m: Msg) => jobs.get(m.id)?.message(m));
    const die = (err: Error): void => {
      if (worker === w) worker = undefined;
      for (const j of jobs.values()) j.fail(err);
      jobs.clear();
    };
    w.on('error', die);
    w.on('exit', (code) => die(new Error(`The decryption thread stopped (exit code ${code}).`)));
    w.unref();
    worker = w;
  } catch {
    workerBroken = true;
  }
  return worker;
}

/** The ECB cipher for an AES-CFB name. */
const ecbOf = (cfbName: string): string => {
  const m = /^aes-(128|192|256)-cfb$/.exec(cfbName);
  if (!m) throw new Error(`Unsupported cipher ${cfbName}`);
  return `aes-${m[1]!}-ecb`;
};

/** CFB + MDC hash on the shared worker thread. */
class OffloadedCfbMdc implements CfbMdc {
  private readonly id = nextId++;
  private readonly free: Buffer[] = [];
  private readonly ready: Buffer[] = [];
  private waiter: (() => void) | undefined;
  private cur: Buffer | undefined;
  private curFill = 0;
  private error: Error | undefined;
  private result: Buffer | undefined;
  private closed = false;

  constructor(
    private readonly w: Worker,
    cfbName: string,
    key: Uint8Array,
  ) {
    for (let s = 0; s < SLOTS; s++) this.free.push(Buffer.from(new ArrayBuffer(SLOT)));
    jobs.set(this.id, { message: (m) => this.onMessage(m), fail: (err) => this.fail(err) });
    w.ref();
    w.postMessage({ id: this.id, op: 'start', ecb: ecbOf(cfbName), key: Uint8Array.from(key) });
  }

  push(data: Buffer): Promise<void> | undefined {
    let off = 0;
    while (off < data.length) {
      if (!this.cur) {
        if (this.free.length === 0 || this.error) return this.pushAsync(data.subarray(off));
        this.cur = this.free.shift()!;
      }
      const k = Math.min(SLOT - this.curFill, data.length - off);
      data.copy(this.cur!, this.curFill, off, off + k);
      this.curFill += k;
      off += k;
      if (this.curFill === SLOT) this.send();
    }
    return undefined;
  }

  /** `push` once a buffer is free again. */
  private async pushAsync(data: Buffer): Promise<void> {
    await this.takeSlot();
    await this.push(data);
  }

  takeReady(): Buffer[] {
    this.throwIfFailed();
    return this.ready.splice(0);
  }

  async end(): Promise<Buffer> {
    if (this.curFill > 0) this.send();
    this.w.postMessage({ id: this.id, op: 'end' });
    while (!this.result) {
      this.throwIfFailed();
      await new Promise<void>((r) => (this.waiter = r));
    }
    this.throwIfFailed();
    return this.result;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (jobs.delete(this.id)) this.w.postMessage({ id: this.id, op: 'drop' });
    if (jobs.size === 0) this.w.unref();
  }

  private onMessage(m: Msg): void {
    if (m.buf && m.buf.byteLength) this.ready.push(Buffer.from(m.buf));
    if (m.op === 'end') {
      this.result = Buffer.from(m.digest!);
      jobs.delete(this.id);
    } else if (m.slot) {
      this.free.push(Buffer.from(m.slot));
    }
    this.wake();
  }

  private fail(err: Error): void {
    this.error = err;
    this.wake();
  }

  private send(): void {
    const slot = this.cur!.buffer as ArrayBuffer;
    this.w.postMessage({ id: this.id, op: 'data', slot, len: this.curFill }, [slot]);
    this.cur = undefined;
    this.curFill = 0;
  }

  private async takeSlot(): Promise<void> {
    while (this.free.length === 0) {
      this.throwIfFailed();
      await new Promise<void>((r) => (this.waiter = r));
    }
    this.throwIfFailed();
    this.cur = this.free.shift()!;
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  private throwIfFailed(): void {
    if (this.error) throw this.error;
  }
}

/** CFB + MDC hash inline, for when no worker thread can be started. */
class InlineCfbMdc implements CfbMdc {
  private readonly cfb: CfbDecryptor;
  private readonly h: Hash = createHash('sha1');
  private readonly ready: Buffer[] = [];
  private hold: Buffer = Buffer.alloc(0);

  constructor(cfbName: string, key: Uint8Array) {
    this.cfb = new CfbDecryptor(cfbName, key, SLOT);
  }

  push(data: Buffer): undefined {
    const runs: Buffer[] = [];
    this.cfb.push(data, runs);
    this.take(runs);
    return undefined;
  }

  takeReady(): Buffer[] {
    return this.ready.splice(0);
  }

  end(): Promise<Buffer> {
    const runs: Buffer[] = [];
    this.cfb.finish(runs);
    this.take(runs);
    return Promise.resolve(this.h.digest());
  }

  close(): void {
    /* nothing held */
  }

  /** Queues runs, hashing all but the last 20 bytes seen so far. */
  private take(runs: Buffer[]): void {
    for (const p of runs) {
      this.ready.push(p);
      const total = this.hold.length + p.length;
      if (total <= HASH_LEN) {
        this.hold = Buffer.concat([this.hold, p]);
        continue;
      }
      const fromHold = Math.min(this.hold.length, total - HASH_LEN);
      const fromP = total - HASH_LEN - fromHold;
      if (fromHold) this.h.update(this.hold.subarray(0, fromHold));
      if (fromP) this.h.update(p.subarray(0, fromP));
      this.hold = Buffer.concat([this.hold.subarray(fromHold), p.subarray(fromP)]);
    }
  }
}

/** Starts the shared worker thread ahead of use (it boots while the session key is derived). */
export function warmUpCfbMdc(): void {
  getWorker();
}

/** Starts a CFB + MDC decryption of an AES-CFB ciphertext, on the worker thread when one is available. */
export function openCfbMdc(cfbName: string, key: Uint8Array, opts: { inline?: boolean } = {}): CfbMdc {
  ecbOf(cfbName);
  const w = opts.inline ? undefined : getWorker();
  return w ? new OffloadedCfbMdc(w, cfbName, key) : new InlineCfbMdc(cfbName, key);
}
