import { describe, expect, it } from 'vitest';
import { closeMustAskFirst, quitWhenAllWindowsClosed } from '../../../../electron/main/lifecycle';

describe('window life cycle', () => {
  it('keeps the app alive in the tray when the last window closes; quits only without a tray (not on macOS)', () => {
    expect(quitWhenAllWindowsClosed({ platform: 'linux', hasTray: true })).toBe(false);
    expect(quitWhenAllWindowsClosed({ platform: 'win32', hasTray: true })).toBe(false);
    expect(quitWhenAllWindowsClosed({ platform: 'linux', hasTray: false })).toBe(true);
    expect(quitWhenAllWindowsClosed({ platform: 'darwin', hasTray: false })).toBe(false);
  });

  it('asks before a window close that would quit with jobs running, never while quitting', () => {
    const base = { platform: 'linux' as const, hasTray: false, jobsRunning: true, quitting: false };
    expect(closeMustAskFirst(base)).toBe(true);
    expect(closeMustAskFirst({ ...base, hasTray: true })).toBe(false);
    expect(closeMustAskFirst({ ...base, jobsRunning: false })).toBe(false);
    expect(closeMustAskFirst({ ...base, quitting: true })).toBe(false);
  });
});
