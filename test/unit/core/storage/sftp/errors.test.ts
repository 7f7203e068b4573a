import { describe, expect, it } from 'vitest';
import { classifySftpError } from '../../../../../shared/core/storage/sftp/errors';

const ctx = { target: 'backup@nas:2222', path: 'odoo/db.zip' };
const err = (message: string, extra: Record<string, unknown> = {}): Error => Object.assign(new Error(message), extra);

describe('classifySftpError', () => {
  it('maps SFTP status codes', () => {
    expect(classifySftpError(err('No such file', { code: 2 }), ctx).kind).toBe('NotFound');
    const denied = classifySftpError(err('Permission denied', { code: 3 }), ctx);
    expect(denied.kind).toBe('PermissionDenied');
    expect(denied.message).toContain('odoo/db.zip');
    expect(classifySftpError(err('Failure', { code: 4 }), ctx).kind).toBe('Fatal');
    expect(classifySftpError(err('No connection', { code: 6 }), ctx).kind).toBe('Transient');
    expect(classifySftpError(err('Connection lost', { code: 7 }), ctx).kind).toBe('Transient');
    expect(classifySftpError(err('Unsupported', { code: 8 }), ctx).kind).toBe('Unsupported');
  });

  it('maps ssh2 connection-level failures', () => {
    expect(classifySftpError(err('All configured authentication methods failed', { level: 'client-authentication' }), ctx).kind).toBe('AuthFailed');
    expect(classifySftpError(err('Timed out while waiting for handshake', { level: 'client-timeout' }), ctx).kind).toBe('Transient');
    const refused = classifySftpError(err('connect ECONNREFUSED', { code: 'ECONNREFUSED' }), ctx);
    expect(refused.kind).toBe('Transient');
    expect(refused.hint).toContain('backup@nas:2222');
    expect(classifySftpError(err('read ECONNRESET', { code: 'ECONNRESET' }), ctx).kind).toBe('Transient');
  });

  it('turns anything after an abort into Cancelled', () => {
    const ac = new AbortController();
    ac.abort();
    expect(classifySftpError(err('whatever', { code: 4 }), { ...ctx, signal: ac.signal }).kind).toBe('Cancelled');
  });
});
