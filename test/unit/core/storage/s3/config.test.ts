import { describe, expect, it } from 'vitest';
import { normalizePrefix, s3ConfigSchema, s3Fields } from '../../../../../shared/core/storage/s3/config';

describe('S3 config', () => {
  it('normalizes prefixes, keeping odoo_backup_sh\'s literal "./"', () => {
    expect(normalizePrefix('')).toBe('');
    expect(normalizePrefix('/')).toBe('');
    expect(normalizePrefix('./')).toBe('./');
    expect(normalizePrefix('.')).toBe('./');
    expect(normalizePrefix('backups')).toBe('backups/');
    expect(normalizePrefix('a/b//')).toBe('a/b/');
  });

  it('validates settings with defaults', () => {
    const c = s3ConfigSchema.parse({ bucket: 'my-bucket' });
    expect(c).toMatchObject({ endpoint: '', region: 'us-east-1', prefix: '', forcePathStyle: false });
    expect(s3ConfigSchema.safeParse({ bucket: 'b' }).success).toBe(false);
    expect(s3ConfigSchema.safeParse({ bucket: 'ok-bucket', endpoint: 'ftp://x' }).success).toBe(false);
    expect(s3ConfigSchema.safeParse({ bucket: 'ok-bucket', prefix: '/abs' }).success).toBe(false);
    expect(s3ConfigSchema.safeParse({ bucket: 'ok-bucket', endpoint: 'https://s3.eu-central-003.backblazeb2.com' }).success).toBe(true);
  });

  it('declares exactly one secret field, the secret access key', () => {
    expect(s3Fields.filter((f) => f.secret).map((f) => f.name)).toEqual(['secretAccessKey']);
    for (const f of s3Fields.filter((x) => !x.secret)) expect(Object.keys(s3ConfigSchema.shape)).toContain(f.name);
  });
});
