/** What a backup through a running Odoo (odoo:INSTANCE) cannot honour: the one rule the CLI, the schedules and the app word their own way. */
import { describe, expect, it } from 'vitest';
import { odooSourceConflicts } from '../../../../shared/core/backup';

describe('odooSourceConflicts', () => {
  it('names stopping Odoo, a data dir and a zip without its filestore, in that order; a dump without filestore is fine', () => {
    expect(odooSourceConflicts({})).toEqual([]);
    expect(odooSourceConflicts({ format: 'dump', noFilestore: true })).toEqual([]);
    expect(odooSourceConflicts({ noFilestore: true })).toEqual(['no-filestore']);
    expect(odooSourceConflicts({ format: 'zip', noFilestore: true, dataDir: '/var/lib/odoo', cold: { stopCommand: 'systemctl stop odoo' } })).toEqual(['cold', 'data-dir', 'no-filestore']);
    expect(odooSourceConflicts({ cold: false, dataDir: '' })).toEqual([]);
  });
});
