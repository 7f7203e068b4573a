import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findUiDir, openInBrowser } from '../../../shared/serve/launch';

describe('serve launch helpers', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bd-launch-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('finds dist/renderer next to the bundle, or from $BACKUP_DESK_UI_DIR', async () => {
    await mkdir(join(dir, 'dist', 'cli'), { recursive: true });
    await mkdir(join(dir, 'dist', 'renderer'), { recursive: true });
    expect(findUiDir({}, join(dir, 'dist', 'cli', 'main.js'))).toBeUndefined();
    await writeFile(join(dir, 'dist', 'renderer', 'index.html'), '<!doctype html>');
    expect(findUiDir({}, join(dir, 'dist', 'cli', 'main.js'))).toBe(join(dir, 'dist', 'renderer'));
    // From the sources (shared/serve/launch.ts), the nearest dist/renderer above.
    await mkdir(join(dir, 'shared', 'serve'), { recursive: true });
    expect(findUiDir({}, join(dir, 'shared', 'serve', 'launch.ts'))).toBe(join(dir, 'dist', 'renderer'));
    expect(findUiDir({ BACKUP_DESK_UI_DIR: '/x/ui' }, join(dir, 'dist', 'cli', 'main.js'))).toBe('/x/ui');
  });

  it.skipIf(process.platform !== 'linux')('opens the browser without the token on any command line', async () => {
    // A recording xdg-open first on PATH: it saves its argv and the file it was asked to open.
    const bin = join(dir, 'bin');
    await mkdir(bin);
    const log = join(dir, 'argv.txt');
    await writeFile(join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${log}.tmp'\ncat "$1" > '${log}.page'\nstat -c %a "$1" > '${log}.mode'\nmv '${log}.tmp' '${log}'\n`);
    await chmod(join(bin, 'xdg-open'), 0o755);
    const oldPath = process.env.PATH;
    process.env.PATH = `${bin}:${oldPath}`;
    try {
      const url = 'http://127.0.0.1:4567/#token=SECRET-TOKEN-123';
      await openInBrowser(url, 500);
      for (let i = 0; i < 100 && !(await stat(log).catch(() => undefined)); i++) await new Promise((r) => setTimeout(r, 50));
      const argv = await readFile(log, 'utf8');
      expect(argv).not.toContain('SECRET-TOKEN-123');
      expect(argv.trim()).toMatch(/open\.html$/);
      expect(await readFile(`${log}.page`, 'utf8')).toContain('url=http://127.0.0.1:4567/#token=SECRET-TOKEN-123');
      expect((await readFile(`${log}.mode`, 'utf8')).trim()).toBe('600');
      // The redirect file is removed afterwards.
      await new Promise((r) => setTimeout(r, 800));
      expect((await readdir(tmpdir())).filter((n) => n.startsWith('backup-desk-open-') && argv.includes(n))).toEqual([]);
    } finally {
      process.env.PATH = oldPath;
    }
  });
});
