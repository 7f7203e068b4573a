/**
 * Our OnCalendar parser and next-elapse search against systemd itself: every spec below is
 * given to `systemd-analyze calendar --base-time=… --iterations=N` on this machine, and its
 * normalized form and next elapses must equal ours — for several base instants around the
 * DST changes of Europe/Berlin, America/New_York and Australia/Lord_Howe (a 30-minute shift),
 * with the zone named in the spec and as the machine's local zone (TZ=…).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { formatCalendarSpec, parseCalendarSpec } from '../../../../shared/core/schedule/calendar-spec';
import { nextCalendarElapse } from '../../../../shared/core/schedule/calendar-next';

const haveSystemd = spawnSync('systemd-analyze', ['--version']).status === 0;
const ITERATIONS = 12;

/** Specs that must parse; times without a zone are read in the zone under test. */
const VALID = [
  '11,14,16:00:00', 'Mon *-*-* 02:00', 'Sat,Sun 10:00', '*-*-01 03:00', 'daily', 'weekly', 'monthly',
  'yearly', 'annually', 'quarterly', 'semiannually', 'hourly', 'minutely', '*:0/15', 'Mon..Fri 08:30',
  'Mon-Fri 10:00', 'Wed..Sat,Tue 12-10-15 1:2:3', 'Sat,Thu,Mon..Wed,Sat..Sun', 'Mon,Sun 12-*-* 2,1:23',
  'Wed *-1', 'Wed..Wed,Wed *-1', 'Wed, 17:48', '*-*-7 0:0:0', '10-15', 'monday *-12-* 17:00',
  'Mon,Fri *-*-3,1,2 *:30:45', '12,14,13,12:20,10,30', '12..14:10,20,30', 'mon,fri *-1/2-1,3 *:30:45',
  '03-05 08:05:40', '08:05:40', '05:40', 'Sat,Sun 12-05 08:05:40', 'Sat,Sun 08:05:40', '2003-03-05 05:40',
  '2030-03-05 05:40 UTC', '*-02~03', 'Mon *-05~07/1', '*-*~1..3 12:00', '*-*~01', '*-02-29 12:00', '*-*-31',
  '*-*-30 23:59:59', '*:2/3', '*-*-* *:*:*', '*-*-* 00/6:00', '0..23/5:0', 'Mon *-*-1..7 04:00', 'Fri *-*-13',
  '*-*-* 02:30', '*-*-* 02:30 Europe/Berlin', '*:0/15 Europe/Berlin', '*:0/15 America/New_York',
  'daily Europe/Berlin', 'weekly Pacific/Auckland', 'Mon *-*-* 01:30 America/New_York',
  '*-*-* 01..03:00/30 America/New_York', 'hourly Australia/Lord_Howe', '*-*-* 01:45 Australia/Lord_Howe',
  'daily UTC', 'daily utc', '*-*-* 12:00 Asia/Kolkata', '2027..2030-*-01 00:00', '28-01-01', '*:*:0/20',
  '*:*:10..40/10', 'Mon..Fri *-*-* 09..17:00/30', '*-1,4,7,10-1 06:15', 'Sun *-*-* 23:59:59',
  '05:40:23.4200004/3.1700005', '*-*-* 1:0:0', 'Thursday,Friday 2012-*-1,5 11:12:13', 'Tue..Thu 3:00',
  '*-*-* 2,3:00 Europe/Berlin', '*-3~1 2:30', 'Sunday *-*-* 00:59', '2026-03-29 02:30 Europe/Berlin',
  '*-*~07/2 08:00', '1,1,1:1,1', 'weekly EET', '*-*-* 00:00:00 Etc/GMT-14',
];

/** Specs systemd rejects, and so must we. */
const INVALID = [
  '*:*/5', '*:50/15', 'Fri..Mon', 'Mond 12:00', 'daily Europe/berlin', '25:00', '*-13-01', '*-*-32',
  '*-02~29', 'every day', '12 05:00', 'Mon.. 02:00', '*-*-* 1:2:3:4', '0/0:00', '1969-01-01', 'Mon..Fri..Sun',
  '*:60', '10:00 Mars/Olympus', '@', 'Mon, Fri 10:00',
];

/** Base instants: around DST changes in Berlin, New York and Lord Howe, a leap day, a new year. */
const BASES = [
  '2026-01-01T00:00:00Z', '2026-03-08T06:30:00Z', '2026-03-29T00:40:00Z', '2026-10-25T00:10:00Z',
  '2026-10-25T01:10:00Z', '2026-11-01T05:20:00Z', '2026-04-04T14:50:00Z', '2026-10-03T15:20:00Z',
  '2028-02-28T23:59:59Z', '2026-12-31T23:30:00Z',
];

