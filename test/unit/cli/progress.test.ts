import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration } from '../../../shared/cli/format';
import { ProgressRenderer } from '../../../shared/cli/progress';
import { formatBytes as uiFormatBytes } from '../../../renderer/src/components/format';

function sink(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, out: { write: (s: string) => writes.push(s), isTTY, columns: 120 } };
}

describe('ProgressRenderer', () => {
  it('redraws one line with percent, speed and ETA on a terminal', () => {
    let now = 0;
    const s = sink(true);
    const r = new ProgressRenderer(s.out, () => now);
    r.update({ phase: 'download', label: 'Downloading', done: 0, total: 100_000_000, unit: 'bytes' });
    now = 1000;
    r.update({ phase: 'download', label: 'Downloading', done: 10_000_000, total: 100_000_000, unit: 'bytes' });
    const last = s.writes.at(-1)!;
    expect(last.startsWith('\r\x1b[K')).toBe(true);
    expect(last).toMatch(/Downloading \[#+-+\]\s+10% 10 MB\/100 MB 10 MB\/s ETA 0:09/);
    r.update({ phase: 'verify', label: 'Verifying' });
    expect(s.writes.at(-2)).toBe('\n');
    r.finishLine();
    expect(s.writes.at(-1)).toBe('\n');
  });

  it('on a terminal that reports 0 columns, cuts nothing short; a phase without figures reads "Finishing…"; no "0 B/s"', () => {
    let now = 0;
    const s = { writes: [] as string[] };
    const r = new ProgressRenderer({ write: (x: string) => s.writes.push(x), isTTY: true, columns: 0 }, () => now);
    r.update({ phase: 'finalize', label: 'Finishing' });
    expect(s.writes.at(-1)).toBe('\r\x1b[KFinishing…');
    r.update({ phase: 'companions', label: 'Writing the companions', done: 2_500_000, total: 2_500_000, unit: 'bytes' });
    now = 1000;
    r.update({ phase: 'companions', label: 'Writing the companions', done: 2_500_000, total: 2_500_000, unit: 'bytes' });
    expect(s.writes.at(-1)).toMatch(/100% 2\.5 MB\/2\.5 MB$/);
  });

  it('counts files as "216 of 612" on a terminal', () => {
    const s = sink(true);
    const r = new ProgressRenderer(s.out, () => 0);
    r.update({ phase: 'filestore', label: 'Filestore', done: 216, total: 612, unit: 'items' });
    expect(s.writes.at(-1)).toMatch(/Filestore \[#+-+\]\s+35% 216 of 612$/);
  });

  it('prints plain lines, throttled, when not on a terminal', () => {
    let now = 0;
    const s = sink(false);
    const r = new ProgressRenderer(s.out, () => now, 5000);
    r.update({ phase: 'database', label: 'Loading', done: 1, total: 10, unit: 'items' });
    now = 1000;
    r.update({ phase: 'database', label: 'Loading', done: 2, total: 10, unit: 'items' });
    now = 6000;
    r.update({ phase: 'database', label: 'Loading', done: 5, total: 10, unit: 'items' });
    expect(s.writes).toEqual(['Loading: 10% (1 of 10)\n', 'Loading: 50% (5 of 10)\n']);
    expect(s.writes.join('')).not.toContain('\r');
  });

  it('prints the last plain line the throttle held back when the job ends', () => {
    let now = 0;
    const s = sink(false);
    const r = new ProgressRenderer(s.out, () => now, 5000);
    r.update({ phase: 'verify', label: 'Reading', done: 1, total: 10, unit: 'items' });
    now = 1000;
    r.update({ phase: 'verify', label: 'Reading', done: 10, total: 10, unit: 'items' });
    r.end();
    r.end();
    expect(s.writes).toEqual(['Reading: 10% (1 of 10)\n', 'Reading: 100% (10 of 10)\n']);
    // …but not a line that says nothing new.
    r.update({ phase: 'finalize', label: 'Finishing' });
    r.update({ phase: 'finalize', label: 'Finishing' });
    r.end();
    expect(s.writes.slice(2)).toEqual(['Finishing…\n']);
  });
});

describe('restore progress on stderr', () => {
  it('names the index-build phase after the dump is read, with the builds done, instead of sitting at the byte count', () => {
    let now = 0;
    const s = sink(true);
    const r = new ProgressRenderer(s.out, () => now);
    r.update({ phase: 'database', label: 'Loading the database', done: 30_000_000, total: 30_000_000, unit: 'bytes' });
    now = 500;
    r.update({ phase: 'indexes', label: 'Building indexes and constraints', done: 0, unit: 'items' });
    expect(s.writes.at(-1)).toBe('\r\x1b[KBuilding indexes and constraints 0 done');
    now = 1000;
    r.update({ phase: 'indexes', label: 'Building indexes and constraints', done: 12, unit: 'items' });
    expect(s.writes.at(-1)).toBe('\r\x1b[KBuilding indexes and constraints 12 done');
  });

  it('in plain lines, prints where a phase got to when it ends (bytes of an encrypted backup included)', () => {
    let now = 0;
    const s = sink(false);
    const r = new ProgressRenderer(s.out, () => now, 5000);
    r.update({ phase: 'database', label: 'Loading the database' });
    now = 1000;
    r.update({ phase: 'database', label: 'Loading the database', done: 15_000_000, total: 30_000_000, unit: 'bytes' });
    now = 2000;
    r.update({ phase: 'database', label: 'Loading the database', done: 30_000_000, total: 30_000_000, unit: 'bytes' });
    now = 2500;
    r.update({ phase: 'indexes', label: 'Building indexes and constraints', done: 0, unit: 'items' });
    now = 3000;
    r.update({ phase: 'indexes', label: 'Building indexes and constraints', done: 7, unit: 'items' });
    r.update({ phase: 'finalize', label: 'Finishing' });
    expect(s.writes).toEqual([
      'Loading the database…\n',
      'Loading the database: 100% (30 MB of 30 MB) 15 MB/s\n',
      'Building indexes and constraints: (0 done)\n',
      'Building indexes and constraints: (7 done)\n',
      'Finishing…\n',
    ]);
  });
});

describe('format', () => {
  it('formats sizes and durations', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 kB');
    expect(formatBytes(49_300_000)).toBe('49 MB');
    expect(formatBytes(5_400_000_000)).toBe('5.4 GB');
    for (const n of [0, 999, 1536, 49_300_000, 5_400_000_000]) expect(uiFormatBytes(n)).toBe(formatBytes(n)); // one unit system in the UI and the CLI
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(formatDuration(65)).toBe('1:05');
  });
});
