/** `download REF --out PATH [--decrypt]`: a verified copy of a backup on this machine. */
import type { Command } from 'commander';
import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { AppError } from '../../core/errors';
import { UsageError, type CliContext } from '../context';
import { formatBytes } from '../format';
import type { CommandModule } from './index';
import { decryptWith } from '../../core/desk/passphrases';
import { addPassphraseOptions, passphraseFrom, privateKeyFrom, type PrivateKeyFlags } from './passphrase';

/** The `download` command. */
export const downloadCommand: CommandModule = {
  register(program: Command, ctx: CliContext) {
    addPassphraseOptions(
      program
        .command('download')
        .description('download a backup; written to PATH.part and renamed only once complete and verified (size, checksum, zip structure); multi-file backups (click-odoo folders, dump + filestore/) become a folder')
        .argument('<ref>', 'a ref NAME:KEY from `list`')
        .requiredOption('--out <path>', 'the file to write (or an existing folder to write into)')
        .option('--decrypt', 'decrypt an OpenPGP-encrypted backup on the way (the passphrase is asked for, given with the options below, or the one remembered for the storage)'),
    ).action(async (ref: string, opts: { out: string; decrypt?: boolean; passphraseFile?: string; passphraseEnv?: string; rememberPassphrase?: boolean } & PrivateKeyFlags, cmd: Command) => {
      const desk = await ctx.desk(cmd);
      if (!opts.decrypt && opts.privateKey !== undefined) throw new UsageError('--private-key goes with --decrypt.', 'Add --decrypt to save the backup decrypted, or leave the key out to save it as it is.');
      const out = resolve(opts.out);
      // A mistyped --out must not create a tree of folders: the folder it goes in has to exist.
      if (!(await isFolder(out)) && !(await isFolder(dirname(out)))) {
        throw new UsageError(`The folder ${dirname(out)} does not exist.`, 'Create it first, or give --out a path in an existing folder.');
      }
      // Checked before asking for a passphrase, and said in the CLI's words.
      const dest = await desk['download:check-destination']({ ref, out, decrypt: opts.decrypt === true });
      if (dest.existing) throw new AppError('Conflict', `${dest.path} already exists.`, { hint: 'Choose another --out path, or remove it first.' });
      // A passphrase remembered for the storage (--remember-passphrase earlier) makes one optional.
      const given = opts.passphraseFile !== undefined || opts.passphraseEnv !== undefined;
      // No passphrase is asked for a backup whose name says it is not encrypted: it is saved as it is.
      const privateKey = opts.decrypt ? await privateKeyFrom(ctx, opts) : undefined;
      const ask = opts.decrypt === true && (given || (desk.looksEncrypted(ref) && !privateKey));
      const passphrase = ask ? await passphraseFrom(ctx, opts, given || (await desk.rememberedPassphrase(ref)) === undefined) : undefined;
      const decrypt = opts.decrypt ? { decrypt: decryptWith(passphrase, privateKey).decrypt ?? {} } : {};
      const job = desk.startDownload({ ref, out, ...decrypt, ...(opts.rememberPassphrase ? { rememberPassphrase: true } : {}) });
      const r = await ctx.runJob(desk, job);
      ctx.out(`downloaded ${r.path} (${formatBytes(r.bytes)}; verified: ${r.verified.join(', ')})${opts.decrypt && !r.decrypted ? '; it is not encrypted: saved as it is' : ''}`);
    });
  },
};

/** True when `path` is an existing folder. */
function isFolder(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}
