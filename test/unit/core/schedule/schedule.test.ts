import { describe, expect, it } from 'vitest';
import { nextRuns, parseSchedule } from '../../../../shared/core/schedule';
import { isAppError } from '../../../../shared/core/errors';

const FROM = new Date('2026-01-01T00:00:00Z');
const iso = (ds: Date[]): string[] => ds.map((d) => d.toISOString());

describe('parseSchedule', () => {
  it('reads 5 or 6 fields and @nicknames as cron, the rest as calendar events', () => {
    expect(parseSchedule('0 2 * * *').kind).toBe('cron');
    expect(parseSchedule('*/10 0 2 * * *').kind).toBe('cron');
    expect(parseSchedule('@daily').kind).toBe('cron');
    expect(parseSchedule('daily').kind).toBe('calendar');
    expect(parseSchedule('Mon *-*-* 02:00 Europe/Berlin').kind).toBe('calendar');
  });

  it('evaluates a calendar event in the zone given, unless the spec names its own', () => {
    const berlin = parseSchedule('daily', { timeZone: 'Europe/Berlin' });
    expect(berlin.zone).toBe('Europe/Berlin');
    expect(iso(nextRuns(berlin, FROM, 2))).toEqual(['2026-01-01T23:00:00.000Z', '2026-01-02T23:00:00.000Z']);
    const own = parseSchedule('daily America/New_York', { timeZone: 'Europe/Berlin' });
    expect(own.zone).toBe('America/New_York');
    expect(iso(nextRuns(own, FROM, 1))).toEqual(['2026-01-01T05:00:00.000Z']);
  });

  it("says what is wrong with a cron expression in its own words, not the library's", () => {
    let err: unknown;
    try {
      parseSchedule('0 25 * * *', { timeZone: 'UTC' });
    } catch (e) {
      err = e;
    }
    expect(isAppError(err, 'InvalidInput')).toBe(true);
    expect((err as Error).message).toBe('"0 25 * * *" is not a valid cron expression: Invalid value for hour: 25.');
  });

  it('evaluates cron in the zone given, across a DST change', () => {
    const s = parseSchedule('0 2 * * *', { timeZone: 'America/New_York' });
    // 2026-03-08: New York moves from UTC-5 to UTC-4 (02:00 does not exist that day).
    const runs = iso(nextRuns(s, new Date('2026-03-06T12:00:00Z'), 4));
    expect(runs[0]).toBe('2026-03-07T07:00:00.000Z');
    expect(runs.slice(2)).toEqual(['2026-03-09T06:00:00.000Z', '2026-03-10T06:00:00.000Z']);
  });

  it('returns fewer runs when a schedule ends, and none for a date in the past', () => {
    expect(iso(nextRuns(parseSchedule('2026-05-01 12:00 UTC'), FROM, 5))).toEqual(['2026-05-01T12:00:00.000Z']);
    expect(nextRuns(parseSchedule('2003-03-05 05:40 UTC'), FROM, 5)).toEqual([]);
  });

  it('runs strictly after the instant given', () => {
    const s = parseSchedule('*:0/15', { timeZone: 'UTC' });
    expect(s.next(new Date('2026-01-01T00:15:00.000Z'))?.toISOString()).toBe('2026-01-01T00:30:00.000Z');
    expect(s.next(new Date('2026-01-01T00:14:59.999Z'))?.toISOString()).toBe('2026-01-01T00:15:00.000Z');
  });

  it('rejects bad specs and unknown zones as InvalidInput with a hint', () => {
    for (const [text, tz] of [['every day', 'UTC'], ['61 * * * *', 'UTC'], ['', 'UTC'], ['daily', 'Mars/Olympus']] as const) {
      let caught: unknown;
      try {
        parseSchedule(text, { timeZone: tz });
      } catch (err) {
        caught = err;
      }
      expect(isAppError(caught, 'InvalidInput'), `${text} ${tz}`).toBe(true);
      expect((caught as { hint?: string }).hint).toBeTruthy();
    }
  });

  it('says which part is wrong: an unknown zone in the spec, an hour out of range', () => {
    expect(() => parseSchedule('daily Mars/Olympus', { timeZone: 'UTC' })).toThrow('"Mars/Olympus" is not a time zone this machine knows');
    expect(() => parseSchedule('25:00', { timeZone: 'UTC' })).toThrow('an hour goes from 0 to 23');
  });
});

describe('a schedule in plain words', () => {
  const words = (text: string): string => parseSchedule(text, { timeZone: 'Europe/Berlin' }).describe();

  it('reads the common calendar events', () => {
    expect(words('11,14,16:00:00')).toBe('Every day at 11:00, 14:00 and 16:00 (Europe/Berlin time)');
    expect(words('Mon *-*-* 02:00')).toBe('Mondays at 02:00 (Europe/Berlin time)');
    expect(words('Sat,Sun 10:00')).toBe('Saturdays and Sundays at 10:00 (Europe/Berlin time)');
    expect(words('*-*-01 03:00')).toBe('On the 1st of every month at 03:00 (Europe/Berlin time)');
    expect(words('daily')).toBe('Every day at 00:00 (Europe/Berlin time)');
    expect(words('weekly')).toBe('Mondays at 00:00 (Europe/Berlin time)');
    expect(words('*:0/15')).toBe('Every 15 minutes (Europe/Berlin time)');
    expect(words('*:0/1')).toBe('Every minute (Europe/Berlin time)');
    expect(words('*/1 * * * *')).toBe('Every minute (Europe/Berlin time)');
    expect(words('*:5/1')).toBe('Every minute from :05 (Europe/Berlin time)');
    expect(words('Mon..Fri 02:00')).toBe('Monday to Friday at 02:00 (Europe/Berlin time)');
    expect(words('*-*~1 23:00')).toBe('On the last day of every month at 23:00 (Europe/Berlin time)');
    expect(words('*-02~03')).toBe('On the 3rd last day of February at 00:00 (Europe/Berlin time)');
    expect(words('quarterly')).toBe('On the 1st of January, April, July and October at 00:00 (Europe/Berlin time)');
    expect(words('hourly UTC')).toBe('Every hour at :00 (UTC time)');
    expect(words('*-*-* 12:30:15')).toBe('Every day at 12:30:15 (Europe/Berlin time)');
    // Seconds are kept in microseconds: their repetitions are said in seconds.
    expect(words('*:*:0/20')).toBe('Every 20 seconds (Europe/Berlin time)');
    expect(words('*:0/15:10/20')).toBe('Every day at every hour, minute every 15th minute from 00, second every 20th second from 10 (Europe/Berlin time)');
  });

  it('reads simple cron expressions the same way, and names the rest as cron', () => {
    expect(words('0 2 * * *')).toBe('Every day at 02:00 (Europe/Berlin time)');
    expect(words('*/15 * * * *')).toBe('Every 15 minutes (Europe/Berlin time)');
    expect(words('0 22 * * mon-fri')).toBe('Monday to Friday at 22:00 (Europe/Berlin time)');
    expect(words('0 0 L * *')).toBe('By the cron expression "0 0 L * *" (Europe/Berlin time)');
    expect(words('0 0 1 * 1')).toBe('By the cron expression "0 0 1 * 1" (Europe/Berlin time)');
  });
});
