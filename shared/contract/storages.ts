/** The contract of the storages area: storage kinds and their settings, configured storages, OAuth connect. */
import { z } from 'zod';
import { emptySchema, jobIdSchema } from './common';

/** A setting of a storage type (drives the add-storage form). */
export const settingFieldSchema = z.object({
  name: z.string(),
  label: z.string(),
  type: z.enum(['string', 'number', 'boolean', 'path', 'select']),
  required: z.boolean(),
  secret: z.boolean(),
  help: z.string().optional(),
  options: z.array(z.string()).optional(),
  default: z.union([z.string(), z.number(), z.boolean()]).optional(),
  /** Several lines (a private key): a text area, not a one-line input. */
  multiline: z.boolean().optional(),
  /** A setting that goes with the secrets (an access key ID): changed with them (`storages:set-secrets`). */
  credential: z.boolean().optional(),
  /** Used only when another setting has one of these values (SFTP's password: when "Log in with" is password). */
  when: z.object({ field: z.string(), is: z.array(z.string()) }).optional(),
});

/** A setting field as `fieldApplies` reads it (the contract's, or a provider's own). */
interface ConditionalField {
  readonly name: string;
  readonly default?: string | number | boolean | undefined;
  readonly when?: { readonly field: string; readonly is: readonly string[] } | undefined;
}

/** True when `field` applies to these settings (SFTP's password only when it logs in with one); `fields` are all of the type's, for defaults. */
export function fieldApplies(field: ConditionalField, settings: Readonly<Record<string, unknown>>, fields: readonly ConditionalField[]): boolean {
  const when = field.when;
  if (!when) return true;
  const value = settings[when.field] ?? fields.find((f) => f.name === when.field)?.default;
  return when.is.includes(String(value));
}

/** A storage type and its settings. */
export const storageKindSchema = z.object({
  kind: z.string(),
  label: z.string(),
  oauth: z.boolean(),
  fields: z.array(settingFieldSchema),
});

/** A configured storage (never its secrets). */
export const storageSummarySchema = z.object({
  name: z.string(),
  kind: z.string(),
  description: z.string(),
  settings: z.record(z.string(), z.unknown()),
  /** `needs-reconnect` when an OAuth grant was revoked or expired. */
  status: z.enum(['ok', 'needs-reconnect', 'needs-secret']).optional(),
});
/** A configured storage. */
export type StorageSummary = z.infer<typeof storageSummarySchema>;

/** A storage's name: letters, digits, `_`, `.`, `-`, starting with a letter or digit. */
export const STORAGE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** The storages area's methods. */
export const storagesMethods = {
  'storages:kinds': { args: emptySchema, result: z.array(storageKindSchema) },
  'storages:list': { args: emptySchema, result: z.array(storageSummarySchema) },
  'storages:add': {
    args: z.object({
      name: z.string().regex(STORAGE_NAME, 'Use letters, digits, "_", "." or "-".'),
      kind: z.string(),
      settings: z.record(z.string(), z.unknown()),
      secrets: z.record(z.string(), z.string()).default({}),
    }),
    result: storageSummarySchema,
  },
  /**
   * Replaces some secrets of a storage (a rotated key, a mistyped password), and the settings that
   * go with them (`credential` fields: an access key ID, a user name); everything else is kept.
   */
  'storages:set-secrets': {
    args: z.object({ name: z.string(), secrets: z.record(z.string(), z.string().min(1)), credentials: z.record(z.string(), z.string().min(1)).optional() }),
    result: storageSummarySchema,
  },
  /** A probe: list, write, read back, delete; a failed check's `cliMessage` gives the CLI's words for what to do (flags, commands). */
  'storages:test': {
    args: z.object({ name: z.string() }),
    result: z.object({ ok: z.boolean(), checks: z.array(z.object({ name: z.string(), ok: z.boolean(), message: z.string(), cliMessage: z.string().optional() })) }),
  },
  'storages:remove': { args: z.object({ name: z.string() }), result: emptySchema },
  /** Signs an OAuth storage (Dropbox, Google Drive) in through the browser: a job whose progress carries the sign-in URL. */
  'storages:connect': { args: z.object({ name: z.string() }), result: jobIdSchema },
  /** Whether a backup passphrase is remembered for a storage (the passphrase itself never crosses). */
  'storages:passphrase-remembered': { args: z.object({ name: z.string() }), result: z.object({ remembered: z.boolean() }) },
  /** Forgets the backup passphrase remembered for a storage (no-op when none is). */
  'storages:forget-passphrase': { args: z.object({ name: z.string() }), result: z.object({ forgotten: z.boolean() }) },
} as const;
