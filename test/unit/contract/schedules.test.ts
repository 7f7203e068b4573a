/** The traits of a scheduled backup: one list, in the words the app's Schedules screen and `schedule list` both show. */
import { describe, expect, it } from 'vitest';
import { scheduledBackupSchema, scheduledBackupTraits } from '../../../shared/contract/schedules';

const base = { kind: 'backup', db: 'prod', source: 'odoo:main', to: ['nas'] } as const;

describe('scheduledBackupTraits', () => {
  it('says nothing of a plain zip backup', () => {
    expect(scheduledBackupTraits(scheduledBackupSchema.parse(base))).toEqual([]);
  });

  it('names every trait that sets a job apart, in a fixed order', () => {
    const w = scheduledBackupSchema.parse({
      ...base,
      format: 'dump',
      encrypt: { passphrase: true },
      attachments: 'include',
      cold: { stopCommand: 'systemctl stop odoo', startCommand: 'systemctl start odoo' },
      rotate: true,
      drillEvery: 7,
    });
    expect(scheduledBackupTraits(w)).toEqual(['pg_dump format', 'encrypted', 'with its attachments from S3/Swift', 'Odoo stopped meanwhile', 'then rotated', 'a drill every 7 backups']);
  });

  it('a zip without the filestore is "database only"; a dump never has one, so it says only its format', () => {
    expect(scheduledBackupTraits(scheduledBackupSchema.parse({ ...base, noFilestore: true }))).toEqual(['database only']);
    expect(scheduledBackupTraits(scheduledBackupSchema.parse({ ...base, format: 'dump', noFilestore: true }))).toEqual(['pg_dump format']);
  });
});
