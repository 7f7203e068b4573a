/**
 * A fault-injecting wrapper for tests: makes the next calls fail with a chosen error, or the
 * next transfer lose its "connection" half way, in front of any provider (usually memory).
 */
import { Transform, type Readable } from 'node:stream';
import { AppError } from '../../errors';
import type { StorageProvider } from '../provider';
import { wrapProvider } from '../wrappers/wrap';

/** Methods that faults can be planted on. */
export type FaultMethod = 'list' | 'stat' | 'read' | 'write' | 'remove';

/** Controls for a provider wrapped by `withFaults`. */
export interface FaultyProvider {
  /** The wrapped provider. */
  readonly provider: StorageProvider;
  /** The next `times` calls of `method` reject with `error` before reaching the base provider. */
  failNext(method: FaultMethod, error: AppError, times?: number): void;
  /** The next read's stream (or write's body) breaks with `Transient` after `afterBytes` bytes. */
  interruptNext(direction: 'read' | 'write', afterBytes: number): void;
  /** How many calls of each method reached the wrapper (including failed ones). */
  readonly calls: Readonly<Record<FaultMethod, number>>;
}

/** A `Transient` error that looks like a connection reset. */
export function connectionLost(afterBytes: number): AppError {
  return new AppError('Transient', `The connection was lost after ${afterBytes} bytes (injected).`, {
    hint: 'Try again; the transfer can be resumed.',
    details: { code: 'ECONNRESET', afterBytes },
  });
}

function cutAfter(afterBytes: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      const room = afterBytes - seen;
      if (room <= 0) {
        done(connectionLost(seen));
        return;
      }
      seen += Math.min(room, chunk.length);
      if (chunk.length >= room) {
        this.push(chunk.subarray(0, room));
        done(connectionLost(seen));
        return;
      }
      done(null, chunk);
    },
  });
}

/** Wraps `base` so that tests can plant failures and dropped connections. */
export function withFaults(base: StorageProvider): FaultyProvider {
  const planned: Record<FaultMethod, AppError[]> = { list: [], stat: [], read: [], write: [], remove: [] };
  const calls: Record<FaultMethod, number> = { list: 0, stat: 0, read: 0, write: 0, remove: 0 };
  const cuts: { read?: number; write?: number } = {};
  const take = (m: FaultMethod): void => {
    calls[m]++;
    const e = planned[m].shift();
    if (e !== undefined) throw e;
  };
  const provider = wrapProvider(base, {
    list(prefix, options) {
      return (async function* () {
        take('list');
        yield* base.list(prefix, options);
      })();
    },
    async stat(key, options) {
      take('stat');
      return base.stat(key, options);
    },
    async read(key, options) {
      take('read');
      const s = await base.read(key, options);
      const cut = cuts.read;
      if (cut === undefined) return s;
      delete cuts.read;
      const t = cutAfter(cut);
      s.on('error', (e) => t.destroy(e));
      t.on('close', () => s.destroy());
      return s.pipe(t);
    },
    ...(base.write !== undefined
      ? {
          async write(key: string, body: Readable, options?: Parameters<NonNullable<StorageProvider['write']>>[2]) {
            take('write');
            const cut = cuts.write;
            if (cut === undefined) return base.write!(key, body, options);
            delete cuts.write;
            const t = cutAfter(cut);
            body.on('error', (e) => t.destroy(e));
            return base.write!(key, body.pipe(t), options);
          },
        }
      : {}),
    ...(base.remove !== undefined
      ? {
          async remove(key: string, options?: Parameters<NonNullable<StorageProvider['remove']>>[1]) {
            take('remove');
            return base.remove!(key, options);
          },
        }
      : {}),
  });
  return {
    provider,
    calls,
    failNext(method, error, times = 1) {
      for (let i = 0; i < times; i++) planned[method].push(error);
    },
    interruptNext(direction, afterBytes) {
      cuts[direction] = afterBytes;
    },
  };
}
