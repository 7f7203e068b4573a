/** What a drill run recorded of its checks, read back from the history's free `details`. */
import { describe, expect, it } from 'vitest';
import { drillChecks, type Run } from '../../../shared/contract/history';

const run = (kind: Run['kind'], details: Record<string, unknown>): Run => ({
  id: '1',
  kind,
  db: 'acme',
  startedAt: '2026-01-01T00:00:00.000Z',
  endedAt: '2026-01-01T00:01:00.000Z',
  outcome: 'ok',
  bytes: null,
  refs: ['nas:acme.zip'],
  destinations: ['embedded'],
  error: null,
  durationMs: 60_000,
  details,
});

describe('drillChecks', () => {
  const checks = [
    { name: 'modules', ok: true, message: '114 installed modules, base among them' },
    { name: 'filestore', ok: false, message: '1 of 3 filestore attachments are missing or differ', problems: ['attachment 7 (ab/ab00): missing'] },
  ];

  it("reads a drill's recorded checks, failed ones and their problems included", () => {
    expect(drillChecks(run('drill', { ok: false, checks }))).toEqual(checks);
  });

  it('is undefined for another kind of run, a drill that ended before its checks, or a record it cannot read', () => {
    expect(drillChecks(run('restore', { checks }))).toBeUndefined();
    expect(drillChecks(run('drill', {}))).toBeUndefined();
    expect(drillChecks(run('drill', { checks: [{ name: 'modules', ok: 'yes' }] }))).toBeUndefined();
  });
});
