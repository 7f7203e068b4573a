/** The name a drill records for a backup the catalog could not name. */
import { describe, expect, it } from 'vitest';
import { databaseFromName } from '../../../../shared/core/desk/drills';

describe('databaseFromName', () => {
  it('is the file name without the backup extensions, not "odoo"', () => {
    expect(databaseFromName('nas:acme17_zip.zip')).toBe('acme17_zip');
    expect(databaseFromName('nas:dir/acme_2024.zip.enc')).toBe('acme_2024');
    expect(databaseFromName('/tmp/x/shop backup.dump.gpg')).toBe('shop_backup');
    expect(databaseFromName('/srv/prod.sql.gz')).toBe('prod');
  });

  it('falls back to "odoo" for a name that cannot start a database name', () => {
    expect(databaseFromName('nas:.hidden.zip')).toBe('odoo');
  });
});
