import { describe, expect, it } from 'vitest';
import { JobManager } from '../../../../shared/core/jobs/job-manager';
import { trayMenuTemplate, trayStatus } from '../../../../electron/main/tray';

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
  it('shows the status (disabled), Show Window and Quit', () => {
    const log: string[] = [];
    const t = trayMenuTemplate('Desk: idle', { showWindow: () => log.push('show'), quit: () => log.push('quit') });
    expect(t.map((i) => i.label ?? i.type)).toEqual(['Desk: idle', 'separator', 'Show Window', 'Quit']);
    expect(t[0]?.enabled).toBe(false);
    (t[2]?.click as () => void)();
    (t[3]?.click as () => void)();
    expect(log).toEqual(['show', 'quit']);
  });
});
