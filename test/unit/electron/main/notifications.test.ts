import { describe, expect, it } from 'vitest';
import { AppError } from '../../../../shared/core/errors';
import { JobManager } from '../../../../shared/core/jobs/job-manager';
import { EventEmitter } from 'node:events';
import { jobNotice, NotificationKeeper, notifyJobEnds, type JobNotice } from '../../../../electron/main/notifications';

describe('notifyJobEnds', () => {
  it('announces finished and failed jobs while the app is in the background, not cancelled ones', async () => {
    const jobs = new JobManager();
    const shown: Array<[JobNotice, string]> = [];
    let focused = false;
    const off = notifyJobEnds(jobs, { isAppFocused: () => focused, show: (n, id) => shown.push([n, id]) });

    const ok = jobs.start('download', 'Download acme.zip', async () => 1);
    await ok.result;
    const bad = jobs.start('restore', 'Restore acme as acme_copy', async () => {
      throw new AppError('Integrity', 'The archive is truncated.', { hint: 'Download it again.' });
    });
    await bad.result.catch(() => undefined);
    const cancelled = jobs.start('restore', 'Restore x', (ctx) => new Promise((_r, reject) => ctx.signal.addEventListener('abort', () => reject(new AppError('Cancelled', 'cancelled')))));
    cancelled.cancel();
    await cancelled.result.catch(() => undefined);

    expect(shown).toEqual([
      [{ title: 'Download acme.zip: done', body: 'Finished successfully.' }, ok.id],
      [{ title: 'Restore acme as acme_copy: failed', body: 'The archive is truncated. Download it again.' }, bad.id],
    ]);

    focused = true;
    await jobs.start('download', 'Seen in the window', async () => 1).result;
    expect(shown).toHaveLength(2);

    focused = false;
    off();
    await jobs.start('download', 'After unsubscribe', async () => 1).result;
    expect(shown).toHaveLength(2);
  });

  it('clips long messages and says nothing for running jobs', () => {
    const base = { id: 'j', kind: 'k', title: 'T', startedAt: '', log: [] };
    expect(jobNotice({ ...base, state: 'running' })).toBeUndefined();
    const n = jobNotice({ ...base, state: 'failed', error: { kind: 'Fatal', message: 'x'.repeat(1000) } });
    expect(n?.body.length).toBe(240);
    expect(n?.body.endsWith('…')).toBe(true);
  });
});

describe('NotificationKeeper', () => {
  it('holds a notification until it is closed, clicked or failed, and shows it', () => {
    const keeper = new NotificationKeeper();
    const make = () => Object.assign(new EventEmitter(), { shown: 0, show() { this.shown++; } });
    const [a, b, c] = [make(), make(), make()];
    for (const n of [a, b, c]) keeper.show(n);
    expect(keeper.size).toBe(3);
    expect([a.shown, b.shown, c.shown]).toEqual([1, 1, 1]);
    a.emit('click');
    expect(keeper.size).toBe(2);
    b.emit('close');
    c.emit('failed');
    expect(keeper.size).toBe(0);
  });
});
