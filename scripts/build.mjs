// Builds everything the app, the CLI and `serve` run from: dist/cli, dist/electron, dist/renderer.
// Entries that do not exist yet are skipped, so a partial tree still builds.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const r = (p) => join(root, p);
const quiet = process.argv.includes('--quiet');

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  packages: 'external',
  logLevel: quiet ? 'error' : 'warning',
  banner: { js: '' },
};

await rm(r('dist'), { recursive: true, force: true });

const jobs = [];
if (existsSync(r('shared/cli/main.ts'))) {
  // Code splitting keeps each storage provider (and its SDK import, which stays external) in a
  // chunk that `create()` loads with import(): without it esbuild inlines the provider and hoists
  // its SDK import to the top of main.js, and every command pays for every SDK at start-up.
  jobs.push(
    build({
      ...common,
      entryPoints: { main: r('shared/cli/main.ts') },
      outdir: r('dist/cli'),
      splitting: true,
      chunkNames: 'chunks/[name]-[hash]',
      format: 'esm',
    }),
  );
}
if (existsSync(r('electron/main/index.ts'))) {
  jobs.push(build({ ...common, entryPoints: [r('electron/main/index.ts')], outfile: r('dist/electron/main.js'), format: 'esm', external: ['electron'] }));
}
if (existsSync(r('electron/preload/index.ts'))) {
  // Sandboxed preloads must be a single CommonJS file; zod is bundled in.
  jobs.push(build({ ...common, packages: undefined, entryPoints: [r('electron/preload/index.ts')], outfile: r('dist/electron/preload.cjs'), format: 'cjs', external: ['electron'] }));
}
await Promise.all(jobs);

if (existsSync(r('renderer/index.html'))) {
  const { build: viteBuild } = await import('vite');
  await viteBuild({ configFile: r('renderer/vite.config.ts'), logLevel: quiet ? 'error' : 'warn' });
}
if (!quiet) console.log('build: ok');
