import { describe, expect, it } from 'vitest';
import { API_METHOD_NAMES, type ApiError } from '../../../../shared/contract/api';
import type { DeskClient } from '../../../../shared/contract/client';
import { EVENT_CHANNELS, HOST_METHOD_NAMES, isApiMethod, isEventChannel, isHostMethod } from '../../../../electron/common/protocol';
import { buildDesktopApi, type PreloadTransport } from '../../../../electron/preload/bridge';

/** A transport that records what the bridge sends and replies as main would. */
function transport(reply: (channel: string, args: unknown) => unknown = () => ({ ok: true, value: 'r' })) {
  const invoked: Array<[string, unknown]> = [];
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  const t: PreloadTransport = {
    invoke: async (channel, args) => {
      invoked.push([channel, args]);
      return reply(channel, args);
    },
    on: (channel, listener) => {
      const set = listeners.get(channel) ?? new Set();
      set.add(listener);
      listeners.set(channel, set);
      return () => set.delete(listener);
    },
    getPathForFile: (f) => `/dropped/${(f as { name: string }).name}`,
  };
  const emit = (channel: string, payload: unknown): void => listeners.get(channel)?.forEach((l) => l(payload));
  return { t, invoked, emit, listeners };
}

describe('buildDesktopApi', () => {
  it('has one function per contract method, the host extras, on, and nothing else', () => {
    const api = buildDesktopApi(transport().t);
    const keys = Object.keys(api).sort();
    const expected = [...API_METHOD_NAMES, 'onVaultLocked', 'unlockVault', 'pickFile', 'pickFolder', 'pickSaveFile', 'showInFolder', 'getPathForFile', 'onOpenBackup', 'on', 'host'].sort();
    expect(keys).toEqual(expected);
    expect(api.host).toBe('electron');
    for (const m of API_METHOD_NAMES) expect(typeof api[m]).toBe('function');
    expect(Object.isFrozen(api)).toBe(true);
    // No raw transport, no generic invoke/send that would take a channel name.
    expect(keys).not.toContain('invoke');
    expect(keys).not.toContain('send');
    expect(keys).not.toContain('ipcRenderer');
  });

  it('is a DeskClient (type level)', () => {
    const client: DeskClient = buildDesktopApi(transport().t);
    expect(client.host).toBe('electron');
  });

  it('sends each method on its own channel with one object argument', async () => {
    const { t, invoked } = transport();
    const api = buildDesktopApi(t);
    await api['storages:list']({});
    await api['jobs:cancel']({ jobId: 'j1' });
    await (api['jobs:list'] as () => Promise<unknown>)();
    expect(invoked).toEqual([
      ['storages:list', {}],
      ['jobs:cancel', { jobId: 'j1' }],
      ['jobs:list', {}],
    ]);
  });

  it('unwraps the reply envelope and rejects with the ApiError as a plain object', async () => {
    const err: ApiError = { kind: 'Conflict', message: 'Database acme exists.', hint: 'Choose another name.' };
    const { t } = transport((ch) => (ch === 'restore:check-name' ? { ok: false, error: err } : { ok: true, value: { ok: 1 } }));
    const api = buildDesktopApi(t);
    await expect(api['app:info']({})).resolves.toEqual({ ok: 1 });
    const rejected = await api['restore:check-name']({ db: 'acme', target: { type: 'embedded' } }).catch((e: unknown) => e);
    expect(rejected).toEqual({ name: 'ApiError', ...err });
    expect(rejected).not.toBeInstanceOf(Error);
    // What contextBridge does to rejections: a structured clone. Kind and hint survive.
    expect(structuredClone(rejected)).toEqual({ name: 'ApiError', ...err });
  });

  it('rejects a malformed reply instead of returning it', async () => {
    const api = buildDesktopApi(transport(() => 'surprise').t);
    await expect(api['jobs:list']({})).rejects.toMatchObject({ name: 'ApiError', kind: 'Fatal' });
  });

  it('refuses to build with a name outside the contract (allowlist checked at run time)', () => {
    expect(() => buildDesktopApi(transport().t, [...API_METHOD_NAMES, 'shell:exec'])).toThrow(/not a contract method/);
    expect(() => buildDesktopApi(transport().t, ['__proto__'])).toThrow(/not a contract method/);
  });

  it('calls host methods on host channels', async () => {
    const { t, invoked } = transport((ch) => ({ ok: true, value: ch === 'host:show-in-folder' ? {} : '/picked' }));
    const api = buildDesktopApi(t);
    expect(await api.pickFile({ title: 'Pick a backup' })).toBe('/picked');
    expect(await api.pickFolder()).toBe('/picked');
    expect(await api.pickSaveFile({ defaultPath: 'acme.zip' })).toBe('/picked');
    expect(await api.showInFolder('/backups/acme.zip')).toBeUndefined();
    expect(invoked.map(([c]) => c)).toEqual(['host:pick-file', 'host:pick-folder', 'host:pick-save-file', 'host:show-in-folder']);
    expect(invoked[1]?.[1]).toEqual({});
    expect(api.getPathForFile({ name: 'acme.zip' })).toBe('/dropped/acme.zip');
  });

  it('subscribes to the two job events only, passing the payload only, and unsubscribes', () => {
    const { t, emit, listeners } = transport();
    const api = buildDesktopApi(t);
    const got: unknown[] = [];
    const off = api.on('job:update', (s) => got.push(s));
    emit('job:update', { id: 'j' });
    off();
    emit('job:update', { id: 'k' });
    expect(got).toEqual([{ id: 'j' }]);
    expect(listeners.get('job:update')?.size).toBe(0);
    for (const bad of ['app:open-backup', 'storages:list', 'ELECTRON_BROWSER_REQUIRE', '']) {
      expect(() => (api.on as (e: string, cb: () => void) => void)(bad, () => undefined), bad).toThrow(/Unknown event/);
    }
    expect(() => (api.on as (e: string, cb: unknown) => void)('job:done', 'not a function')).toThrow(/function/);
  });

  it('delivers File > Open backup… paths to onOpenBackup', () => {
    const { t, emit } = transport();
    const api = buildDesktopApi(t);
    const paths: string[] = [];
    const off = api.onOpenBackup((p) => paths.push(p));
    emit('app:open-backup', { path: '/home/me/acme.zip' });
    off();
    emit('app:open-backup', { path: '/other' });
    expect(paths).toEqual(['/home/me/acme.zip']);
  });
});

describe('protocol allowlists', () => {
  it('know exactly the contract methods, the host methods and the events', () => {
    for (const m of API_METHOD_NAMES) expect(isApiMethod(m)).toBe(true);
    for (const m of HOST_METHOD_NAMES) expect(isHostMethod(m) && !isApiMethod(m)).toBe(true);
    expect([...EVENT_CHANNELS].sort()).toEqual(['app:open-backup', 'app:vault-locked', 'job:done', 'job:update']);
    for (const x of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'storages', 'host:exec', 42, null, undefined]) {
      expect(isApiMethod(x) || isHostMethod(x) || isEventChannel(x), String(x)).toBe(false);
    }
  });
});
