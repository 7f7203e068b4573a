import { mkdir, mkdtemp, readFile, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanStaleSessions, withOdooStopped } from '../../../../shared/core/backup/cold';

describe('cold backups', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bd-cold-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const cmd = (word: string): string => `echo ${word} >> ${join(dir, 'log')}`;

  it('stops, works, starts', async () => {
    const r = await withOdooStopped({ stopCommand: cmd('stop'), startCommand: cmd('start') }, async () => {
      await writeFile(join(dir, 'log'), 'work\n', { flag: 'a' });
      return 42;
    });
    expect(r).toBe(42);
    expect(await readFile(join(dir, 'log'), 'utf8')).toBe('stop\nwork\nstart\n');
  });

  it('starts Odoo again when the backup fails', async () => {
    await expect(withOdooStopped({ stopCommand: cmd('stop'), startCommand: cmd('start') }, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await readFile(join(dir, 'log'), 'utf8')).toBe('stop\nstart\n');
  });

  it('reports a failing stop command with its output, and still runs start', async () => {
    await expect(withOdooStopped({ stopCommand: 'echo no such service >&2; exit 3', startCommand: cmd('start') }, () => Promise.resolve(1))).rejects.toThrow(/stop command failed \(exit 3\): no such service/);
    expect(await readFile(join(dir, 'log'), 'utf8')).toBe('start\n');
  });

  it('keeps a successful backup when start fails, with a warning', async () => {
    const warnings: string[] = [];
    const r = await withOdooStopped({ stopCommand: 'true', startCommand: 'exit 1', warn: (m) => warnings.push(m) }, () => Promise.resolve('done'));
    expect(r).toBe('done');
    expect(warnings[0]).toMatch(/Odoo was not started again/);
  });

  it('removes only session files older than Odoo’s session lifetime', async () => {
    const s = join(dir, 'sessions', 'ab');
    await mkdir(s, { recursive: true });
    await writeFile(join(s, 'old'), 'x');
    await writeFile(join(s, 'fresh'), 'y');
    const old = new Date(Date.now() - 8 * 24 * 3600 * 1000);
    await utimes(join(s, 'old'), old, old);
    expect(await cleanStaleSessions(dir)).toBe(1);
    expect(await readdir(s)).toEqual(['fresh']);
  });
});
