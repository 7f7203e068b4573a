/**
 * Downloads into a folder that does not exist yet: the destination's parent folders are
 * created (mkdir -p) for one-file and multi-file backups; a parent that is a file is a clear
 * `InvalidInput`, not a raw ENOENT/ENOTDIR.
 */
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Desk } from '../../../../shared/core/desk/open-desk';
import { MemorySecretStore } from '../../../../shared/core/secrets/secret-store';

let tmp: string;
let desk: Desk;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'bd-dl-mkdir-'));
  const data = join(tmp, 'data');
  await mkdir(join(data, 'click', 'filestore', 'ab'), { recursive: true });
  await writeFile(join(data, 'acme_2024-01-01_00-00-00.dump'), 'PGDMP not really a dump, but bytes to copy');
  await writeFile(join(data, 'click', 'db.dump'), 'PGDMP fake');
  await writeFile(join(data, 'click', 'manifest.json'), '{"db_name":"clicky","version":"16.0"}');
  await writeFile(join(data, 'click', 'filestore', 'ab', 'abcdef'), 'file');
  desk = await Desk.open({ home: join(tmp, 'home'), secrets: new MemorySecretStore() });
  await desk['storages:add']({ name: 'nas', kind: 'local', settings: { path: data } });
});
afterAll(async () => {
  await desk?.close();
  await rm(tmp, { recursive: true, force: true });
});

describe('download into a missing folder', () => {
  it('creates the parent folders of a one-file download', async () => {
    const out = join(tmp, 'new', 'deeper', 'acme.dump');
    const r = await desk.startDownload({ ref: 'nas:acme_2024-01-01_00-00-00.dump', out }).result;
    expect(r.path).toBe(out);
    expect(await readFile(out, 'utf8')).toBe('PGDMP not really a dump, but bytes to copy');
    expect(await readdir(join(tmp, 'new', 'deeper'))).toEqual(['acme.dump']);
  });

  it('creates the parent folders of a multi-file (folder) download', async () => {
    const out = join(tmp, 'other', 'place', 'click-copy');
    const r = await desk.startDownload({ ref: 'nas:click/', out }).result;
    expect(r.path).toBe(out);
    expect(await readFile(join(out, 'db.dump'), 'utf8')).toBe('PGDMP fake');
    expect(await readFile(join(out, 'filestore', 'ab', 'abcdef'), 'utf8')).toBe('file');
  });

  it('a parent that is a file is InvalidInput with a hint, and nothing is written', async () => {
    await writeFile(join(tmp, 'plainfile'), 'x');
    const err = await desk.startDownload({ ref: 'nas:acme_2024-01-01_00-00-00.dump', out: join(tmp, 'plainfile', 'sub', 'a.dump') }).result.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ kind: 'InvalidInput', message: expect.stringContaining('part of that path is a file'), hint: expect.any(String) });
    expect(await readFile(join(tmp, 'plainfile'), 'utf8')).toBe('x');
  });
});
