/**
 * `config.json` in the home folder: the configured storages (non-secret settings only; secrets
 * live in the secret store under each storage's `secretScope`) and app settings.
 *
 * Written atomically (temp file in the same folder, fsync, rename), so a crash or a
 * concurrent reader never sees half a file; validated with zod on load, so a corrupt or
 * hand-edited file gives a clear error naming the file instead of odd behaviour later.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { rotationPolicySchema } from '../../contract/rotation';
import { STORAGE_NAME } from '../../contract/storages';
import { AppError } from '../errors';
import { writeFileAtomic } from '../util/atomic-file';

/** The config file's name inside the home folder. */
export const CONFIG_FILE = 'config.json';

/** Storage names: used in refs (`NAME:KEY`), so no `:` and no spaces (the contract's rule). */
export const STORAGE_NAME_PATTERN = STORAGE_NAME;

/** One configured storage, as stored (never secrets). */
export const storageEntrySchema = z.object({
  /** Stable id; the secret scope is derived from it. */
  id: z.string().min(1),
  name: z.string().regex(STORAGE_NAME_PATTERN),
  kind: z.string().min(1),
  /** Non-secret settings, validated by the provider factory's schema when used. */
  settings: z.record(z.string(), z.unknown()),
  /** Where its secrets are in the secret store: `storage:<id>`. */
  secretScope: z.string().regex(/^storage:.+$/),
  createdAt: z.string().optional(),
  /** The rotation policy applied after `backup … --rotate` to this storage (see core/rotation). */
  rotation: rotationPolicySchema.optional(),
});
/** One configured storage, as stored. */
export type StorageEntry = z.infer<typeof storageEntrySchema>;

/** App-wide settings. */
export const appSettingsSchema = z
  .object({
    /** Default restore target URL (`postgres://…`), when the user chose one. */
    defaultTargetUrl: z.string().optional(),
    /** Default Odoo data dir for restores. */
    defaultDataDir: z.string().optional(),
  })
  .catchall(z.unknown());
/** App-wide settings. */
export type AppSettings = z.infer<typeof appSettingsSchema>;

/** The whole config file. */
export const configSchema = z
  .object({
    version: z.literal(1),
    storages: z.array(storageEntrySchema),
    settings: appSettingsSchema,
  })
  .superRefine((cfg, ctx) => {
    const seen = new Set<string>();
    for (const [i, s] of cfg.storages.entries()) {
      if (seen.has(s.name)) ctx.addIssue({ code: 'custom', path: ['storages', i, 'name'], message: `duplicate storage name "${s.name}"` });
      seen.add(s.name);
    }
  });
/** The whole config file. */
export type AppConfig = z.infer<typeof configSchema>;

/** A config with nothing configured. */
export function emptyConfig(): AppConfig {
  return { version: 1, storages: [], settings: {} };
}

/** The path of `config.json` in `home`. */
export function configPath(home: string): string {
  return join(home, CONFIG_FILE);
}

/** Loads and validates `config.json`; an empty config when the file does not exist yet. */
export async function loadConfig(home: string): Promise<AppConfig> {
  const file = configPath(home);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return emptyConfig();
    if (code === 'EACCES' || code === 'EPERM') {
      throw new AppError('PermissionDenied', `Cannot read the config file ${file}: permission denied.`, {
        hint: 'Check the permissions of the home folder, or choose another with --home.',
        cause: err,
      });
    }
    throw new AppError('Fatal', `Cannot read the config file ${file}: ${(err as Error).message}`, { cause: err });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new AppError('InvalidInput', `The config file ${file} is not valid JSON: ${(err as Error).message}`, {
      hint: `Fix or move away ${file} (the app then starts with an empty configuration).`,
      cause: err,
      details: { file },
    });
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new AppError('InvalidInput', `The config file ${file} is not a valid Odoo Backup Desk configuration: ${issues}`, {
      hint: `Fix or move away ${file} (the app then starts with an empty configuration).`,
      details: { file },
    });
  }
  return parsed.data;
}

/** Writes `config.json` atomically: temp file in the same folder, fsync, rename; mode 0600. */
export async function saveConfig(home: string, config: AppConfig): Promise<void> {
  const checked = configSchema.parse(config);
  await mkdir(home, { recursive: true, mode: 0o700 });
  const file = configPath(home);
  try {
    await writeFileAtomic(file, JSON.stringify(checked, null, 2) + '\n');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new AppError(code === 'EACCES' || code === 'EPERM' ? 'PermissionDenied' : 'Fatal', `Cannot write the config file ${file}: ${(err as Error).message}`, {
      hint: 'Check that the home folder is writable and the disk is not full.',
      cause: err,
    });
  }
}

/**
 * Serialises read-modify-write cycles of one home's config inside this process (the app and
 * `serve` may run several requests at once); each cycle reloads the file first so edits
 * by another process in between are kept.
 */
export class ConfigStore {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(readonly home: string) {}

  /** The current config, freshly loaded. */
  async read(): Promise<AppConfig> {
    return loadConfig(this.home);
  }

  /** Applies `fn` to the current config and saves the result; returns what `fn` returned. */
  async update<T>(fn: (cfg: AppConfig) => { config: AppConfig; result: T } | Promise<{ config: AppConfig; result: T }>): Promise<T> {
    const run = this.chain.then(async () => {
      const current = await loadConfig(this.home);
      const { config, result } = await fn(current);
      await saveConfig(this.home, config);
      return result;
    });
    this.chain = run.catch(() => undefined);
    return run;
  }
}
