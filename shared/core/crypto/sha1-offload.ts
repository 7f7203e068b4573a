/**
 * SHA-1 on another thread: the MDC of a SEIPDv1 message is a SHA-1 over the whole plaintext,
 * which on the decrypting thread costs as much as the decryption. Bytes are copied into a
 * small SharedArrayBuffer ring (memcpy into memory already mapped: no allocation per chunk)
 * and hashed in order by one shared worker thread; `update` waits only when the ring is full.
 *
 * The worker is created on first use and kept (unref'd while idle) for later messages. When a
 * worker cannot be started, hashing happens inline — same result, slower.
 */
import { createHash, type Hash } from 'node:crypto';
import { Worker } from 'node:worker_threads';

const SLOT = 1 << 20;
const SLOTS = 4;

const WORKER_SRC = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const jobs = new Map();
parentPort.on('message', (m) => {
  if (m.op === 'start') { jobs.set(m.id, { h: createHash('sha1'), sab: m.sab }); return; }
  const j = jobs.get(m.id);
  if (!j) return;
  if (m.op === 'update') { j.h.update(new Uint8Array(j.sab, m.slot * ${SLOT}, m.len)); parentPort.postMessage({ id: m.id, op: 'free', slot: m.slot }); }
  else if (m.op === 'digest') { jobs.delete(m.id); parentPort.postMessage({ id: m.id, op: 'digest', digest: j.h.digest() }); }
  else if (m.op === 'drop') jobs.delete(m.id);
});
`;

interface Msg {
  id: number;
  op: 'free' | 'digest';
  slot?: number;
  digest?: Uint8Array;
}

interface JobHooks {
  free(slot: number): void;
  digest(d: Uint8Array): void;
  fail(err: Error): void;
}

let worker: Worker | undefined;
let workerBroken = false;
let nextId = 1;
const jobs = new Map<number, JobHooks>();

function getWorker(): Worker | undefined {
  if (worker || workerBroken) return worker;
  try {
    const w = new Worker(WORKER_SRC, { eval: true });
    w.on('message', (m: Msg) => {
      const j = jobs.get(m.id);
      if (!j) return;
      if (m.op === 'free') j.free(m.slot!);
      else j.digest(m.digest!);
    });
    const die = (err: Error): void => {
      if (worker === w) worker = undefined;
      for (const j of jobs.values()) j.fail(err);
      jobs.clear();
    };
    w.on('error', die);
    w.on('exit', (code) => die(new Error(`The hashing thread stopped (exit code ${code}).`)));
    w.unref();
    worker = w;
  } catch {
    workerBroken = true;
  }
  return worker;
}

const holdWorker = (): void => {
  worker?.ref();
};
const releaseWorker = (): void => {
  if (jobs.size === 0) worker?.unref();
};

/** A SHA-1 computed on the shared hashing thread (or inline when none can be started). */
export class OffloadedSha1 {
  private readonly id = nextId++;
  private readonly w: Worker | undefined;
  private readonly inline: Hash | undefined;
  private readonly ring: Uint8Array | undefined;
  private readonly free: number[] = [];
  private waiter: (() => void) | undefined;
  private cur = -1;
  private curFill = 0;
  private error: Error | undefined;
  private done: ((d: Uint8Array) => void) | undefined;
  private closed = false;

  constructor() {
    this.w = getWorker();
    if (!this.w) {
      this.inline = createHash('sha1');
      return;
    }
    const sab = new SharedArrayBuffer(SLOT * SLOTS);
    this.ring = new Uint8Array(sab);
    for (let s = 0; s < SLOTS; s++) this.free.push(s);
    jobs.set(this.id, {
      free: (slot) => {
        this.free.push(slot);
        this.wake();
      },
      digest: (d) => this.done?.(d),
      fail: (err) => {
        this.error = err;
        this.wake();
      },
    });
    holdWorker();
    this.w.postMessage({ id: this.id, op: 'start', sab });
  }

  /** Hashes `data` (copied: the caller may reuse it). Resolves once it is queued. */
  async update(data: Uint8Array): Promise<void> {
    if (this.inline) {
      this.inline.update(data);
      return;
    }
    let off = 0;
    while (off < data.length) {
      if (this.cur < 0) await this.takeSlot();
      const k = Math.min(SLOT - this.curFill, data.length - off);
      this.ring!.set(data.subarray(off, off + k), this.cur * SLOT + this.curFill);
      this.curFill += k;
      off += k;
      if (this.curFill === SLOT) this.send();
    }
  }

  /** The digest of everything passed to `update`; ends the job. */
  async digest(): Promise<Buffer> {
    if (this.inline) return this.inline.digest();
    if (this.curFill > 0) this.send();
    this.throwIfFailed();
    const d = await new Promise<Uint8Array>((resolve, reject) => {
      this.done = resolve;
      const prevFail = jobs.get(this.id)!.fail;
      jobs.get(this.id)!.fail = (err) => {
        prevFail(err);
        reject(err);
      };
      this.w!.postMessage({ id: this.id, op: 'digest' });
    });
    this.close();
    return Buffer.from(d);
  }

  /** Abandons the job (safe to call more than once). */
  close(): void {
    if (this.closed || this.inline) return;
    this.closed = true;
    if (jobs.delete(this.id)) this.w!.postMessage({ id: this.id, op: 'drop' });
    releaseWorker();
  }

  private send(): void {
    this.w!.postMessage({ id: this.id, op: 'update', slot: this.cur, len: this.curFill });
    this.cur = -1;
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
