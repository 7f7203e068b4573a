/**
 * Transfers that survive a dropped connection.
 *
 * `resumableRead` re-opens a read with a `Range` starting at the byte count already received,
 * so a download that loses its connection half way continues instead of starting over.
 * `writeWithRetry` retries a whole write with a fresh body (a stream cannot be rewound); a
 * provider whose protocol can resume an upload (Drive sessions, Dropbox upload sessions) does
 * that inside its own `write`.
 */
import { Readable } from 'node:stream';
import { AppError, cancelledError, toAppError } from '../../errors';
import type { ByteRange, ObjectInfo, StorageProvider, WriteOptions } from '../provider';
import { backoffDelay, type BackoffOptions } from './backoff';
import { sleep } from './streams';

/** Options of `resumableRead`. */
export interface ResumableReadOptions extends BackoffOptions {
  readonly signal?: AbortSignal;
  /** Part of the object to read (the whole object when omitted). */
  readonly range?: ByteRange;
  /** How many times in a row a dropped transfer is resumed without progress (default 5). */
  readonly maxResumes?: number;
  /** The object's size when already known (a listing); saves a `stat`. */
  readonly size?: number;
  /** The object's etag when already known; a resume checks that the object still has it. */
  readonly etag?: string;
  /** Called before each resume, with the absolute offset it resumes from. */
  readonly onResume?: (offset: number, attempt: number, error: AppError) => void;
}

/**
 * A stream of the object's bytes (or of `range`) that resumes after `Transient` failures by
 * re-reading from the first byte not yet delivered. Providers without range reads are re-read
 * from the start and the bytes already delivered are skipped. Ends with `Integrity` when the
 * object delivers more or fewer bytes than its size, or when its etag changed before a
 * resume (so two versions are never spliced); `Cancelled` when `signal` aborts.
 */
export async function resumableRead(provider: StorageProvider, key: string, options: ResumableReadOptions = {}): Promise<Readable> {
  const { signal } = options;
  const maxResumes = options.maxResumes ?? 5;
  const start = options.range?.offset ?? 0;
  const initial = options.size === undefined ? await provider.stat(key, { signal }) : undefined;
  const size = options.size ?? initial?.size ?? 0;
  // Resuming splices bytes from two requests: make sure they come from the same version.
  const etag = options.etag ?? initial?.etag;
  const assertUnchanged = async (): Promise<void> => {
    if (etag === undefined) return;
    const now = await provider.stat(key, { signal });
    if (now.etag !== etag || now.size !== size) {
      throw new AppError('Integrity', `"${key}" changed on the storage during the transfer.`, {
        hint: 'Start the download again to get the new version whole.',
        details: { etagBefore: etag, etagNow: now.etag ?? null },
      });
    }
  };
  const available = Math.max(0, size - start);
  const total = options.range?.length === undefined ? available : Math.min(options.range.length, available);

  const open = (received: number): Promise<Readable> =>
    provider.capabilities.rangeReads || received === 0
      ? provider.read(key, { signal, range: { offset: start + received, length: total - received } })
      : provider.read(key, { signal, range: { offset: start, length: total } });

  // Handed to the generator when it starts: a stream destroyed before its first read never
  // starts it, so the close handler below destroys this one (it holds a transfer slot).
  let first: Readable | undefined = await open(0);

  async function* bytes(): AsyncGenerator<Buffer> {
    let received = 0;
    let failures = 0;
    let stream: Readable | undefined = first;
    first = undefined;
    let skip = 0; // bytes to drop after a from-the-start re-read
    for (;;) {
      try {
        if (stream === undefined) {
          await assertUnchanged();
          skip = provider.capabilities.rangeReads ? 0 : received;
          stream = await open(received);
        }
        for await (const raw of stream) {
          let chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw as Uint8Array);
          if (skip > 0) {
            const drop = Math.min(skip, chunk.length);
            skip -= drop;
            chunk = chunk.subarray(drop);
            if (chunk.length === 0) continue;
          }
          received += chunk.length;
          failures = 0;
          if (received > total) {
            throw new AppError('Integrity', `"${key}" delivered more bytes than its size (${total}).`, {
              hint: 'The object changed during the transfer; start the download again.',
            });
          }
          yield chunk;
        }
        if (received < total) {
          throw new AppError('Transient', `The transfer of "${key}" ended after ${received} of ${total} bytes.`);
        }
        return;
      } catch (e) {
        stream?.destroy();
        stream = undefined;
        if (signal?.aborted) throw cancelledError(`Reading "${key}"`);
        const err = toAppError(e);
        if (err.kind !== 'Transient' || failures >= maxResumes) throw err;
        options.onResume?.(start + received, failures + 1, err);
        await sleep(backoffDelay(failures, options, err.retryAfterMs), signal);
        failures++;
      }
    }
  }

  const out = Readable.from(bytes(), { objectMode: false });
  out.once('close', () => first?.destroy());
  return out;
}

/** Options of `writeWithRetry`. */
export interface WriteWithRetryOptions extends WriteOptions, BackoffOptions {
  /** Retries after `Transient` failures (default 3). */
  readonly retries?: number;
  /** Called before each retry. */
  readonly onRetry?: (attempt: number, error: AppError) => void;
}

/**
 * Writes with retries: each attempt gets a fresh body from `makeBody` (a consumed stream
 * cannot be replayed). Only `Transient` failures are retried.
 */
export async function writeWithRetry(
  provider: StorageProvider,
  key: string,
  makeBody: () => Readable,
  options: WriteWithRetryOptions = {},
): Promise<ObjectInfo> {
  const write = provider.write;
  if (write === undefined) {
    throw new AppError('Unsupported', `This ${provider.kind} storage is read-only.`, { hint: 'Choose a storage that can be written.' });
  }
  const retries = options.retries ?? 3;
  for (let attempt = 0; ; attempt++) {
    try {
      return await write.call(provider, key, makeBody(), options);
    } catch (e) {
      const err = toAppError(e);
      if (options.signal?.aborted) throw cancelledError(`Writing "${key}"`);
      if (err.kind !== 'Transient' || attempt >= retries) throw err;
      options.onRetry?.(attempt + 1, err);
      await sleep(backoffDelay(attempt, options, err.retryAfterMs), options.signal);
    }
  }
}
