/**
 * `verify REF|FILE [--json]`: reads a backup through without restoring it — decrypted, every zip
 * member's CRC-32, the whole dump, every filestore file against its SHA-1 name, and the files the
 * attachments reference — and says whether a restore would get all of it. Exit 1 on problems.
 */
import type { Command } from 'commander';
import type { VerifyReport } from '../../contract/verify';
import type { CliContext } from '../context';
import type { CommandModule } from './index';
import { withJsonVerdict } from './json-verdict';
import { addPassphraseOptions, backupPassphrase, privateKeyFrom, type PrivateKeyFlags } from './passphrase';

/** The options of `verify`. */
interface VerifyOptions extends PrivateKeyFlags {
  json?: boolean;
  passphraseFile?: string;
  passphraseEnv?: string;
  rememberPassphrase?: boolean;
}

function print(ctx: CliContext, r: VerifyReport): void {
  ctx.out(`${r.ok ? 'OK' : 'PROBLEMS'}: ${r.name}`);
  for (const c of r.checks) ctx.out(`  ok   ${c}`);
  for (const p of r.problems) ctx.out(`  FAIL ${p}`);
  for (const n of r.notes) ctx.out(`  note ${n}`);
  if (r.manifest?.odooVersion) ctx.out(`  Odoo ${r.manifest.odooVersion}${r.manifest.database ? `, database ${r.manifest.database}` : ''}`);
}

/** The `verify` command. */
export const verifyCommand: CommandModule = {
  register(program: Command, ctx: CliContext) {
    addPassphraseOptions(
      program
        .command('verify')
        .description("check a backup without restoring it: its sha256 against the one its companion records (.info, sidecar, .sha256 file), decrypts it (OpenPGP integrity check), reads every zip member (CRC-32), the whole database dump (pg_restore for a custom-format dump), every filestore file against the SHA-1 in its name, and whether every file the attachments reference is there (objects kept in S3/Swift that the backup does not hold: a note, not self-contained); exit 1 when it finds a problem")
        .argument('<ref|file>', 'a ref NAME:KEY from `list`, or a backup file or folder on this machine')
        .option('--json', 'print the result as JSON'),
    ).action(async (source: string, o: VerifyOptions, cmd: Command) => {
      const desk = await ctx.desk(cmd);
      const privateKey = await privateKeyFrom(ctx, o);
      const passphrase = await backupPassphrase(ctx, desk, source, o);
      const job = desk.verify.startVerify({ source, ...(passphrase !== undefined ? { passphrase } : {}), ...(privateKey ? { privateKey } : {}), ...(o.rememberPassphrase ? { rememberPassphrase: true } : {}) });
      const r = await withJsonVerdict(ctx, o.json, source, () => ctx.runJob(desk, job));
      if (o.json) ctx.out(JSON.stringify(r, null, 2));
      else print(ctx, r);
      if (!r.ok) ctx.exitCode = 1;
    });
  },
};
