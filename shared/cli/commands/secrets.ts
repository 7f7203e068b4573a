/**
 * `secrets status` and `secrets vault init`: where this home's secrets live (OS keychain or
 * the encrypted vault), and creating the explicit, opt-in vault for machines without a
 * keychain. The vault passphrase comes from the file named by
 * BACKUP_DESK_VAULT_PASSPHRASE_FILE or a hidden prompt (asked twice) — never argv.
 */
import type { Command } from 'commander';
import { resolveHome } from '../../core/config';
import { openSecretStore, passphraseFromEnvFile, VaultSecretStore, vaultPath, VAULT_PASSPHRASE_FILE_ENV } from '../../core/secrets';
import { toAppError } from '../../core/errors';
import { UsageError, type CliContext } from '../context';
import { commandGroup, type CommandModule } from './index';

/** The `secrets` command group. */
export const secretsCommand: CommandModule = {
  register(program: Command, ctx: CliContext) {
    const secrets = commandGroup(program, 'secrets', 'where secrets are kept: the OS keychain or an encrypted vault');
    const homeOf = (cmd: Command): string => resolveHome({ home: (cmd.optsWithGlobals() as { home?: string }).home, env: ctx.io.env });

    secrets
      .command('status')
      .description('say which secret store this home uses, and whether it works')
      .action(async (_opts: unknown, cmd: Command) => {
        const home = homeOf(cmd);
        try {
          const store = await openSecretStore(home, { env: ctx.io.env, ...(ctx.io.stdin.isTTY ? { vaultPassphrase: () => ctx.prompt('Vault passphrase: ') } : {}) });
          ctx.out(store.backend === 'vault' ? `vault (${vaultPath(home)})` : store.backend === 'keychain' ? 'OS keychain' : store.backend);
        } catch (err) {
          const e = toAppError(err);
          ctx.out('unavailable');
          throw e;
        }
      });

    const vault = commandGroup(secrets, 'vault', 'the passphrase-encrypted vault file (for machines without an OS keychain)');
    vault
      .command('init')
      .description(`create ${'<home>'}/secrets.vault (scrypt + AES-256-GCM); passphrase from $${VAULT_PASSPHRASE_FILE_ENV} or a prompt`)
      .option('--cost <log2N>', 'scrypt cost as log2(N), 15 to 17', '16')
      .action(async (opts: { cost: string }, cmd: Command) => {
        const home = homeOf(cmd);
        const logN = Number(opts.cost);
        if (!Number.isInteger(logN) || logN < 15 || logN > 17) throw new UsageError('--cost must be 15, 16 or 17.');
        let passphrase = await passphraseFromEnvFile(ctx.io.env);
        if (passphrase === undefined) {
          if (!ctx.io.stdin.isTTY) {
            throw new UsageError('A vault passphrase is needed and there is no terminal to ask for it.', `Set ${VAULT_PASSPHRASE_FILE_ENV} to a file holding it.`);
          }
          passphrase = await ctx.prompt('New vault passphrase: ');
          if ((await ctx.prompt('Repeat it: ')) !== passphrase) throw new UsageError('The two passphrases differ.');
        }
        if (passphrase.length < 8) throw new UsageError('Choose a vault passphrase of at least 8 characters (a few words are best).');
        await VaultSecretStore.create(home, passphrase, { logN });
        ctx.out(`created the secrets vault ${vaultPath(home)}`);
        ctx.err('from now on, secrets of this home are kept in the vault (secrets already in the OS keychain stay there: add those storages again).');
      });
  },
};
