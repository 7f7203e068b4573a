/**
 * `storage connect NAME`: signs a Dropbox or Google Drive storage in through the browser
 * (OAuth 2.0 + PKCE, loopback redirect; the URL is printed and the command waits), or
 * imports a credential people already have from odoo_backup_sh: a Google service-account
 * JSON key (`--service-account-file F`, `-` for stdin) or a legacy Dropbox access token
 * (`--dropbox-token-env VAR` / `--dropbox-token-stdin`). The same import flags are added to
 * `storage add`. Secrets come from files, environment variables or stdin — never argv.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { connectStorage } from '../../core/auth/oauth-flow';
import { importDropboxAccessToken, importServiceAccountKey, parseServiceAccountKey } from '../../core/auth/imports';
import { clearConnectionStatus } from '../../core/auth/connection-status';
import { isOAuthKind, OAUTH_PRESETS } from '../../core/auth/oauth-providers';
import { ConfigStore } from '../../core/config';
import type { Desk } from '../../core/desk';
import { UsageError, type CliContext } from '../context';
import { readStdin } from '../io';
import { commandGroup, type CommandModule } from './index';

/** Credential flags shared by `storage connect` and `storage add`. */
interface CredentialFlags {
  serviceAccountFile?: string;
  dropboxTokenEnv?: string;
  dropboxTokenStdin?: boolean;
  clientSecretEnv?: string;
}

/** A credential read and validated before anything is changed. */
type PendingCredential =
  | { type: 'service-account'; json: string }
  | { type: 'dropbox-token'; token: string }
  | { type: 'oauth'; clientSecret: string | undefined };

function addCredentialOptions(cmd: Command): Command {
  return cmd
    .option('--service-account-file <file>', 'Google Drive: import a service-account JSON key from FILE ("-" reads stdin), as odoo_backup_sh used')
    .option('--dropbox-token-env <VAR>', 'Dropbox: import a legacy long-lived access token from environment variable VAR')
    .option('--dropbox-token-stdin', 'Dropbox: import a legacy long-lived access token from stdin')
    .option('--client-secret-env <VAR>', 'Google desktop OAuth client: its client secret from environment variable VAR');
}

async function readCredential(ctx: CliContext, kind: string, name: string, f: CredentialFlags): Promise<PendingCredential | undefined> {
  const chosen = [f.serviceAccountFile !== undefined, f.dropboxTokenEnv !== undefined, f.dropboxTokenStdin === true].filter(Boolean).length;
  if (chosen > 1) throw new UsageError('Give only one of --service-account-file, --dropbox-token-env, --dropbox-token-stdin.');
  if ((f.serviceAccountFile !== undefined || f.clientSecretEnv !== undefined) && kind !== 'gdrive') {
    throw new UsageError(`--service-account-file and --client-secret-env are for Google Drive storages; "${name}" is a ${kind} storage.`);
  }
  if ((f.dropboxTokenEnv !== undefined || f.dropboxTokenStdin) && kind !== 'dropbox') {
    throw new UsageError(`--dropbox-token-env/--dropbox-token-stdin are for Dropbox storages; "${name}" is a ${kind} storage.`);
  }
  if (f.serviceAccountFile !== undefined) {
    let text: string;
    if (f.serviceAccountFile === '-') text = await readStdin(ctx.io);
    else {
      try {
        text = await readFile(f.serviceAccountFile, 'utf8');
      } catch (err) {
        throw new UsageError(`Cannot read the service-account key file ${f.serviceAccountFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}.`);
      }
    }
    parseServiceAccountKey(text); // validate before changing anything
    return { type: 'service-account', json: text };
  }
  if (f.dropboxTokenEnv !== undefined) {
    const token = ctx.io.env[f.dropboxTokenEnv];
    if (!token) throw new UsageError(`Environment variable ${f.dropboxTokenEnv} is not set or empty.`);
    return { type: 'dropbox-token', token };
  }
  if (f.dropboxTokenStdin) return { type: 'dropbox-token', token: (await readStdin(ctx.io)).trim() };
  if (f.clientSecretEnv !== undefined) {
    const secret = ctx.io.env[f.clientSecretEnv];
    if (!secret) throw new UsageError(`Environment variable ${f.clientSecretEnv} is not set or empty.`);
    return { type: 'oauth', clientSecret: secret };
  }
  return undefined;
}

