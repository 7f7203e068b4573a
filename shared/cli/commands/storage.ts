/** `storage add|list|remove|forget-passphrase|test`: configure storages. Flags of `add` come from each factory's `fields`. */
import { Option, type Command } from 'commander';
import { fieldApplies, STORAGE_NAME } from '../../contract/storages';
import { isAppError } from '../../core/errors';
import { settingFlag, type SettingField } from '../../core/storage/provider';
import { listFactories } from '../../core/storage/registry';
import { UsageError, type CliContext } from '../context';
import { readStdin } from '../io';
import { table } from '../format';
import { commandGroup, type CommandModule } from './index';

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/** Every non-secret setting of every storage type, by field name (a name shared by types appears once). */
function settingOptions(): Map<string, { kinds: string[]; fields: SettingField[] }> {
  const byName = new Map<string, { kinds: string[]; fields: SettingField[] }>();
  for (const f of listFactories()) {
    for (const field of f.fields) {
      if (field.secret) continue;
      const e = byName.get(field.name) ?? { kinds: [], fields: [] };
      e.kinds.push(f.kind);
      e.fields.push(field);
      byName.set(field.name, e);
    }
  }
  return byName;
}

/** A setting flag's help: each storage type's own label and help, grouped where types share them ("[swift]; … [dropbox, gdrive]"). */
export function settingFlagDescription(kinds: readonly string[], fields: readonly SettingField[]): string {
  const groups = new Map<string, string[]>();
  fields.forEach((field, i) => {
    const text = `${field.label}${field.help ? ` — ${field.help}` : ''}`;
    groups.set(text, [...(groups.get(text) ?? []), kinds[i]!]);
  });
  return [...groups].map(([text, ks]) => `${text} [${ks.join(', ')}]`).join('; ');
}

/** How a storage type reads in a sentence: "an S3 storage", "a local storage". */
function aStorage(kind: string): string {
  const name = ({ s3: 'S3', sftp: 'SFTP', gdrive: 'Google Drive', swift: 'Swift', dropbox: 'Dropbox' } as Record<string, string>)[kind] ?? kind;
  return `${/^[aeiou]|^S3|^SFTP/i.test(name) ? 'an' : 'a'} ${name} storage`;
}

/** `text` with its first letter in upper case. */
function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function coerce(field: SettingField, raw: unknown, kind: string): unknown {
  if (field.type === 'boolean') return raw === true || raw === 'true' || raw === '1' || raw === 'yes';
  if (field.type === 'number') {
    const n = Number(raw);
    if (!Number.isFinite(n)) throw new UsageError(`${settingFlag(field.name)} must be a number for ${aStorage(kind)} (got "${String(raw)}").`);
    return n;
  }
  if (field.type === 'select' && field.options && !field.options.includes(String(raw))) {
    throw new UsageError(`${settingFlag(field.name)} must be one of ${field.options.join(', ')} (got "${String(raw)}").`);
  }
  return String(raw);
}

/**
 * The secrets in `--secret-stdin`'s text: one FIELD=VALUE line each when it starts with a
 * field's name and `=`; otherwise the whole text (a password such as `key=abc`, a private key's
 * lines) is the first of `missing` (the secrets this configuration uses, in the form's order).
 */
function stdinSecrets(text: string, missing: readonly SettingField[], names: readonly string[]): Record<string, string> {
  const fieldOf = (line: string): string | undefined => {
    const eq = line.indexOf('=');
    return eq > 0 && names.includes(line.slice(0, eq)) ? line.slice(0, eq) : undefined;
  };
  if (missing.length > 0 && !fieldOf(text)) return { [missing[0]!.name]: text };
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const field = fieldOf(line);
    if (!field) throw new UsageError(`--secret-stdin: with several secrets, give one FIELD=VALUE line each (fields: ${names.join(', ')}).`);
    out[field] = line.slice(field.length + 1);
  }
  return out;
}

/** The storage's settings and fields, and whether its optional secrets are asked for at a prompt (default yes). */
interface SecretsContext {
  readonly settings: Record<string, unknown>;
  readonly fields: readonly SettingField[];
  readonly promptOptional?: boolean;
}

