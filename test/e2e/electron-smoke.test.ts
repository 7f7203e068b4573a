/**
 * Smoke test of the real desktop app: launches Electron on the built app (dist/) with a
 * throwaway home, and checks the window, the bridge and the security settings from the
 * page's side. Runs only where the Electron binary is installed; elsewhere it is skipped
 * with the reason (the binary is downloaded by electron's postinstall, which this
 * project's CI disables with ELECTRON_SKIP_BINARY_DOWNLOAD=1).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron } from 'playwright-core';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

/** The Electron binary's path, or the reason there is none. */
function electronBinary(): { path: string } | { reason: string } {
  try {
    const path = createRequire(import.meta.url)('electron') as unknown;
    if (typeof path === 'string' && existsSync(path)) return { path };
    return { reason: 'the electron package did not name an existing binary' };
  } catch (err) {
    return { reason: `Electron binary not installed (${(err as Error).message.split('\n')[0]}); run \`npm ci\` without ELECTRON_SKIP_BINARY_DOWNLOAD to get it` };
  }
}

describe('desktop app (Electron)', () => {
  it('opens a sandboxed window titled Odoo Backup Desk with window.api and no Node', async (ctx) => {
    const bin = electronBinary();
    if ('reason' in bin) return ctx.skip(bin.reason);
    if (!existsSync(join(root, 'dist/electron/main.js')) || !existsSync(join(root, 'dist/renderer/index.html'))) {
      return ctx.skip('the app is not built: run `npm run build` first');
    }
    const home = await mkdtemp(join(tmpdir(), 'obd-electron-'));
    const args = [root, '--home', home];
    // Chromium refuses to run as root without this (CI containers).
    if (process.getuid?.() === 0) args.push('--no-sandbox');
    const app = await _electron.launch({ executablePath: bin.path, args, env: { ...process.env, BACKUP_DESK_HOME: home }, timeout: 60_000 });
    try {
      const win = await app.firstWindow();
      await win.waitForLoadState('domcontentloaded');
      expect(await win.title()).toContain('Odoo Backup Desk');
      const page = await win.evaluate(() => {
        const w = window as unknown as Record<string, unknown>;
        const api = w.api as Record<string, unknown> | undefined;
        return { api: typeof api, host: api?.host, require: typeof w.require, process: typeof w.process, module: typeof w.module };
      });
      expect(page).toEqual({ api: 'object', host: 'electron', require: 'undefined', process: 'undefined', module: 'undefined' });
      const info = await win.evaluate(() => (window as unknown as { api: { 'app:info'(a: object): Promise<{ home: string }> } }).api['app:info']({}));
      expect(info.home).toBe(home);
      // The CSP forbids eval; new windows are denied and navigation away is blocked (non-http URLs,
      // so no system browser opens during the test).
      const blocked = await win.evaluate(() => {
        let evalResult = 'allowed';
        try {
          (0, eval)('1');
        } catch {
          evalResult = 'blocked';
        }
        return { eval: evalResult, open: window.open('file:///etc/hostname') === null };
      });
      expect(blocked).toEqual({ eval: 'blocked', open: true });
      const before = win.url();
      await win.evaluate(() => {
        window.location.href = 'file:///etc/hostname';
      });
      await new Promise((r) => setTimeout(r, 500));
      expect(win.url()).toBe(before);
      expect(before.startsWith('app://bundle/')).toBe(true);
    } finally {
      await app.close();
      await rm(home, { recursive: true, force: true });
    }
  });
});
