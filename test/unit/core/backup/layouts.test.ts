import { describe, expect, it } from 'vitest';
import { classifyName, parseInfoFile, parseSidecar } from '../../../../shared/core/catalog';
import { parseChecksumFile } from '../../../../shared/core/catalog/checksum-file';
import { companionText, dashStamp, infoFileText, layoutKeys, ownStamp, pythonFloatRepr } from '../../../../shared/core/backup/layouts';

const time = new Date('2024-05-01T02:03:04.567Z');

describe('layouts', () => {
  it("names backups as odoo_backup_sh, Odoo's manager and Backup Desk do, and the catalog reads the names back", () => {
    const sh = layoutKeys('odoo-backup-sh', { db: 'my.db_x', time, format: 'zip', encrypted: true });
    expect(sh).toEqual({ archive: 'my.db_x.2024-05-01_02-03-04.zip.enc', companion: 'my.db_x.2024-05-01_02-03-04.info' });
    expect(classifyName(sh.archive)).toMatchObject({ role: 'backup', convention: 'odoo-backup-sh', database: 'my.db_x', encrypted: true, time: new Date('2024-05-01T02:03:04Z') });
    expect(classifyName(sh.companion!)).toMatchObject({ role: 'info', convention: 'odoo-backup-sh' });
    const mgr = layoutKeys('odoo-manager', { db: 'prod_db', time, format: 'dump', encrypted: false });
    expect(mgr).toEqual({ archive: 'prod_db_2024-05-01_02-03-04.dump', companion: 'prod_db_2024-05-01_02-03-04.dump.sha256' });
    expect(classifyName(mgr.archive)).toMatchObject({ convention: 'odoo-manager', database: 'prod_db', format: 'dump' });
    expect(classifyName(mgr.companion!)).toEqual({ role: 'checksum', convention: 'odoo-manager', pairStem: mgr.archive });
    expect(layoutKeys('odoo-manager', { db: 'p', time, format: 'zip', encrypted: true }).companion).toBe('p_2024-05-01_02-03-04.zip.gpg.sha256');
    const own = layoutKeys('backup-desk', { db: 'prod', time, format: 'zip', encrypted: true });
    expect(own).toEqual({ archive: 'prod/prod_2024-05-01T02-03-04Z.zip.gpg', companion: 'prod/prod_2024-05-01T02-03-04Z.json' });
    expect(classifyName('prod_2024-05-01T02-03-04Z.zip.gpg')).toMatchObject({ convention: 'backup-desk', database: 'prod', encrypted: true });
  });

  it('refuses a dump in the odoo_backup_sh layout (the module stores zips only)', () => {
    expect(() => layoutKeys('odoo-backup-sh', { db: 'x', time, format: 'dump', encrypted: false })).toThrow(/zip backups only/);
  });

  it('formats stamps in UTC', () => {
    expect(dashStamp(time)).toBe('2024-05-01_02-03-04');
    expect(ownStamp(time)).toBe('2024-05-01T02-03-04Z');
  });

  it("writes backup_size like Python's repr(float)", () => {
    expect(pythonFloatRepr(2)).toBe('2.0');
    expect(pythonFloatRepr(1234567 / 1024 / 1024)).toBe('1.1773748397827148');
    expect(pythonFloatRepr(100 / 1024 / 1024)).toBe('9.5367431640625e-05');
    expect(pythonFloatRepr(0)).toBe('0.0');
  });

  it('writes the .info with exactly odoo_backup_sh’s fields in its order, then sha256 and bytes', () => {
    const text = infoFileText({ db: 'prod', time, format: 'zip', encrypted: false, size: 5 * 1024 * 1024, sha256: 'ab'.repeat(32), storageKind: 'dropbox' });
    expect(text).toBe(['[common]', 'database = prod', 'encrypted = False', 'upload_datetime = 2024-05-01_02-03-04', 'backup_size = 5.0', 'storage_service = dropbox', `backup_sha256 = ${'ab'.repeat(32)}`, 'backup_bytes = 5242880', ''].join('\n'));
    expect(parseInfoFile(text)).toEqual({ database: 'prod', encrypted: false, uploadDatetime: '2024-05-01_02-03-04', sizeBytes: 5242880, storageService: 'dropbox', sha256: 'ab'.repeat(32), bytes: 5242880 });
    expect(infoFileText({ db: 'p', time, format: 'zip', encrypted: true, size: 1, sha256: '0'.repeat(64), storageKind: 'gdrive' })).toContain('storage_service = google_drive\n');
    expect(infoFileText({ db: 'p', time, format: 'zip', encrypted: true, size: 1, sha256: '0'.repeat(64), storageKind: 'sftp' })).toContain('encrypted = True\n');
  });

  it('writes a sidecar the catalog accepts, and a sha256sum-format checksum file in the manager layout', () => {
    const keys = layoutKeys('backup-desk', { db: 'prod', time, format: 'zip', encrypted: false });
    const sc = parseSidecar(companionText('backup-desk', keys, { db: 'prod', time, format: 'zip', encrypted: false, size: 10, sha256: 'c'.repeat(64), storageKind: 'local', odooVersion: '16.0' })!);
    expect(sc).toEqual({ format: 'backup-desk/1', database: 'prod', createdAt: '2024-05-01T02:03:04.567Z', file: 'prod_2024-05-01T02-03-04Z.zip', size: 10, sha256: 'c'.repeat(64), encrypted: false, odooVersion: '16.0' });
    const text = companionText('odoo-manager', layoutKeys('odoo-manager', { db: 'p', time, format: 'zip', encrypted: false }), { db: 'p', time, format: 'zip', encrypted: false, size: 1, sha256: '0'.repeat(64), storageKind: 'local' });
    expect(text).toBe(`${'0'.repeat(64)}  p_2024-05-01_02-03-04.zip\n# bytes: 1\n`);
    expect(parseChecksumFile(text!)).toEqual({ sha256: '0'.repeat(64), file: 'p_2024-05-01_02-03-04.zip', size: 1 });
  });
});
