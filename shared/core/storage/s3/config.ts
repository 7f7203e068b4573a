/** S3-compatible storage settings: schema, form fields and the key prefix rules. */
import { z } from 'zod';
import type { SettingField } from '../provider';

/** Non-secret settings of an S3-compatible storage (the secret key lives in the secret store). */
export const s3ConfigSchema = z.object({
  /** Custom endpoint URL (MinIO, Wasabi, B2, OVH, Exoscale, Scaleway, R2…); empty means AWS. */
  endpoint: z
    .string()
    .trim()
    .default('')
    .refine((v) => v === '' || /^https?:\/\/[^\s/]+/i.test(v), { message: 'The endpoint must be an http(s):// URL, or empty for AWS.' }),
  region: z.string().trim().min(1).default('us-east-1'),
  bucket: z
    .string()
    .trim()
    .regex(/^[a-z0-9][a-z0-9.\-_]{1,254}$/i, { message: 'Bucket names are 3-255 letters, digits, dots, dashes or underscores.' }),
  /** Folder inside the bucket: "" (root), "backups" or "backups/", or odoo_backup_sh's literal "./". */
  prefix: z
    .string()
    .default('')
    .refine((v) => !v.startsWith('/'), { message: 'The prefix is relative to the bucket: no leading slash.' }),
  forcePathStyle: z.boolean().default(false),
  /** Access key id (not secret on its own); when empty it is read from the secret store too. */
  accessKeyId: z.string().trim().optional(),
});

/** Validated S3 settings. */
export type S3Config = z.infer<typeof s3ConfigSchema>;

/** The secret's name in the secret store. */
export const S3_SECRET_KEY = 'secretAccessKey';

/** Form fields and `storage add --type s3` flags. */
export const s3Fields: readonly SettingField[] = [
  { name: 'endpoint', label: 'Endpoint URL', type: 'string', required: false, secret: false, help: 'Leave empty for AWS. E.g. https://s3.eu-central-003.backblazeb2.com, https://<account>.r2.cloudflarestorage.com' },
  { name: 'region', label: 'Region', type: 'string', required: true, secret: false, default: 'us-east-1' },
  { name: 'bucket', label: 'Bucket', type: 'string', required: true, secret: false },
  { name: 'prefix', label: 'Folder (prefix)', type: 'string', required: false, secret: false, default: '', help: 'Empty for the whole bucket. odoo_backup_sh with an empty Path stores keys like "./db.zip": they show at the bucket root as such, or without "./" with the folder set to "./".' },
  { name: 'forcePathStyle', label: 'Path-style addressing', type: 'boolean', required: false, secret: false, default: false, help: 'Needed by MinIO and most self-hosted servers.' },
  { name: 'accessKeyId', label: 'Access key ID', type: 'string', required: true, secret: false, credential: true },
  { name: 'secretAccessKey', label: 'Secret access key', type: 'string', required: true, secret: true },
];

/**
 * The key prefix inside the bucket: `""` stays the bucket root, `"./"` stays literally `./`
 * (odoo_backup_sh's keys when no Path was set), anything else gets exactly one trailing slash.
 */
export function normalizePrefix(prefix: string): string {
  if (prefix === '' || prefix === '/') return '';
  if (prefix === '.' || prefix === './') return './';
  return prefix.replace(/\/+$/, '') + '/';
}
