import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Desk } from '../../../../shared/core/desk/open-desk';
import { MemorySecretStore } from '../../../../shared/core/secrets/secret-store';
import type { JobSnapshotDto } from '../../../../shared/contract/api';
import { startFakeOdoo } from '../../../helpers/fake-services/odoo-manager';
import { fixtureDirWith } from '../../../helpers/fixtures';
import { makeOdooBackupShPair, writeTinyZip } from '../../../helpers/gpg';

let tmp: string;
let data: string;
const NAME = 'acme_2024-01-01_00-00-00.zip';

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'bd-desk-facts-'));
  data = join(tmp, 'data');
  await mkdir(data);
  await writeTinyZip(join(data, NAME), { 'dump.sql': '-- x\n', 'manifest.json': '{"db_name":"acme","version":"16.0+e","pg_version":"15.0","modules":{"base":"16.0.1.3"}}' });
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('Desk: the catalog shows what inspect learned', () => {
  it('lists the Odoo version of a backup once it was inspected, also in a new Desk on the same home', async () => {
    const home = join(tmp, 'home');
    const desk = await Desk.open({ home, secrets: new MemorySecretStore() });
    await desk['storages:add']({ name: 'nas', kind: 'local', settings: { path: data } });
    const before = await desk['catalog:list']({});
    expect(before.backups.map((b) => [b.ref, b.odooVersion])).toEqual([[`nas:${NAME}`, undefined]]);

    const info = await desk['backups:inspect']({ source: `nas:${NAME}` });
    expect(info.odooVersion).toBe('16.0+e');
    expect((await desk['catalog:list']({})).backups[0]!.odooVersion).toBe('16.0+e');
    await desk.close();

    const again = await Desk.open({ home, secrets: new MemorySecretStore() });
    expect((await again['catalog:list']({})).backups[0]!.odooVersion).toBe('16.0+e');

    // A different backup under the same name (another size) does not inherit it.
    await writeTinyZip(join(data, NAME), { 'dump.sql': '-- a longer dump than before\n', 'manifest.json': '{"db_name":"acme"}' });
    expect((await again['catalog:list']({})).backups[0]!.odooVersion).toBeUndefined();
    await again.close();
  });

  it('does not cache local files given by path', async () => {
    const home = join(tmp, 'home2');
    const desk = await Desk.open({ home, secrets: new MemorySecretStore() });
    const file = join(tmp, 'loose.zip');
    await writeTinyZip(file, { 'dump.sql': '-- x\n', 'manifest.json': '{"version":"17.0"}' });
    expect((await desk['backups:inspect']({ source: file })).odooVersion).toBe('17.0');
    await expect(access(join(home, 'cache', 'backup-facts.json'))).rejects.toThrow();
    await desk.close();
  });
});

describe('Desk: inspect without the attachments', () => {
  const dir = fixtureDirWith('acme17_zip.zip');
  it.skipIf(!dir)('leaves out where the attachments live (the dump is not read) and keeps the rest', async () => {
    const desk = await Desk.open({ home: join(tmp, 'home-quick'), secrets: new MemorySecretStore() });
    const file = join(dir!, 'acme17_zip.zip');
    const quick = await desk['backups:inspect']({ source: file, attachments: false });
    const full = await desk['backups:inspect']({ source: file });
    expect(quick.attachments).toBeUndefined();
    expect(full.attachments?.total.count).toBeGreaterThan(0);
    const { attachments: _, ...rest } = full;
    expect(quick).toEqual(rest);
    await desk.close();
  });
});

