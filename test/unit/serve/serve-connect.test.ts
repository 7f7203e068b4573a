/**
 * `storages:connect` through `serve` (HTTP, bearer token) with a real Desk that has no
 * `openUrl`, as `backup-desk serve` runs it: the browser UI reads the sign-in URL from the job
 * progress (`jobs:get`), the user's browser follows it (plain HTTP here), and the loopback
 * redirect on 127.0.0.1 completes the job; the storage is then listed as connected.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobSnapshotDto, StorageSummary } from '../../../shared/contract/api';
import { Desk } from '../../../shared/core/desk/open-desk';
import { MemorySecretStore } from '../../../shared/core/secrets/secret-store';
import { startServer, type RunningServer } from '../../../shared/serve/server';
import { startFakeDropbox, type FakeDropbox } from '../../helpers/fake-services/dropbox';
import { browserFollow, startFakeOAuthServer, type FakeOAuthServer } from '../../helpers/fake-oauth-server';

let home: string;
let dbx: FakeDropbox;
let oauth: FakeOAuthServer;
let desk: Desk;
let srv: RunningServer;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'bd-serve-connect-'));
  dbx = await startFakeDropbox();
  oauth = await startFakeOAuthServer({ clientIds: ['dbx-app-key'], mintAccessToken: (ttl) => dbx.issueToken({ appType: 'full_dropbox' }, ttl * 1000) });
  desk = await Desk.open({ home, secrets: new MemorySecretStore(), fetch: dbx.fetch });
  srv = await startServer({ api: desk, events: desk.jobs, home, port: 0 });
});
afterAll(async () => {
  await srv?.close();
  await desk?.close();
  await oauth?.close();
  await dbx?.close();
  await rm(home, { recursive: true, force: true });
});

async function call<T>(method: string, body: unknown): Promise<T> {
  const r = await fetch(`${srv.origin}/api/${method}`, { method: 'POST', headers: { Authorization: `Bearer ${srv.token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const json = (await r.json()) as T;
  if (!r.ok) throw Object.assign(new Error(`${method}: HTTP ${r.status}`), { body: json });
  return json;
}

async function poll(jobId: string, until: (j: JobSnapshotDto) => boolean): Promise<JobSnapshotDto> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const j = await call<JobSnapshotDto>('jobs:get', { jobId });
    if (until(j)) return j;
    if (Date.now() > deadline) throw new Error(`job still ${j.state}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('serve: storages:connect', { timeout: 30_000 }, () => {
  it('exposes the sign-in URL in the job progress; the loopback redirect completes the job', async () => {
    await call('storages:add', { name: 'dbx', kind: 'dropbox', settings: { folderPath: '/B', appType: 'full_dropbox', clientId: 'dbx-app-key', authUrl: oauth.authUrl, tokenUrl: oauth.tokenUrl } });
    expect((await call<StorageSummary[]>('storages:list', {}))[0]?.status).toBe('needs-secret');
    const { jobId } = await call<{ jobId: string }>('storages:connect', { name: 'dbx' });
    const waiting = await poll(jobId, (j) => j.state !== 'running' || j.progress?.message?.startsWith('http') === true);
    expect(waiting.state).toBe('running');
    expect((await browserFollow(waiting.progress!.message!)).callbackStatus).toBe(200);
    expect((await poll(jobId, (j) => j.state !== 'running')).state).toBe('succeeded');
    expect((await call<StorageSummary[]>('storages:list', {}))[0]?.status).toBe('ok');
  });

  it('refuses bad arguments at the boundary', async () => {
    await expect(call('storages:connect', {})).rejects.toMatchObject({ body: { kind: 'InvalidInput' } });
    await expect(call('storages:connect', { name: 'missing' })).rejects.toMatchObject({ body: { kind: 'NotFound' } });
  });
});
