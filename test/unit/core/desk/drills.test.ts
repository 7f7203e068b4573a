/** The name a drill records for a backup the catalog could not name. */
import { describe, expect, it } from 'vitest';
import { databaseFromName } from '../../../../shared/core/desk/drills';

describe('databaseFromName', () => {
  it('is the catalog\'s guess from the file name (no backup extensions, no date stamps), not "odoo"', () => {
    expect(databaseFromName('nas:acme17_zip.zip')).toBe('acme17_zip');
    expect(databaseFromName('nas:dir/acme_2024-03-01.zip.gpg')).toBe('acme');
    expect(databaseFromName('nas:dir/acme_1709251200.dump')).toBe('acme');
    expect(databaseFromName('/tmp/x/shop backup.dump.gpg')).toBe('shop_backup');
    expect(databaseFromName('/srv/prod.sql.gz')).toBe('prod');
  });

  it('falls back to "odoo" when nothing of the name is left', () => {
    expect(databaseFromName('nas:2024-03-01.zip')).toBe('odoo');
    expect(databaseFromName('nas:___.dump')).toBe('odoo');
  });
});
