/** Checking a `storages:add` request against its storage type: secrets apart from settings, nothing missing, settings valid. */
import type { ApiArgs } from '../../contract/api';
import { STORAGE_NAME_PATTERN } from '../config';
import { AppError, type SchemaIssue } from '../errors';
import { settingFlag } from '../storage/provider';
import { getFactory, settingsIssues, type RegisteredFactory } from '../storage/registry';

/** A `storages:add` request split and validated: parsed settings, and the secrets to store. */
export interface CheckedStorage {
  readonly factory: RegisteredFactory;
  readonly settings: Record<string, unknown>;
  readonly secrets: Record<string, string>;
}

/** Validates the name and kind, splits secrets from settings and parses the settings with the factory's schema; `InvalidInput` saying what to fix. */
export function checkNewStorage(args: ApiArgs<'storages:add'>): CheckedStorage {
  if (!STORAGE_NAME_PATTERN.test(args.name)) {
    throw new AppError('InvalidInput', `"${args.name}" is not a valid storage name.`, { hint: 'Use letters, digits, "_", "." or "-", starting with a letter or digit.' });
  }
  const factory = getFactory(args.kind);
  const secretFields = new Set(factory.fields.filter((f) => f.secret).map((f) => f.name));
  const settings: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args.settings)) {
    if (secretFields.has(k)) {
      throw new AppError('InvalidInput', `"${k}" is a secret and cannot be given as a setting.`, {
        hint: 'Give secrets in their own fields, never as settings.',
        details: { cliHint: 'Pass secrets separately (a prompt, --secret-stdin or --secret-env).' },
      });
    }
    if (v !== undefined && v !== '') settings[k] = v;
  }
  const secrets = args.secrets ?? {};
  checkSecretNames(factory, secrets);
  if (!factory.oauth) {
    const missing = factory.fields.filter((f) => f.secret && f.required && !secrets[f.name]);
    if (missing.length) {
      throw new AppError('InvalidInput', `${factory.label} storages need the secret${missing.length > 1 ? 's' : ''} ${missing.map((f) => `"${f.name}"`).join(', ')}.`, {
        hint: 'Fill in the secret fields of the storage.',
        details: { cliHint: 'Give it at the prompt, with --secret-stdin or with --secret-env.' },
      });
    }
  }
  const parsed = factory.configSchema.safeParse(settings);
  if (!parsed.success) throw invalidSettingsError(factory, parsed.error.issues, true);
  return { factory, settings: parsed.data as Record<string, unknown>, secrets };
}

/** Refuses a secret the storage type does not have, naming the ones it has. */
export function checkSecretNames(factory: RegisteredFactory, secrets: Record<string, string>): void {
  const secretFields = new Set(factory.fields.filter((f) => f.secret).map((f) => f.name));
  for (const k of Object.keys(secrets)) {
    if (!secretFields.has(k)) {
      throw new AppError('InvalidInput', `${factory.label} storages have no secret "${k}".`, {
        hint: secretFields.size ? `Its secrets are: ${[...secretFields].join(', ')}.` : 'It needs no secrets.',
      });
    }
  }
}

/** A storage's settings with its `credential` fields replaced (an access key ID…), checked by the type's schema. */
export function credentialSettings(factory: RegisteredFactory, current: Record<string, unknown>, credentials: Record<string, string>): Record<string, unknown> {
  const allowed = new Set(factory.fields.filter((f) => f.credential).map((f) => f.name));
  for (const k of Object.keys(credentials)) {
    if (!allowed.has(k)) {
      throw new AppError('InvalidInput', `"${k}" cannot be changed with the secrets of ${factory.label} storages.`, {
        hint: allowed.size ? `What goes with its secrets: ${[...allowed].join(', ')}.` : 'Only its secrets can be changed.',
      });
    }
  }
  const parsed = factory.configSchema.safeParse({ ...current, ...credentials });
  if (!parsed.success) throw invalidSettingsError(factory, parsed.error.issues, false);
  // Stored as parsed (trimmed, defaults applied), as `storages:add` stores a new storage's settings.
  return parsed.data as Record<string, unknown>;
}

/**
 * `InvalidInput` for settings the type's schema refused: each issue by its form label, and for
 * the CLI by its flag (`details.cliMessage`); `listFields` adds the type's settings as the hint.
 */
function invalidSettingsError(factory: RegisteredFactory, issues: readonly SchemaIssue[], listFields: boolean): AppError {
  const fields = factory.fields.filter((f) => !f.secret);
  const list = (name: (f: (typeof fields)[number]) => string): string => `Its settings are: ${fields.map((f) => `${name(f)}${f.required ? ' (required)' : ''}`).join(', ')}.`;
  return new AppError('InvalidInput', `Invalid ${factory.label} storage settings: ${settingsIssues(factory, issues)}.`, {
    ...(listFields ? { hint: list((f) => f.label) } : {}),
    details: {
      cliMessage: `Invalid ${factory.label} storage settings: ${settingsIssues(factory, issues, settingFlag)}.`,
      ...(listFields ? { cliHint: list((f) => settingFlag(f.name)) } : {}),
    },
  });
}
