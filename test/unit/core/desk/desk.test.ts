import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_METHOD_NAMES, apiMethods } from '../../../../shared/contract/api';
import type { MultiPartBackup } from '../../../../shared/core/archive/source';
import { Desk } from '../../../../shared/core/desk/open-desk';
import { APP_VERSION } from '../../../../shared/core/desk/version';
import { MemorySecretStore } from '../../../../shared/core/secrets/secret-store';
import { writeTinyZip } from '../../../helpers/gpg';

let tmp: string;
let data: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'bd-desk-'));
  data = join(tmp, 'data');
  await mkdir(join(data, 'click', 'filestore', 'ab'), { recursive: true });
  await writeFile(join(data, 'click', 'db.dump'), 'PGDMP fake');
  await writeFile(join(data, 'click', 'manifest.json'), '{"db_name":"clicky","version":"16.0"}');
  await writeFile(join(data, 'click', 'filestore', 'ab', 'abcdef'), 'file');
  await mkdir(join(data, 'filestore', 'plain', 'cd'), { recursive: true });
  await writeFile(join(data, 'plain.dump.sql'), '-- sql');
  await writeFile(join(data, 'filestore', 'plain', 'cd', 'cdef'), 'f2');
  await writeTinyZip(join(data, 'acme_2024-01-01_00-00-00.zip'), { 'dump.sql': '-- x', 'manifest.json': '{}' });
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const newDesk = async (secrets = new MemorySecretStore()) => ({ desk: await Desk.open({ home: await mkdtemp(join(tmp, 'home-')), secrets }), secrets });