/** Collects the secret values for `fields` from --secret-stdin, --secret-env or a prompt (only those its settings use). */
async function readSecrets(ctx: CliContext, kind: string, fields: readonly SettingField[], opts: { secretStdin?: boolean; secretEnv?: string[] }, config: SecretsContext): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const names = fields.map((f) => f.name);
  if (fields.length === 0) {
    if (opts.secretStdin || opts.secretEnv?.length) throw new UsageError(`${capital(aStorage(kind))} has no secrets: drop --secret-stdin / --secret-env.`);
    return out;
  }
  if (opts.secretEnv?.length) {
    for (const spec of opts.secretEnv) {
      const eq = spec.indexOf('=');
      let field: string;
      let variable: string;
      if (eq > 0) {
        field = spec.slice(0, eq);
        variable = spec.slice(eq + 1);
      } else {
        if (fields.length !== 1) throw new UsageError(`${capital(aStorage(kind))} has several secrets (${names.join(', ')}): use --secret-env FIELD=VAR for each.`);
        field = fields[0]!.name;
        variable = spec;
      }
      if (!names.includes(field)) throw new UsageError(`${capital(aStorage(kind))} has no secret "${field}"; its secrets are: ${names.join(', ')}.`);
      const value = ctx.io.env[variable];
      if (value === undefined || value === '') throw new UsageError(`Environment variable ${variable} (for ${field}) is not set or empty.`);
      out[field] = value;
    }
  }
  if (opts.secretStdin) {
    const missing = fields.filter((f) => out[f.name] === undefined && fieldApplies(f, config.settings, config.fields));
    Object.assign(out, stdinSecrets((await readStdin(ctx.io)).replace(/\r?\n$/, ''), missing, names));
  }
  const askOptional = config.promptOptional !== false && !opts.secretStdin && !opts.secretEnv?.length;
  const wanted = fields.filter((f) => out[f.name] === undefined && fieldApplies(f, config.settings, config.fields) && (f.required || askOptional));
  for (const f of wanted) {
    if (!ctx.io.stdin.isTTY) {
      if (!f.required) continue;
      throw new UsageError(`The secret "${f.name}" is needed and there is no terminal to ask for it.`, 'Pass it with --secret-stdin or --secret-env VAR; secrets are never taken from the command line.');
    }
    const v = await ctx.prompt(`${f.label}${f.required ? '' : ' (optional, Enter to skip)'}: `);
    if (v !== '') out[f.name] = v;
    else if (f.required) throw new UsageError(`The secret "${f.name}" is required.`);
  }
  return out;
}

