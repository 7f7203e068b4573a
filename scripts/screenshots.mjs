// Refreshes the tracked pictures in docs/screenshots/ by running the browser end-to-end tests with
// BD_SCREENSHOTS_DIR pointed there (a plain `npm test` writes its screenshots to a temp folder).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
const env = { ...process.env, BD_SCREENSHOTS_DIR: join(root, 'docs', 'screenshots') };
const res = spawnSync(process.execPath, [vitest, 'run', '--project', 'e2e', 'test/e2e/app.test.ts', 'test/e2e/odoo-restore.test.ts'], { cwd: root, env, stdio: 'inherit' });
process.exit(res.status ?? 1);