/** What systemd said about one spec. */
interface SystemdAnswer {
  readonly normalized?: string;
  readonly elapses: string[];
  readonly failed: boolean;
}

/** Runs systemd-analyze for all specs at once and reads its answer per spec. */
function askSystemd(specs: readonly string[], baseIso: string, tz: string): Map<string, SystemdAnswer> {
  const base = Math.floor(Date.parse(baseIso) / 1000);
  const r = spawnSync('systemd-analyze', ['calendar', `--base-time=@${base}`, `--iterations=${ITERATIONS}`, ...specs], {
    env: { ...process.env, TZ: tz, LC_ALL: 'C', SYSTEMD_COLORS: '0' },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const out = new Map<string, SystemdAnswer>();
  for (const m of r.stderr.matchAll(/Failed to parse calendar specification '(.*)'/g)) {
    out.set(m[1] as string, { elapses: [], failed: true });
  }
  // A block per accepted spec, in order; "Original form" is printed only when it differs.
  const accepted = specs.filter((s) => !out.has(s));
  const blocks = r.stdout.split(/\n(?=(?:\s*Original form: .*\n)?\s*Normalized form: )/).filter((b) => /Normalized form: /.test(b));
  expect(blocks.length, 'one systemd answer per accepted spec').toBe(accepted.length);
  blocks.forEach((block, k) => {
    const normalized = /Normalized form: (.*)/.exec(block)?.[1];
    const lines = block.split('\n').map((l) => l.trim());
    const elapses: string[] = [];
    lines.forEach((line, i) => {
      const m = /^(?:Next elapse|Iter\. #\d+): (.*)$/.exec(line);
      if (!m || m[1] === 'never') return;
      const utc = /^\(in UTC\): (.*)$/.exec(lines[i + 1] ?? '')?.[1] ?? (m[1] as string);
      elapses.push(utc);
    });
    out.set(accepted[k] as string, { normalized, elapses, failed: false });
  });
  return out;
}

/** Ours, printed as systemd prints UTC times ("Sun 2026-03-29 01:00:00 UTC"). */
function ourElapses(spec: string, baseIso: string, zone: string): string[] {
  const parsed = parseCalendarSpec(spec);
  const out: string[] = [];
  let at = Date.parse(baseIso) * 1000;
  for (let i = 0; i < ITERATIONS; i++) {
    const next = nextCalendarElapse(parsed, at, zone);
    if (next === undefined) break;
    out.push(systemdUtc(next));
    at = next;
  }
  return out;
}

function systemdUtc(us: number): string {
  const d = new Date(Math.floor(us / 1000));
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()];
  return `${day} ${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

describe.skipIf(!haveSystemd)('OnCalendar against systemd-analyze calendar', () => {
  it('runs on a systemd new enough to know time zones in specs', () => {
    const version = Number(/systemd (\d+)/.exec(execFileSync('systemd-analyze', ['--version'], { encoding: 'utf8' }))?.[1]);
    expect(version).toBeGreaterThanOrEqual(241);
  });

  it('parses, normalizes and rejects exactly what systemd does', () => {
    const answers = askSystemd([...VALID, ...INVALID], BASES[0] as string, 'UTC');
    for (const spec of VALID) {
      const a = answers.get(spec);
      expect(a?.failed, `systemd rejects ${spec}`).toBe(false);
      expect(formatCalendarSpec(parseCalendarSpec(spec)), spec).toBe(a?.normalized);
    }
    for (const spec of INVALID) {
      expect(answers.get(spec)?.failed ?? true, `systemd accepts ${spec}`).toBe(true);
      expect(() => parseCalendarSpec(spec), spec).toThrow(/not a valid calendar event/);
    }
  });

  // systemd forks once per elapse for a spec naming a zone, so those run once (machine in
  // UTC); the specs without a zone run with the machine in each zone.
  const local = VALID.filter((spec) => parseCalendarSpec(spec).timezone === undefined);
  for (const [tz, specs] of [['UTC', VALID], ['Europe/Berlin', local], ['America/New_York', local], ['Australia/Lord_Howe', local]] as const) {
    it(`finds the same next ${ITERATIONS} elapses as systemd with the machine in ${tz}`, () => {
      let compared = 0;
      for (const base of BASES) {
        const answers = askSystemd(specs, base, tz);
        for (const spec of specs) {
          const theirs = answers.get(spec)?.elapses;
          expect(ourElapses(spec, base, tz), `${spec} after ${base} in ${tz}`).toEqual(theirs);
          compared += theirs?.length ?? 0;
        }
      }
      expect(compared).toBeGreaterThan(BASES.length * specs.length * 6);
    });
  }
});
