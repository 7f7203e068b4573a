import { describe, expect, it } from 'vitest';
import { filestorePathOf, openstackContainerOf, parseStoreFname } from '../../../../shared/core/attachments/store-fname';

const SHA = '23fe89f51c8121f053a697a3dd79106f25aeeb52';

describe('parseStoreFname', () => {
  it('reads the core filestore form, and the legacy three-character folder', () => {
    expect(parseStoreFname(`23/${SHA}`)).toEqual({ kind: 'filestore', path: `23/${SHA}`, sha1: SHA });
    expect(parseStoreFname(`23f/${SHA}`)).toEqual({ kind: 'filestore', path: `23f/${SHA}`, sha1: SHA });
    expect(parseStoreFname('checklist/abc.txt')).toEqual({ kind: 'filestore', path: 'checklist/abc.txt' });
  });

  it("reads Camptocamp's s3:// and swift:// names like their own regexes (case-insensitive, extra slashes)", () => {
    expect(parseStoreFname(`s3://odoo-prod/${SHA}`)).toEqual({ kind: 's3', bucket: 'odoo-prod', key: SHA, sha1: SHA });
    expect(parseStoreFname(`S3:///odoo-prod/${SHA}`)).toEqual({ kind: 's3', bucket: 'odoo-prod', key: SHA, sha1: SHA });
    expect(parseStoreFname(`swift://attachments/${SHA}`)).toEqual({ kind: 'swift', container: 'attachments', key: SHA, sha1: SHA });
    // the older form without a bucket
    expect(parseStoreFname(`s3://${SHA}`)).toEqual({ kind: 's3', bucket: '', key: SHA, sha1: SHA });
  });

  it('reads fs_attachment <code>://<path>, with or without the optimized directory path', () => {
    expect(parseStoreFname(`ftp_store://${SHA}`)).toEqual({ kind: 'fs', code: 'ftp_store', path: SHA, sha1: SHA });
    expect(parseStoreFname(`s3_fs://23/fe/${SHA}`)).toEqual({ kind: 'fs', code: 's3_fs', path: `23/fe/${SHA}`, sha1: SHA });
    expect(parseStoreFname('minio://invoice-12-1.pdf')).toEqual({ kind: 'fs', code: 'minio', path: 'invoice-12-1.pdf' });
  });

  it("reads odoo_openstack_storage's bare SHA-1 with its per-database container", () => {
    expect(parseStoreFname(SHA, { openstackContainer: 'odoo-prod' })).toEqual({ kind: 'openstack', key: SHA, sha1: SHA, container: 'odoo-prod' });
    expect(openstackContainerOf('{"user":"u","key":"SECRET","container_prefix":"odoo"}', 'ProdDB')).toBe('odoo-proddb');
    expect(openstackContainerOf('not json', 'x')).toBeUndefined();
  });

  it('calls anything else unknown', () => {
    expect(parseStoreFname('/etc/passwd').kind).toBe('unknown');
    expect(parseStoreFname('../x').kind).toBe('unknown');
    expect(filestorePathOf(SHA)).toBe(`23/${SHA}`);
  });
});

describe('shaOfMember', async () => {
  const { shaOfMember } = await import('../../../../shared/core/attachments/backup-scan');
  it('takes objects of the filestore, never its garbage-collection checklist', () => {
    expect(shaOfMember(`filestore/23/${SHA}`)).toBe(SHA);
    expect(shaOfMember(`23/${SHA}`)).toBe(SHA);
    expect(shaOfMember(`filestore/checklist/23/${SHA}`)).toBeUndefined();
    expect(shaOfMember('filestore/23/notasha')).toBeUndefined();
  });
});
