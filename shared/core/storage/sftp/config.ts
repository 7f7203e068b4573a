/** SFTP storage settings: schema and form fields. */
import { z } from 'zod';
import type { SettingField } from '../provider';

/** How the SFTP storage logs in. */
export const SFTP_AUTH_METHODS = ['password', 'key-file', 'key'] as const;

/** Non-secret settings of an SFTP storage (password, key passphrase and key content live in the secret store). */
export const sftpConfigSchema = z.object({
  host: z.string().trim().min(1),
  port: z.number().int().min(1).max(65535).default(22),
  username: z.string().trim().min(1),
  /** Root folder of the storage: absolute, or relative to the login folder; "" is the login folder. */
  path: z.string().default(''),
  /** `password`: the secret `password`; `key-file`: `privateKeyPath` (+ secret `passphrase`); `key`: secret `privateKey` (+ `passphrase`). */
  auth: z.enum(SFTP_AUTH_METHODS).default('key-file'),
  privateKeyPath: z.string().optional(),
  /** A pinned host key, `SHA256:…` as `ssh-keygen -lf` prints it. */
  hostKeyFingerprint: z
    .string()
    .trim()
    .regex(/^SHA256:[A-Za-z0-9+/]{43}=?$/, { message: 'Use the SHA256:… form that ssh-keygen -l prints.' })
    .optional(),
  /** OpenSSH known_hosts file to verify against (default ~/.ssh/known_hosts). */
  knownHostsFile: z.string().optional(),
  /** On first connect to a host that is neither pinned nor known: accept its key and save it to known_hosts. */
  trustOnFirstUse: z.boolean().default(false),
  /** Connect/handshake timeout in milliseconds. */
  timeoutMs: z.number().int().min(1000).max(300_000).default(20_000),
});

/** Validated SFTP settings. */
export type SftpConfig = z.infer<typeof sftpConfigSchema>;

/** Secret names in the secret store. */
export const SFTP_SECRETS = { password: 'password', passphrase: 'passphrase', privateKey: 'privateKey' } as const;

/** Form fields and `storage add --type sftp` flags. */
export const sftpFields: readonly SettingField[] = [
  { name: 'host', label: 'Host', type: 'string', required: true, secret: false },
  { name: 'port', label: 'Port', type: 'number', required: false, secret: false, default: 22 },
  { name: 'username', label: 'User', type: 'string', required: true, secret: false, credential: true },
  { name: 'path', label: 'Folder', type: 'string', required: false, secret: false, default: '', help: 'Absolute, or relative to the login folder.' },
  { name: 'auth', label: 'Log in with', type: 'select', required: true, secret: false, options: SFTP_AUTH_METHODS, default: 'key-file' },
  { name: 'privateKeyPath', label: 'Private key file', type: 'path', required: false, secret: false, help: 'For "key-file", e.g. ~/.ssh/id_ed25519', when: { field: 'auth', is: ['key-file'] } },
  { name: 'password', label: 'Password', type: 'string', required: false, secret: true, help: 'For "password".', when: { field: 'auth', is: ['password'] } },
  { name: 'privateKey', label: 'Private key (content)', type: 'string', required: false, secret: true, multiline: true, help: 'For "key": paste the whole key, BEGIN and END lines included; it is kept with the app\'s secrets (keychain or vault).', when: { field: 'auth', is: ['key'] } },
  { name: 'passphrase', label: 'Key passphrase', type: 'string', required: false, secret: true, help: 'When the private key is encrypted.', when: { field: 'auth', is: ['key-file', 'key'] } },
  { name: 'hostKeyFingerprint', label: 'Host key (SHA256:…)', type: 'string', required: false, secret: false, credential: true, help: 'Pin the server key; see ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the server.' },
  { name: 'knownHostsFile', label: 'known_hosts file', type: 'path', required: false, secret: false, help: 'Default ~/.ssh/known_hosts' },
  { name: 'trustOnFirstUse', label: 'Trust the host key on first connect', type: 'boolean', required: false, secret: false, default: false, help: 'Saves the key to known_hosts; later changes are refused.' },
];
