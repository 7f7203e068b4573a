import { describe, expect, it } from 'vitest';
import { JobManager } from '../../../../shared/core/jobs/job-manager';
import { AppError, throwIfAborted } from '../../../../shared/core/errors';

describe('JobManager', () => {
  it('reports progress and the result of a job', async () => {
    const jobs = new JobManager();
    const seen: string[] = [];
    jobs.on('update', (s) => seen.push(s.progress?.phase ?? s.state));
    const h = jobs.start('test', 'Adds', async (ctx) => {
      ctx.progress({ phase: 'one' });
      ctx.progress({ phase: 'two', done: 1, total: 2 });
      return 42;
    });
    expect(await h.result).toBe(42);
    expect(jobs.get(h.id)?.state).toBe('succeeded');
    expect(jobs.get(h.id)?.result).toBe(42);
    expect(seen).toContain('one');
    expect(seen).toContain('two');
  });

  it('throttles progress but emits where each phase got to before the next phase starts', async () => {
    const jobs = new JobManager();
    const seen: string[] = [];
    jobs.on('update', (s) => seen.push(`${s.progress?.phase ?? s.state}:${s.progress?.done ?? '-'}`));
    const h = jobs.start('test', 'Loads', async (ctx) => {
      ctx.progress({ phase: 'database' });
      for (let done = 1; done <= 5; done++) ctx.progress({ phase: 'database', done, total: 5 }); // within 100 ms: held back
      ctx.progress({ phase: 'indexes', done: 0 });
      return 1;
    });
    await h.result;
    expect(seen.slice(0, 3)).toEqual(['database:-', 'database:5', 'indexes:0']);
  });

  it('sends a held-back update once its interval is over when no other follows (a slow step after a quick one)', async () => {
    const jobs = new JobManager();
    const seen: string[] = [];
    jobs.on('update', (s) => seen.push(`${s.progress?.label ?? s.state}`));
    let release!: () => void;
    const h = jobs.start('test', 'Walks', async (ctx) => {
      ctx.progress({ phase: 'storages', label: 'Looking on nas', done: 0, total: 2 });
      ctx.progress({ phase: 'storages', label: 'Looking on big', done: 1, total: 2 }); // held back: within 100 ms
      await new Promise<void>((r) => (release = r)); // the slow walk of "big"
      return 1;
    });
    await new Promise((r) => setTimeout(r, 30));
    expect(seen).toEqual(['Looking on nas']);
    await new Promise((r) => setTimeout(r, 150));
    expect(seen).toEqual(['Looking on nas', 'Looking on big']);
    release();
    await h.result;
  });

  it('drops progress reported after the job ended: its final state stands', async () => {
    const jobs = new JobManager();
    const seen: string[] = [];
    jobs.on('update', (s) => seen.push(`${s.state}:${s.progress?.phase ?? '-'}`));
    let late!: (p: { phase: string }) => void;
    const h = jobs.start('test', 'Ends', async (ctx) => {
      ctx.progress({ phase: 'one' });
      ctx.progress({ phase: 'one' }); // held back, then dropped by the end
      late = (p) => ctx.progress(p);
      return 1;
    });
    await h.result;
    late({ phase: 'after' });
    await new Promise((r) => setTimeout(r, 150));
    expect(seen).toEqual(['running:one', 'succeeded:one']);
    expect(jobs.get(h.id)).toMatchObject({ state: 'succeeded', progress: { phase: 'one' } });
  });

  it('cancels a running job and records it as cancelled', async () => {
    const jobs = new JobManager();
    const h = jobs.start('test', 'Waits', async (ctx) => {
      await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
      throwIfAborted(ctx.signal, 'Waiting');
      return 1;
    });
    expect(jobs.cancel(h.id)).toBe(true);
    await expect(h.result).rejects.toMatchObject({ kind: 'Cancelled' });
    expect(jobs.get(h.id)?.state).toBe('cancelled');
    expect(jobs.cancel(h.id)).toBe(false);
  });

  it('records a failure with its classified error', async () => {
    const jobs = new JobManager();
    const h = jobs.start('test', 'Fails', async () => {
      throw new AppError('Integrity', 'The archive is truncated.', { hint: 'Download it again.' });
    });
    await expect(h.result).rejects.toBeInstanceOf(AppError);
    expect(jobs.get(h.id)?.error).toEqual({ kind: 'Integrity', message: 'The archive is truncated.', hint: 'Download it again.' });
  });
});
