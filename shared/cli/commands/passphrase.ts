/** Shared `--passphrase-file` / `--passphrase-env` / `--remember-passphrase` handling (passphrases never come from argv). */
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { shortPassphraseWarning } from '../../contract/backups';
import { UsageError, type CliContext } from '../context';
import { readPassphrase } from '../passphrase-sources';
import { parsePrivateKey, readPrivateKeyFile } from '../../core/crypto/keys';
import type { GivenPrivateKey } from '../../core/desk/passphrases';

/** Adds the passphrase options to a command. */
export function addPassphraseOptions(cmd: Command): Command {
  return cmd
    .option('--passphrase-file <file>', 'read the passphrase of an encrypted backup from a file')
    .option('--passphrase-env <var>', 'read the passphrase of an encrypted backup from an environment variable')
    .option('--private-key <file>', 'open a backup encrypted to a public key (backup --recipient) with this private key file (armored or binary, as gpg --export-secret-keys writes it); used this once, never stored')
    .option('--private-key-passphrase-file <file>', "the private key's own passphrase, when it is protected (else asked on a terminal)")
    .option(
      '--remember-passphrase',
      "remember the passphrase for the backup's storage (in the keychain or vault) once it has opened the backup; later runs on that storage need none (forget it with `storage forget-passphrase NAME`)",
    );
}

/** The private key options of `addPassphraseOptions`. */
export interface PrivateKeyFlags {
  privateKey?: string;
  privateKeyPassphraseFile?: string;
}

/** The key `--private-key` names, read, with its own passphrase (a file, or a prompt on a terminal when the key is protected). */
export async function privateKeyFrom(ctx: CliContext, opts: PrivateKeyFlags): Promise<GivenPrivateKey | undefined> {
  if (opts.privateKey === undefined) {
    if (opts.privateKeyPassphraseFile !== undefined) throw new UsageError('--private-key-passphrase-file goes with --private-key FILE.');
    return undefined;
  }
  if (!existsSync(opts.privateKey)) throw new UsageError(`Private key file not found: ${opts.privateKey}`, 'Check the path given to --private-key.');
  const armored = await readPrivateKeyFile(opts.privateKey);
  if (opts.privateKeyPassphraseFile !== undefined) {
    checkPassphraseFile(opts.privateKeyPassphraseFile, '--private-key-passphrase-file');
    return { armored, passphrase: (await readPassphrase({ file: opts.privateKeyPassphraseFile }, ctx.io.env))! };
  }
  const locked = !(await parsePrivateKey(armored)).isDecrypted();
  if (locked && ctx.io.stdin.isTTY) return { armored, passphrase: await ctx.prompt('Passphrase of the private key: ') };
  return { armored };
}

/**
 * A passphrase file given with `flag` that is not there, or empty, is a usage error (exit 2),
 * whichever flag names it; reading it (and its other failures) is `readPassphrase`'s.
 */
function checkPassphraseFile(path: string, flag: string): void {
  if (!existsSync(path)) throw new UsageError(`Passphrase file not found: ${path}`, `Check the path given to ${flag}.`);
  if (statSync(path).isFile() && readFileSync(path, 'utf8').replace(/\r?\n$/, '') === '') {
    throw new UsageError(`The passphrase file ${path} is empty.`, 'Write the passphrase into the file.');
  }
}

/** Asks for a new passphrase twice on the terminal (a typo would make every backup made with it unreadable). */
export async function promptNewPassphrase(ctx: CliContext, question: string): Promise<string> {
  const first = await ctx.prompt(question);
  const again = await ctx.prompt('Repeat it: ');
  if (first !== again) throw new UsageError('The two passphrases differ: nothing was done.', 'Type the same passphrase twice, or give it with --passphrase-file.');
  return first;
}

/**
 * The passphrase from the options; a prompt on a terminal when `required` (asked twice when `confirm`:
 * a new passphrase to encrypt with); undefined otherwise.
 */
export async function passphraseFrom(ctx: CliContext, opts: { passphraseFile?: string; passphraseEnv?: string; rememberPassphrase?: boolean }, required: boolean, confirm = false): Promise<string | undefined> {
  required ||= opts.rememberPassphrase === true;
  if (opts.passphraseFile !== undefined && opts.passphraseEnv !== undefined) {
    throw new UsageError('Give either --passphrase-file or --passphrase-env, not both.');
  }
  if (opts.passphraseEnv !== undefined && ctx.io.env[opts.passphraseEnv] === undefined) {
    throw new UsageError(`Environment variable ${opts.passphraseEnv} is not set.`, `Set ${opts.passphraseEnv} to the passphrase, or use --passphrase-file.`);
  }
  if (opts.passphraseFile !== undefined) checkPassphraseFile(opts.passphraseFile, '--passphrase-file');
  const prompt = required && ctx.io.stdin.isTTY ? (q: string) => (confirm ? promptNewPassphrase(ctx, q) : ctx.prompt(q)) : undefined;
  const pw = await readPassphrase(
    {
      ...(opts.passphraseFile !== undefined ? { file: opts.passphraseFile } : {}),
      ...(opts.passphraseEnv !== undefined ? { env: opts.passphraseEnv } : {}),
      ...(prompt ? { prompt } : {}),
    },
    ctx.io.env,
  );
  const short = confirm && pw !== undefined ? shortPassphraseWarning(pw) : undefined;
  if (short) ctx.warn(short);
  if (pw === undefined && required) {
    throw new UsageError(
      opts.rememberPassphrase ? '--remember-passphrase needs a passphrase to remember.' : confirm ? 'This needs the passphrase to encrypt the backups with.' : 'This needs the passphrase of the encrypted backup.',
      confirm || opts.rememberPassphrase
        ? 'Use --passphrase-file FILE or --passphrase-env VAR (or run it in a terminal to be asked).'
        : 'Use --passphrase-file FILE or --passphrase-env VAR (or run it in a terminal to be asked); for a backup encrypted to a public key, --private-key FILE.',
    );
  }
  return pw;
}

/** What `backupPassphrase` asks of the Desk. */
interface PassphraseLookup {
  looksEncrypted(refOrPath: string): boolean;
  rememberedPassphrase(ref: string): Promise<string | undefined>;
}

/**
 * The passphrase to open the backup `source` (a ref or a file): required (a prompt on a terminal,
 * else a usage error) when its name says it is encrypted and no passphrase is remembered for its
 * storage — or when one was given anyway (a file or variable that cannot be read is an error).
 */
export async function backupPassphrase(ctx: CliContext, desk: PassphraseLookup, source: string, opts: { passphraseFile?: string; passphraseEnv?: string; rememberPassphrase?: boolean; privateKey?: string }): Promise<string | undefined> {
  const given = opts.passphraseFile !== undefined || opts.passphraseEnv !== undefined;
  // A private key opens what was encrypted to its public key: then a passphrase is only taken when given.
  if (opts.privateKey !== undefined && !given) return undefined;
  return passphraseFrom(ctx, opts, desk.looksEncrypted(source) && (given || (await desk.rememberedPassphrase(source)) === undefined));
}
