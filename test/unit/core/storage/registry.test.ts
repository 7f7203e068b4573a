import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MemorySecretStore } from '../../../../shared/core/secrets/secret-store';
import { getFactory, listFactories, openStorage } from '../../../../shared/core/storage/registry';
import { nullLogger } from '../../../../shared/core/util/logger';

const deps = { secrets: new MemorySecretStore(), log: nullLogger };

describe('storage registry', () => {
  it('knows every provider kind once, each with fields and a schema', () => {
    const kinds = listFactories({ includeInternal: true }).map((f) => f.kind);
    expect(new Set(kinds).size).toBe(kinds.length);
    expect(kinds).toEqual(expect.arrayContaining(['local', 'memory', 's3', 'sftp', 'dropbox', 'gdrive', 'swift']));
    for (const f of listFactories({ includeInternal: true })) {
      expect(f.label).not.toBe('');
      for (const field of f.fields) expect(field.name).toMatch(/^[a-z][A-Za-z0-9]*$/);
    }
    expect(() => getFactory('ftp')).toThrow(/Unknown storage type "ftp"/);
  });

  it('hides the in-memory test double from the storage types people choose from', () => {
    const visible = listFactories().map((f) => f.kind);
    expect(visible).not.toContain('memory');
    expect(visible).toEqual(expect.arrayContaining(['local', 's3', 'sftp', 'dropbox', 'gdrive', 'swift']));
    expect(getFactory('memory').kind).toBe('memory');
  });

  it('opens a configured storage with the standard wrappers, keeping optional methods truthful', async () => {
    const p = await openStorage({ name: 'm', kind: 'memory', settings: { name: 'registry-test' }, secretScope: 'storage:x' }, deps);
    expect(p.capabilities.write).toBe(true);
    await p.write!('a.zip', Readable.from([Buffer.from('PK')]));
    expect((await p.stat('a.zip')).size).toBe(2);
    const ro = await openStorage({ name: 'r', kind: 'memory', settings: { name: 'registry-ro', readOnly: true }, secretScope: 'storage:y' }, deps);
    expect(ro.write).toBeUndefined();
    expect(ro.remove).toBeUndefined();
    let wrapped = '';
    await openStorage({ name: 'w', kind: 'memory', settings: {}, secretScope: 'storage:z' }, { ...deps, wrap: (raw, ctx) => ((wrapped = ctx.name), raw) });
    expect(wrapped).toBe('w');
  });

  it('rejects invalid settings naming the storage', async () => {
    await expect(openStorage({ name: 'nas', kind: 'local', settings: { path: 'relative/dir' }, secretScope: 'storage:q' }, deps)).rejects.toMatchObject({
      kind: 'InvalidInput',
      message: expect.stringContaining('storage "nas"'),
    });
  });
});
