import { describe, expect, it } from 'vitest';
import { JobManager } from '../../../../shared/core/jobs/job-manager';
import { trayMenuTemplate, traySchedulesFrom, trayStatus } from '../../../../electron/main/tray';

describe('trayStatus', () => {
  it('says idle, one job with its percentage, or how many run', async () => {
    const jobs = new JobManager();
    expect(trayStatus(jobs.list(), 'Desk')).toBe('Desk: idle');
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const a = jobs.start('download', 'Download acme.zip', async (ctx) => {
      ctx.progress({ phase: 'download', done: 42, total: 100, unit: 'bytes' });
      await gate;
    });
    expect(trayStatus(jobs.list(), 'Desk')).toBe('Desk: Download acme.zip 42%');
    const b = jobs.start('restore', 'Restore', () => gate);
    expect(trayStatus(jobs.list(), 'Desk')).toBe('Desk: 2 jobs running');
    release();
    await Promise.all([a.result, b.result]);
    expect(trayStatus(jobs.list(), 'Desk')).toBe('Desk: idle');
  });
});

describe('trayMenuTemplate', () => {
  it('shows the status (disabled), Open and Quit', () => {
    const log: string[] = [];
    const t = trayMenuTemplate('Desk: idle', { showWindow: () => log.push('show'), quit: () => log.push('quit') });
    expect(t.map((i) => i.label ?? i.type)).toEqual(['Desk: idle', 'separator', 'Open', 'Quit']);
    expect(t[0]?.enabled).toBe(false);
    (t[2]?.click as () => void)();
    (t[3]?.click as () => void)();
    expect(log).toEqual(['show', 'quit']);
  });
});

describe('the tray with schedules', () => {
  it('shows overdue jobs, the next run, the last result and a Run Now submenu', () => {
    const ran: string[] = [];
    const t = trayMenuTemplate(
      'Desk: idle',
      { showWindow: () => undefined, quit: () => undefined, runNow: (n) => ran.push(n) },
      { jobs: ['nightly', 'drill'], next: { name: 'nightly', at: '2026-12-07T02:00:00Z' }, last: { name: 'drill', outcome: 'failed', endedAt: '2026-12-06T03:00:00Z' }, overdue: ['drill'] },
    );
    const labels = t.map((i) => i.label ?? i.type);
    expect(labels[0]).toBe('Desk: idle');
    expect(labels).toContain('⚠ Overdue: drill');
    expect(labels.find((l) => l?.startsWith('Next: nightly'))).toBeTruthy();
    expect(labels.find((l) => l?.startsWith('Last: drill failed'))).toBeTruthy();
    expect(labels.slice(-2)).toEqual(['Open', 'Quit']);
    const runNow = t.find((i) => i.label === 'Run Now');
    const sub = runNow?.submenu as Array<{ label: string; click: () => void }>;
    expect(sub.map((i) => i.label)).toEqual(['nightly', 'drill']);
    sub[1]?.click();
    expect(ran).toEqual(['drill']);
  });

  it('adds nothing without scheduled jobs', () => {
    expect(trayMenuTemplate('Desk: idle', { showWindow: () => undefined, quit: () => undefined }, { jobs: [], overdue: [] }).map((i) => i.label ?? i.type)).toEqual(['Desk: idle', 'separator', 'Open', 'Quit']);
  });
});

describe('traySchedulesFrom', () => {
  const base = { enabled: true, nextRunAt: null, lastRunAt: null, lastOutcome: null, overdueSince: null };
  it('picks the soonest next run, the latest ended run and the overdue enabled jobs', () => {
    const s = traySchedulesFrom([
      { ...base, name: 'a', nextRunAt: '2026-12-07T02:00:00Z', lastRunAt: '2026-12-06T02:00:00Z', lastOutcome: 'ok' },
      { ...base, name: 'b', nextRunAt: '2026-12-06T14:00:00Z', lastRunAt: '2026-12-06T11:00:00Z', lastOutcome: 'failed', overdueSince: '2026-12-06T12:00:00Z' },
      { ...base, name: 'off', enabled: false, nextRunAt: '2026-12-06T12:30:00Z', overdueSince: '2026-12-01T00:00:00Z' },
    ]);
    expect(s).toEqual({ jobs: ['a', 'b', 'off'], next: { name: 'b', at: '2026-12-06T14:00:00Z' }, last: { name: 'b', outcome: 'failed', endedAt: '2026-12-06T11:00:00Z' }, overdue: ['b'] });
  });

  it('says of a last backup that went fine whose drill failed that the drill failed', () => {
    const lastDrill = { at: '2026-12-06T02:05:00Z', outcome: 'failed' as const, error: 'the filestore misses 2 files', retryAt: null, running: false };
    expect(traySchedulesFrom([{ ...base, name: 'a', lastRunAt: '2026-12-06T02:00:00Z', lastOutcome: 'ok', lastDrill }]).last).toEqual({ name: 'a', outcome: 'ok, drill failed', endedAt: '2026-12-06T02:00:00Z' });
    expect(traySchedulesFrom([{ ...base, name: 'a', lastRunAt: '2026-12-06T02:00:00Z', lastOutcome: 'ok', lastDrill: { ...lastDrill, running: true } }]).last?.outcome).toBe('ok');
  });

  it('has no next or last line when nothing is planned or has run', () => {
    expect(traySchedulesFrom([{ ...base, name: 'new' }])).toEqual({ jobs: ['new'], overdue: [] });
  });
});
