import { describe, expect, it } from 'vitest';
import { MISSING_LISTED, verifyFilestore } from '../../../../shared/core/backup/verify';

describe('verifyFilestore', () => {
  it('is complete when every referenced file was archived (extra archived files are fine)', () => {
    const v = verifyFilestore(new Set(['ab/ab1', 'cd/cd2']), new Set(['ab/ab1', 'cd/cd2', 'checklist/ab/ab1', 'ef/orphan']));
    expect(v).toMatchObject({ status: 'complete', referenced: 2, archived: 4, missingCount: 0, missing: [] });
  });

  it('names the missing files, sorted, at most MISSING_LISTED of them', () => {
    const referenced = new Set(Array.from({ length: 150 }, (_, i) => `zz/${String(i).padStart(3, '0')}`));
    const v = verifyFilestore(referenced, new Set(['zz/000']));
    expect(v.status).toBe('missing-files');
    expect(v.missingCount).toBe(149);
    expect(v.missing).toHaveLength(MISSING_LISTED);
    expect(v.missing[0]).toBe('zz/001');
    expect(v.message).toMatch(/149 of the 150 files/);
  });

  it('tells the objects kept in S3/Swift (not held: not self-contained) apart from files missing from the filestore', () => {
    const sha = 'c'.repeat(40);
    const v = verifyFilestore(new Set(['ab/ab1', `s3://odoo-attach/${sha}`, 'cd/cd2']), new Set(['ab/ab1']));
    expect(v).toMatchObject({ status: 'missing-files', missingCount: 2, missing: ['cd/cd2', `s3://odoo-attach/${sha}`] });
    expect(v.message).toBe(
      '1 of the 3 files the database references are missing from the filestore, so from the backup: cd/cd2. ' +
        '1 of the 3 files the database references are kept in s3://odoo-attach, not in the filestore, so this backup does not hold them: it is not self-contained. ' +
        'A backup that includes its attachments from S3/Swift holds them.',
    );
    const onlyRemote = verifyFilestore(new Set(['ab/ab1', `s3://odoo-attach/${sha}`]), new Set(['ab/ab1']));
    expect(onlyRemote.message).not.toMatch(/missing from the filestore/);
  });

  it('is skipped without a filestore (dump, --no-filestore) or without the database (a backup made by Odoo)', () => {
    expect(verifyFilestore(new Set(['a/b']), undefined)).toMatchObject({ status: 'skipped', missingCount: 1 });
    expect(verifyFilestore(undefined, new Set(['a/b']))).toMatchObject({ status: 'skipped', archived: 1 });
  });
});
