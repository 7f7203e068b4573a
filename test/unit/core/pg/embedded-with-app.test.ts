/**
 * The desktop app's rule for the private PostgreSQL (`startEmbeddedWithApp`): started with the app
 * when the home uses it and it is not running (and stopped by the app's `Desk.close`), left alone
 * when someone else runs it, nothing for a home that never used it; it never throws.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Desk } from '../../../../shared/core/desk';
import { EmbeddedPg, findServerBinaries } from '../../../../shared/core/pg/embedded';
import { startEmbeddedWithApp } from '../../../../shared/core/pg/embedded-with-app';
import { MemorySecretStore } from '../../../../shared/core/secrets/secret-store';
import { nullLogger } from '../../../../shared/core/util/logger';

const hasServer = (await findServerBinaries()) !== undefined;

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'bd-emb-app-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** An `EmbeddedPg` double answering only what the rule asks. */
function stub(o: { initialised: boolean; available?: boolean; running?: boolean; start?: () => Promise<never> }): EmbeddedPg {
  return {
    initialised: async () => o.initialised,
    status: async () => ({ available: o.available ?? true, running: o.running ?? false, detail: 'no PostgreSQL server programs' }),
    start: o.start ?? (async () => Promise.reject(new Error('not expected'))),
  } as unknown as EmbeddedPg;
}

describe('startEmbeddedWithApp', () => {
  it('does nothing for a home that never used it, nor where it cannot run; a failed start is reported, not thrown', async () => {
    expect(await startEmbeddedWithApp(stub({ initialised: false }), nullLogger)).toEqual({ state: 'unused' });
    expect(await startEmbeddedWithApp(stub({ initialised: true, available: false }), nullLogger)).toEqual({ state: 'unavailable', reason: 'no PostgreSQL server programs' });
    expect(await startEmbeddedWithApp(stub({ initialised: true, running: true }), nullLogger)).toEqual({ state: 'running' });
    const failing = stub({ initialised: true, start: () => Promise.reject(new Error('initdb: could not create directory')) });
    expect(await startEmbeddedWithApp(failing, nullLogger)).toEqual({ state: 'failed', error: 'initdb: could not create directory' });
  });

  it('a fresh home: no cluster is created', async () => {
    const home = join(tmp, 'fresh');
    const desk = await Desk.open({ home, secrets: new MemorySecretStore() });
    try {
      expect(await desk.startEmbeddedWithApp()).toEqual({ state: 'unused' });
    } finally {
      await desk.close();
    }
    await expect(stat(join(home, 'embedded-pg'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it.skipIf(!hasServer || process.platform === 'win32')('starts a used, stopped server for the app, which stops it on close; one someone else runs is left running', async () => {
    const home = join(tmp, 'used');
    const other = new EmbeddedPg({ home });
    await other.start();
    await other.stop();
    try {
      const desk = await Desk.open({ home, secrets: new MemorySecretStore() });
      expect(await desk.startEmbeddedWithApp()).toMatchObject({ state: 'started', socketPath: other.socketPath, version: expect.stringMatching(/^\d+/) });
      expect(await other.isRunning()).toBe(true);
      await desk.close();
      expect(await other.isRunning()).toBe(false);

      // Started by `backup-desk embedded start` (or another process): the app leaves it as it is.
      await other.start();
      other.keepRunning();
      const desk2 = await Desk.open({ home, secrets: new MemorySecretStore() });
      expect(await desk2.startEmbeddedWithApp()).toEqual({ state: 'running' });
      await desk2.close();
      expect(await other.isRunning()).toBe(true);
    } finally {
      await other.destroy();
    }
  }, 90_000);
});
