/**
 * `backup-desk schedule list` in-process, over jobs and run states written as the scheduler
 * writes them: a backup that went fine whose drill afterwards failed is said so, not a plain "ok".
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ScheduledJob } from '../../../../shared/contract/schedules';
import { emptyJobState, type JobState } from '../../../../shared/core/scheduler/job-store';
import { runCliInProcess } from '../../../helpers/cli-in-process';

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'bd-sched-list-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

// About an hour ago, on a yearly schedule: not overdue, whenever the test runs.
const ago = (ms: number): string => new Date(Date.now() - ms).toISOString();
const RAN = ago(3_600_000);
const DRILLED = ago(3_500_000);
const minute = (iso: string): string => `${iso.slice(0, 16).replace('T', ' ')}Z`;
const JOB: ScheduledJob = { name: 'nightly', work: { kind: 'backup', db: 'shop', source: 'postgres://odoo@db/', to: ['nas'], format: 'zip', drillEvery: 1 }, every: 'yearly', tz: 'UTC', enabled: true, createdAt: ago(7_200_000) };
const BACKED_UP: JobState = { ...emptyJobState(), lastRunAt: RAN, lastOutcome: 'ok', lastSuccessAt: ago(3_550_000) };

/** Writes the jobs and their states into the home folder, as the scheduler keeps them. */
async function given(jobs: ScheduledJob[], states: Record<string, JobState>): Promise<void> {
  await writeFile(join(home, 'schedules.json'), JSON.stringify({ jobs }));
  await mkdir(join(home, 'schedules-state'));
  for (const [name, st] of Object.entries(states)) await writeFile(join(home, 'schedules-state', `${name}.json`), JSON.stringify(st));
}

describe('schedule list', () => {
  it('says DRILL FAILED (with its retry) for a backup that went fine whose drill failed, and why under the table', async () => {
    const drill: JobState = { ...emptyJobState(), lastRunAt: DRILLED, lastOutcome: 'failed', lastError: 'The restore drill of nas:shop.zip failed: the filestore misses 2 files', retryAt: '2999-01-01T00:00:00.000Z' };
    await given([JOB], { nightly: BACKED_UP, 'nightly.drill': drill });
    const r = await runCliInProcess(home, ['schedule', 'list']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`^nightly +backup shop → nas \\(a drill after every backup\\) +yearly +\\S+ \\S+ +ok ${minute(RAN)} +ok, DRILL FAILED, drill retry 2999-01-01 00:00Z$`, 'm'));
    expect(r.err).toBe(`nightly: its last drill (${minute(DRILLED)}) failed: The restore drill of nas:shop.zip failed: the filestore misses 2 files\n`);
    const [json] = JSON.parse((await runCliInProcess(home, ['schedule', 'list', '--json'])).out) as Array<Record<string, unknown>>;
    expect(json?.lastDrill).toEqual({ at: drill.lastRunAt, outcome: 'failed', error: drill.lastError, retryAt: drill.retryAt, running: false });
  });

  it('says a run missed while no scheduler ran: "due, missed" for its next run, and under the table when it was due and that it runs at the next start', async () => {
    const midnight = new Date();
    midnight.setUTCHours(0, 0, 0, 0);
    const day = 86_400_000;
    const lastSlot = new Date(midnight.getTime() - 2 * day).toISOString();
    const missed = new Date(midnight.getTime() - day).toISOString();
    const daily: ScheduledJob = { ...JOB, name: 'daily', work: { kind: 'backup', db: 'shop', source: 'postgres://odoo@db/', to: ['nas'], format: 'zip' }, every: 'daily', createdAt: ago(5 * day) };
    await given([daily, JOB], { daily: { ...BACKED_UP, lastSlotAt: lastSlot, lastRunAt: lastSlot, lastSuccessAt: lastSlot }, nightly: BACKED_UP });
    const r = await runCliInProcess(home, ['schedule', 'list']);
    expect(r.out).toMatch(/^daily +backup shop → nas +daily +due, missed +ok /m);
    expect(r.out).toMatch(/^nightly +.* +yearly +\d{4}-\d\d-\d\d \d\d:\d\dZ +ok /m); // the other job: its next slot, nothing missed
    expect(r.err).toMatch(new RegExp(`^daily missed its run due at ${minute(missed)} \\(no scheduler was running then\\): the app or \`backup-desk daemon\` runs it once when it starts, then next at ${minute(new Date(midnight.getTime() + day).toISOString())}$`, 'm'));
    const listed = JSON.parse((await runCliInProcess(home, ['schedule', 'list', '--json'])).out) as Array<{ name: string; dueSince?: string }>;
    expect(listed.map((j) => [j.name, j.dueSince])).toEqual([['daily', missed], ['nightly', undefined]]);
  });

  it('prints a slot to the second when its schedule has seconds, to the minute otherwise', async () => {
    const secs: ScheduledJob = { ...JOB, name: 'secs', work: { kind: 'backup', db: 'shop', source: 'postgres://odoo@db/', to: ['nas'], format: 'zip' }, every: '*-01-01 04:05:30', createdAt: ago(60_000) };
    await given([secs, JOB], {});
    const r = await runCliInProcess(home, ['schedule', 'list']);
    expect(r.out).toMatch(/^secs +.* +\*-01-01 04:05:30 +\d{4}-01-01 04:05:30Z +- +waiting$/m);
    expect(r.out).toMatch(/^nightly +.* +yearly +\d{4}-01-01 00:00Z +- +waiting$/m);
  });

  it('says a plain ok when the drill passed', async () => {
    await given([JOB], { nightly: BACKED_UP, 'nightly.drill': { ...BACKED_UP, lastRunAt: DRILLED } });
    const r = await runCliInProcess(home, ['schedule', 'list']);
    expect(r.out).toMatch(new RegExp(` +ok ${minute(RAN)} +ok$`, 'm'));
    expect(r.err).toBe('');
  });
});
