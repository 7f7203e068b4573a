/**
 * Storage-writer stage: ONE read of the archive stream, written to every destination at once.
 * Each destination gets its own stream; the source is read at the pace of the slowest live one
 * (memory stays bounded). A destination that fails is dropped and the others go on; when all have
 * failed the source is abandoned. The sha256 and size of what was sent are computed on the way.
 *
 * A destination's stream ends normally only when the whole source was read without error: on a
 * source failure or cancel every destination stream is destroyed with the error, so no storage
 * commits a partial object (providers write under a temporary name or as an uncommitted upload).
 */
import { createHash } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import { cancelledError, toAppError, type AppError } from '../errors';

/** What was read from the source, known once it has ended (before any destination's stream ends). */
export interface SourceTotals {
  readonly bytes: number;
  readonly sha256: string;
}

/**
 * One destination: `write` consumes the stream and resolves once the object is committed.
 * `totals` resolves when the whole source was read, before `body` ends (so a destination may
 * wait for it before committing); it rejects when the source failed.
 */
export interface FanOutSink<T> {
  readonly name: string;
  write(body: Readable, totals: Promise<SourceTotals>): Promise<T>;
}

/** The outcome for one destination. */
export type SinkOutcome<T> = { readonly name: string; readonly ok: true; readonly value: T } | { readonly name: string; readonly ok: false; readonly error: AppError };

/** The outcome of a fan-out. */
export interface FanOutResult<T> {
  readonly bytes: number;
  readonly sha256: string;
  readonly outcomes: SinkOutcome<T>[];
  /** Set when the source itself failed (or was cancelled): then no destination succeeded. */
  readonly sourceError?: AppError;
}

interface Live<T> {
  readonly name: string;
  readonly pipe: PassThrough;
  readonly done: Promise<SinkOutcome<T>>;
  failed: boolean;
}

function startSink<T>(sink: FanOutSink<T>, totals: Promise<SourceTotals>): Live<T> {
  const pipe = new PassThrough({ highWaterMark: 1 << 20 });
  // A sink may still be setting up (making a folder, opening an upload) when the source fails and
  // its stream is destroyed with the error: the sink learns of it when it reads, and its outcome
  // comes through `done`; without a listener the 'error' event would crash the process.
  pipe.on('error', () => undefined);
  const live: Live<T> = { name: sink.name, pipe, failed: false, done: Promise.resolve() as never };
  (live as { done: Promise<SinkOutcome<T>> }).done = Promise.resolve()
    .then(() => sink.write(pipe, totals))
    .then(
      (value): SinkOutcome<T> => ({ name: sink.name, ok: true, value }),
      (err: unknown): SinkOutcome<T> => {
        live.failed = true;
        if (!pipe.destroyed) pipe.destroy();
        return { name: sink.name, ok: false, error: toAppError(err) };
      },
    );
  return live;
}

/** Waits until `l` can take more, or has failed. */
async function drained<T>(l: Live<T>): Promise<void> {
  if (l.failed || !l.pipe.writableNeedDrain) return;
  await new Promise<void>((resolve) => {
    const done = (): void => {
      l.pipe.off('drain', done);
      l.pipe.off('close', done);
      resolve();
    };
    l.pipe.on('drain', done);
    l.pipe.on('close', done);
    void l.done.then(done);
  });
}

/** Sends `source` to every sink; never throws (the result tells what happened). */
export async function fanOut<T>(source: Readable, sinks: readonly FanOutSink<T>[], signal?: AbortSignal, onProgress?: (bytes: number) => void): Promise<FanOutResult<T>> {
  let settle!: { resolve: (t: SourceTotals) => void; reject: (e: AppError) => void };
  const totals = new Promise<SourceTotals>((resolve, reject) => (settle = { resolve, reject }));
  totals.catch(() => undefined); // a sink that never asks must not leave it unhandled
  const lives = sinks.map((s) => startSink(s, totals));
  const hash = createHash('sha256');
  let bytes = 0;
  let sha256 = '';
  let sourceError: AppError | undefined;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      if (signal?.aborted) throw cancelledError('The backup');
      hash.update(chunk);
      bytes += chunk.length;
      onProgress?.(bytes);
      const alive = lives.filter((l) => !l.failed);
      if (alive.length === 0) break;
      for (const l of alive) l.pipe.write(chunk);
      await Promise.all(alive.map(drained));
    }
    if (signal?.aborted) throw cancelledError('The backup');
    sha256 = hash.digest('hex');
    // Only a source read to its end has totals (the loop also stops when every sink has failed).
    if (lives.some((l) => !l.failed)) settle.resolve({ bytes, sha256 });
    else settle.reject(toAppError(new Error('Every destination failed.')));
  } catch (err) {
    sourceError = signal?.aborted ? cancelledError('The backup') : toAppError(err);
    settle.reject(sourceError);
  }
  const allFailed = lives.every((l) => l.failed);
  if (sourceError || allFailed) source.destroy();
  for (const l of lives) {
    if (l.failed) continue;
    if (sourceError) l.pipe.destroy(sourceError);
    else l.pipe.end();
  }
  const outcomes = await Promise.all(lives.map((l) => l.done));
  return {
    bytes,
    sha256: sha256 || hash.digest('hex'),
    outcomes: sourceError ? outcomes.map((o) => (o.ok ? { name: o.name, ok: false as const, error: sourceError } : o)) : outcomes,
    ...(sourceError ? { sourceError } : {}),
  };
}
