/** The job store: a replaced job keeps what its last run did, and starts its schedule afresh from the save. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ScheduledJob } from '../../../../shared/contract/schedules';
import { emptyJobState, JobStore } from '../../../../shared/core/scheduler/job-store';

let home: string | undefined;
afterEach(async () => {
  if (home) await rm(home, { recursive: true, force: true });
});

const job = (every: string): ScheduledJob => ({ name: 'nightly', work: { kind: 'drill', storage: 'nas', db: 'prod' }, every, tz: 'UTC', enabled: true, createdAt: '2026-01-01T00:00:00.000Z' });

describe('JobStore', () => {
  it('keeps the last run, outcome and success of a replaced job, starts its slots at the save, and resets its failures and retry', async () => {
    home = await mkdtemp(join(tmpdir(), 'bd-jobstore-'));
    const store = new JobStore(home);
    await store.save(job('daily'));
    const ran = { ...emptyJobState(), lastSlotAt: '2026-01-02T00:00:00.000Z', lastRunAt: '2026-01-02T00:00:05.000Z', lastOutcome: 'failed' as const, lastError: 'nas did not answer', lastSuccessAt: '2026-01-01T00:00:04.000Z', consecutiveFailures: 3, retryAt: '2026-01-02T00:10:00.000Z' };
    await store.writeState('nightly', ran);
    await store.save(job('weekly'), true, new Date('2026-01-03T09:30:00.000Z'));
    expect(await store.state('nightly')).toEqual({ ...emptyJobState(), lastSlotAt: '2026-01-03T09:30:00.000Z', lastRunAt: ran.lastRunAt, lastOutcome: 'failed', lastError: ran.lastError, lastSuccessAt: ran.lastSuccessAt });
    expect((await store.list())[0]!.every).toBe('weekly');
  });

  it("removes a job's state with its drills' state, which a new job of that name must not show (a job named like them keeps its own)", async () => {
    home = await mkdtemp(join(tmpdir(), 'bd-jobstore-'));
    const store = new JobStore(home);
    const failed = { ...emptyJobState(), lastRunAt: '2026-01-02T00:00:05.000Z', lastOutcome: 'failed' as const, lastError: 'the filestore misses 2 files' };
    await store.save(job('daily'));
    await store.writeState('nightly', failed);
    await store.writeState('nightly.drill', failed);
    expect(await store.remove('nightly')).toBe(true);
    expect(await store.state('nightly.drill')).toEqual(emptyJobState());
    await store.save(job('daily'));
    await store.save({ ...job('daily'), name: 'nightly.drill' });
    await store.writeState('nightly.drill', failed);
    await store.remove('nightly');
    expect(await store.state('nightly.drill')).toEqual(failed);
  });
});
