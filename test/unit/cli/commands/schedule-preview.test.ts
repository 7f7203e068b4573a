/** `backup-desk schedule preview` in-process: JSON and human output, DST, bad input. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../../../helpers/cli-in-process';

let home: string;
beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'bd-sched-preview-'));
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

const cli = (args: string[]) => runCliInProcess(home, args);

describe('schedule preview', () => {
  it('prints the next runs as a JSON array of UTC instants, across a DST change', async () => {
    const r = await cli(['schedule', 'preview', '*-*-* 02:30', '--tz', 'Europe/Berlin', '--from', '2026-03-27T12:00:00Z', '--count', '3', '--json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    // 02:30 does not exist in Berlin on 2026-03-29: that day is skipped, as systemd does.
    expect(JSON.parse(r.out)).toEqual(['2026-03-28T01:30:00.000Z', '2026-03-30T00:30:00.000Z', '2026-03-31T00:30:00.000Z']);
  });

  it('prints the normalized form, the words and local times', async () => {
    const r = await cli(['schedule', 'preview', 'Sat,Sun 10:00', '--tz', 'America/New_York', '--from', '2026-01-01T00:00:00Z', '--count', '2']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Normalized form: Sat,Sun *-*-* 10:00:00');
    expect(r.out).toContain('In words: Saturdays and Sundays at 10:00 (America/New_York time)');
    expect(r.out).toContain('Sat 2026-01-03 10:00:00 EST   2026-01-03T15:00:00.000Z');
    expect(r.out).toContain('Sun 2026-01-04 10:00:00 EST   2026-01-04T15:00:00.000Z');
  });

  it('previews cron expressions', async () => {
    const r = await cli(['schedule', 'preview', '0 2 * * 1-5', '--tz', 'UTC', '--from', '2026-01-02T03:00:00Z', '--count', '2', '--json']);
    expect(JSON.parse(r.out)).toEqual(['2026-01-05T02:00:00.000Z', '2026-01-06T02:00:00.000Z']);
  });

  it('says when a schedule never runs again', async () => {
    const r = await cli(['schedule', 'preview', '2003-03-05 05:40 UTC', '--json']);
    expect(JSON.parse(r.out)).toEqual([]);
  });

  it('rejects a bad spec, zone, count or start with exit status 2 and a hint', async () => {
    for (const args of [['every day'], ['daily', '--tz', 'Mars/Olympus'], ['daily', '--count', '0'], ['daily', '--from', 'yesterday']]) {
      const r = await cli(['schedule', 'preview', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.out).toBe('');
      expect(r.err).toMatch(/./);
    }
  });
});
