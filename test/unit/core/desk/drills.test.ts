/** The name a drill records for a backup the catalog could not name, and what it records of its checks. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { drillChecks } from '../../../../shared/contract/history';
import type { DrillResult } from '../../../../shared/contract/schedules';
import { databaseFromName, DrillService } from '../../../../shared/core/desk/drills';
import type { DeskKernel } from '../../../../shared/core/desk/kernel';
import { RunHistory } from '../../../../shared/core/history';
import type { JobContext } from '../../../../shared/core/jobs/job';
import { nullLogger } from '../../../../shared/core/util/logger';

describe('databaseFromName', () => {
  it('is the catalog\'s guess from the file name (no backup extensions, no date stamps), not "odoo"', () => {
    expect(databaseFromName('nas:acme17_zip.zip')).toBe('acme17_zip');
    expect(databaseFromName('nas:dir/acme_2024-03-01.zip.gpg')).toBe('acme');
    expect(databaseFromName('nas:dir/acme_1709251200.dump')).toBe('acme');
    expect(databaseFromName('/tmp/x/shop backup.dump.gpg')).toBe('shop_backup');
    expect(databaseFromName('/srv/prod.sql.gz')).toBe('prod');
  });

  it('falls back to "odoo" when nothing of the name is left', () => {
    expect(databaseFromName('nas:2024-03-01.zip')).toBe('odoo');
    expect(databaseFromName('nas:___.dump')).toBe('odoo');
  });
});

describe('DrillService records its checks', () => {
  it('keeps every check in the history run, the failed one with its problems, for the History view', async () => {
    const home = await mkdtemp(join(tmpdir(), 'bd-drill-hist-'));
    try {
      const history = RunHistory.forHome(home);
      const drills = new DrillService({ history, log: nullLogger } as unknown as DeskKernel, {} as never, {} as never, {} as never, {} as never);
      const checks: DrillResult['checks'] = [
        { name: 'modules', ok: true, message: '114 installed modules, base among them' },
        { name: 'admin-user', ok: true, message: 'admin user "admin" exists' },
        { name: 'filestore', ok: false, message: '1 of 204 filestore attachments are missing or differ', problems: ['attachment 7 (ab/ab00): missing'] },
      ];
      const result: DrillResult = { ok: false, ref: 'nas:acme.zip', db: 'acme', restoredAs: 'bd_drill_1_acme', checks, timings: { findMs: 0, restoreMs: 1, checkMs: 1, dropMs: 1, totalMs: 3 } };
      // The restore into the embedded PostgreSQL is what the integration tests run; here only the recording.
      vi.spyOn(drills as unknown as { restoreCheckDrop: () => Promise<DrillResult> }, 'restoreCheckDrop').mockResolvedValue(result);
      const ctx: JobContext = { signal: new AbortController().signal, progress: () => undefined, log: () => undefined };
      await drills.run({ ref: 'nas:acme.zip', db: 'acme' }, ctx);
      const [run] = await history.list();
      expect(run).toMatchObject({ kind: 'drill', db: 'acme', outcome: 'failed', refs: ['nas:acme.zip'] });
      expect(drillChecks(run!)).toEqual(checks);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
