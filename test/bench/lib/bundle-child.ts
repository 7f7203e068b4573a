/**
 * Bundles a benchmark's measuring child with esbuild (as scripts/build.mjs bundles the app and
 * the CLI) so it runs on plain `node`, as users' code does. Under the tsx loader the child's heap
 * also holds the loader and the sources it compiled: on the generated restore V8 then ran 116
 * full collections instead of 14 and the child used 1.9 s more CPU, which on 2 cores the server
 * would otherwise have had.
 */
import { build } from 'esbuild';
import { basename, join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');

/** Bundles `entry` (a path under test/bench/) into `.bench/` and returns the bundle's path. */
export async function bundleChild(entry: string): Promise<string> {
  const outfile = join(ROOT, '.bench', `${basename(entry, '.ts')}.mjs`);
  await build({ entryPoints: [entry], outfile, bundle: true, platform: 'node', target: 'node20', format: 'esm', packages: 'external', logLevel: 'error' });
  return outfile;
}
