import { describe, expect, it } from 'vitest';
import { classifyS3Error, parseRetryAfter } from '../../../../../shared/core/storage/s3/errors';

const ctx = { bucket: 'backups', endpoint: 'http://127.0.0.1:9000', key: 'db.zip' };
const sdk = (name: string, status: number, headers: Record<string, string> = {}): unknown =>
  Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status }, $response: { headers } });

describe('classifyS3Error', () => {
  it('maps S3 error codes and statuses to kinds', () => {
    expect(classifyS3Error(sdk('NoSuchKey', 404), ctx).kind).toBe('NotFound');
    expect(classifyS3Error(sdk('NotFound', 404), ctx).kind).toBe('NotFound');
    const nb = classifyS3Error(sdk('NoSuchBucket', 404), ctx);
    expect(nb.kind).toBe('NotFound');
    expect(nb.hint).toContain('backups');
    expect(classifyS3Error(sdk('InvalidAccessKeyId', 403), ctx).kind).toBe('AuthFailed');
    expect(classifyS3Error(sdk('SignatureDoesNotMatch', 403), ctx).hint).toMatch(/secret access key/);
    expect(classifyS3Error(sdk('AccessDenied', 403), ctx).kind).toBe('PermissionDenied');
    expect(classifyS3Error(sdk('Forbidden', 403), ctx).kind).toBe('PermissionDenied');
    expect(classifyS3Error(sdk('PermanentRedirect', 301), ctx).hint).toMatch(/region/);
    for (const [n, s] of [['SlowDown', 503], ['InternalError', 500], ['ServiceUnavailable', 503], ['TooManyRequests', 429], ['BadGateway', 502]] as const) {
      expect(classifyS3Error(sdk(n, s), ctx).kind, n).toBe('Transient');
    }
    expect(classifyS3Error(sdk('Weird', 400), ctx).kind).toBe('Fatal');
  });

  it('carries Retry-After', () => {
    expect(classifyS3Error(sdk('SlowDown', 503, { 'retry-after': '3' }), ctx).retryAfterMs).toBe(3000);
    expect(parseRetryAfter(new Date(Date.now() + 5000).toUTCString())).toBeGreaterThan(3000);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });

  it('classifies network failures as Transient, naming the endpoint when it cannot be reached', () => {
    const refused = classifyS3Error(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), ctx);
    expect(refused.kind).toBe('Transient');
    expect(refused.hint).toContain('http://127.0.0.1:9000');
    expect(classifyS3Error(Object.assign(new Error('x'), { code: 'ENOTFOUND' }), ctx).hint).toContain('127.0.0.1:9000');
    // AWS itself has no endpoint URL to check.
    expect(classifyS3Error(Object.assign(new Error('x'), { code: 'ENOTFOUND' }), { ...ctx, endpoint: 'AWS S3 (us-east-1)' }).hint).toBe('Check your network and any proxy (AWS S3 (us-east-1)).');
    expect(classifyS3Error(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), ctx).kind).toBe('Transient');
    expect(classifyS3Error(Object.assign(new Error('t'), { name: 'TimeoutError' }), ctx).kind).toBe('Transient');
  });

  it('turns an abort into Cancelled', () => {
    expect(classifyS3Error(Object.assign(new Error('aborted'), { name: 'AbortError' }), ctx).kind).toBe('Cancelled');
    const ac = new AbortController();
    ac.abort();
    expect(classifyS3Error(new Error('whatever'), { ...ctx, signal: ac.signal }).kind).toBe('Cancelled');
  });
});
