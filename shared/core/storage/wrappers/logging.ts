/**
 * `withLogging`: one line per call with the method, key, duration and, on failure, the error
 * kind and message. Keys and classified messages only: never config, credentials or causes.
 */
import { finished, type Readable } from 'node:stream';
import { toAppError } from '../../errors';
import type { Logger } from '../../util/logger';
import type { StorageProvider } from '../provider';
import { wrapProvider } from './wrap';

/** Wraps `provider` so that every call is logged (debug on success, warn on failure). */
export function withLogging(provider: StorageProvider, log: Logger): StorageProvider {
  const ok = (op: string, started: number, fields: Record<string, unknown> = {}): void =>
    log.debug(`storage ${op}`, { op, ms: Date.now() - started, ...fields });
  const bad = (op: string, started: number, err: unknown, fields: Record<string, unknown> = {}): void => {
    const e = toAppError(err);
    log.warn(`storage ${op} failed`, { op, ms: Date.now() - started, kind: e.kind, error: e.message, ...fields });
  };
  const timed = async <T>(op: string, fields: Record<string, unknown>, fn: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    try {
      const v = await fn();
      ok(op, started, fields);
      return v;
    } catch (err) {
      bad(op, started, err, fields);
      throw err;
    }
  };
  return wrapProvider(provider, {
    list(prefix, opts) {
      return (async function* () {
        const started = Date.now();
        let count = 0;
        let failed = false;
        try {
          for await (const o of provider.list(prefix, opts)) {
            count++;
            yield o;
          }
        } catch (err) {
          failed = true;
          bad('list', started, err, { prefix, count });
          throw err;
        } finally {
          if (!failed) ok('list', started, { prefix, count });
        }
      })();
    },
    stat: (key, opts) => timed('stat', { key }, () => provider.stat(key, opts)),
    async read(key, opts) {
      const started = Date.now();
      const fields = { key, ...(opts?.range ? { offset: opts.range.offset, length: opts.range.length } : {}) };
      let stream: Readable;
      try {
        stream = await provider.read(key, opts);
      } catch (err) {
        bad('read', started, err, fields);
        throw err;
      }
      // `finished` only listens for end/error/close, so the stream's flow is left to the consumer.
      finished(stream, (err) => (err ? bad('read', started, err, fields) : ok('read', started, fields)));
      return stream;
    },
    ...(provider.write !== undefined
      ? {
          write: (key: string, body: Readable, opts?: Parameters<NonNullable<StorageProvider['write']>>[2]) =>
            timed('write', { key, ...(opts?.size !== undefined ? { size: opts.size } : {}) }, () => provider.write!(key, body, opts)),
        }
      : {}),
    ...(provider.remove !== undefined
      ? { remove: (key: string, opts?: { signal?: AbortSignal }) => timed('remove', { key }, () => provider.remove!(key, opts)) }
      : {}),
    close: () => timed('close', {}, () => provider.close()),
  });
}
