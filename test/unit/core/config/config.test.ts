import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigStore, configPath, loadConfig, saveConfig, type AppConfig } from '../../../../shared/core/config/config';

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'bd-config-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

const entry = (name: string) => ({ id: `id-${name}`, name, kind: 'local', settings: { path: '/x' }, secretScope: `storage:id-${name}` });

describe('config.json', () => {
  it('is empty when absent, round-trips, and is written with mode 0600 and no temp file left', async () => {
    expect(await loadConfig(home)).toEqual({ version: 1, storages: [], settings: {} });
    const cfg: AppConfig = { version: 1, storages: [entry('a')], settings: { defaultDataDir: '/var/lib/odoo' } };
    await saveConfig(home, cfg);
    expect(await loadConfig(home)).toEqual(cfg);
    expect((await stat(configPath(home))).mode & 0o777).toBe(0o600);
    expect(await readdir(home)).toEqual(['config.json']);
  });

  it('names the file in a clear error when it is corrupt or invalid', async () => {
    await writeFile(configPath(home), '{"version": 1, "storages": [');
    await expect(loadConfig(home)).rejects.toMatchObject({ kind: 'InvalidInput', message: expect.stringContaining(configPath(home)) });
    await writeFile(configPath(home), JSON.stringify({ version: 1, storages: [{ name: 'bad name!' }], settings: {} }));
    const err = await loadConfig(home).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'InvalidInput', hint: expect.stringContaining(configPath(home)) });
    expect(String((err as Error).message)).toMatch(/storages\.0/);
    await writeFile(configPath(home), JSON.stringify({ version: 1, storages: [entry('a'), entry('a')], settings: {} }));
    await expect(loadConfig(home)).rejects.toThrow(/duplicate storage name "a"/);
  });

  it('a failed write leaves the previous file intact (atomic replace)', async () => {
    await saveConfig(home, { version: 1, storages: [entry('a')], settings: {} });
    const before = await readFile(configPath(home), 'utf8');
    // An invalid config is refused before anything is written.
    await expect(saveConfig(home, { version: 1, storages: [entry('a'), entry('a')], settings: {} })).rejects.toThrow();
    expect(await readFile(configPath(home), 'utf8')).toBe(before);
    expect(await readdir(home)).toEqual(['config.json']);
  });

  it('serialises concurrent updates in one process (no lost update)', async () => {
    const store = new ConfigStore(home);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.update((cfg) => ({ config: { ...cfg, storages: [...cfg.storages, entry(`s${i}`)] }, result: undefined })),
      ),
    );
    expect((await store.read()).storages).toHaveLength(20);
  });

  it('readers never see a partial file while writes happen', async () => {
    const big = { version: 1 as const, storages: Array.from({ length: 300 }, (_, i) => entry(`s${i}`)), settings: {} };
    let stop = false;
    let reads = 0;
    const reader = (async () => {
      while (!stop) {
        const c = await loadConfig(home); // throws on a torn file
        expect([0, 300]).toContain(c.storages.length);
        reads++;
        await new Promise((r) => setImmediate(r));
      }
    })();
    for (let i = 0; i < 20; i++) await saveConfig(home, big);
    stop = true;
    await reader;
    expect(reads).toBeGreaterThan(0);
  });
});
