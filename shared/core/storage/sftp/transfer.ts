/**
 * Pipelined SFTP transfers. SFTP answers every read/write request separately, so one request
 * at a time is bound by latency (64 KiB per round trip: about 1 MB/s at 50 ms). These streams
 * keep several requests in flight at increasing offsets (as OpenSSH's sftp client does) and
 * still deliver bytes in order, with constant memory. They fail with the connection: a
 * dropped connection destroys them instead of leaving them waiting forever.
 */
import { Readable, Writable } from 'node:stream';
import type { SFTPWrapper } from 'ssh2';

/** Subscribes to the connection's death; returns an unsubscribe function. */
export type OnConnectionLost = (listener: (err: Error) => void) => () => void;

/** Options of both streams. */
export interface PipelineOptions {
  /** Bytes per request (default 32 KiB, which every server accepts). */
  readonly chunkSize?: number;
  /** Requests in flight (default 16). */
  readonly concurrency?: number;
  readonly onConnectionLost?: OnConnectionLost;
}

const call = <T>(fn: (cb: (err: Error | null | undefined, v?: T) => void) => void): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    try {
      fn((err, v) => (err ? reject(err) : resolve(v as T)));
    } catch (err) {
      reject(err);
    }
  });

const openFile = (sftp: SFTPWrapper, p: string, flags: 'r' | 'w', mode?: number): Promise<Buffer> =>
  call<Buffer>((cb) => (mode === undefined ? sftp.open(p, flags, cb) : sftp.open(p, flags, { mode }, cb)));

const closeQuietly = (sftp: SFTPWrapper, handle: Buffer | undefined): Promise<void> =>
  handle === undefined ? Promise.resolve() : call<void>((cb) => sftp.close(handle, cb)).catch(() => undefined);

/** Reads `[start, end)` of a remote file with pipelined requests. Ends early only on EOF. */
export function pipelinedReadStream(sftp: SFTPWrapper, remotePath: string, start: number, end: number, options: PipelineOptions = {}): Readable {
  const chunkSize = options.chunkSize ?? 32 * 1024;
  const concurrency = options.concurrency ?? 16;
  let handle: Buffer | undefined;
  let next = start;
  const queue: Array<Promise<Buffer>> = [];
  let unsubscribe = (): void => undefined;

  /** Reads exactly `len` bytes at `pos` (SFTP may answer short), fewer only at EOF. */
  const readFull = async (h: Buffer, pos: number, len: number): Promise<Buffer> => {
    const buf = Buffer.allocUnsafe(len);
    let got = 0;
    while (got < len) {
      let n: number;
      try {
        n = await new Promise<number>((resolve, reject) => {
          sftp.read(h, buf, got, len - got, pos + got, (err, bytesRead) => (err ? reject(err) : resolve(bytesRead)));
        });
      } catch (err) {
        if ((err as { code?: unknown }).code === 1) break; // SSH_FX_EOF
        throw err;
      }
      if (n === 0) break;
      got += n;
    }
    return got === len ? buf : buf.subarray(0, got);
  };

  const stream = new Readable({
    highWaterMark: chunkSize * 2,
    construct(cb) {
      unsubscribe = options.onConnectionLost?.((err) => stream.destroy(err)) ?? unsubscribe;
      openFile(sftp, remotePath, 'r').then(
        (h) => {
          handle = h;
          cb();
        },
        (err: Error) => cb(err),
      );
    },
    read() {
      const h = handle;
      if (h === undefined) return;
      while (queue.length < concurrency && next < end) {
        const len = Math.min(chunkSize, end - next);
        const p = readFull(h, next, len);
        p.catch(() => undefined); // awaited below, in order
        queue.push(p);
        next += len;
      }
      const head = queue.shift();
      if (head === undefined) {
        this.push(null);
        return;
      }
      head.then(
        (buf) => {
          if (stream.destroyed) return;
          if (buf.length === 0) {
            // EOF before `end`: the file shrank; end here and let the caller's size check decide.
            queue.length = 0;
            next = end;
            this.push(null);
            return;
          }
          this.push(buf);
        },
        (err: Error) => stream.destroy(err),
      );
    },
    destroy(err, cb) {
      unsubscribe();
      queue.length = 0;
      void closeQuietly(sftp, handle).finally(() => cb(err));
    },
  });
  stream.once('end', () => {
    unsubscribe();
    void closeQuietly(sftp, handle);
    handle = undefined;
  });
  return stream;
}

/** Writes a new remote file with pipelined requests; `finish` means every byte was acknowledged and the file closed. */
export function pipelinedWriteStream(sftp: SFTPWrapper, remotePath: string, options: PipelineOptions & { mode?: number } = {}): Writable {
  const chunkSize = options.chunkSize ?? 32 * 1024;
  const concurrency = options.concurrency ?? 16;
  let handle: Buffer | undefined;
  let pos = 0;
  let inflight = 0;
  let failure: Error | undefined;
  let waiters: Array<() => void> = [];
  let unsubscribe = (): void => undefined;
  const wake = (): void => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  const waitBelow = async (n: number): Promise<void> => {
    while (inflight > n && failure === undefined) await new Promise<void>((r) => waiters.push(r));
    if (failure !== undefined) throw failure;
  };
  let held: Buffer[] = [];
  let heldBytes = 0;
  /** Sends the held bytes in full requests (and, at the end, the rest). */
  const send = async (all: boolean): Promise<void> => {
    const data = held.length === 1 ? held[0]! : Buffer.concat(held, heldBytes);
    const whole = all ? data.length : data.length - (data.length % chunkSize);
    held = whole < data.length ? [data.subarray(whole)] : [];
    heldBytes = data.length - whole;
    for (let off = 0; off < whole; off += chunkSize) {
      await waitBelow(concurrency - 1);
      const piece = data.subarray(off, Math.min(off + chunkSize, whole));
      inflight++;
      sftp.write(handle!, piece, 0, piece.length, pos, (err) => {
        inflight--;
        if (err) failure ??= err;
        wake();
      });
      pos += piece.length;
    }
  };
  const stream = new Writable({
    highWaterMark: chunkSize * concurrency,
    construct(cb) {
      unsubscribe = options.onConnectionLost?.((err) => {
        failure ??= err;
        wake();
        stream.destroy(err);
      }) ?? unsubscribe;
      openFile(sftp, remotePath, 'w', options.mode).then(
        (h) => {
          handle = h;
          cb();
        },
        (err: Error) => cb(err),
      );
    },
    // Small writes (a zip's headers, small files) are gathered into full requests: one request
    // per tiny chunk made a backup of many small files several times slower than `sftp put`.
    write(chunk: Buffer, _enc, cb) {
      held.push(chunk);
      heldBytes += chunk.length;
      if (heldBytes < chunkSize) return cb(failure ?? null);
      send(false).then(() => cb(failure ?? null), (err: Error) => cb(err));
    },
    final(cb) {
      send(true)
        .then(() => waitBelow(0))
        .then(() => call<void>((c) => sftp.close(handle!, c)))
        .then(
          () => {
            handle = undefined;
            unsubscribe();
            cb();
          },
          (err: Error) => cb(err),
        );
    },
    destroy(err, cb) {
      unsubscribe();
      failure ??= err ?? new Error('destroyed');
      wake();
      const h = handle;
      handle = undefined;
      void closeQuietly(sftp, h).finally(() => cb(err));
    },
  });
  return stream;
}
