import { describe, expect, it } from 'vitest';
import { clientPackageFor, findNewestPgTool, minPgRestoreFor, parseToolVersion, requirePgRestore } from '../../../../shared/core/pg/tools';
import { isAppError } from '../../../../shared/core/errors';

describe('pg tools', () => {
  it('parses tool versions', () => {
    expect(parseToolVersion('pg_restore (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)')).toEqual({ major: 15, version: '15.18' });
    expect(parseToolVersion('pg_restore (PostgreSQL) 9.6.24')).toEqual({ major: 9.6, version: '9.6.24' });
    expect(parseToolVersion('nonsense')).toBeUndefined();
  });

  it('maps archive versions to the pg_restore they need', () => {
    expect(minPgRestoreFor({ major: 1, minor: 14 })).toBe(12);
    expect(minPgRestoreFor({ major: 1, minor: 15 })).toBe(16);
    expect(minPgRestoreFor({ major: 1, minor: 16 })).toBe(17);
    expect(clientPackageFor(16)).toBe('postgresql-client-16');
  });

  it('finds the real pg_restore on this machine and refuses archives it cannot read', async () => {
    const tool = await findNewestPgTool('pg_restore');
    expect(tool).toBeDefined();
    expect(tool!.major).toBeGreaterThanOrEqual(12);
    await expect(requirePgRestore({ major: 1, minor: 14 })).resolves.toMatchObject({ path: tool!.path });
    const err = await requirePgRestore({ major: 1, minor: 99 }).catch((e: unknown) => e);
    expect(isAppError(err, 'MissingTool')).toBe(true);
  });
});
