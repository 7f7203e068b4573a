/** Where the end-to-end tests save their screenshots: a temp folder, or the tracked docs/screenshots only when asked. */
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The env variable `npm run screenshots` sets to refresh the tracked pictures in docs/screenshots/. */
export const SCREENSHOTS_ENV = 'BD_SCREENSHOTS_DIR';

/** The folder for screenshots: $BD_SCREENSHOTS_DIR when set, else a folder under the OS temp dir (a test run leaves the tree clean). */
export function screenshotDir(env: NodeJS.ProcessEnv = process.env): string {
  const asked = env[SCREENSHOTS_ENV];
  return asked ? resolve(asked) : join(tmpdir(), 'bd-e2e-screenshots');
}