describe('Desk: inspect of a damaged dump', () => {
  const dir = fixtureDirWith('acme_medium_dump.dump');
  it.skipIf(!dir)('says first that the backup looks damaged, not only that the attachments could not be read', async () => {
    const desk = await Desk.open({ home: join(tmp, 'home-trunc'), secrets: new MemorySecretStore() });
    const whole = await readFile(join(dir!, 'acme_medium_dump.dump'));
    const cut = join(tmp, 'cut.dump');
    await writeFile(cut, whole.subarray(0, Math.floor(whole.length / 2)));
    const r = await desk['backups:inspect']({ source: cut });
    expect(r.warnings?.some((w) => /^The backup looks damaged or incomplete: pg_restore could not read the dump's attachments: (?!pg_restore).*\. Verify it before relying on it\.$/.test(w)), JSON.stringify(r.warnings)).toBe(true);
    await desk.close();
  });
});

describe('Desk: a restore into a running Odoo uses what inspect learned about an encrypted backup', () => {
  it('refuses an inspected odoo_backup_sh backup of Odoo 16.0 for an Odoo 17.0 server, naming both, and uploads nothing', async () => {
    const fake = await startFakeOdoo({ version: '17.0', masterPassword: 'master' });
    const store = join(tmp, 'sh-store');
    await mkdir(store);
    const plain = join(tmp, 'sh-plain.zip');
    await writeTinyZip(plain, { 'dump.sql': '-- x\n', 'manifest.json': '{"db_name":"shop","version":"16.0"}' });
    await makeOdooBackupShPair(store, 'shop', plain, 'pass phrase', '2024-05-01_10-00-00');
    const desk = await Desk.open({ home: join(tmp, 'home-sh'), secrets: new MemorySecretStore() });
    try {
      await desk['storages:add']({ name: 'sh', kind: 'local', settings: { path: store } });
      await desk['odoo:add']({ name: 'prod', url: fake.url, masterPassword: 'master' });
      const ref = 'sh:shop.2024-05-01_10-00-00.zip.enc';
      expect((await desk['catalog:list']({})).backups.map((b) => [b.ref, b.odooVersion])).toEqual([[ref, undefined]]);
      expect((await desk['backups:inspect']({ source: ref, passphrase: 'pass phrase' })).odooVersion).toBe('16.0');
      const { jobId } = await desk['restore:start']({ source: ref, db: 'shop', target: { type: 'odoo', instance: 'prod' }, passphrase: 'pass phrase' });
      const job = await finished(desk, jobId);
      expect(job.state).toBe('failed');
      expect(job.error?.message).toBe('The backup is from Odoo 16.0, and prod runs Odoo 17.0: Odoo does not migrate a database on restore.');
      expect(fake.uploads).toHaveLength(0);
    } finally {
      await desk.close();
      await fake.close();
    }
  });
});

describe('Desk: a restore into a running Odoo of a backup whose attachments live in S3/Swift', () => {
  it('refuses bring-home and keep-remote (Odoo restores it as it is), asks for a choice when none was made, and restores "as is" with a warning', async () => {
    const fake = await startFakeOdoo({ version: '17.0', masterPassword: 'master' });
    const store = join(tmp, 's3-store');
    await mkdir(store);
    const sha = 'b'.repeat(40);
    const sql = attachmentsDump([['inv', `s3://odoo-prod/${sha}`, 1000]]);
    await writeTinyZip(join(store, 'shop_2024-05-01_10-00-00.zip'), { 'dump.sql': sql, 'manifest.json': '{"db_name":"shop","version":"17.0"}' });
    const desk = await Desk.open({ home: join(tmp, 'home-s3'), secrets: new MemorySecretStore() });
    try {
      await desk['storages:add']({ name: 'nas', kind: 'local', settings: { path: store } });
      await desk['odoo:add']({ name: 'prod', url: fake.url, masterPassword: 'master' });
      const ref = 'nas:shop_2024-05-01_10-00-00.zip';
      expect((await desk['backups:inspect']({ source: ref })).attachments?.selfContained).toBe(false);
      const start = async (extra: { attachments?: 'bring-home' | 'keep-remote' | 'skip' }) =>
        finished(desk, (await desk['restore:start']({ source: ref, db: 'shop', target: { type: 'odoo', instance: 'prod' }, ...extra })).jobId);
      for (const mode of ['bring-home', 'keep-remote'] as const) {
        const job = await start({ attachments: mode });
        expect(job.state).toBe('failed');
        expect(job.error?.kind).toBe('Unsupported');
        expect(job.error?.message).toMatch(/^A restore through Odoo's database manager cannot bring attachments home from S3\/Swift nor keep them read-only/);
      }
      const unchosen = await start({});
      expect(unchosen.state).toBe('failed');
      expect(unchosen.error?.message).toMatch(/^Some attachments of this backup are not in it: they live in S3\/Swift/);
      expect(fake.uploads).toHaveLength(0);
      const asIs = await start({ attachments: 'skip' });
      expect(asIs.state, JSON.stringify(asIs.error)).toBe('succeeded');
      expect((asIs.result as { warnings: string[] }).warnings.join(' ')).toMatch(/restored as it is: its attachments in S3\/Swift/);
      expect(fake.uploads).toHaveLength(1);
    } finally {
      await desk.close();
      await fake.close();
    }
  });
});

describe('Desk: a restore into a running Odoo of a backup no one inspected', () => {
  it('reads a backup on this machine for attachments kept in S3/Swift before the upload: refused without a choice, remembered for the catalog; one without them goes', async () => {
    const fake = await startFakeOdoo({ version: '17.0', masterPassword: 'master' });
    const store = join(tmp, 's3-uninspected');
    await mkdir(store);
    const sha = 'c'.repeat(40);
    const sql = attachmentsDump([['inv', `s3://odoo-prod/${sha}`, 1000], ['logo', `ab/${'a'.repeat(40)}`, 10]]);
    await writeTinyZip(join(store, 'shop_2024-05-01_10-00-00.zip'), { 'dump.sql': sql, 'manifest.json': '{"db_name":"shop","version":"17.0"}' });
    await writeTinyZip(join(store, 'plain_2024-05-01_10-00-00.zip'), { 'dump.sql': sql.replace(`s3://odoo-prod/${sha}`, `cc/${sha}`), 'manifest.json': '{"db_name":"plain","version":"17.0"}' });
    const desk = await Desk.open({ home: join(tmp, 'home-uninspected'), secrets: new MemorySecretStore() });
    try {
      await desk['storages:add']({ name: 'nas', kind: 'local', settings: { path: store } });
      await desk['odoo:add']({ name: 'prod', url: fake.url, masterPassword: 'master' });
      const ref = 'nas:shop_2024-05-01_10-00-00.zip';
      expect((await desk['catalog:list']({})).backups.find((b) => b.ref === ref)?.selfContained).toBeUndefined();
      const unchosen = await finished(desk, (await desk['restore:start']({ source: ref, db: 'shop', target: { type: 'odoo', instance: 'prod' } })).jobId);
      expect(unchosen.state).toBe('failed');
      expect(unchosen.error?.message).toMatch(/^Some attachments of this backup are not in it: they live in S3\/Swift/);
      expect(fake.uploads).toHaveLength(0);
      expect((await desk['catalog:list']({})).backups.find((b) => b.ref === ref)?.selfContained).toBe(false);
      const plain = await finished(desk, (await desk['restore:start']({ source: 'nas:plain_2024-05-01_10-00-00.zip', db: 'plain', target: { type: 'odoo', instance: 'prod' } })).jobId);
      expect(plain.state, JSON.stringify(plain.error)).toBe('succeeded');
      expect(fake.uploads).toHaveLength(1);
    } finally {
      await desk.close();
      await fake.close();
    }
  });
});

/** A dump.sql holding only `ir_attachment` rows: name, store_fname (its SHA-1 is the checksum) and size each. */
function attachmentsDump(rows: ReadonlyArray<[string, string, number]>): string {
  const lines = rows.map(([name, storeFname, size], i) => `${i + 1}\t${name}\tbinary\t${storeFname}\t${storeFname.slice(-40)}\t\\N\t${size}`);
  return ['COPY public.ir_attachment (id, name, type, store_fname, checksum, db_datas, file_size) FROM stdin;', ...lines, '\\.', ''].join('\n');
}

async function finished(desk: Desk, jobId: string): Promise<JobSnapshotDto> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const j = await desk['jobs:get']({ jobId });
    if (j.state !== 'running') return j;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still running: ${JSON.stringify(j.progress)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
