/**
 * Bridges between Node streams (what the rest of the core uses) and the WHATWG streams that
 * openpgp works with, with pull-based backpressure so memory stays bounded, plus a peek of
 * the head of a Node stream that hands the peeked bytes back in front of the rest.
 */
import { Readable } from 'node:stream';
import type { ReadableStreamReadResult } from 'node:stream/web';

/** A Node stream whose first bytes have been read, and a way to get the whole stream back. */
export interface PeekedInput {
  /** The first bytes (at least `min` unless the stream is shorter). */
  head: Uint8Array;
  /** The whole input (head + rest) as a web stream; cancelling it destroys the input. */
  toWeb(): ReadableStream<Uint8Array>;
  /** The whole input (head + rest) as an async iterable (pull-based). */
  iterate(): AsyncGenerator<Uint8Array>;
  /** Stops reading and destroys the input. */
  close(): Promise<void>;
  /** The error the input itself failed with, if any (download failures, cancellation). */
  readonly inputError: unknown;
  /** Milliseconds since the input was last read, 0 while a read of the input is waiting (a slow network is not idleness). */
  readonly idleMs: number;
}

const asU8 = (c: unknown): Uint8Array =>
  typeof c === 'string' ? new TextEncoder().encode(c) : c instanceof Uint8Array ? new Uint8Array(c.buffer, c.byteOffset, c.byteLength) : new Uint8Array(c as ArrayBuffer);

/** Reads at least `min` bytes from `input` (fewer only at end of stream) without losing them. */
export async function peekInput(input: Readable, min: number): Promise<PeekedInput> {
  const it = input[Symbol.asyncIterator]() as AsyncIterator<unknown>;
  const chunks: Uint8Array[] = [];
  let size = 0;
  let ended = false;
  let inputError: unknown;
  let reading = 0;
  let lastRead = Date.now();
  const next = async (): Promise<IteratorResult<unknown>> => {
    reading++;
    try {
      return await it.next();
    } catch (err) {
      inputError = err;
      throw err;
    } finally {
      reading--;
      lastRead = Date.now();
    }
  };
  while (size < min) {
    const r = await next();
    if (r.done) {
      ended = true;
      break;
    }
    const c = asU8(r.value);
    chunks.push(c);
    size += c.length;
  }
  const head = chunks.length === 1 ? chunks[0]! : new Uint8Array(Buffer.concat(chunks));
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    try {
      await it.return?.();
    } catch {
      /* already failed */
    }
    input.destroy();
  };
  return {
    head,
    get inputError() {
      return inputError;
    },
    get idleMs() {
      return reading > 0 ? 0 : Date.now() - lastRead;
    },
    close,
    async *iterate() {
      if (head.length) yield head;
      if (ended) return;
      for (;;) {
        const r = await next();
        if (r.done) return;
        yield asU8(r.value);
      }
    },
    toWeb() {
      let pending: Uint8Array | undefined = head.length ? head : undefined;
      return new ReadableStream<Uint8Array>(
        {
          async pull(controller) {
            if (pending) {
              controller.enqueue(pending);
              pending = undefined;
              return;
            }
            if (ended) {
              controller.close();
              return;
            }
            const r = await next();
            if (r.done) controller.close();
            else controller.enqueue(asU8(r.value));
          },
          cancel: close,
        },
        { highWaterMark: 0 },
      );
    },
  };
}

/** A web stream over a Node stream (pull-based; cancelling destroys the Node stream). */
export function nodeToWeb(input: Readable): ReadableStream<Uint8Array> {
  const it = input[Symbol.asyncIterator]() as AsyncIterator<unknown>;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const r = await it.next();
        if (r.done) controller.close();
        else controller.enqueue(asU8(r.value));
      },
      async cancel() {
        await it.return?.();
        input.destroy();
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * A Node Readable over a web stream reader. `first` is an already-read result (the peek);
 * stream errors are passed through `mapError`; destroying the Readable cancels the reader.
 */
export function webToNode(
  reader: Pick<ReadableStreamDefaultReader<Uint8Array | string>, 'read' | 'cancel'>,
  mapError: (err: unknown) => Error,
  first?: ReadableStreamReadResult<Uint8Array | string>,
  onDestroy?: () => void,
): Readable {
  let pendingFirst = first;
  let reading = false;
  return new Readable({
    highWaterMark: 1 << 16,
    read() {
      if (reading) return;
      const handle = (r: ReadableStreamReadResult<Uint8Array | string>): boolean => {
        if (r.done) {
          this.push(null);
          return false;
        }
        return this.push(typeof r.value === 'string' ? Buffer.from(r.value, 'latin1') : r.value);
      };
      if (pendingFirst) {
        const r = pendingFirst;
        pendingFirst = undefined;
        if (!handle(r)) return;
      }
      reading = true;
      const loop = (): void => {
        reader.read().then(
          (r) => {
            reading = false;
            if (this.destroyed) return;
            if (handle(r)) {
              reading = true;
              loop();
            }
          },
          (err: unknown) => {
            reading = false;
            if (!this.destroyed) this.destroy(mapError(err));
          },
        );
      };
      loop();
    },
    destroy(err, cb) {
      reader.cancel().catch(() => undefined);
      onDestroy?.();
      cb(err);
    },
  });
}

/**
 * Settles like `op`, unless the decoder behind it is stuck: a read of ours is waiting, yet the
 * decoder has not asked for input for `graceMs`. openpgp.js can wait like that forever on the
 * garbage a wrong key yields for ciphers without a quick check; `onStall` gives the error.
 */
export function stallGuard<T>(op: Promise<T>, input: Pick<PeekedInput, 'idleMs'>, onStall: () => Error, graceMs = STALL_GRACE_MS): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setInterval(() => {
      if (input.idleMs >= graceMs) {
        clearInterval(timer);
        reject(onStall());
      }
    }, Math.min(250, graceMs));
    op.then(
      (v) => {
        clearInterval(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearInterval(timer);
        reject(e);
      },
    );
  });
}

/** How long a decoder may neither read input nor produce output before it counts as stuck. */
export const STALL_GRACE_MS = 5_000;
