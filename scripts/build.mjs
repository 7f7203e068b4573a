// Builds everything the app, the CLI and `serve` run from: dist/cli, dist/electron, dist/renderer.
// Entries that do not exist yet are skipped, so a partial tree still builds.
//
// The build goes to a fresh sibling folder that replaces dist/ only when complete, so a CLI
// or app started from dist/ meanwhile (tests run in parallel) never sees it half-written.
// `--if-stale` skips the build when dist/ is newer than every source file.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const r = (p) => join(root, p);
const quiet = process.argv.includes('--quiet');
const STAMP = r('dist/.build-stamp');

/** Newest modification time (ms) of the files the build reads. */
async function newestSource() {
  let newest = 0;
  const walk = async (dir) => {
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else newest = Math.max(newest, (await stat(p)).mtimeMs);
    }
  };
  for (const d of ['shared', 'electron', 'renderer']) await walk(r(d));
  for (const f of ['scripts/build.mjs', 'package.json', 'package-lock.json']) newest = Math.max(newest, (await stat(r(f)).catch(() => ({ mtimeMs: 0 }))).mtimeMs);
  return newest;
}

const sourcesAt = await newestSource();
// The stamp records the newest source time the build saw, so an edit made during a build still counts.
const builtFrom = existsSync(STAMP) ? Number((await readFile(STAMP, 'utf8')).trim()) : NaN;
if (process.argv.includes('--if-stale') && builtFrom >= sourcesAt) {
  if (!quiet) console.log('build: up to date');
  process.exit(0);
}

const out = r(`.dist-build-${process.pid}-${randomBytes(4).toString('hex')}`);
const o = (p) => join(out, p);

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  packages: 'external',
  logLevel: quiet ? 'error' : 'warning',
  banner: { js: '' },
};

const jobs = [];
if (existsSync(r('shared/cli/main.ts'))) {
  // Code splitting keeps each storage provider (and its SDK import, which stays external) in a
  // chunk that `create()` loads with import(): without it esbuild inlines the provider and hoists
  // its SDK import to the top of main.js, and every command pays for every SDK at start-up.
  jobs.push(
    build({
      ...common,
      entryPoints: { main: r('shared/cli/main.ts') },
      outdir: o('cli'),
      splitting: true,
      chunkNames: 'chunks/[name]-[hash]',
      format: 'esm',
    }),
  );
}
if (existsSync(r('electron/main/index.ts'))) {
  jobs.push(build({ ...common, entryPoints: [r('electron/main/index.ts')], outfile: o('electron/main.js'), format: 'esm', external: ['electron'] }));
}
if (existsSync(r('electron/preload/index.ts'))) {
  // Sandboxed preloads must be a single CommonJS file; zod is bundled in.
  jobs.push(build({ ...common, packages: undefined, entryPoints: [r('electron/preload/index.ts')], outfile: o('electron/preload.cjs'), format: 'cjs', external: ['electron'] }));
}
await Promise.all(jobs);

if (existsSync(r('renderer/index.html'))) {
  const { build: viteBuild } = await import('vite');
  await viteBuild({ configFile: r('renderer/vite.config.ts'), logLevel: quiet ? 'error' : 'warn', build: { outDir: o('renderer'), emptyOutDir: true } });
}
await writeFile(join(out, '.build-stamp'), `${sourcesAt}\n`);

// Swap the finished build in: the old dist/ disappears only for the instant between two renames.
const old = r(`.dist-old-${process.pid}-${randomBytes(4).toString('hex')}`);
const hadDist = existsSync(r('dist'));
if (hadDist) await rename(r('dist'), old);
await rename(out, r('dist'));
if (hadDist) await rm(old, { recursive: true, force: true });
if (!quiet) console.log('build: ok');
