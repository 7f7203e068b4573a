/**
 * OAuth 2.0 for native apps (RFC 8252): authorization code + PKCE (S256) + `state`, the
 * system browser, a loopback redirect on `http://127.0.0.1:<random port>/callback`, then
 * the token exchange. `connectStorage` stores only the refresh token (secret
 * `refreshToken` in the storage's scope) and returns once it is stored.
 *
 * The browser is opened by the caller: the Electron host passes `shell.openExternal`, the
 * CLI prints the URL and waits. Tokens never reach a log, an error message or argv.
 */
import { AppError } from '../errors';
import type { SecretStore } from '../secrets/secret-store';
import { nullLogger, type Logger } from '../util/logger';
import { clearConnectionStatus } from './connection-status';
import { startLoopbackReceiver } from './loopback';
import { resolveOAuthClient, type OAuthClient, type OAuthKind } from './oauth-providers';
import { createPkce, createState } from './pkce';

/** What the token endpoint returned (the access token is handed on, never stored). */
export interface TokenSet {
  readonly accessToken: string;
  readonly refreshToken: string | undefined;
  readonly expiresIn: number | undefined;
  readonly scope: string | undefined;
}

/** Options of `authorizeInBrowser`. */
export interface AuthorizeOptions {
  readonly client: OAuthClient;
  /** Opens the URL in the system browser (Electron: shell.openExternal; CLI: print it). */
  readonly openUrl: (url: string) => void | Promise<void>;
  /** Google desktop clients: their (non-confidential) client secret for the exchange. */
  readonly clientSecret?: string;
  readonly signal?: AbortSignal;
  /** How long to wait for the browser (default 5 minutes). */
  readonly timeoutMs?: number;
  /** A fixed loopback port (default: a random free one, as RFC 8252 intends). */
  readonly redirectPort?: number;
  readonly fetch?: typeof fetch;
  readonly log?: Logger;
}

/** The authorization URL for one attempt (exported for tests and diagnostics). */
export function buildAuthorizationUrl(client: OAuthClient, redirectUri: string, challenge: string, state: string): string {
  const url = new URL(client.authUrl);
  const params: Record<string, string> = {
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: redirectUri,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state,
    ...client.authParams,
  };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.toString();
}

/** Exchanges an authorization code (with its PKCE verifier) for tokens. */
export async function exchangeCode(
  client: OAuthClient,
  code: string,
  verifier: string,
  redirectUri: string,
  opts: { clientSecret?: string; signal?: AbortSignal; fetch?: typeof fetch } = {},
): Promise<TokenSet> {
  const body = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: client.clientId, code_verifier: verifier });
  if (opts.clientSecret) body.set('client_secret', opts.clientSecret);
  let res: Response;
  try {
    res = await (opts.fetch ?? fetch)(client.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  } catch (err) {
    if (opts.signal?.aborted) throw new AppError('Cancelled', 'The sign-in was cancelled.');
    throw new AppError('Transient', `Could not reach the token endpoint ${new URL(client.tokenUrl).host}.`, { cause: err, hint: 'Check the network connection and try again.' });
  }
  const json = (await res.json().catch(() => ({}))) as { access_token?: string; refresh_token?: string; expires_in?: number; scope?: string; error?: string; error_description?: string };
  if (!res.ok || !json.access_token) {
    if (res.status >= 500 || res.status === 429) {
      throw new AppError('Transient', `The token endpoint failed (HTTP ${res.status}).`, { hint: 'Try connecting again in a moment.' });
    }
    throw new AppError('AuthFailed', `The sign-in could not be completed: the token endpoint answered ${json.error ?? `HTTP ${res.status}`}.`, {
      hint:
        json.error === 'invalid_client' || json.error === 'unauthorized_client'
          ? 'Check the client id (and, for a Google desktop client, its client secret); see docs/oauth-clients.md.'
          : 'Try connecting again; if it keeps failing, check the storage\'s clientId, authUrl and tokenUrl.',
      details: { oauthError: json.error },
    });
  }
  return { accessToken: json.access_token, refreshToken: json.refresh_token, expiresIn: json.expires_in, scope: json.scope };
}

