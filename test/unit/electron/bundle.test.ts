/**
 * The shipped bundles, built exactly as scripts/build.mjs builds them, without the Electron
 * binary: the preload must be one CommonJS file that needs nothing but `electron` (what a
 * sandboxed preload may require) and expose only `window.api`; the main bundle's imports must
 * all resolve and its start-up code must run up to the single-instance lock.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { createContext, runInContext } from 'node:vm';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_METHOD_NAMES } from '../../../shared/contract/api';

const root = join(import.meta.dirname, '..', '..', '..');
// The options of scripts/build.mjs.
const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: false, packages: 'external', logLevel: 'error' } as const;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'obd-bundle-'));
  // Bare imports of the main bundle resolve through node_modules, as in the app folder.
  await symlink(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  await Promise.all([
    build({ ...common, packages: undefined, entryPoints: [join(root, 'electron/preload/index.ts')], outfile: join(dir, 'electron/preload.cjs'), format: 'cjs', external: ['electron'] }),
    build({ ...common, entryPoints: [join(root, 'electron/main/index.ts')], outfile: join(dir, 'electron/main.js'), format: 'esm', external: ['electron'] }),
  ]);
  await writeFile(join(dir, 'package.json'), '{"type":"module"}');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('preload bundle', () => {
  it('requires only electron and exposes only window.api in a sandbox-like context', async () => {
    const code = await readFile(join(dir, 'electron/preload.cjs'), 'utf8');
    const required: string[] = [];
    const exposed = new Map<string, unknown>();
    const invoked: Array<[string, unknown]> = [];
    const listeners = new Map<string, (event: unknown, payload: unknown) => void>();
    const fakeElectron = {
      contextBridge: { exposeInMainWorld: (key: string, value: unknown) => exposed.set(key, value) },
      ipcRenderer: {
        invoke: async (channel: string, args: unknown) => (invoked.push([channel, args]), { ok: true, value: 'v' }),
        on: (channel: string, l: (event: unknown, payload: unknown) => void) => listeners.set(channel, l),
        removeListener: (channel: string) => listeners.delete(channel),
      },
      webUtils: { getPathForFile: () => '/p' },
    };
    const module = { exports: {} };
    // What a sandboxed preload gets: a require limited to a few modules, no Node built-ins.
    const sandboxRequire = (id: string): unknown => {
      required.push(id);
      if (id === 'electron') return fakeElectron;
      throw new Error(`module not found: ${id}`);
    };
    const ctx = createContext({ require: sandboxRequire, module, exports: module.exports, console });
    runInContext(code, ctx, { filename: 'preload.cjs' });

    expect(new Set(required)).toEqual(new Set(['electron']));
    expect([...exposed.keys()]).toEqual(['api']);
    const api = exposed.get('api') as Record<string, (a?: unknown) => Promise<unknown>> & { on: (e: string, cb: (p: unknown) => void) => () => void };
    for (const m of API_METHOD_NAMES) expect(typeof api[m]).toBe('function');
    expect(await api['storages:list']?.({})).toBe('v');
    expect(invoked).toEqual([['storages:list', {}]]);
    const got: unknown[] = [];
    api.on('job:done', (p) => got.push(p));
    listeners.get('job:done')?.({ sender: 'the raw IPC event' }, { id: 'j' });
    expect(got).toEqual([{ id: 'j' }]);
    expect(() => api.on('anything', () => undefined)).toThrow();
  });
});

describe('main bundle', () => {
  it('loads all its imports and runs start-up up to the single-instance lock', async () => {
    const home = join(dir, 'home with space');
    // A stand-in for the `electron` module, just enough for the code before `app.whenReady()`.
    await writeFile(
      join(dir, 'fake-electron.mjs'),
      `const log = (m) => process.stdout.write(m + '\\n');
       const noop = () => undefined;
       export const app = { isPackaged: false, setPath: (k, v) => log('setPath ' + k + ' ' + v), requestSingleInstanceLock: () => false, quit: () => log('quit') };
       export const protocol = { registerSchemesAsPrivileged: (s) => log('privileged ' + s.map((x) => x.scheme + ':' + Object.keys(x.privileges).filter((k) => x.privileges[k]).join('+')).join()) };
       export const BrowserWindow = {}, dialog = {}, Menu = {}, nativeImage = {}, Notification = {}, shell = {}, Tray = {}, ipcMain = {}, nativeTheme = {}, session = {};
       export default { app };`,
    );
    await writeFile(
      join(dir, 'hooks.mjs'),
      `export async function resolve(specifier, context, next) {
         if (specifier === 'electron') return { url: ${JSON.stringify(pathToFileURL(join(dir, 'fake-electron.mjs')).href)}, shortCircuit: true };
         return next(specifier, context);
       }`,
    );
    await writeFile(join(dir, 'register.mjs'), `import { register } from 'node:module'; register(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});`);
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', pathToFileURL(join(dir, 'register.mjs')).href, join(dir, 'electron/main.js'), '--home', home], {
      env: { ...process.env, BACKUP_DESK_HOME: '' },
      timeout: 60_000,
    });
    expect(stdout.trim().split('\n')).toEqual([`setPath userData ${join(home, 'electron')}`, 'privileged app:standard+secure+supportFetchAPI+codeCache', 'quit']);
  });
});
