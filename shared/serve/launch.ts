/**
 * Helpers for running `serve` as a command: finding the built UI, and opening the system
 * browser without putting the token on any command line.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The built UI folder: `$BACKUP_DESK_UI_DIR`, else `dist/renderer` next to the running bundle
 * (dist/cli/main.js → dist/renderer), else the nearest `dist/renderer` above this file.
 */
export function findUiDir(env: NodeJS.ProcessEnv = process.env, from: string = fileURLToPath(import.meta.url)): string | undefined {
  if (env.BACKUP_DESK_UI_DIR) return resolve(env.BACKUP_DESK_UI_DIR);
  let dir = dirname(from);
  for (let i = 0; i < 6; i++) {
    for (const c of [join(dir, '..', 'renderer'), join(dir, 'dist', 'renderer')]) {
      if (existsSync(join(c, 'index.html'))) return resolve(c);
    }
    dir = dirname(dir);
  }
  return undefined;
}

/** The command that opens a file or URL with the desktop's default app. */
function opener(): { cmd: string; args: (target: string) => string[] } {
  if (process.platform === 'darwin') return { cmd: 'open', args: (t) => [t] };
  if (process.platform === 'win32') return { cmd: 'cmd', args: (t) => ['/c', 'start', '""', t] };
  return { cmd: 'xdg-open', args: (t) => [t] };
}

/**
 * Opens `url` (which carries the token in its fragment) in the system browser. The token must
 * not appear in any process's argv, so the browser is pointed at a private (0600) local HTML
 * file that redirects to the URL; the file is removed after `keepMs`.
 */
export async function openInBrowser(url: string, keepMs = 60_000): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'backup-desk-open-'));
  await chmod(dir, 0o700);
  const file = join(dir, 'open.html');
  const safe = url.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  await writeFile(
    file,
    `<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${safe}"><title>Odoo Backup Desk</title><p>Opening Odoo Backup Desk…</p>\n`,
    { mode: 0o600 },
  );
  const o = opener();
  const child = spawn(o.cmd, o.args(file), { stdio: 'ignore', detached: true });
  child.on('error', () => undefined);
  child.unref();
  setTimeout(() => void rm(dir, { recursive: true, force: true }), keepMs).unref();
}
