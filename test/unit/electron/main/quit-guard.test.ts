import { describe, expect, it } from 'vitest';
import { AppError, throwIfAborted } from '../../../../shared/core/errors';
import { JobManager } from '../../../../shared/core/jobs/job-manager';
import type { JobSnapshot } from '../../../../shared/core/jobs/job';
import { QuitGuard, quitPrompt, settleWithin, waitForIdle } from '../../../../electron/main/quit-guard';

/** A job that runs until cancelled, then takes `cleanupMs` to clean up. */
function longJob(jobs: JobManager, title: string, cleanupMs = 20) {
  const cleaned: string[] = [];
  const h = jobs.start('restore', title, async (ctx) => {
    await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
    await new Promise((r) => setTimeout(r, cleanupMs));
    cleaned.push(title);
    throwIfAborted(ctx.signal, title);
  });
  h.result.catch(() => undefined);
  return { h, cleaned };
}

function event() {
  let prevented = 0;
  return { preventDefault: () => void prevented++, get prevented() { return prevented; } };
}

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

describe('QuitGuard', () => {
  it('quits at once (after shutdown) when nothing runs', async () => {
    const jobs = new JobManager();
    const log: string[] = [];
    const guard = new QuitGuard({
      jobs,
      confirm: async () => (log.push('asked'), true),
      cancel: () => log.push('cancel'),
      shutdown: async () => void log.push('shutdown'),
      quit: () => log.push('quit'),
    });
    const e = event();
    guard.onBeforeQuit(e);
    expect(e.prevented).toBe(1);
    await tick();
    expect(log).toEqual(['shutdown', 'quit']);
    const e2 = event();
    guard.onBeforeQuit(e2); // the real quit goes through
    expect(e2.prevented).toBe(0);
    expect(guard.state).toBe('closed');
  });

  it('asks when jobs run; "keep running" keeps the app and the jobs', async () => {
    const jobs = new JobManager();
    const { h } = longJob(jobs, 'Restore acme');
    const log: string[] = [];
    const guard = new QuitGuard({
      jobs,
      confirm: async (running: readonly JobSnapshot[]) => (log.push(`asked:${running.map((j) => j.title).join()}`), false),
      cancel: (id) => log.push(`cancel:${id}`),
      shutdown: async () => void log.push('shutdown'),
      quit: () => log.push('quit'),
    });
    guard.onBeforeQuit(event());
    await tick();
    expect(log).toEqual(['asked:Restore acme']);
    expect(guard.state).toBe('open');
    expect(jobs.get(h.id)?.state).toBe('running');
    jobs.cancel(h.id);
    await h.result.catch(() => undefined);
  });

  it('"cancel and quit" cancels, waits for clean-up, shuts down, then quits', async () => {
    const jobs = new JobManager();
    const a = longJob(jobs, 'Restore a', 30);
    const b = longJob(jobs, 'Download b', 10);
    const log: string[] = [];
    let quit!: () => void;
    const quitted = new Promise<void>((r) => (quit = r));
    const guard = new QuitGuard({
      jobs,
      confirm: async () => true,
      cancel: (id) => void (jobs.cancel(id), log.push('cancel')),
      shutdown: async () => void log.push(`shutdown(cleaned:${[...a.cleaned, ...b.cleaned].sort().join()})`),
      quit: () => (log.push('quit'), quit()),
    });
    const e = event();
    guard.onBeforeQuit(e);
    guard.onBeforeQuit(event()); // a second quit request while asking is swallowed
    await quitted;
    expect(log).toEqual(['cancel', 'cancel', 'shutdown(cleaned:Download b,Restore a)', 'quit']);
    expect(jobs.get(a.h.id)?.state).toBe('cancelled');
  });

  it('does not wait forever for a job that ignores cancellation', async () => {
    const jobs = new JobManager();
    jobs.start('stuck', 'Stuck', () => new Promise(() => undefined));
    const t0 = Date.now();
    let done!: () => void;
    const quitted = new Promise<void>((r) => (done = r));
    new QuitGuard({ jobs, confirm: async () => true, cancel: (id) => jobs.cancel(id), shutdown: async () => undefined, quit: () => done(), waitMs: 100 }).onBeforeQuit(event());
    await quitted;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(90);
  });

  it('still quits when shutdown fails, reporting the error', async () => {
    const jobs = new JobManager();
    const errors: unknown[] = [];
    let done!: () => void;
    const quitted = new Promise<void>((r) => (done = r));
    new QuitGuard({
      jobs,
      confirm: async () => true,
      cancel: () => undefined,
      shutdown: async () => {
        throw new AppError('Fatal', 'close failed');
      },
      quit: () => done(),
      onError: (e) => errors.push(e),
    }).onBeforeQuit(event());
    await quitted;
    expect(errors).toHaveLength(1);
  });

  it('quits after a bounded wait when the core never finishes shutting down', async () => {
    const jobs = new JobManager();
    const errors: unknown[] = [];
    let done!: () => void;
    const quitted = new Promise<void>((r) => (done = r));
    const t0 = Date.now();
    const guard = new QuitGuard({
      jobs,
      confirm: async () => true,
      cancel: () => undefined,
      shutdown: () => new Promise<void>(() => undefined),
      quit: () => done(),
      shutdownMs: 150,
      onError: (e) => errors.push(e),
    });
    guard.onBeforeQuit(event());
    await quitted;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect(guard.state).toBe('closed');
    expect(String(errors[0])).toMatch(/did not shut down within 150 ms/);
  });
});

describe('settleWithin', () => {
  it('is true for work that settles in time (even by failing) and false for work that does not', async () => {
    expect(await settleWithin(tick(5), 200)).toBe(true);
    expect(await settleWithin(new Promise<void>(() => undefined), 30)).toBe(false);
  });
});

describe('waitForIdle', () => {
  it('resolves true when jobs end, false on timeout', async () => {
    const jobs = new JobManager();
    expect(await waitForIdle(jobs, 10)).toBe(true);
    const { h } = longJob(jobs, 'x', 5);
    expect(await waitForIdle(jobs, 30)).toBe(false);
    h.cancel();
    expect(await waitForIdle(jobs, 1000)).toBe(true);
  });
});

describe('quitPrompt', () => {
  it('names the jobs and defaults to keeping them', () => {
    const mk = (t: string): JobSnapshot => ({ id: t, kind: 'k', title: t, state: 'running', startedAt: '', log: [] });
    const p = quitPrompt(['a', 'b', 'c', 'd', 'e', 'f', 'g'].map(mk));
    expect(p.message).toBe('7 jobs are still running.');
    expect(p.detail).toContain('• a');
    expect(p.detail).toContain('and 2 more');
    expect(p.buttons?.[p.defaultId ?? -1]).toBe('Keep Running');
    expect(p.cancelId).toBe(p.defaultId);
    expect(quitPrompt([mk('x')]).message).toBe('A job is still running.');
  });
});