describe('Desk', () => {
  it('implements every contract method', async () => {
    const { desk } = await newDesk();
    for (const m of API_METHOD_NAMES) expect(typeof (desk as unknown as Record<string, unknown>)[m]).toBe('function');
    const info = await desk['app:info']({});
    expect(apiMethods['app:info'].result.parse(info)).toMatchObject({ version: APP_VERSION, secretsBackend: 'memory' });
    const pkg = JSON.parse(await readFile(join(__dirname, '../../../../package.json'), 'utf8')) as { version: string };
    expect(APP_VERSION).toBe(pkg.version);
    const kinds = await desk['storages:kinds']({});
    expect(apiMethods['storages:kinds'].result.parse(kinds).map((k) => k.kind)).toContain('local');
  });

  it('refuses a corrupt config at open, naming the file', async () => {
    const home = await mkdtemp(join(tmp, 'home-'));
    await writeFile(join(home, 'config.json'), '{nope');
    await expect(Desk.open({ home, secrets: new MemorySecretStore() })).rejects.toThrow(join(home, 'config.json'));
  });

  it('adds, lists and removes storages; secrets go to the secret store, never to config.json', async () => {
    const { desk, secrets } = await newDesk();
    await desk['storages:add']({ name: 'nas', kind: 'local', settings: { path: data } });
    await expect(desk['storages:add']({ name: 'nas', kind: 'local', settings: { path: data } })).rejects.toMatchObject({ kind: 'Conflict' });
    await expect(desk['storages:add']({ name: 'x', kind: 'local', settings: { path: join(tmp, 'missing') } })).rejects.toMatchObject({ kind: 'InvalidInput' });
    await expect(desk['storages:add']({ name: 'x', kind: 'martian', settings: {} })).rejects.toMatchObject({ kind: 'InvalidInput', hint: expect.stringContaining('local') });
    await expect(desk['storages:add']({ name: 'bad name', kind: 'local', settings: { path: data } })).rejects.toThrow();

    const s3 = { name: 'cloud', kind: 's3', settings: { bucket: 'backups', region: 'eu-west-1', accessKeyId: 'AKIDEXAMPLE' } };
    await expect(desk['storages:add']({ ...s3, secrets: {} })).rejects.toMatchObject({ kind: 'InvalidInput', message: 'S3-compatible storages need the secret "secretAccessKey".' });
    await expect(desk['storages:add']({ ...s3, settings: { ...s3.settings, bucket: '' }, secrets: { secretAccessKey: 'x' } })).rejects.toMatchObject({ kind: 'InvalidInput', message: expect.stringMatching(/^Invalid S3-compatible storage settings: Bucket: [^;]*[^.]\.$/), details: { cliHint: expect.stringContaining('--force-path-style') } });
    await expect(desk['storages:add']({ ...s3, settings: { ...s3.settings, secretAccessKey: 'x' } })).rejects.toMatchObject({ kind: 'InvalidInput' });
    const added = await desk['storages:add']({ ...s3, secrets: { secretAccessKey: 'TOP-SECRET-VALUE' } });
    expect(added).toMatchObject({ name: 'cloud', kind: 's3', status: 'ok' });
    const text = await readFile(join(desk.home, 'config.json'), 'utf8');
    expect(text).not.toContain('TOP-SECRET-VALUE');
    const entry = (await desk.storageEntries()).find((e) => e.name === 'cloud')!;
    expect(await secrets.get(entry.secretScope, 'secretAccessKey')).toBe('TOP-SECRET-VALUE');
    await secrets.deleteScope(entry.secretScope);
    expect((await desk['storages:list']({})).find((s) => s.name === 'cloud')?.status).toBe('needs-secret');
    await secrets.set(entry.secretScope, 'secretAccessKey', 'again');
    await desk['storages:remove']({ name: 'cloud' });
    expect(await secrets.get(entry.secretScope, 'secretAccessKey')).toBeUndefined();
    await expect(desk['storages:remove']({ name: 'cloud' })).rejects.toMatchObject({ kind: 'NotFound' });
    expect((await desk['storages:list']({})).map((s) => s.name)).toEqual(['nas']);
  });

  it('lists the catalog, reporting a storage that fails while the others show', async () => {
    const { desk } = await newDesk();
    const gone = join(tmp, 'gone');
    await mkdir(gone);
    await desk['storages:add']({ name: 'nas', kind: 'local', settings: { path: data } });
    await desk['storages:add']({ name: 'gone', kind: 'local', settings: { path: gone } });
    await rm(gone, { recursive: true });
    const cat = apiMethods['catalog:list'].result.parse(await desk['catalog:list']({ includeStrays: true }));
    expect(cat.backups.map((b) => [b.ref, b.convention, b.database])).toEqual(
      expect.arrayContaining([
        ['nas:click/', 'click-odoo', 'clicky'],
        ['nas:plain.dump.sql', 'pg-dump-filestore', 'plain'],
        ['nas:acme_2024-01-01_00-00-00.zip', 'odoo-manager', 'acme'],
      ]),
    );
    expect(cat.strays).toEqual([]);
    expect(cat.failures).toEqual([{ storage: 'gone', error: expect.objectContaining({ kind: 'NotFound', message: expect.stringContaining('does not exist') }) }]);
    await expect(desk['catalog:list']({ storages: ['nope'] })).rejects.toMatchObject({ kind: 'NotFound' });
  });

  it('resolves refs and paths to sources, including multi-part layouts', async () => {
    const { desk } = await newDesk();
    await desk['storages:add']({ name: 'nas', kind: 'local', settings: { path: data } });
    const click = (await desk.resolveSource('nas:click/')) as MultiPartBackup;
    expect(click.kind).toBe('multipart');
    expect(click.dump.name).toBe('db.dump');
    expect(click.manifest?.name).toBe('manifest.json');
    const files: string[] = [];
    for await (const f of click.filestore!.list()) files.push(f.path);
    expect(files).toEqual(['ab/abcdef']);
    const plain = (await desk.resolveSource('nas:plain.dump.sql')) as MultiPartBackup;
    expect(plain.kind).toBe('multipart');
    const pfiles: string[] = [];
    for await (const f of plain.filestore!.list()) pfiles.push(f.path);
    expect(pfiles).toEqual(['cd/cdef']);
    const folder = (await desk.resolveSource(join(data, 'click'))) as MultiPartBackup;
    expect(folder.kind).toBe('multipart');
    const file = await desk.resolveSource(join(data, 'acme_2024-01-01_00-00-00.zip'));
    expect('kind' in file).toBe(false);
    await expect(desk.resolveSource('nas:nothing.zip')).rejects.toMatchObject({ kind: 'NotFound' });
    await expect(desk.resolveSource('elsewhere:x.zip')).rejects.toMatchObject({ kind: 'NotFound', message: expect.stringContaining('neither a file nor a ref') });
  });

  it('tests a storage: list, write, read back, delete', async () => {
    const { desk } = await newDesk();
    await desk['storages:add']({ name: 'nas', kind: 'local', settings: { path: data } });
    const r = await desk['storages:test']({ name: 'nas' });
    expect(r.ok).toBe(true);
    expect(r.checks.map((c) => c.name)).toEqual(['open', 'list', 'write', 'read', 'delete']);
    await desk['storages:add']({ name: 'ro', kind: 'memory', settings: { name: 'ro-test', readOnly: true } });
    const ro = await desk['storages:test']({ name: 'ro' });
    expect(ro.ok).toBe(false);
    expect(ro.checks.find((c) => c.name === 'write')?.message).toMatch(/read-only/);
  });

  it('runs downloads as jobs that can be watched and cancelled', async () => {
    const { desk } = await newDesk();
    await desk['storages:add']({ name: 'nas', kind: 'local', settings: { path: data } });
    const out = await mkdtemp(join(tmp, 'out-'));
    const { jobId } = await desk['download:start']({ ref: 'nas:acme_2024-01-01_00-00-00.zip', out });
    await new Promise<void>((res) => desk.jobs.on('done', (s) => s.id === jobId && res()));
    const snap = apiMethods['jobs:get'].result.parse(await desk['jobs:get']({ jobId }));
    expect(snap).toMatchObject({ kind: 'download', state: 'succeeded' });
    expect((await desk['jobs:list']({})).map((j) => j.id)).toContain(jobId);
    const bad = await desk['download:start']({ ref: 'nas:acme_2024-01-01_00-00-00.zip', out });
    await new Promise<void>((res) => desk.jobs.on('done', (s) => s.id === bad.jobId && res()));
    expect(await desk['jobs:get']({ jobId: bad.jobId })).toMatchObject({ state: 'failed', error: { kind: 'Conflict' } });
    expect(await desk['jobs:cancel']({ jobId: bad.jobId })).toEqual({ cancelled: false });
    await expect(desk['jobs:get']({ jobId: 'nope' })).rejects.toMatchObject({ kind: 'NotFound' });
    await expect(desk['download:start']({ ref: 'nas:x.zip.gpg', out, decrypt: true })).rejects.toMatchObject({ kind: 'InvalidInput' });
    await desk.close();
  });

  it('downloads multi-file backups as a folder, complete or not at all', async () => {
    const { desk } = await newDesk();
    await desk['storages:add']({ name: 'nas', kind: 'local', settings: { path: data } });
    const out = await mkdtemp(join(tmp, 'out-'));
    const click = await desk.startDownload({ ref: 'nas:click/', out }).result;
    expect(click.path).toBe(join(out, 'click'));
    expect(await readFile(join(out, 'click', 'filestore', 'ab', 'abcdef'), 'utf8')).toBe('file');
    expect(await readFile(join(out, 'click', 'manifest.json'), 'utf8')).toContain('clicky');
    const plain = await desk.startDownload({ ref: 'nas:plain.dump.sql', out }).result;
    expect(plain.path).toBe(join(out, 'plain'));
    expect(await readFile(join(out, 'plain', 'filestore', 'plain', 'cd', 'cdef'), 'utf8')).toBe('f2');
    expect(await readFile(join(out, 'plain', 'plain.dump.sql'), 'utf8')).toBe('-- sql');
    await expect(desk.startDownload({ ref: 'nas:click/', out }).result).rejects.toMatchObject({ kind: 'Conflict' });
    expect((await readdir(out)).sort()).toEqual(['click', 'plain']);
  });

  it('refuses a storage that repeats one: a name that differs only in case, or the same folder (its backups would be listed twice)', async () => {
    const { desk } = await newDesk();
    await desk['storages:add']({ name: 'nas', kind: 'local', settings: { path: data } });
    await expect(desk['storages:add']({ name: 'NAS', kind: 'local', settings: { path: await mkdtemp(join(tmp, 'other-')) } })).rejects.toMatchObject({
      kind: 'Conflict',
      message: 'A storage named "nas" already exists; names that differ only in case are not told apart.',
    });
    await expect(desk['storages:add']({ name: 'again', kind: 'local', settings: { path: `${data}/` } })).rejects.toMatchObject({
      kind: 'Conflict',
      message: `Storage "nas" is that place already (${data}): its backups would all be listed twice.`,
      hint: 'Use the storage "nas", or remove it first.',
    });
    await desk['storages:add']({ name: 'other', kind: 'local', settings: { path: await mkdtemp(join(tmp, 'other-')) } });
    expect((await desk['storages:list']({})).map((x) => x.name).sort()).toEqual(['nas', 'other']);
  });

  it("refuses a destination the app cannot mean: a relative path (the server's own folder) or one in a folder that does not exist (created nothing)", async () => {
    const { desk } = await newDesk();
    await desk['storages:add']({ name: 'nas', kind: 'local', settings: { path: data } });
    const ref = 'nas:acme_2024-01-01_00-00-00.zip';
    for (const call of ['download:check-destination', 'download:start'] as const) {
      await expect(desk[call]({ ref, out: 'rel.zip' })).rejects.toMatchObject({ kind: 'InvalidInput', message: '"rel.zip" is not a full path.', hint: expect.stringMatching(/Downloads\/rel\.zip/) });
      const missing = join(tmp, 'no-such-folder', 'deeper', 'x.zip');
      await expect(desk[call]({ ref, out: missing })).rejects.toMatchObject({ kind: 'InvalidInput', message: `The folder ${join(tmp, 'no-such-folder', 'deeper')} does not exist.` });
    }
    expect(existsSync(join(tmp, 'no-such-folder'))).toBe(false);
    expect(existsSync(join(process.cwd(), 'rel.zip'))).toBe(false);
    // The app's own downloads folder, its dialog's default, is made by the first download.
    const first = join(desk.home, 'downloads', 'acme_2024-01-01_00-00-00.zip');
    expect(await desk['download:check-destination']({ ref, out: first })).toEqual({ path: first, replaceable: false });
    const { jobId } = await desk['download:start']({ ref, out: first });
    await new Promise<void>((res) => desk.jobs.on('done', (snap) => snap.id === jobId && res()));
    expect(desk.jobs.get(jobId)!.state).toBe('succeeded');
    expect(existsSync(first)).toBe(true);
  });

  it('says what is at a destination before downloading, and replaces it only with overwrite (same kind only)', async () => {
    const { desk } = await newDesk();
    await desk['storages:add']({ name: 'nas', kind: 'local', settings: { path: data } });
    const out = await mkdtemp(join(tmp, 'out-'));
    const ref = 'nas:acme_2024-01-01_00-00-00.zip';
    const file = join(out, 'acme_2024-01-01_00-00-00.zip');
    expect(await desk['download:check-destination']({ ref, out })).toEqual({ path: file, replaceable: false });
    await writeFile(file, 'old');
    expect(await desk['download:check-destination']({ ref, out })).toEqual({ path: file, existing: 'file', replaceable: true });
    const refused = desk.startDownload({ ref, out }).result;
    await expect(refused).rejects.toMatchObject({ kind: 'Conflict', hint: expect.not.stringContaining('--out') });
    await desk.startDownload({ ref, out, overwrite: true }).result;
    expect((await readFile(file)).subarray(0, 2).toString('latin1')).toBe('PK');
    // A file never replaces a folder, nor a folder a file.
    const out2 = await mkdtemp(join(tmp, 'out-'));
    await mkdir(join(out2, 'acme_2024-01-01_00-00-00.zip'));
    expect(await desk['download:check-destination']({ ref, out: out2 })).toEqual({ path: join(out2, 'acme_2024-01-01_00-00-00.zip'), existing: 'folder', replaceable: false });
    await expect(desk.startDownload({ ref, out: out2, overwrite: true }).result).rejects.toMatchObject({ kind: 'Conflict' });
    await writeFile(join(out, 'click'), 'a file');
    expect(await desk['download:check-destination']({ ref: 'nas:click/', out })).toEqual({ path: join(out, 'click'), existing: 'file', replaceable: false });
    await expect(desk.startDownload({ ref: 'nas:click/', out, overwrite: true }).result).rejects.toMatchObject({ kind: 'Conflict' });
    await rm(join(out, 'click'));
    await mkdir(join(out, 'click'));
    await writeFile(join(out, 'click', 'stale'), 'x');
    expect(await desk['download:check-destination']({ ref: 'nas:click/', out })).toMatchObject({ existing: 'folder', replaceable: true });
    await desk.startDownload({ ref: 'nas:click/', out, overwrite: true }).result;
    expect((await readdir(join(out, 'click'))).sort()).toEqual(['db.dump', 'filestore', 'manifest.json']);
    expect((await readdir(out)).sort()).toEqual(['acme_2024-01-01_00-00-00.zip', 'click']);
    await desk.close();
  });
});
