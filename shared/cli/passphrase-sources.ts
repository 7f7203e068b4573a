/**
 * Where a passphrase comes from for the CLI: a file, an environment variable or a prompt —
 * never argv. The value is never logged and never part of an error message.
 */
import { readFile } from 'node:fs/promises';
import { AppError } from '../core/errors';

/** The passphrase sources, in order of precedence: file, env, prompt. */
export interface PassphraseSources {
  /** A file whose content is the passphrase (one trailing newline is dropped). */
  file?: string;
  /** The name of an environment variable holding the passphrase. */
  env?: string;
  /** Asks a person; called only when neither file nor env is given. */
  prompt?: (question: string) => Promise<string>;
}

const dropOneNewline = (s: string): string => s.replace(/\r?\n$/, '');

/** Reads the passphrase from the first source given (`env` names a variable of `environment`); undefined when none is given. */
export async function readPassphrase(opts: PassphraseSources, environment: Readonly<Record<string, string | undefined>>): Promise<string | undefined> {
  if (opts.file !== undefined) {
    let text: string;
    try {
      text = await readFile(opts.file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        throw new AppError('NotFound', `Passphrase file not found: ${opts.file}`, { hint: 'Check the path given to --passphrase-file.' });
      }
      if (code === 'EACCES' || code === 'EPERM') {
        throw new AppError('PermissionDenied', `Cannot read the passphrase file ${opts.file}.`, { hint: 'Check the file permissions.' });
      }
      if (code === 'EISDIR') {
        throw new AppError('InvalidInput', `The passphrase file ${opts.file} is a directory.`, { hint: 'Point --passphrase-file at a file.' });
      }
      throw new AppError('Fatal', `Cannot read the passphrase file ${opts.file} (${code ?? 'error'}).`, { hint: 'Check the file.' });
    }
    const pw = dropOneNewline(text);
    if (pw === '') throw new AppError('InvalidInput', `The passphrase file ${opts.file} is empty.`, { hint: 'Write the passphrase into the file.' });
    return pw;
  }
  if (opts.env !== undefined) {
    const value = environment[opts.env];
    if (value === undefined) {
      throw new AppError('NotFound', `Environment variable ${opts.env} is not set.`, { hint: `Set ${opts.env} to the passphrase, or use --passphrase-file.` });
    }
    if (value === '') throw new AppError('InvalidInput', `Environment variable ${opts.env} is empty.`, { hint: `Set ${opts.env} to the passphrase.` });
    return value;
  }
  if (opts.prompt) {
    const pw = dropOneNewline(await opts.prompt('Passphrase: '));
    if (pw === '') throw new AppError('InvalidInput', 'No passphrase was entered.', { hint: 'Enter the passphrase of the encrypted backup.' });
    return pw;
  }
  return undefined;
}
