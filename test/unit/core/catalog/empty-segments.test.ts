import { describe, expect, it } from 'vitest';
import { parseListing } from '../../../../shared/core/catalog/parse';
import type { ObjectInfo } from '../../../../shared/core/storage/provider';

const obj = (key: string, size = 100): ObjectInfo => ({ key, size, modified: new Date('2020-06-01T12:00:00Z') });

// odoo_backup_sh's key is `<Path>/<file>`: a Path with a trailing slash gives `backups//file`.
describe('parseListing with empty key segments (S3)', () => {
  it('pairs backups//mydb.<ts>.zip with its .info and names the database mydb', () => {
    const r = parseListing('s3', [obj('backups//mydb.2021-01-01_00-00-00.zip', 5000), obj('backups//mydb.2021-01-01_00-00-00.info', 120)]);
    expect(r.backups).toHaveLength(1);
    expect(r.backups[0]).toMatchObject({
      ref: 's3:backups//mydb.2021-01-01_00-00-00.zip',
      key: 'backups//mydb.2021-01-01_00-00-00.zip',
      database: 'mydb',
      convention: 'odoo-backup-sh',
      createdAt: '2021-01-01T00:00:00.000Z',
      companions: ['backups//mydb.2021-01-01_00-00-00.info'],
    });
    expect(r.backups[0]!.warnings).toBeUndefined();
    expect(r.strays).toEqual([]);
  });

  it('does not pair across "backups//" and "backups/" (different S3 keys)', () => {
    const r = parseListing('s3', [obj('backups//mydb.2021-01-01_00-00-00.zip'), obj('backups/mydb.2021-01-01_00-00-00.info')]);
    expect(r.backups.map((b) => [b.key, b.database, b.companions ?? []])).toEqual([['backups//mydb.2021-01-01_00-00-00.zip', 'mydb', []]]);
    expect(r.strays.map((s) => s.key)).toEqual(['backups/mydb.2021-01-01_00-00-00.info']);
  });

  it('parses a leading-slash key (prefix "backups" over "backups//…") as the same backup', () => {
    const r = parseListing('s3', [obj('/mydb.2021-01-01_00-00-00.zip'), obj('/mydb.2021-01-01_00-00-00.info')]);
    expect(r.backups.map((b) => [b.key, b.database, b.companions])).toEqual([['/mydb.2021-01-01_00-00-00.zip', 'mydb', ['/mydb.2021-01-01_00-00-00.info']]]);
  });
});
