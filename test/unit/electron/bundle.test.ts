/**
 * The shipped bundles, built exactly as scripts/build.mjs builds them, without the Electron
 * binary: the preload must be one CommonJS file that needs nothing but `electron` (what a
 * sandboxed preload may require) and expose only `window.api`; the main bundle's imports must
 * all resolve, and its start-up must wire the real Desk, IPC, window, protocol and quit path
 * together (run under plain Node with a stand-in `electron` module that only records calls).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { createContext, runInContext } from 'node:vm';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_METHOD_NAMES } from '../../../shared/contract/api';
import { HOST_METHOD_NAMES } from '../../../electron/common/protocol';
import { cspHeader } from '../../../electron/main/security';
import { VaultSecretStore } from '../../../shared/core/secrets/vault';
import { EmbeddedPg, findServerBinaries } from '../../../shared/core/pg/embedded';

const hasServer = (await findServerBinaries()) !== undefined;

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
  /** Runs `script` with the `electron` import mapped to the stand-in module. */
  async function runWithFakeElectron(script: string, args: string[], extraEnv: Record<string, string> = {}): Promise<string> {
    await writeFile(
      join(dir, 'hooks.mjs'),
      `export async function resolve(specifier, context, next) {
         if (specifier === 'electron') return { url: ${JSON.stringify(pathToFileURL(join(import.meta.dirname, 'fake-electron.mjs')).href)}, shortCircuit: true };
         return next(specifier, context);
       }`,
    );
    await writeFile(join(dir, 'register.mjs'), `import { register } from 'node:module'; register(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});`);
    const run = promisify(execFile)(process.execPath, ['--import', pathToFileURL(join(dir, 'register.mjs')).href, script, ...args], {
      // No session bus: the keychain fails fast instead of waiting for one.
      env: { ...process.env, BACKUP_DESK_HOME: '', DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent', ...extraEnv },
      timeout: 60_000,
    });
    const { stdout } = await run.catch((err: { message: string; stderr?: string }) => {
      throw new Error(`${err.message}\n${err.stderr ?? ''}`);
    });
    return stdout;
  }

  it('exits at once when another instance holds the lock', async () => {
    const home = join(dir, 'home-locked');
    await writeFile(join(dir, 'locked.mjs'), `globalThis.__electronLock = false; await import(${JSON.stringify(pathToFileURL(join(dir, 'electron/main.js')).href)}); process.stdout.write(JSON.stringify(globalThis.__electron.log));`);
    const log = JSON.parse(await runWithFakeElectron(join(dir, 'locked.mjs'), ['--home', home])) as string[];
    expect(log).toEqual([`setPath userData ${join(home, 'electron')}`, 'enableSandbox', 'quit']);
  });

  it('wires the Desk, IPC, window, app:// protocol, CSP, permissions and quit together', async () => {
    const home = join(dir, 'home with space');
    await mkdir(join(dir, 'renderer'), { recursive: true });
    await writeFile(join(dir, 'renderer', 'index.html'), '<!doctype html><title>Odoo Backup Desk</title>');
    const out = JSON.parse(await runWithFakeElectron(join(import.meta.dirname, 'drive-main.mjs'), [join(dir, 'electron/main.js'), '--home', home]));

    expect(out.errors).toEqual([]);
    expect(out.log.slice(0, 2)).toEqual([`setPath userData ${join(home, 'electron')}`, 'enableSandbox']);
    expect(out.privileged).toEqual([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } }]);
    expect(out.channels).toEqual([...API_METHOD_NAMES, ...HOST_METHOD_NAMES].sort());
    expect(out.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, preload: join(dir, 'electron', 'preload.cjs') });
    expect(out.loaded).toEqual(['app://bundle/index.html']);
    expect(out.appEvents).toEqual(expect.arrayContaining(['activate', 'before-quit', 'second-instance', 'web-contents-created', 'window-all-closed']));
    expect(out.menu).toEqual(['&File', '&Edit', '&View', '&Window', '&Help']);

    expect(out.appInfo).toMatchObject({ ok: true, value: { home, version: expect.any(String) } });
    expect(out.stranger).toMatchObject({ ok: false, error: { kind: 'PermissionDenied' } });
    expect(out.badArgs).toMatchObject({ ok: false, error: { kind: 'InvalidInput' } });

    expect(out.protocol.status).toBe(200);
    expect(out.protocol.csp).toBe(cspHeader());
    expect(out.protocol.body).toContain('<title>Odoo Backup Desk</title>');
    expect(out.escape).toBe(404);
    expect(out.headers).toEqual({ responseHeaders: { 'X-A': ['1'], 'Content-Security-Policy': [cspHeader()] } });
    expect(out.permission).toBe(false);
    expect(out.permissionCheck).toBe(false);

    expect(out.navigation).toEqual({ own: false, web: true, file: true, subframeWeb: true, redirect: true, webview: true, openWeb: { action: 'deny' }, openFile: { action: 'deny' } });
    // Web links leave for the system browser (decided at will-frame-navigate, which Electron
    // emits first); file: links and sub-frame navigations go nowhere.
    expect(out.navigationLog).toEqual(['openExternal https://www.odoo.com/', 'openExternal https://www.odoo.com/page']);
    // Quit and second-launch handlers exist before `ready` (so before the Desk opens).
    expect(out.registeredBeforeReady).toEqual(expect.arrayContaining(['before-quit', 'second-instance', 'window-all-closed']));
    // Closing the last window keeps the app (and the scheduler) alive in the tray.
    expect(out.allClosedQuits).toBe(0);
    expect(out.quit).toEqual({ firstPrevented: 1, quitCalls: 1, secondPrevented: 0 });
    expect(out.log).toContain('tray destroyed');
    // A home that never used the private PostgreSQL gets none.
    await expect(stat(join(home, 'embedded-pg'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it.skipIf(!hasServer || process.platform === 'win32')('keeps the private PostgreSQL of a home that uses it running while the app is open, and stops it on quit', async () => {
    const home = join(dir, 'home-embedded');
    const emb = new EmbeddedPg({ home });
    await emb.start();
    await emb.stop();
    try {
      const out = JSON.parse(await runWithFakeElectron(join(import.meta.dirname, 'drive-main.mjs'), [join(dir, 'electron/main.js'), '--home', home], { DRIVE_EMBEDDED_PID_FILE: join(emb.dataDir, 'postmaster.pid') }));
      expect(out.errors).toEqual([]);
      expect(out.embedded).toEqual({ whileOpen: true, afterQuit: false });
      expect(out.quit).toEqual({ firstPrevented: 1, quitCalls: 1, secondPrevented: 0 });
      expect(await emb.isRunning()).toBe(false);
    } finally {
      await emb.destroy();
    }
  }, 90_000);

  it('asks the window for the vault passphrase on a vault-only machine, and uses the answer', async () => {
    const home = join(dir, 'home-vault');
    await mkdir(home, { recursive: true });
    await VaultSecretStore.create(home, 'vault pass phrase');
    const out = JSON.parse(await runWithFakeElectron(join(import.meta.dirname, 'drive-main.mjs'), [join(dir, 'electron/main.js'), '--home', home], { DRIVE_VAULT_PASSPHRASE: 'vault pass phrase' }));
    expect(out.errors).toEqual([]);
    expect(out.vault.asked).toEqual([{ requestId: expect.any(String), retry: false }]);
    expect(out.vault.wrong).toMatchObject({ ok: false, error: { kind: 'InvalidInput' } });
    expect(out.vault.answered).toEqual({ ok: true, value: {} });
    expect(out.vault.add).toMatchObject({ ok: true, value: { name: 'vaulted' } });
    // The secret went into the vault, not into any plain file.
    const reopened = await VaultSecretStore.open(home, 'vault pass phrase');
    expect(JSON.stringify(await readFile(join(home, 'config.json'), 'utf8').catch(() => ''))).not.toContain('"sk"');
    expect(reopened.backend).toBe("vault");
    expect(await reopened.get("storage:" + (JSON.parse(await readFile(join(home, "config.json"), "utf8")) as { storages: Array<{ id: string }> }).storages[0]!.id, "secretAccessKey")).toBe("sk");
    expect(out.appInfo).toMatchObject({ ok: true, value: { secretsBackend: "vault" } });
  });

  it('loads the keychain binding lazily: no static import of @napi-rs/keyring in the main bundle', async () => {
    const code = await readFile(join(dir, 'electron/main.js'), 'utf8');
    expect(code).not.toMatch(/^import[^;]*["']@napi-rs\/keyring["']/m);
    expect(code).toMatch(/import\(\s*["']@napi-rs\/keyring["']\s*\)/);
  });
});