/** Stores an imported credential for a configured storage; the config keeps only the service account's e-mail. */
async function storeImported(ctx: CliContext, desk: Desk, name: string, cred: Exclude<PendingCredential, { type: 'oauth' }>): Promise<void> {
  const entry = await desk.storageEntry(name);
  const secrets = await desk.secrets();
  if (cred.type === 'service-account') {
    const { clientEmail } = await importServiceAccountKey(secrets, entry.secretScope, cred.json);
    await secrets.delete(entry.secretScope, 'refreshToken');
    await new ConfigStore(desk.home).update((cfg) => ({
      config: { ...cfg, storages: cfg.storages.map((s) => (s.id === entry.id ? { ...s, settings: { ...s.settings, clientEmail } } : s)) },
      result: undefined,
    }));
    await clearConnectionStatus(desk.home, name);
    ctx.out(`imported the service-account key of ${clientEmail} for storage ${name}`);
    ctx.err(`remember to share the Drive folder with ${clientEmail} (Editor).`);
  } else {
    await importDropboxAccessToken(secrets, entry.secretScope, cred.token);
    await secrets.delete(entry.secretScope, 'refreshToken');
    await clearConnectionStatus(desk.home, name);
    ctx.out(`imported the Dropbox access token for storage ${name}`);
  }
}

/** Opens `url` in the system browser (argv holds only the URL: no secrets are in it). */
function openInBrowser(url: string): void {
  const [cmd, args] =
    process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]];
  const child = spawn(cmd as string, args as string[], { stdio: 'ignore', detached: true });
  child.on('error', () => undefined);
  child.unref();
}

/** The `storage connect` command, and the import flags of `storage add`. */
export const storageConnectCommand: CommandModule = {
  register(program: Command, ctx: CliContext) {
    const storage = commandGroup(program, 'storage', 'configure storages (folders, S3, Dropbox, Google Drive, Swift, SFTP)');

    const connect = storage
      .command('connect')
      .description('sign a Dropbox or Google Drive storage in through your browser (or import an existing key/token)')
      .argument('<name>', 'a configured Dropbox or Google Drive storage')
      .option('--open', 'open the sign-in address in the default browser (it is always printed)')
      .option('--timeout <seconds>', 'how long to wait for the browser sign-in', '300')
      .option('--port <port>', 'a fixed loopback port for the sign-in answer (default: a random free port)');
    addCredentialOptions(connect).action(async (name: string, opts: CredentialFlags & { open?: boolean; timeout: string; port?: string }, cmd: Command) => {
      const timeout = Number(opts.timeout);
      if (!Number.isFinite(timeout) || timeout <= 0) throw new UsageError('--timeout must be a number of seconds.');
      const port = opts.port === undefined ? undefined : Number(opts.port);
      if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) throw new UsageError('--port must be a TCP port number (1-65535).');
      const desk = await ctx.desk(cmd);
      const entry = await desk.storageEntry(name);
      if (!isOAuthKind(entry.kind)) {
        throw new UsageError(`Storage "${name}" is a ${entry.kind} storage: only Dropbox and Google Drive storages connect through the browser.`);
      }
      const kind = entry.kind;
      const cred = await readCredential(ctx, kind, name, opts);
      if (cred && cred.type !== 'oauth') return storeImported(ctx, desk, name, cred);
      const secrets = await desk.secrets();
      await connectStorage({
        kind,
        storageName: name,
        scope: entry.secretScope,
        settings: entry.settings,
        secrets,
        home: desk.home,
        env: ctx.io.env,
        signal: ctx.interrupt.signal,
        timeoutMs: timeout * 1000,
        ...(port ? { redirectPort: port } : {}),
        ...(cred?.type === 'oauth' && cred.clientSecret ? { clientSecret: cred.clientSecret } : {}),
        openUrl: (url) => {
          ctx.err(`To connect storage ${name}, sign in to ${OAUTH_PRESETS[kind].label} in a browser on this machine:`);
          ctx.err(`  ${url}`);
          ctx.err(`waiting for the sign-in (up to ${timeout} s; Ctrl-C cancels)…`);
          if (opts.open) openInBrowser(url);
        },
      });
      ctx.out(`connected storage ${name}`);
    });

    // `storage add … --service-account-file F | --dropbox-token-env VAR`: validated before the
    // storage is added, stored right after.
    const add = storage.commands.find((c) => c.name() === 'add');
    if (add) {
      addCredentialOptions(add);
      let pending: PendingCredential | undefined;
      add.hook('preAction', async (_this, action) => {
        const opts = action.opts() as CredentialFlags & { type?: string };
        pending = await readCredential(ctx, String(opts.type), String(action.args[0]), opts);
      });
      add.hook('postAction', async (_this, action) => {
        const cred = pending;
        pending = undefined;
        if (!cred) return;
        const name = String(action.args[0]);
        const desk = await ctx.desk(action);
        if (cred.type === 'oauth') {
          if (cred.clientSecret) {
            const entry = await desk.storageEntry(name);
            await (await desk.secrets()).set(entry.secretScope, 'clientSecret', cred.clientSecret);
          }
          return;
        }
        await storeImported(ctx, desk, name, cred);
      });
    }
  },
};