/**
 * Runs the browser sign-in: starts the loopback receiver, opens the authorization URL,
 * waits for the redirect (timeout/cancel), exchanges the code. Always closes the receiver.
 */
export async function authorizeInBrowser(opts: AuthorizeOptions): Promise<TokenSet> {
  const log = opts.log ?? nullLogger;
  const pkce = createPkce();
  const state = createState();
  const receiver = await startLoopbackReceiver(opts.redirectPort ?? 0);
  try {
    const url = buildAuthorizationUrl(opts.client, receiver.redirectUri, pkce.challenge, state);
    const waiting = receiver.waitForCode(state, { ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}) });
    waiting.catch(() => undefined); // handled below; avoid an unhandled rejection while openUrl runs
    log.info('oauth: waiting for the browser sign-in', { kind: opts.client.kind, redirectUri: receiver.redirectUri });
    try {
      await opts.openUrl(url);
    } catch (err) {
      throw new AppError('Fatal', 'Could not open the browser for the sign-in.', { cause: err, hint: 'Open the printed address in a browser on this machine.' });
    }
    const { code } = await waiting;
    const tokens = await exchangeCode(opts.client, code, pkce.verifier, receiver.redirectUri, {
      ...(opts.clientSecret ? { clientSecret: opts.clientSecret } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
    });
    log.info('oauth: signed in', { kind: opts.client.kind, offline: tokens.refreshToken !== undefined });
    return tokens;
  } finally {
    await receiver.close();
  }
}

/** Options of `connectStorage`. */
export interface ConnectStorageOptions {
  readonly kind: OAuthKind;
  readonly storageName: string;
  /** The storage's secret scope (`storage:<id>`). */
  readonly scope: string;
  /** The storage's non-secret settings (`clientId`, `authUrl`, `tokenUrl`, `oauthScope`). */
  readonly settings: Readonly<Record<string, unknown>>;
  readonly secrets: SecretStore;
  readonly openUrl: (url: string) => void | Promise<void>;
  /** Home folder: a recorded "needs-reconnect" is cleared there after success. */
  readonly home?: string;
  /** Google desktop client secret: stored as secret `clientSecret` when given, else the stored one is used. */
  readonly clientSecret?: string;
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
  /** A fixed loopback port for the redirect (default: random). */
  readonly redirectPort?: number;
  readonly fetch?: typeof fetch;
  readonly env?: NodeJS.ProcessEnv;
  readonly log?: Logger;
}

/** What a connect achieved (no tokens). */
export interface ConnectResult {
  readonly storageName: string;
  /** Scopes the server granted, when it said. */
  readonly grantedScope: string | undefined;
}

/**
 * Connects (or reconnects) an OAuth storage: browser sign-in, then the refresh token is
 * stored as `scope`/`refreshToken` (a legacy `accessToken` is removed). Resolves after the
 * token is stored.
 */
export async function connectStorage(opts: ConnectStorageOptions): Promise<ConnectResult> {
  const client = resolveOAuthClient(opts.kind, opts.settings, opts.storageName, opts.env);
  const clientSecret = opts.clientSecret ?? (await opts.secrets.get(opts.scope, 'clientSecret'));
  const tokens = await authorizeInBrowser({
    client,
    openUrl: opts.openUrl,
    ...(clientSecret ? { clientSecret } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.redirectPort ? { redirectPort: opts.redirectPort } : {}),
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
    ...(opts.log ? { log: opts.log } : {}),
  });
  if (!tokens.refreshToken) {
    throw new AppError('AuthFailed', `The sign-in for "${opts.storageName}" gave no refresh token, so the app could not stay connected.`, {
      hint:
        opts.kind === 'gdrive'
          ? 'Remove the app\'s access at https://myaccount.google.com/permissions and connect again (Google sends a refresh token only on first consent).'
          : 'Connect again; check that the Dropbox app allows offline access.',
    });
  }
  if (opts.clientSecret) await opts.secrets.set(opts.scope, 'clientSecret', opts.clientSecret);
  await opts.secrets.set(opts.scope, 'refreshToken', tokens.refreshToken);
  await opts.secrets.delete(opts.scope, 'accessToken');
  if (opts.home) await clearConnectionStatus(opts.home, opts.storageName);
  return { storageName: opts.storageName, grantedScope: tokens.scope };
}
