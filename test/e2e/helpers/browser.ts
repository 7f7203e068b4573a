/** The browser side of the end-to-end tests: the UI built, Debian's Chromium opened on one page, and the per-test tidying. */
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { screenshotDir } from './screenshots';

const root = join(import.meta.dirname, '..', '..', '..');

/** Builds the CLI and the UI when stale (NODE_ENV=test, set by vitest, would make Vite build React's slow development bundle). */
export async function buildIfStale(): Promise<void> {
  await promisify(execFile)(process.execPath, [join(root, 'scripts', 'build.mjs'), '--quiet', '--if-stale'], { cwd: root, env: { ...process.env, NODE_ENV: 'production' } });
}

/** One headless Chromium page with the tests' defaults, and a `shot` that saves the screen to the screenshots folder. */
export interface BrowserPage {
  readonly browser: Browser;
  readonly page: Page;
  shot(name: string): Promise<void>;
  /** The main navigation's button whose label starts with `label`. */
  nav(label: string): Locator;
}

/** Launches Debian's Chromium on a page of `height` pixels (1280 wide). */
export async function openBrowserPage(height: number): Promise<BrowserPage> {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height }, colorScheme: 'light', acceptDownloads: false });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (e) => console.error('page error:', e.message));
  const shots = screenshotDir();
  await mkdir(shots, { recursive: true });
  return {
    browser,
    page,
    async shot(name) {
      await page.waitForTimeout(150); // let transitions settle
      await page.screenshot({ path: join(shots, `${name}.png`) });
    },
    nav: (label) => page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: new RegExp(`^${label}`) }),
  };
}

/** After a test: a failed one leaves its screen as /tmp/bd-e2e-failed-<test>.png; no dialog or detail panel stays open for the next. */
export async function tidyAfterTest(page: Page | undefined, testName: string, failed: boolean): Promise<void> {
  if (!page) return;
  if (failed) await page.screenshot({ path: join(tmpdir(), `bd-e2e-failed-${testName.slice(0, 40).replace(/\W+/g, '-')}.png`) }).catch(() => undefined);
  for (let i = 0; i < 3 && (await page.getByRole('dialog').count()) > 0; i++) await page.keyboard.press('Escape');
  const close = page.getByRole('button', { name: 'Close details' });
  if ((await close.count()) > 0) await close.click();
}
