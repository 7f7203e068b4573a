/** Settings of an OpenStack Swift storage (non-secret only; the password/key lives in the secret store). */
import { z } from 'zod';
import type { SettingField } from '../provider';

/** Validated settings of a Swift storage. */
export const swiftConfigSchema = z
  .object({
    /** Keystone v3 URL (`https://keystone:5000/v3`) or tempauth URL (`https://swift:8080/auth/v1.0`). */
    authUrl: z.url({ protocol: /^https?$/, error: 'Give the Keystone or tempauth URL, starting with http:// or https://.' }),
    /** `v3` (Keystone password) or `v1` (tempauth); guessed from the URL when omitted. */
    authVersion: z.enum(['v3', 'v1']).optional(),
    /** Keystone user name, or the tempauth `account:user`. */
    username: z.string().min(1, 'The user name is required.'),
    userDomain: z.string().default('Default'),
    /** Project (tenant) name or id to scope the token to (Keystone v3). */
    projectName: z.string().optional(),
    projectId: z.string().optional(),
    projectDomain: z.string().default('Default'),
    /** Region of the object-store endpoint in the catalog; required when there are several. */
    region: z.string().optional(),
    /** Catalog interface to use. */
    interface: z.enum(['public', 'internal', 'admin']).default('public'),
    /** Use this storage URL instead of the catalog's (e.g. `https://swift.example/v1/AUTH_abc`). */
    storageUrl: z.url({ protocol: /^https?$/, error: 'Give the storage URL, starting with http:// or https://.' }).optional(),
    container: z.string().min(1, 'The container is required.').refine((c) => !c.includes('/'), 'A container name cannot contain "/".'),
    /** Folder inside the container (object-name prefix). */
    prefix: z
      .string()
      .default('')
      .transform((p) => p.replace(/^\/+|\/+$/g, ''))
      .transform((p) => (p === '' ? '' : `${p}/`)),
    /** Where SLO segments go (default `<container>_segments`, like python-swiftclient). */
    segmentContainer: z.string().optional(),
    /** Objects above this size are uploaded as Static Large Objects (Swift's per-object limit is 5 GiB). */
    segmentThresholdBytes: z
      .number()
      .int()
      .min(1)
      .default(5 * 1024 * 1024 * 1024),
    /** Size of the SLO segments past the first 800, which are held in memory and at most 16 MiB (or this, when smaller). */
    segmentSizeBytes: z
      .number()
      .int()
      .min(1)
      .default(1024 * 1024 * 1024),
  })
  .transform((c) => ({ ...c, authVersion: c.authVersion ?? (/\/v1\.0\/?$|\/auth\/v1/.test(c.authUrl) ? ('v1' as const) : ('v3' as const)) }))
  .refine((c) => c.authVersion === 'v1' || c.projectName !== undefined || c.projectId !== undefined, {
    message: 'Keystone v3 needs a project name or id.',
    path: ['projectName'],
  });
/** Validated settings of a Swift storage. */
export type SwiftConfig = z.infer<typeof swiftConfigSchema>;

/** The settings form / CLI flags of a Swift storage. */
export const swiftFields: readonly SettingField[] = [
  { name: 'authUrl', label: 'Auth URL', type: 'string', required: true, secret: false, help: 'Keystone v3 (…/v3) or tempauth (…/auth/v1.0).' },
  { name: 'authVersion', label: 'Auth version', type: 'select', required: false, secret: false, options: ['v3', 'v1'], help: 'Guessed from the URL when omitted.' },
  { name: 'username', label: 'User name', type: 'string', required: true, secret: false, credential: true },
  { name: 'password', label: 'Password / key', type: 'string', required: true, secret: true, help: 'Keystone password, or the tempauth key.' },
  { name: 'userDomain', label: 'User domain', type: 'string', required: false, secret: false, default: 'Default' },
  { name: 'projectName', label: 'Project', type: 'string', required: false, secret: false, help: 'Project (tenant) name; or give projectId.' },
  { name: 'projectId', label: 'Project id', type: 'string', required: false, secret: false },
  { name: 'projectDomain', label: 'Project domain', type: 'string', required: false, secret: false, default: 'Default' },
  { name: 'region', label: 'Region', type: 'string', required: false, secret: false, help: 'Needed when the catalog lists several regions.' },
  { name: 'interface', label: 'Endpoint interface', type: 'select', required: false, secret: false, options: ['public', 'internal', 'admin'], default: 'public' },
  { name: 'storageUrl', label: 'Storage URL override', type: 'string', required: false, secret: false },
  { name: 'container', label: 'Container', type: 'string', required: true, secret: false },
  { name: 'prefix', label: 'Folder in the container', type: 'string', required: false, secret: false },
  { name: 'segmentContainer', label: 'Segment container', type: 'string', required: false, secret: false, help: 'Default: <container>_segments.' },
];

/** One-line description of where it points. */
export function describeSwift(config: SwiftConfig): string {
  let host = config.authUrl;
  try {
    host = new URL(config.authUrl).host;
  } catch {
    /* keep the raw value */
  }
  return `Swift ${config.container}/${config.prefix} at ${host}${config.region ? ` (${config.region})` : ''}`;
}
