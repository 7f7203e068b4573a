/** Google Drive errors → error kinds. */
import { describe, expect, it } from 'vitest';
import { classifyDriveError, DriveHttpError } from '../../../../../shared/core/storage/gdrive/errors';

describe('classifyDriveError', () => {
  it.each([
    [404, undefined, 'NotFound'],
    [401, 'authError', 'AuthFailed'],
    [429, 'rateLimitExceeded', 'Transient'],
    [403, 'userRateLimitExceeded', 'Transient'],
    [403, 'rateLimitExceeded', 'Transient'],
    [403, 'storageQuotaExceeded', 'Fatal'],
    [403, 'insufficientFilePermissions', 'PermissionDenied'],
    [403, 'dailyLimitExceeded', 'Transient'],
    [500, 'backendError', 'Transient'],
    [400, 'invalid', 'Fatal'],
  ])('HTTP %i (%s) is %s', (status, reason, kind) => {
    expect(classifyDriveError(new DriveHttpError({ status, ...(reason ? { reason } : {}), retryAfter: null }), 'k', 'gd').kind).toBe(kind);
  });

  it('reads gaxios-shaped errors (status, JSON error envelope, Retry-After header)', () => {
    const gaxiosLike = Object.assign(new Error('Rate Limit Exceeded'), {
      status: 403,
      response: { status: 403, data: { error: { code: 403, message: 'Rate Limit Exceeded', errors: [{ reason: 'userRateLimitExceeded' }] } }, headers: new Headers({ 'retry-after': '4' }) },
    });
    const e = classifyDriveError(gaxiosLike, 'k', 'gd');
    expect(e.kind).toBe('Transient');
    expect(e.retryAfterMs).toBe(4000);
    const reconnect = classifyDriveError(new DriveHttpError({ status: 401, retryAfter: null }), 'k', 'gd');
    expect(reconnect.details?.reconnect).toBe(true);
    expect(reconnect.hint).toMatch(/storage connect gd/);
    expect(classifyDriveError(new TypeError('fetch failed'), 'k', 'gd').kind).toBe('Transient');
  });
});
