import { spawnSync } from 'node:child_process';
import { mkdtemp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HomeLocks } from '../../../../shared/core/scheduler/home-lock';

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'bd-locks-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

describe('HomeLocks', () => {
  it('gives a lock to one holder at a time, and again once released', async () => {
    const locks = HomeLocks.forHome(home);
    const held = await locks.tryAcquire('job-a', 'test');
    expect(held).toBeDefined();
    expect(await locks.tryAcquire('job-a', 'test')).toBeUndefined();
    expect((await locks.holder('job-a'))?.pid).toBe(process.pid);
    expect(await locks.tryAcquire('job-b', 'test')).toBeDefined();
    await held?.release();
    expect(await locks.holder('job-a')).toBeUndefined();
    expect(await locks.tryAcquire('job-a', 'test')).toBeDefined();
  });

  it('takes over a lock whose process is gone (killed daemon), and leaves no stale file behind', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const pid = Number(dead.stdout);
    await mkdir(join(home, 'locks'));
    await writeFile(join(home, 'locks', 'job-x.lock'), JSON.stringify({ pid, host: hostname(), since: '2026-01-01T00:00:00Z', purpose: 'daemon' }));
    const locks = HomeLocks.forHome(home);
    expect(await locks.holder('job-x')).toBeUndefined();
    const held = await locks.tryAcquire('job-x', 'app');
    expect(held).toBeDefined();
    expect(await readdir(join(home, 'locks'))).toEqual(['job-x.lock']);
  });

  it('respects a lock held by a live process', async () => {
    await mkdir(join(home, 'locks'));
    await writeFile(join(home, 'locks', 'job-y.lock'), JSON.stringify({ pid: process.ppid, host: hostname(), since: '2026-01-01T00:00:00Z', purpose: 'daemon' }));
    expect(await HomeLocks.forHome(home).tryAcquire('job-y', 'app')).toBeUndefined();
  });
});
