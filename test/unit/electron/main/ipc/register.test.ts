import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { API_METHOD_NAMES, apiErrorSchema, jobSnapshotSchema, type DeskApi } from '../../../../../shared/contract/api';
import { Desk, toDto } from '../../../../../shared/core/desk';
import { AppError } from '../../../../../shared/core/errors';
import { JobManager } from '../../../../../shared/core/jobs/job-manager';
import { MemorySecretStore } from '../../../../../shared/core/secrets';
import { HOST_METHOD_NAMES, type HostApi, type IpcReply } from '../../../../../electron/common/protocol';
import { createHostApi } from '../../../../../electron/main/host';
import {
  broadcastTo,
  forwardJobEvents,
  registerApi,
  senderCheck,
  type IpcInvokeEventLike,
  type IpcInvokeListener,
  type IpcMainLike,
} from '../../../../../electron/main/ipc/register';
import type { AppLocation } from '../../../../../electron/main/security';

/** A transport standing in for ipcMain: it stores handlers and lets the test invoke them. */
class TestIpc implements IpcMainLike {
  readonly handlers = new Map<string, IpcInvokeListener>();
  handle(channel: string, listener: IpcInvokeListener): void {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  async invoke(channel: string, event: IpcInvokeEventLike, ...args: unknown[]): Promise<IpcReply<unknown>> {
    const h = this.handlers.get(channel);
    if (!h) throw new Error(`No handler registered for '${channel}'`);
    return (await h(event, ...args)) as IpcReply<unknown>;
  }
}

const location: AppLocation = { appUrl: 'app://bundle/index.html' };
const OWN_ID = 7;
const pageUrl = 'app://bundle/index.html#/backups';
const trusted: IpcInvokeEventLike = { sender: { id: OWN_ID }, senderFrame: { url: pageUrl, parent: null } };
const check = senderCheck({ location, isOwnWebContents: (id) => id === OWN_ID });

/** Wraps a real Desk and records which methods were reached, with which arguments. */
function recording(desk: DeskApi): { api: DeskApi; calls: Array<[string, unknown]> } {
  const calls: Array<[string, unknown]> = [];
  const api = {} as Record<string, (a: unknown) => Promise<unknown>>;
  for (const m of API_METHOD_NAMES) {
    api[m] = (a: unknown) => {
      calls.push([m, a]);
      return (desk[m] as (a: unknown) => Promise<unknown>).call(desk, a);
    };
  }
  return { api: api as unknown as DeskApi, calls };
}

const noDialogs = createHostApi({
  answerVault: () => undefined,
  showOpenDialog: async () => ({ canceled: true, filePaths: [] }),
  showSaveDialog: async () => ({ canceled: true }),
  showItemInFolder: () => undefined,
});

describe('registerApi over a real Desk', () => {
  let home: string;
  let desk: Desk;
  let ipc: TestIpc;
  let calls: Array<[string, unknown]>;

  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'obd-ipc-'));
    desk = await Desk.open({ home, secrets: new MemorySecretStore() });
    ipc = new TestIpc();
    const rec = recording(desk);
    calls = rec.calls;
    registerApi({ ipc, api: rec.api, host: noDialogs, isTrustedSender: check });
  });
  afterEach(async () => {
    await desk.close();
    await rm(home, { recursive: true, force: true });
  });

  it('registers exactly every contract method and every host method', () => {
    expect([...ipc.handlers.keys()].sort()).toEqual([...API_METHOD_NAMES, ...HOST_METHOD_NAMES].sort());
  });

  it('answers a valid call with the Desk result', async () => {
    const info = await ipc.invoke('app:info', trusted, {});
    expect(info).toMatchObject({ ok: true, value: { home, secretsBackend: 'memory' } });
    const kinds = await ipc.invoke('storages:kinds', trusted);
    expect(kinds.ok).toBe(true);
    expect((kinds as { value: Array<{ kind: string }> }).value.map((k) => k.kind)).toContain('local');
  });

  it('round-trips a storage through the Desk (add, list, remove)', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'obd-ipc-store-'));
    try {
      const added = await ipc.invoke('storages:add', trusted, { name: 'here', kind: 'local', settings: { path: folder } });
      expect(added).toMatchObject({ ok: true, value: { name: 'here', kind: 'local' } });
      // The zod default (`secrets: {}`) was applied before the Desk saw the arguments.
      expect(calls.find(([m]) => m === 'storages:add')?.[1]).toMatchObject({ secrets: {} });
      const list = await ipc.invoke('storages:list', trusted, {});
      expect((list as { value: Array<{ name: string }> }).value.map((s) => s.name)).toEqual(['here']);
      expect(await ipc.invoke('storages:remove', trusted, { name: 'here' })).toEqual({ ok: true, value: {} });
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it('rejects invalid arguments with InvalidInput before reaching the Desk', async () => {
    const bad: Array<[string, unknown]> = [
      ['storages:add', { name: 'bad name!', kind: 'local', settings: {} }],
      ['storages:remove', {}],
      ['jobs:get', { jobId: 42 }],
      ['restore:start', { source: 'x.zip', db: '-leading-dash', target: { type: 'postgres' } }],
      ['restore:start', { source: 'x.zip', db: 'ok', target: { type: 'mysql' } }],
      ['download:start', { ref: '', out: '/tmp/x' }],
      ['catalog:list', 'not an object'],
      ['app:info', null],
    ];
    for (const [method, args] of bad) {
      const r = await ipc.invoke(method, trusted, args);
      expect(r.ok, method).toBe(false);
      if (r.ok) continue;
      expect(apiErrorSchema.parse(r.error).kind).toBe('InvalidInput');
      expect(r.error.message).toContain(`Invalid arguments for ${method}`);
      expect(r.error.hint).toBeTruthy();
    }
    const db = await ipc.invoke('restore:start', trusted, { source: 'x.zip', db: '-leading-dash', target: { type: 'postgres' } });
    expect(db.ok === false && db.error.message).toMatch(/^Invalid arguments for restore:start: db: /);
    expect(calls).toEqual([]);
  });

  it('refuses more than one argument', async () => {
    const r = await ipc.invoke('jobs:list', trusted, {}, { extra: true });
    expect(r).toMatchObject({ ok: false, error: { kind: 'InvalidInput' } });
    expect(calls).toEqual([]);
  });

  it('strips keys the contract does not know', async () => {
    await ipc.invoke('jobs:list', trusted, { sneaky: '../../etc/passwd' });
    expect(calls).toEqual([['jobs:list', {}]]);
  });

  it('serializes Desk errors to the contract ApiError shape, kind and hint kept', async () => {
    const r = await ipc.invoke('jobs:get', trusted, { jobId: 'nope' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(apiErrorSchema.parse(r.error)).toEqual({ kind: 'NotFound', message: 'There is no job nope.', hint: 'List jobs to see the known ones.' });
    const missing = await ipc.invoke('storages:remove', trusted, { name: 'absent' });
    expect(missing).toMatchObject({ ok: false, error: { kind: 'NotFound' } });
  });

  it('refuses untrusted senders before validation or the Desk', async () => {
    const untrusted: IpcInvokeEventLike[] = [
      { sender: { id: OWN_ID }, senderFrame: { url: 'https://evil.example/', parent: null } },
      { sender: { id: OWN_ID }, senderFrame: { url: pathToFileURL('/etc/passwd').href, parent: null } },
      { sender: { id: OWN_ID }, senderFrame: { url: 'app://elsewhere/index.html', parent: null } },
      { sender: { id: 99 }, senderFrame: { url: pageUrl, parent: null } },
      { sender: { id: OWN_ID }, senderFrame: { url: pageUrl, parent: { url: pageUrl } } },
      { sender: { id: OWN_ID }, senderFrame: null },
    ];
    for (const ev of untrusted) {
      for (const m of ['storages:list', 'host:pick-file', 'storages:add']) {
        const r = await ipc.invoke(m, ev, { name: 'x', kind: 'local', settings: {} });
        expect(r).toMatchObject({ ok: false, error: { kind: 'PermissionDenied' } });
      }
    }
    expect(calls).toEqual([]);
  });

  it('routes every contract method to the Desk method of the same name', async () => {
    for (const m of API_METHOD_NAMES) await ipc.invoke(m, trusted, {});
    // Methods whose `{}` is valid reach the Desk; the others stop at validation.
    const reached = new Set(calls.map(([m]) => m));
    for (const m of ['app:info', 'storages:kinds', 'storages:list', 'catalog:list', 'targets:detect', 'jobs:list']) expect(reached.has(m), m).toBe(true);
    for (const m of ['storages:add', 'restore:start', 'download:start', 'jobs:get', 'jobs:cancel']) expect(reached.has(m), m).toBe(false);
  });

  it('unregisters everything', () => {
    const ipc2 = new TestIpc();
    const off = registerApi({ ipc: ipc2, api: desk, host: noDialogs, isTrustedSender: check });
    expect(ipc2.handlers.size).toBe(API_METHOD_NAMES.length + HOST_METHOD_NAMES.length);
    off();
    expect(ipc2.handlers.size).toBe(0);
  });
});

describe('registerApi start-up checks', () => {
  it('fails at start-up, naming the methods, when an implementation lacks one', () => {
    const partial = { 'app:info': async () => ({}) } as unknown as DeskApi;
    expect(() => registerApi({ ipc: new TestIpc(), api: partial, host: noDialogs, isTrustedSender: check })).toThrow(/no implementation for storages:kinds/);
  });

  it('turns a thrown non-AppError into a Fatal ApiError and an AppError into its kind', async () => {
    const ipc = new TestIpc();
    const api = {} as Record<string, unknown>;
    for (const m of API_METHOD_NAMES) api[m] = async () => ({});
    api['storages:list'] = async () => {
      throw new TypeError('boom');
    };
    api['targets:detect'] = async () => {
      throw new AppError('MissingTool', 'pg_restore is missing.', { hint: 'Install postgresql-client-15.', details: { tool: 'pg_restore' } });
    };
    registerApi({ ipc, api: api as unknown as DeskApi, host: noDialogs, isTrustedSender: check });
    expect(await ipc.invoke('storages:list', trusted, {})).toEqual({ ok: false, error: { kind: 'Fatal', message: 'boom' } });
    expect(await ipc.invoke('targets:detect', trusted, {})).toEqual({
      ok: false,
      error: { kind: 'MissingTool', message: 'pg_restore is missing.', hint: 'Install postgresql-client-15.', details: { tool: 'pg_restore' } },
    });
  });
});

describe('host methods over IPC', () => {
  it('validates dialog options and passes them to the native dialog', async () => {
    const seen: unknown[] = [];
    const host: HostApi = createHostApi({
      answerVault: () => undefined,
      showOpenDialog: async (o) => {
        seen.push(o);
        return { canceled: false, filePaths: ['/backups/acme.zip'] };
      },
      showSaveDialog: async () => ({ canceled: true }),
      showItemInFolder: () => undefined,
    });
    const ipc = new TestIpc();
    const api = {} as Record<string, unknown>;
    for (const m of API_METHOD_NAMES) api[m] = async () => ({});
    registerApi({ ipc, api: api as unknown as DeskApi, host, isTrustedSender: check });
    expect(await ipc.invoke('host:pick-file', trusted, { title: 'Pick' })).toEqual({ ok: true, value: '/backups/acme.zip' });
    expect(seen[0]).toMatchObject({ title: 'Pick', properties: ['openFile'] });
    const bad = await ipc.invoke('host:pick-file', trusted, { filters: [{ name: 'x', extensions: ['../../bin'] }] });
    expect(bad).toMatchObject({ ok: false, error: { kind: 'InvalidInput' } });
    const unknownKey = await ipc.invoke('host:pick-folder', trusted, { properties: ['openFile', 'multiSelections'] });
    expect(unknownKey).toMatchObject({ ok: false, error: { kind: 'InvalidInput' } });
    expect(await ipc.invoke('host:save-file', trusted, {}).catch((e: Error) => e.message)).toMatch(/No handler/);
    const rel = await ipc.invoke('host:show-in-folder', trusted, { path: 'relative/x' });
    expect(rel).toMatchObject({ ok: false, error: { kind: 'InvalidInput' } });
    expect(seen).toHaveLength(1);
  });
});

describe('forwardJobEvents', () => {
  it('forwards a real job’s updates and its end as contract DTOs, and stops after unsubscribe', async () => {
    const jobs = new JobManager();
    const sent: Array<[string, unknown]> = [];
    const off = forwardJobEvents(jobs, (ch, payload) => sent.push([ch, payload]), toDto);
    const h = jobs.start('test', 'Counts', async (ctx) => {
      ctx.progress({ phase: 'count', done: 1, total: 2, unit: 'items' });
      ctx.log('info', 'halfway');
      return { counted: 2 };
    });
    await h.result;
    expect(sent.some(([ch]) => ch === 'job:update')).toBe(true);
    const done = sent.filter(([ch]) => ch === 'job:done');
    expect(done).toHaveLength(1);
    const snap = jobSnapshotSchema.parse(done[0]?.[1]);
    expect(snap).toMatchObject({ id: h.id, state: 'succeeded', result: { counted: 2 } });
    for (const [, p] of sent) expect(() => jobSnapshotSchema.parse(p)).not.toThrow();
    // Every payload must survive structured clone (what IPC uses).
    for (const [, p] of sent) expect(structuredClone(p)).toEqual(p);

    off();
    const n = sent.length;
    await jobs.start('test', 'Quiet', async () => 1).result;
    expect(sent.length).toBe(n);
  });

  it('forwards a failed job with its serialized error', async () => {
    const jobs = new JobManager();
    const sent: Array<[string, unknown]> = [];
    forwardJobEvents(jobs, (ch, payload) => sent.push([ch, payload]), toDto);
    const h = jobs.start('restore', 'Restore', async () => {
      throw new AppError('Conflict', 'Database acme exists.', { hint: 'Choose another name.' });
    });
    await h.result.catch(() => undefined);
    const done = jobSnapshotSchema.parse(sent.find(([ch]) => ch === 'job:done')?.[1]);
    expect(done.state).toBe('failed');
    expect(done.error).toEqual({ kind: 'Conflict', message: 'Database acme exists.', hint: 'Choose another name.' });
  });

  it('keeps forwarding when one send throws', async () => {
    const jobs = new JobManager();
    let n = 0;
    forwardJobEvents(
      jobs,
      () => {
        n++;
        throw new Error('window gone');
      },
      toDto,
    );
    await jobs.start('t', 'T', async () => 1).result;
    expect(n).toBeGreaterThanOrEqual(2);
  });

  it('broadcastTo skips destroyed targets', () => {
    const got: string[] = [];
    const live = { isDestroyed: () => false, send: (ch: string) => got.push(`live:${ch}`) };
    const dead = { isDestroyed: () => true, send: (ch: string) => got.push(`dead:${ch}`) };
    const snap = toDto(new JobManager().get('x') ?? { id: 'j', kind: 'k', title: 't', state: 'running', startedAt: new Date(0).toISOString(), log: [] });
    broadcastTo(() => [live, dead])('job:update', snap);
    expect(got).toEqual(['live:job:update']);
  });
});
