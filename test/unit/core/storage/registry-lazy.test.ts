/**
 * Start-up cost: the CLI bundle, built as scripts/build.mjs builds it (esm, packages external,
 * code splitting), must not load any storage SDK before a provider is created. The storage
 * SDKs may only be reached through dynamic imports (each factory's `create()`).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../../../..');
const SDKS = ['@aws-sdk/client-s3', '@aws-sdk/lib-storage', 'dropbox', '@googleapis/drive', 'ssh2-sftp-client'];

let dir: string;
let meta: Metafile;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bd-lazy-'));
  const r = await build({
    entryPoints: { main: join(ROOT, 'shared/cli/main.ts') },
    outdir: dir,
    bundle: true,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    metafile: true,
    write: false,
    logLevel: 'error',
  });
  meta = r.metafile;
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Every external package reached from `start` through static imports only (or through any import). */
function reached(start: string, followDynamic: boolean): Set<string> {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const todo = [start];
  while (todo.length > 0) {
    const out = todo.pop()!;
    if (seen.has(out)) continue;
    seen.add(out);
    for (const imp of meta.outputs[out]?.imports ?? []) {
      if (imp.kind === 'dynamic-import' && !followDynamic) continue;
      if (imp.external) packages.add(imp.path);
      else todo.push(imp.path);
    }
  }
  return packages;
}

describe('storage SDKs load lazily', () => {
  it('no SDK is imported statically by the CLI entry; each is reachable through create()', () => {
    const entry = Object.keys(meta.outputs).find((o) => o.endsWith('/main.js'))!;
    expect(entry).toBeDefined();
    const eager = reached(entry, false);
    const all = reached(entry, true);
    for (const sdk of SDKS) {
      expect(eager.has(sdk), `${sdk} is loaded at start-up`).toBe(false);
      expect(all.has(sdk), `${sdk} is not reachable at all (test is stale?)`).toBe(true);
    }
    // Control: the start-up closure is not empty (commander, zod are loaded eagerly).
    expect(eager.has('commander')).toBe(true);
  });
});
