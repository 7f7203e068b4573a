import { describe, expect, it } from 'vitest';
import type { BackupEntry } from '../../../../shared/contract/api';
import { GENERIC_WARNING, MISSING_INFO_WARNING, parseListing, sortNewestFirst } from '../../../../shared/core/catalog/parse';
import type { ObjectInfo } from '../../../../shared/core/storage/provider';

const MTIME = new Date('2020-06-01T12:00:00Z');
const obj = (key: string, size = 100, modified = MTIME): ObjectInfo => ({ key, size, modified });
const byKey = <T extends { key: string }>(list: readonly T[], key: string): T => {
  const e = list.find((x) => x.key === key);
  if (!e) throw new Error(`no entry ${key} in ${list.map((x) => x.key).join(', ')}`);
  return e;
};

describe('parseListing', () => {
  it('pairs odoo_backup_sh archives with their .info, honours the ./ prefix, reports missing and orphan .info', () => {
    const r = parseListing('s3', [
      obj('./acme.2021-01-01_00-00-00.zip', 5000),
      obj('./acme.2021-01-01_00-00-00.info', 120),
      obj('./my.db.2021-02-01_00-00-00.zip.enc', 7000),
      obj('./old.2020-01-01_00-00-00.info', 100),
    ]);
    const a = byKey(r.backups, './acme.2021-01-01_00-00-00.zip') as BackupEntry;
    expect(a).toMatchObject({ ref: 's3:./acme.2021-01-01_00-00-00.zip', database: 'acme', convention: 'odoo-backup-sh', createdAt: '2021-01-01T00:00:00.000Z', companions: ['./acme.2021-01-01_00-00-00.info'], size: 5000 });
    expect(a.warnings).toBeUndefined();
    const b = byKey(r.backups, './my.db.2021-02-01_00-00-00.zip.enc') as BackupEntry;
    expect(b).toMatchObject({ database: 'my.db', encrypted: true, warnings: [MISSING_INFO_WARNING] });
    expect(byKey(r.strays, './old.2020-01-01_00-00-00.info')).toMatchObject({ ref: 's3:./old.2020-01-01_00-00-00.info', stray: 'an odoo_backup_sh .info file without its backup' });
    expect(r.wants).toEqual([{ key: './acme.2021-01-01_00-00-00.info', what: 'text' }]);
  });

  it('pairs a database-manager backup with its .sha256 (not a stray), shows its sha256, and checks name and size', () => {
    const sha = 'ab'.repeat(32);
    const objects = [
      obj('shop_2024-05-01_02-03-04.zip', 5000),
      obj('shop_2024-05-01_02-03-04.zip.sha256', 90),
      obj('shop_2024-05-02_02-03-04.dump.gpg', 7000),
      obj('shop_2024-05-02_02-03-04.dump.gpg.sha256', 90),
      obj('shop_2024-05-03_02-03-04.zip', 3000), // Odoo's own download: no checksum file, no warning
      obj('gone_2024-05-01_02-03-04.zip.sha256', 90),
      obj('notes.txt.sha256', 90),
    ];
    const first = parseListing('s', objects);
    expect(first.wants.map((w) => w.key).sort()).toEqual(['shop_2024-05-01_02-03-04.zip.sha256', 'shop_2024-05-02_02-03-04.dump.gpg.sha256']);
    const text = new Map([
      ['shop_2024-05-01_02-03-04.zip.sha256', `${sha}  shop_2024-05-01_02-03-04.zip\n# bytes: 5000\n`],
      ['shop_2024-05-02_02-03-04.dump.gpg.sha256', `${sha}  shop_2024-05-02_02-03-04.dump.gpg\n# bytes: 6999\n`],
    ]);
    const r = parseListing('s', objects, { text });
    expect(byKey(r.backups, 'shop_2024-05-01_02-03-04.zip')).toEqual(expect.objectContaining({ convention: 'odoo-manager', companions: ['shop_2024-05-01_02-03-04.zip.sha256'], sha256: sha, size: 5000 }));
    expect(byKey(r.backups, 'shop_2024-05-01_02-03-04.zip').warnings).toBeUndefined();
    expect(byKey(r.backups, 'shop_2024-05-02_02-03-04.dump.gpg')).toMatchObject({ encrypted: true, format: 'dump', warnings: ['Its .sha256 file gives a size of 6999 bytes but the object has 7000: bytes were added to it, or it was changed after the backup was made.'] });
    expect(byKey(r.backups, 'shop_2024-05-03_02-03-04.zip').warnings).toBeUndefined();
    expect(byKey(r.backups, 'shop_2024-05-03_02-03-04.zip').sha256).toBeUndefined();
    expect(r.strays.map((x) => [x.key, x.stray]).sort()).toEqual([
      ['gone_2024-05-01_02-03-04.zip.sha256', 'a checksum file (.sha256) without its backup'],
      ['notes.txt.sha256', 'not a backup (unknown file type)'],
    ]);
    const wrong = parseListing('s', objects.slice(0, 2), { text: new Map([['shop_2024-05-01_02-03-04.zip.sha256', `${sha}  other.zip\n`]]) });
    expect(wrong.backups[0]!.warnings).toEqual(['Its .sha256 file is for "other.zip", not for this backup.']);
    expect(wrong.backups[0]!.sha256).toBeUndefined();
  });

  it('shows the sha256 our .info and sidecar record', () => {
    const sha = 'cd'.repeat(32);
    const info = `[common]\ndatabase = acme\nencrypted = False\nupload_datetime = 2021-01-01_00-00-00\nbackup_size = 0.0\nstorage_service = odoo_backup_sh\nbackup_sha256 = ${sha}\nbackup_bytes = 100\n`;
    const sidecar = JSON.stringify({ format: 'backup-desk/1', database: 'acme', createdAt: '2021-01-01T00:00:00.000Z', file: 'acme_2021-01-01T00-00-00Z.zip', size: 100, sha256: sha, encrypted: false });
    const r = parseListing('s', [obj('acme.2021-01-01_00-00-00.zip'), obj('acme.2021-01-01_00-00-00.info'), obj('acme/acme_2021-01-01T00-00-00Z.zip'), obj('acme/acme_2021-01-01T00-00-00Z.json')], {
      text: new Map([
        ['acme.2021-01-01_00-00-00.info', info],
        ['acme/acme_2021-01-01T00-00-00Z.json', sidecar],
      ]),
    });
    expect(r.backups.map((b) => [b.key, b.sha256, b.warnings]).sort()).toEqual([
      ['acme.2021-01-01_00-00-00.zip', sha, undefined],
      ['acme/acme_2021-01-01T00-00-00Z.zip', sha, undefined],
    ].sort());
    const off = parseListing('s', [obj('acme.2021-01-01_00-00-00.zip', 99), obj('acme.2021-01-01_00-00-00.info')], { text: new Map([['acme.2021-01-01_00-00-00.info', info]]) });
    expect(off.backups[0]!.warnings).toEqual(['Its .info gives a size of 100 bytes but the object has 99: it may be truncated.']);
  });

  it('reads .info content when given: mismatches become warnings', () => {
    const objects = [obj('acme.2021-01-01_00-00-00.zip', 10 * 1024 * 1024), obj('acme.2021-01-01_00-00-00.info')];
    const good = '[common]\ndatabase = acme\nencrypted = False\nupload_datetime = 2021-01-01_00-00-00\nbackup_size = 10.0\nstorage_service = odoo_backup_sh\n';
    const ok = parseListing('s', objects, { text: new Map([['acme.2021-01-01_00-00-00.info', good]]) });
    expect(ok.backups[0]!.warnings).toBeUndefined();
    expect(ok.wants).toEqual([]);
    const bad = good.replace('backup_size = 10.0', 'backup_size = 20.5').replace('encrypted = False', 'encrypted = True');
    const w = parseListing('s', objects, { text: new Map([['acme.2021-01-01_00-00-00.info', bad]]) }).backups[0]!.warnings!;
    expect(w.join(' ')).toMatch(/encrypted=true/);
    expect(w.join(' ')).toMatch(/may be truncated/);
  });

  it('OCA backups take the database from their folder; at the root the database is unknown', () => {
    const r = parseListing('nas', [obj('backups/prod.v2/2023_05_06_07_08_09.dump.zip'), obj('2023_05_06_07_08_09.dump')]);
    expect(byKey(r.backups, 'backups/prod.v2/2023_05_06_07_08_09.dump.zip')).toMatchObject({ database: 'prod.v2', convention: 'oca-auto-backup', timeIsLocal: true, format: 'zip' });
    const root = byKey(r.backups, '2023_05_06_07_08_09.dump') as BackupEntry;
    expect(root.database).toBe('unknown');
    expect(root.warnings?.[0]).toMatch(/not in a folder named after its database/);
  });

  it('click-odoo folder backups: db.dump + manifest.json + filestore/ are one backup, not strays', () => {
    const r = parseListing('l', [
      obj('nightly/acme-2024/db.dump', 1000, new Date('2024-03-01T00:00:00Z')),
      obj('nightly/acme-2024/manifest.json', 300),
      obj('nightly/acme-2024/filestore/ab/abcdef', 50),
      obj('nightly/acme-2024/filestore/cd/cdef01', 70),
    ]);
    expect(r.strays).toEqual([]);
    expect(r.backups).toHaveLength(1);
    expect(r.backups[0]).toMatchObject({ key: 'nightly/acme-2024/', ref: 'l:nightly/acme-2024/', format: 'folder', convention: 'click-odoo', size: 1420, database: 'acme' });
    expect(r.backups[0]!.companions).toContain('nightly/acme-2024/filestore/');
    const withManifest = parseListing('l', [obj('x/db.dump'), obj('x/manifest.json')], { text: new Map([['x/manifest.json', '{"db_name": "real.db", "version": "16.0"}']]) });
    expect(withManifest.backups[0]).toMatchObject({ database: 'real.db', odooVersion: '16.0' });
  });

  it('plain dump + filestore/<db>/ layout, and Odoo.sh daily layout', () => {
    const r = parseListing('l', [
      obj('shop.dump.sql', 1000),
      obj('filestore/shop/ab/abc', 10),
      obj('filestore/shop/cd/cde', 20),
      obj('daily/prod_daily.sql.gz', 500),
      obj('daily/prod_daily/home/odoo/data/filestore/prod/aa/aaa', 5),
      obj('filestore/gone/ab/x', 7),
      obj('filestore/gone/ab/y', 8),
    ]);
    expect(byKey(r.backups, 'shop.dump.sql')).toMatchObject({ convention: 'pg-dump-filestore', database: 'shop', format: 'sql', size: 1030, companions: ['filestore/shop/'] });
    expect(byKey(r.backups, 'daily/prod_daily.sql.gz')).toMatchObject({ convention: 'odoo-sh', database: 'prod', size: 505, companions: ['daily/prod_daily/'] });
    // Filestore files are part of their backup; an orphan filestore is ONE stray.
    expect(r.strays).toEqual([{ ref: 'l:filestore/gone/', storage: 'l', key: 'filestore/gone/', size: 15, stray: 'a filestore folder without a database dump beside it' }]);
  });

  it('a backup that merely sits in a folder named filestore is still a backup', () => {
    const r = parseListing('l', [obj('old/filestore/acme_2024-01-01_00-00-00.zip'), obj('old/filestore/readme.txt')]);
    expect(r.backups.map((b) => b.key)).toEqual(['old/filestore/acme_2024-01-01_00-00-00.zip']);
    expect(r.strays.map((x) => x.key)).toEqual(['old/filestore/readme.txt']);
  });

  it('unknown .zip/.dump/.sql names are generic backups dated by mtime, with a warning; random files are strays', () => {
    const r = parseListing('l', [obj('weird name.zip', 10, new Date('2022-02-02T02:02:02Z')), obj('notes.txt'), obj('empty.zip', 0), obj('dl.zip.part')]);
    expect(byKey(r.backups, 'weird name.zip')).toMatchObject({ convention: 'generic', database: 'weird name', createdAt: '2022-02-02T02:02:02.000Z', warnings: [GENERIC_WARNING] });
    expect(byKey(r.strays, 'notes.txt').stray).toBe('not a backup (unknown file type)');
    expect(byKey(r.strays, 'empty.zip').stray).toBe('empty file (0 bytes)');
    expect(byKey(r.strays, 'dl.zip.part').stray).toMatch(/unfinished transfer/);
  });

  it('ambiguous names are settled by their first bytes', () => {
    const objects = [obj('a.dump'), obj('b.backup'), obj('c.dump')];
    const first = parseListing('l', objects);
    expect(first.wants.map((w) => w.key).sort()).toEqual(['a.dump', 'b.backup', 'c.dump']);
    const heads = new Map<string, Uint8Array>([
      ['a.dump', Buffer.from('PGDMP\x01\x0e')],
      ['b.backup', Buffer.from('-- PostgreSQL database dump\n')],
      ['c.dump', Buffer.from('hello world, not a dump')],
    ]);
    const r = parseListing('l', objects, { heads });
    expect(byKey(r.backups, 'a.dump')).toMatchObject({ format: 'dump' });
    expect(byKey(r.backups, 'b.backup')).toMatchObject({ format: 'sql' });
    expect(byKey(r.strays, 'c.dump').stray).toMatch(/not a backup/);
  });

  it('our own layout with sidecar; orphan sidecar is a stray; sidecar size mismatch warns', () => {
    const sidecar = JSON.stringify({ format: 'backup-desk/1', database: 'acme', createdAt: '2025-06-07T08:09:10Z', file: 'acme_2025-06-07T08-09-10Z.zip.gpg', size: 999, sha256: 'a'.repeat(64), encrypted: true, odooVersion: '17.0' });
    const r = parseListing('s', [obj('acme/acme_2025-06-07T08-09-10Z.zip.gpg', 1000), obj('acme/acme_2025-06-07T08-09-10Z.json', 300), obj('acme/acme_2025-01-01T00-00-00Z.json', 300)], {
      text: new Map([['acme/acme_2025-06-07T08-09-10Z.json', sidecar]]),
    });
    const b = byKey(r.backups, 'acme/acme_2025-06-07T08-09-10Z.zip.gpg') as BackupEntry;
    expect(b).toMatchObject({ convention: 'backup-desk', database: 'acme', encrypted: true, odooVersion: '17.0', companions: ['acme/acme_2025-06-07T08-09-10Z.json'] });
    expect(b.warnings?.[0]).toMatch(/999 bytes/);
    expect(byKey(r.strays, 'acme/acme_2025-01-01T00-00-00Z.json').stray).toMatch(/sidecar without its backup/);
  });

  it('an empty companion (0 bytes) is not read and makes a warning, in every layout', () => {
    const r = parseListing('s', [obj('acme.2021-01-01_00-00-00.zip'), obj('acme.2021-01-01_00-00-00.info', 0), obj('acme/acme_2025-06-07T08-09-10Z.zip'), obj('acme/acme_2025-06-07T08-09-10Z.json', 0), obj('acme_2024-05-01_02-03-04.dump'), obj('acme_2024-05-01_02-03-04.dump.sha256', 0)]);
    expect(r.wants).toEqual([]);
    expect(r.strays).toEqual([]);
    expect(byKey(r.backups, 'acme.2021-01-01_00-00-00.zip')).toMatchObject({ companions: ['acme.2021-01-01_00-00-00.info'], warnings: [expect.stringMatching(/^Its odoo_backup_sh .info file is empty \(0 bytes\)/)] });
    expect(byKey(r.backups, 'acme/acme_2025-06-07T08-09-10Z.zip').warnings).toEqual([expect.stringMatching(/^Its sidecar is empty/)]);
    expect(byKey(r.backups, 'acme_2024-05-01_02-03-04.dump').warnings).toEqual(['Its .sha256 file is empty (0 bytes).']);
  });

  it('two archives that share one name stem and companion (.zip and .zip.enc) both carry a warning', () => {
    const r = parseListing('s', [obj('acme.2021-01-01_00-00-00.zip'), obj('acme.2021-01-01_00-00-00.zip.enc'), obj('acme.2021-01-01_00-00-00.info'), obj('acme/acme_2025-06-07T08-09-10Z.zip'), obj('acme/acme_2025-06-07T08-09-10Z.zip.gpg')]);
    const zip = byKey(r.backups, 'acme.2021-01-01_00-00-00.zip');
    const enc = byKey(r.backups, 'acme.2021-01-01_00-00-00.zip.enc');
    expect([zip.companions, enc.companions].filter(Boolean)).toEqual([['acme.2021-01-01_00-00-00.info']]);
    const twins = 'Another archive has the same name but for its suffix (acme.2021-01-01_00-00-00.zip, acme.2021-01-01_00-00-00.zip.enc): which one the companion belongs to is unclear (odoo_backup_sh ignores both), and rotation leaves them alone.';
    expect(zip.warnings?.[0]).toBe(twins);
    expect(enc.warnings?.[0]).toBe(twins);
    for (const k of ['acme/acme_2025-06-07T08-09-10Z.zip', 'acme/acme_2025-06-07T08-09-10Z.zip.gpg']) expect(byKey(r.backups, k).warnings?.[0]).toMatch(/^Another archive has the same name but for its suffix \(.*\): which one the companion belongs to is unclear, and rotation/);
  });

  it('sorts newest first', () => {
    const r = parseListing('l', [obj('a_2020-01-01_00-00-00.zip'), obj('a_2022-01-01_00-00-00.zip'), obj('a_2021-01-01_00-00-00.zip')]);
    expect(sortNewestFirst(r.backups).map((b) => b.createdAt.slice(0, 4))).toEqual(['2022', '2021', '2020']);
  });
});
