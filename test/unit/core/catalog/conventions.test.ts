import { describe, expect, it } from 'vitest';
import { classifyName, guessDatabase, stripEncryption, utcDate } from '../../../../shared/core/catalog/conventions';

const backup = (name: string) => {
  const c = classifyName(name);
  if (c.role !== 'backup') throw new Error(`${name} classified as ${c.role}`);
  return { ...c, time: c.time?.toISOString() };
};

describe('classifyName', () => {
  it('Odoo database manager: <db>_<YYYY-MM-DD_HH-MM-SS>.zip|.dump, UTC, db with underscores and dots', () => {
    expect(backup('acme_2024-01-02_03-04-05.zip')).toMatchObject({ convention: 'odoo-manager', database: 'acme', time: '2024-01-02T03:04:05.000Z', format: 'zip', encrypted: false, timeIsLocal: false });
    expect(backup('my_shop_prod_2024-12-31_23-59-58.dump')).toMatchObject({ convention: 'odoo-manager', database: 'my_shop_prod', format: 'dump' });
    expect(backup('acme.v16_2024-01-02_03-04-05.zip')).toMatchObject({ convention: 'odoo-manager', database: 'acme.v16' });
    expect(backup('a_2024-01-02_03-04-05_2024-02-03_04-05-06.zip')).toMatchObject({ database: 'a_2024-01-02_03-04-05', time: '2024-02-03T04:05:06.000Z' });
  });

  it('odoo_backup_sh: <db>.<ts>.zip[.enc] (UTC) and its .info companion; dotted db names', () => {
    expect(backup('my.db.name.2021-03-04_05-06-07.zip')).toMatchObject({ convention: 'odoo-backup-sh', database: 'my.db.name', time: '2021-03-04T05:06:07.000Z', encrypted: false, pairStem: 'my.db.name.2021-03-04_05-06-07' });
    expect(backup('prod_db.2021-03-04_05-06-07.zip.enc')).toMatchObject({ convention: 'odoo-backup-sh', database: 'prod_db', encrypted: true, pairStem: 'prod_db.2021-03-04_05-06-07' });
    expect(classifyName('my.db.name.2021-03-04_05-06-07.info')).toEqual({ role: 'info', convention: 'odoo-backup-sh', pairStem: 'my.db.name.2021-03-04_05-06-07' });
  });

  it('OCA auto_backup: <YYYY_MM_DD_HH_MM_SS>.dump.zip|.dump, local time, no database', () => {
    expect(backup('2023_05_06_07_08_09.dump.zip')).toMatchObject({ convention: 'oca-auto-backup', database: undefined, time: '2023-05-06T07:08:09.000Z', timeIsLocal: true, format: 'zip' });
    expect(backup('2023_05_06_07_08_09.dump')).toMatchObject({ convention: 'oca-auto-backup', format: 'dump', timeIsLocal: true });
  });

  it('Yenthe auto_backup: year-first and master day-first, local time, db with underscores', () => {
    expect(backup('2023_05_06_07_08_09_my_db.zip')).toMatchObject({ convention: 'yenthe-auto-backup', database: 'my_db', time: '2023-05-06T07:08:09.000Z', timeIsLocal: true, format: 'zip' });
    expect(backup('06_05_2023_07_08_09_my.db.dump')).toMatchObject({ convention: 'yenthe-auto-backup', database: 'my.db', time: '2023-05-06T07:08:09.000Z', format: 'dump' });
  });

  it('our own layout <db>_<YYYY-MM-DDTHH-MM-SSZ>.zip[.gpg] + .json sidecar', () => {
    expect(backup('acme_2025-06-07T08-09-10Z.zip.gpg')).toMatchObject({ convention: 'backup-desk', database: 'acme', time: '2025-06-07T08:09:10.000Z', encrypted: true, pairStem: 'acme_2025-06-07T08-09-10Z' });
    expect(classifyName('acme_2025-06-07T08-09-10Z.json')).toEqual({ role: 'sidecar', convention: 'backup-desk', pairStem: 'acme_2025-06-07T08-09-10Z' });
  });

  it('plain SQL layouts and Odoo.sh', () => {
    expect(backup('shop.dump.sql')).toMatchObject({ convention: 'pg-dump-filestore', database: 'shop', format: 'sql' });
    expect(backup('shop_daily.sql.gz')).toMatchObject({ convention: 'odoo-sh', database: 'shop', format: 'sql' });
    expect(backup('shop.sql.gz')).toMatchObject({ convention: 'generic', database: 'shop', format: 'sql' });
  });

  it('OpenPGP suffixes mean encrypted, on any convention', () => {
    for (const suf of ['.gpg', '.pgp', '.asc', '.enc']) {
      expect(backup(`acme_2024-01-02_03-04-05.zip${suf}`)).toMatchObject({ convention: 'odoo-manager', encrypted: true });
    }
    expect(stripEncryption('x.zip.GPG')).toEqual({ name: 'x.zip', encrypted: true, suffix: 'gpg' });
  });

  it('generic names: database guessed, no time (mtime is used)', () => {
    expect(backup('mydb-1700000000.zip')).toMatchObject({ convention: 'generic', database: 'mydb', time: undefined });
    expect(backup('backup_mydb_2024-01-02.dump')).toMatchObject({ convention: 'generic', database: 'backup_mydb', format: 'dump', ambiguous: true });
  });

  it('invalid timestamps are flagged, not trusted', () => {
    expect(backup('acme_2024-02-30_03-04-05.zip')).toMatchObject({ convention: 'odoo-manager', badTimestamp: true, time: undefined });
    expect(utcDate(2024, 13, 1, 0, 0, 0)).toBeUndefined();
  });

  it('non-backups get a reason', () => {
    expect(classifyName('README.txt')).toEqual({ role: 'none', reason: 'not a backup (unknown file type)' });
    expect(classifyName('random.info')).toMatchObject({ role: 'none' });
    expect(classifyName('acme.zip.part')).toEqual({ role: 'none', reason: 'an unfinished transfer (temporary file)' });
  });

  it('guessDatabase strips dates, times and epochs', () => {
    expect(guessDatabase('prod-2024-01-02T03-04.zip')).toBe('prod');
    expect(guessDatabase('2024-01-02.zip')).toBeUndefined();
    expect(guessDatabase('odoo.prod.sql.gz')).toBe('odoo.prod');
  });
});
