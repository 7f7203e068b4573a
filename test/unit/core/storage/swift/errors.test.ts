/** Swift HTTP answers → error kinds. */
import { describe, expect, it } from 'vitest';
import { classifySwiftError, SwiftHttpError } from '../../../../../shared/core/storage/swift/errors';

describe('classifySwiftError', () => {
  it.each([
    [404, 'NotFound'],
    [401, 'AuthFailed'],
    [403, 'PermissionDenied'],
    [413, 'Fatal'],
    [422, 'Integrity'],
    [429, 'Transient'],
    [498, 'Transient'],
    [500, 'Transient'],
    [503, 'Transient'],
    [400, 'Fatal'],
    [412, 'Fatal'],
  ])('HTTP %i is %s', (status, kind) => {
    expect(classifySwiftError(new SwiftHttpError(status, '<html>x</html>', null), 'k', 'sw').kind).toBe(kind);
  });

  it('keeps Retry-After, and maps network failures and aborts', () => {
    expect(classifySwiftError(new SwiftHttpError(429, '', '7'), 'k', 'sw').retryAfterMs).toBe(7000);
    expect(classifySwiftError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), 'k', 'sw').kind).toBe('Transient');
    const ac = new AbortController();
    ac.abort();
    expect(classifySwiftError(new Error('whatever'), 'k', 'sw', ac.signal).kind).toBe('Cancelled');
  });
});
