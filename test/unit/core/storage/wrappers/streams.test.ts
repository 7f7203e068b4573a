import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../../../shared/core/errors';
import { guardReadStream, isTransientNetworkError, readAll, sleep } from '../../../../../shared/core/storage/wrappers/streams';
import { assertValidKey, assertValidPrefix, assertValidRange } from '../../../../../shared/core/storage/wrappers/keys';
import { backoffDelay } from '../../../../../shared/core/storage/wrappers/backoff';
import { expectKind } from '../../../../conformance/storage-suite';

const classify = (e: unknown): AppError => new AppError('Transient', `classified: ${(e as Error).message}`);

describe('guardReadStream', () => {
  it('passes bytes through and classifies source errors', async () => {
    const src = new PassThrough();
    const out = guardReadStream(src, { classify });
    src.write('abc');
    setTimeout(() => src.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })), 5);
    const err = await expectKind(() => readAll(out), 'Transient');
    expect(err.message).toBe('classified: read ECONNRESET');
  });

  it('turns an early clean end into Transient when the size is known', async () => {
    await expectKind(() => readAll(guardReadStream(Readable.from([Buffer.from('abc')]), { classify, expectedBytes: 10 })), 'Transient');
    expect((await readAll(guardReadStream(Readable.from([Buffer.from('abc')]), { classify, expectedBytes: 3 }))).toString()).toBe('abc');
  });

  it('turns an abort into Cancelled and destroys the source', async () => {
    const src = new PassThrough();
    const ac = new AbortController();
    const out = guardReadStream(src, { classify, signal: ac.signal });
    src.write('x');
    setTimeout(() => ac.abort(), 5);
    await expectKind(() => readAll(out), 'Cancelled');
    expect(src.destroyed).toBe(true);
    const pre = new AbortController();
    pre.abort();
    await expectKind(() => readAll(guardReadStream(new PassThrough(), { classify, signal: pre.signal })), 'Cancelled');
  });

  it('destroys the source when the consumer destroys the guarded stream', async () => {
    const src = new PassThrough();
    const out = guardReadStream(src, { classify });
    out.destroy();
    await new Promise((r) => setTimeout(r, 5));
    expect(src.destroyed).toBe(true);
  });
});

describe('helpers', () => {
  it('recognizes transient network errors', () => {
    expect(isTransientNetworkError(Object.assign(new Error('x'), { code: 'ETIMEDOUT' }))).toBe(true);
    expect(isTransientNetworkError(new Error('socket hang up'))).toBe(true);
    expect(isTransientNetworkError(new Error('x', { cause: Object.assign(new Error('y'), { code: 'UND_ERR_SOCKET' }) }))).toBe(true);
    expect(isTransientNetworkError(new Error('bad request'))).toBe(false);
  });

  it('validates keys, prefixes and ranges', () => {
    for (const bad of ['', '/a', 'a/', 'a//b', 'a/../b', './a', 'a\u0000b']) expect(() => assertValidKey(bad), bad).toThrow(AppError);
    for (const good of ['a', 'a/b.zip', 'dots..zip', '.hidden', '日本/データ 1.zip']) expect(() => assertValidKey(good)).not.toThrow();
    expect(() => assertValidPrefix('/x')).toThrow(AppError);
    expect(() => assertValidPrefix('')).not.toThrow();
    expect(() => assertValidRange({ offset: -1 })).toThrow(AppError);
    expect(() => assertValidRange({ offset: 1.5 })).toThrow(AppError);
    expect(() => assertValidRange({ offset: 0, length: 3 })).not.toThrow();
  });

  it('backs off exponentially within bounds, and sleep is cancellable', async () => {
    expect(backoffDelay(0, { baseDelayMs: 100 }, undefined, () => 1)).toBe(100);
    expect(backoffDelay(3, { baseDelayMs: 100 }, undefined, () => 1)).toBe(800);
    expect(backoffDelay(30, { baseDelayMs: 100, maxDelayMs: 1000 }, undefined, () => 1)).toBe(1000);
    expect(backoffDelay(0, { baseDelayMs: 100 }, undefined, () => 0)).toBe(50);
    expect(backoffDelay(0, {}, 5000, () => 1)).toBe(5000);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 5);
    await expectKind(() => sleep(10_000, ac.signal), 'Cancelled');
  });
});
