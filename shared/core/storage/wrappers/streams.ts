/**
 * Stream helpers shared by providers: classify a raw byte stream's errors where they arise,
 * turn an abort into `Cancelled`, and notice a connection that ended early.
 */
import { PassThrough, type Readable } from 'node:stream';
import { AppError, cancelledError, toAppError } from '../../errors';
import { onAbort } from '../../util/abort';

/** Turns a raw SDK/protocol/network error into a classified `AppError`. */
export type ErrorClassifier = (err: unknown) => AppError;

/** Node/undici network error codes after which the same request may succeed. */
export const TRANSIENT_NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ECONNABORTED',
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ERR_SSH_CONN_CLOSED',
]);

/** The `code` of a Node-style error, looking through `cause`. */
export function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e !== null && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** True for a network error that a retry or resume may get past (reset, timeout, early close). */
export function isTransientNetworkError(err: unknown): boolean {
  const code = errorCode(err);
  if (code !== undefined && TRANSIENT_NETWORK_CODES.has(code)) return true;
  const message = err instanceof Error ? err.message : '';
  return /\b(aborted|socket hang up|premature close|connection (?:lost|closed|reset))\b/i.test(message);
}

/** Options for `guardReadStream`. */
export interface GuardReadOptions {
  /** Aborting destroys the stream with `Cancelled`. */
  readonly signal?: AbortSignal;
  /** Classifies the source's errors. */
  readonly classify: ErrorClassifier;
  /** When known: ending with fewer bytes is a `Transient` early close, not a clean end. */
  readonly expectedBytes?: number;
  /** What is being read, for messages. */
  readonly what?: string;
}

/**
 * Wraps a provider's raw byte stream so that consumers only ever see classified `AppError`s:
 * source errors go through `classify`, an abort becomes `Cancelled`, and an early end (fewer
 * than `expectedBytes`) becomes `Transient`. Destroying the returned stream destroys the source.
 */
export function guardReadStream(source: Readable, options: GuardReadOptions): Readable {
  const { signal, classify, expectedBytes } = options;
  const what = options.what ?? 'The transfer';
  const out = new PassThrough();
  let received = 0;
  let finished = false;
  const fail = (err: AppError): void => {
    if (finished) return;
    finished = true;
    cleanup();
    source.unpipe(out);
    if (!source.destroyed) source.destroy();
    out.destroy(err);
  };
  const onError = (err: unknown): void => fail(signal?.aborted ? cancelledError(what) : safeClassify(classify, err));
  const onData = (chunk: Buffer): void => {
    received += chunk.length;
  };
  const onEnd = (): void => {
    if (expectedBytes !== undefined && received < expectedBytes) {
      fail(
        new AppError('Transient', `${what} ended after ${received} of ${expectedBytes} bytes.`, {
          hint: 'The connection was lost; the transfer can be resumed.',
          details: { received, expected: expectedBytes },
        }),
      );
      return;
    }
    finished = true;
    cleanup();
  };
  const onClose = (): void => {
    // A source that closes without 'end' or 'error' lost its connection.
    if (!finished && !source.readableEnded) onError(new AppError('Transient', `${what} was closed before the end.`));
  };
  const onOutClose = (): void => {
    if (!finished) {
      finished = true;
      cleanup();
      if (!source.destroyed) source.destroy();
    }
  };
  function cleanup(): void {
    stopListening();
    source.off('error', onError);
    source.off('data', onData);
    source.off('close', onClose);
    out.off('close', onOutClose);
  }
  const stopListening = onAbort(signal, () => fail(cancelledError(what)));
  source.on('error', onError);
  source.on('data', onData);
  source.once('end', onEnd);
  source.on('close', onClose);
  out.on('close', onOutClose);
  // pipe() ends `out` on the source's 'end'; onEnd runs first (registered before pipe's handler)
  // and destroys `out` instead when the byte count is short.
  source.pipe(out, { end: false });
  source.once('end', () => {
    if (!out.destroyed) out.end();
  });
  return out;
}

function safeClassify(classify: ErrorClassifier, err: unknown): AppError {
  try {
    return classify(err);
  } catch (e) {
    return toAppError(e);
  }
}

/** Reads a whole (small) stream into memory; for tests, sidecars and `.info` files only. */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** Resolves after `ms`, or rejects with `Cancelled` when `signal` aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(cancelledError());
      return;
    }
    const timer = setTimeout(() => {
      stopListening();
      resolve();
    }, ms);
    const stopListening = onAbort(signal, () => {
      clearTimeout(timer);
      reject(cancelledError());
    });
  });
}
