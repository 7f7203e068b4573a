import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration } from '../../../shared/cli/format';
import { ProgressRenderer } from '../../../shared/cli/progress';

function sink(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, out: { write: (s: string) => writes.push(s), isTTY, columns: 120 } };
}

describe('ProgressRenderer', () => {
  it('redraws one line with percent, speed and ETA on a terminal', () => {
    let now = 0;
    const s = sink(true);
    const r = new ProgressRenderer(s.out, () => now);
    r.update({ phase: 'download', label: 'Downloading', done: 0, total: 100 * 1024 * 1024, unit: 'bytes' });
    now = 1000;
    r.update({ phase: 'download', label: 'Downloading', done: 10 * 1024 * 1024, total: 100 * 1024 * 1024, unit: 'bytes' });
    const last = s.writes.at(-1)!;
    expect(last.startsWith('\r\x1b[K')).toBe(true);
    expect(last).toMatch(/Downloading \[#+-+\]\s+10% 10\.0 MiB\/100 MiB 10\.0 MiB\/s ETA 0:09/);
    r.update({ phase: 'verify', label: 'Verifying' });
    expect(s.writes.at(-2)).toBe('\n');
    r.finishLine();
    expect(s.writes.at(-1)).toBe('\n');
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
});

describe('format', () => {
  it('formats sizes and durations', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(5 * 1024 ** 3)).toBe('5.0 GiB');
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(formatDuration(65)).toBe('1:05');
  });
});