/** The `storage` command group. */
export const storageCommand: CommandModule = {
  register(program: Command, ctx: CliContext) {
    const storage = commandGroup(program, 'storage', 'configure storages (folders, S3, Dropbox, Google Drive, Swift, SFTP)');
    const factories = listFactories();
    const options = settingOptions();

    const add = storage
      .command('add')
      .description('add a storage (secrets are asked for, or read with --secret-stdin / --secret-env; never from the command line)')
      .argument('<name>', 'a name for it (letters, digits, "_", "." or "-"); refs are NAME:KEY')
      .addOption(new Option('--type <type>', 'storage type').choices(factories.map((f) => f.kind)).makeOptionMandatory())
      .option('--secret-stdin', 'read the secret from stdin: all of it is the one this storage uses (SFTP: the password or the private key, per --auth), or one FIELD=VALUE line each')
      .option('--secret-env <VAR|FIELD=VAR>', 'read a secret from an environment variable (repeatable)', collect);
    for (const [name, { kinds, fields }] of options) {
      const field = fields[0]!; // the types that share a setting share its kind of value
      const flag = settingFlag(name);
      const desc = settingFlagDescription(kinds, fields);
      add.addOption(field.type === 'boolean' ? new Option(flag, desc) : new Option(`${flag} <value>`, desc));
    }
    add.action(async (name: string, opts: Record<string, unknown>, cmd: Command) => {
      if (!STORAGE_NAME.test(name)) throw new UsageError(`"${name}" is not a valid storage name.`, 'Use letters, digits, "_", "." or "-", starting with a letter or digit.');
      const kind = String(opts.type);
      const factory = factories.find((f) => f.kind === kind)!;
      const settings: Record<string, unknown> = {};
      for (const fname of options.keys()) {
        const v = opts[fname];
        if (v === undefined) continue;
        const field = factory.fields.find((f) => f.name === fname);
        if (!field) throw new UsageError(`${settingFlag(fname)} is not a setting of ${aStorage(kind)}.`, `Its settings: ${factory.fields.filter((f) => !f.secret).map((f) => settingFlag(f.name)).join(', ') || 'none'}.`);
        settings[fname] = coerce(field, v, kind);
      }
      for (const f of factory.fields) {
        if (!f.secret && f.required && settings[f.name] === undefined && f.default === undefined) {
          throw new UsageError(`${capital(aStorage(kind))} needs ${settingFlag(f.name)}.`);
        }
        if (f.type === 'path' && typeof settings[f.name] === 'string') {
          const { resolve } = await import('node:path');
          settings[f.name] = resolve(settings[f.name] as string);
        }
      }
      const secretFields = factory.oauth ? [] : factory.fields.filter((f) => f.secret);
      if (factory.oauth && (opts.secretStdin || opts.secretEnv)) {
        throw new UsageError(`${capital(aStorage(kind))} is connected through your browser, not with secrets.`, `Add it, then run \`backup-desk storage connect ${name}\`.`);
      }
      const secrets = await readSecrets(ctx, kind, secretFields, opts as { secretStdin?: boolean; secretEnv?: string[] }, { settings, fields: factory.fields });
      const desk = await ctx.desk(cmd);
      const s = await settingsAsUsage(desk['storages:add']({ name, kind, settings, secrets }));
      ctx.out(`added storage ${s.name} (${s.kind}: ${s.description})`);
      if (factory.oauth) ctx.err(`next: run \`backup-desk storage connect ${name}\` to sign in.`);
    });

    const setSecret = storage
      .command('set-secret')
      .description('replace the secrets of a storage (a rotated key, a mistyped password): asked for, or from --secret-stdin / --secret-env; with a rotated key, its new --access-key-id (or user name) too; an SFTP server\'s new host key with --host-key-fingerprint; its other settings, rotation policy and schedules stay')
      .argument('<name>')
      .option('--secret-stdin', 'read the secret from stdin: all of it is the one this storage uses (SFTP: the password or the private key, per --auth), or one FIELD=VALUE line each')
      .option('--secret-env <VAR|FIELD=VAR>', 'read a secret from an environment variable (repeatable)', collect);
    // The settings that go with the secrets (an access key ID, a user name), one flag each.
    const credentialFields = new Map(factories.flatMap((f) => f.fields.filter((x) => x.credential).map((x) => [x.name, x] as const)));
    for (const [fname, field] of credentialFields) setSecret.option(`${settingFlag(fname)} <value>`, `new ${field.label} (goes with the secrets)`);
    setSecret.action(async (name: string, opts: { secretStdin?: boolean; secretEnv?: string[] } & Record<string, unknown>, cmd: Command) => {
      const desk = await ctx.desk(cmd);
      const entry = await desk.storageEntry(name); // NotFound, naming the configured ones
      const factory = factories.find((f) => f.kind === entry.kind)!;
      if (factory.oauth) throw new UsageError(`Storage ${name} signs in through the browser; it has no secrets.`, `Run \`backup-desk storage connect ${name}\` instead.`);
      const fields = factory.fields.filter((f) => f.secret);
      if (fields.length === 0) throw new UsageError(`Storage ${name} (${entry.kind}) has no secrets.`);
      const credentials: Record<string, string> = {};
      for (const fname of credentialFields.keys()) {
        if (opts[fname] === undefined) continue;
        if (!factory.fields.some((f) => f.name === fname && f.credential)) throw new UsageError(`${settingFlag(fname)} is not a setting of ${aStorage(entry.kind)}.`);
        credentials[fname] = String(opts[fname]);
      }
      // A new host key or key ID alone asks for no optional secret (a required one still is).
      const secrets = await readSecrets(ctx, entry.kind, fields, opts, { settings: entry.settings, fields: factory.fields, promptOptional: Object.keys(credentials).length === 0 });
      await settingsAsUsage(desk['storages:set-secrets']({ name, secrets, ...(Object.keys(credentials).length ? { credentials } : {}) }));
      const what = [...Object.keys(credentials), ...Object.keys(secrets)];
      ctx.out(`stored the new ${what.join(', ')} of storage ${name}; check it with \`backup-desk storage test ${name}\``);
    });

    storage
      .command('list')
      .description('list the configured storages')
      .option('--json', 'print JSON')
      .action(async (opts: { json?: boolean }, cmd: Command) => {
        const desk = await ctx.desk(cmd);
        const list = await desk['storages:list']({});
        if (opts.json) return ctx.out(JSON.stringify(list, null, 2));
        if (list.length === 0) return ctx.err('no storages configured: add one with `backup-desk storage add NAME --type local --path DIR`');
        ctx.out(table(['NAME', 'TYPE', 'WHERE', 'STATUS'], list.map((s) => [s.name, s.kind, s.description, s.status ?? ''])).trimEnd());
        for (const s of list.filter((x) => x.status === 'needs-reconnect')) {
          ctx.err(`storage ${s.name} needs reconnecting (its sign-in was revoked or expired): run \`backup-desk storage connect ${s.name}\``);
        }
      });

    storage
      .command('remove')
      .description('remove a storage from the configuration with its rotation policy, and delete its stored secrets (its files are not touched); refused while a scheduled job uses it')
      .argument('<name>')
      .action(async (name: string, _opts: unknown, cmd: Command) => {
        const desk = await ctx.desk(cmd);
        const policy = await desk.rotation.rotationPolicyFor(name).catch(() => undefined);
        await desk['storages:remove']({ name });
        ctx.out(`removed storage ${name}${policy ? ' and its rotation policy' : ''} (its files are not touched)`);
      });

    storage
      .command('forget-passphrase')
      .description('forget the backup passphrase remembered for a storage (see --remember-passphrase)')
      .argument('<name>')
      .action(async (name: string, _opts: unknown, cmd: Command) => {
        const desk = await ctx.desk(cmd);
        const r = await desk['storages:forget-passphrase']({ name });
        ctx.out(r.forgotten ? `forgot the passphrase remembered for storage ${name}` : `no passphrase was remembered for storage ${name}`);
      });

    storage
      .command('test')
      .description('check that a storage can be listed, written, read back and deleted from (with a small probe file)')
      .argument('<name>')
      .option('--json', 'print JSON')
      .action(async (name: string, opts: { json?: boolean }, cmd: Command) => {
        const desk = await ctx.desk(cmd);
        await desk.storageEntry(name); // an unknown storage is NotFound, not five failed checks
        const r = await desk.testStorage(name, ctx.interrupt.signal);
        if (opts.json) ctx.out(JSON.stringify(r, null, 2));
        else for (const c of r.checks) ctx.out(`${c.ok ? 'ok  ' : 'FAIL'}  ${c.name.padEnd(8)}${c.cliMessage ?? c.message}`);
        if (!r.ok) {
          ctx.err(`error: storage ${name} failed ${r.checks.filter((c) => !c.ok && !c.message.startsWith('skipped')).map((c) => c.name).join(', ') || 'a check'}`);
          ctx.exitCode = 1;
        }
      });
  },
};

/** Settings the storage type's schema refused are a usage error (exit 2), told in flags (`details.cliMessage`). */
async function settingsAsUsage<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (err) {
    if (isAppError(err, 'InvalidInput') && typeof err.details?.cliMessage === 'string') {
      const hint = err.details.cliHint;
      throw new UsageError(err.details.cliMessage, typeof hint === 'string' ? hint : err.hint);
    }
    throw err;
  }
}
