/**
 * Access tokens for OAuth storages (Dropbox, Google Drive). Providers ask a `TokenSource`
 * for a token before each request and call `invalidate()` after a 401, so refresh,
 * expiry and revocation are handled in one place, not in each provider.
 *
 * Tokens are never logged and never put in error messages or details.
 */
import { createSign } from 'node:crypto';
import { AppError } from '../errors';
import type { SecretStore } from '../secrets/secret-store';
import { clearConnectionStatus, markNeedsReconnect } from './connection-status';

/** Supplies bearer tokens. */
export interface TokenSource {
  /** A currently valid access token; `AuthFailed` (with a "reconnect" hint) when the grant is gone. */
  accessToken(signal?: AbortSignal): Promise<string>;
  /** Forget the cached token (after the server answered 401). */
  invalidate(): void;
}

/** A fixed token (legacy Dropbox long-lived tokens, tests). */
export function staticTokenSource(token: string): TokenSource {
  return { accessToken: async () => token, invalidate: () => undefined };
}

/** How to refresh a token: the OAuth token endpoint and the public client id. */
export interface RefreshSpec {
  readonly tokenUrl: string;
  readonly clientId: string;
  /** Name of the storage, for messages (and the reconnect status). */
  readonly storageName: string;
  /**
   * Google "Desktop app" clients also send their (non-confidential) client secret. When
   * undefined, the secret store's `scope`/`clientSecret` is used if present.
   */
  readonly clientSecret?: string;
  /** When set, `invalid_grant` records "needs-reconnect" for the storage in this home folder (and a good refresh clears it). */
  readonly statusHome?: string;
  /** Called once when the grant turns out revoked or expired (after the status is recorded). */
  readonly onReconnectNeeded?: (reason: string) => void | Promise<void>;
}

interface TokenResponse {
  access_token?: string;
  expires_in?: number;
  refresh_token?: string;
  error?: string;
  error_description?: string;
}

function reconnectError(storageName: string, reason: string): AppError {
  return new AppError('AuthFailed', `The sign-in for storage "${storageName}" was revoked or has expired.`, {
    hint: `Reconnect it: \`backup-desk storage connect ${storageName}\` (or Connect in the app).`,
    details: { reconnect: true, reason },
  });
}

/**
 * A token source that refreshes with the refresh token kept in the secret store under
 * `scope`/`refreshToken`. An `invalid_grant` answer (revoked, expired, Google's 7-day
 * testing-mode expiry) becomes `AuthFailed` with details `{ reconnect: true }` and, with
 * `spec.statusHome`, a recorded "needs-reconnect" status. Concurrent callers share one
 * refresh; a rotated refresh token (when the server sends a new one) is stored.
 */
export function refreshingTokenSource(spec: RefreshSpec, secrets: SecretStore, scope: string, fetchImpl: typeof fetch = fetch): TokenSource {
  let cached: { token: string; expiresAt: number } | undefined;
  let inflight: Promise<string> | undefined;

  const reconnect = async (reason: string): Promise<AppError> => {
    if (spec.statusHome) await markNeedsReconnect(spec.statusHome, spec.storageName, reason).catch(() => undefined);
    if (spec.onReconnectNeeded) await Promise.resolve(spec.onReconnectNeeded(reason)).catch(() => undefined);
    return reconnectError(spec.storageName, reason);
  };

  const refresh = async (signal?: AbortSignal): Promise<string> => {
    const refreshToken = await secrets.get(scope, 'refreshToken');
    if (!refreshToken) {
      throw new AppError('AuthFailed', `Storage "${spec.storageName}" is not connected.`, {
        hint: `Run \`backup-desk storage connect ${spec.storageName}\` (or press Connect in the app).`,
        details: { reconnect: true, reason: 'not-connected' },
      });
    }
    const clientSecret = spec.clientSecret ?? (await secrets.get(scope, 'clientSecret'));
    const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: spec.clientId });
    if (clientSecret) body.set('client_secret', clientSecret);
    let res: Response;
    try {
      res = await fetchImpl(spec.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body,
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      if (signal?.aborted) throw new AppError('Cancelled', 'The token refresh was cancelled.');
      throw new AppError('Transient', `Could not reach the sign-in server for "${spec.storageName}".`, { cause: err, hint: 'Check the network connection and try again.' });
    }
    const json = (await res.json().catch(() => ({}))) as TokenResponse;
    if (!res.ok || !json.access_token) {
      if (json.error === 'invalid_grant' || (res.status === 400 && !json.error)) {
        throw await reconnect(json.error === 'invalid_grant' ? 'invalid_grant' : `HTTP ${res.status}`);
      }
      if (json.error === 'invalid_client' || json.error === 'unauthorized_client') {
        throw new AppError('AuthFailed', `The sign-in server rejected the OAuth client of storage "${spec.storageName}" (${json.error}).`, {
          hint: 'Check the storage\'s client id (and client secret for Google desktop clients); see docs/oauth-clients.md.',
          details: { oauthError: json.error },
        });
      }
      if (res.status >= 500 || res.status === 429) {
        const retryAfter = Number(res.headers.get('retry-after'));
        throw new AppError('Transient', `Token refresh for "${spec.storageName}" failed (HTTP ${res.status}).`, {
          hint: 'The sign-in server is busy or failing; try again shortly.',
          ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
        });
      }
      if (res.status === 401 || res.status === 400) throw await reconnect(json.error ?? `HTTP ${res.status}`);
      throw new AppError('Fatal', `Token refresh for "${spec.storageName}" failed (HTTP ${res.status}).`, { hint: 'Check the storage\'s tokenUrl setting.' });
    }
    if (json.refresh_token && json.refresh_token !== refreshToken) await secrets.set(scope, 'refreshToken', json.refresh_token);
    if (spec.statusHome) await clearConnectionStatus(spec.statusHome, spec.storageName).catch(() => undefined);
    const ttl = typeof json.expires_in === 'number' && json.expires_in > 0 ? json.expires_in : 3600;
    cached = { token: json.access_token, expiresAt: Date.now() + ttl * 1000 };
    return cached.token;
  };

  return {
    invalidate: () => {
      cached = undefined;
    },
    accessToken: async (signal) => {
      if (cached && cached.expiresAt - 60_000 > Date.now()) return cached.token;
      if (!inflight) {
        inflight = refresh(signal).finally(() => {
          inflight = undefined;
        });
      }
      return inflight;
    },
  };
}

/** The fields of a Google service-account JSON key we use. */
export interface ServiceAccountKey {
  readonly type: 'service_account';
  readonly client_email: string;
  readonly private_key: string;
  readonly private_key_id?: string;
  readonly token_uri?: string;
  readonly project_id?: string;
}

/** Options of `serviceAccountTokenSource`. */
export interface ServiceAccountSpec {
  readonly storageName: string;
  /** OAuth scope; default `https://www.googleapis.com/auth/drive` (as odoo_backup_sh used). */
  readonly scope?: string;
  /** Overrides the key's `token_uri` (tests, proxies). */
  readonly tokenUrl?: string;
}

/**
 * Access tokens for a Google service account (odoo_backup_sh's way): a JWT signed RS256
 * with the key's private key, exchanged at `token_uri` (RFC 7523 jwt-bearer grant). The key
 * JSON is read from the secret store (`scope`/`serviceAccountKey`) on each refresh.
 */
export function serviceAccountTokenSource(spec: ServiceAccountSpec, secrets: SecretStore, scope: string, fetchImpl: typeof fetch = fetch): TokenSource {
  let cached: { token: string; expiresAt: number } | undefined;
  const fetchToken = async (signal?: AbortSignal): Promise<string> => {
    const raw = await secrets.get(scope, 'serviceAccountKey');
    if (!raw) {
      throw new AppError('AuthFailed', `Storage "${spec.storageName}" has no service-account key.`, {
        hint: 'Import the service-account key again (connect the storage again).',
        details: { cliHint: `Import it again: \`backup-desk storage connect ${spec.storageName} --service-account-file KEY.json\`.` },
      });
    }
    const key = JSON.parse(raw) as ServiceAccountKey;
    const aud = spec.tokenUrl ?? key.token_uri ?? 'https://oauth2.googleapis.com/token';
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'RS256', typ: 'JWT', ...(key.private_key_id ? { kid: key.private_key_id } : {}) };
    const claims = { iss: key.client_email, scope: spec.scope ?? 'https://www.googleapis.com/auth/drive', aud, iat: now, exp: now + 3600 };
    const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const unsigned = `${b64(header)}.${b64(claims)}`;
    let signature: string;
    try {
      signature = createSign('RSA-SHA256').update(unsigned).sign(key.private_key, 'base64url');
    } catch (err) {
      throw new AppError('InvalidInput', `The service-account key of storage "${spec.storageName}" has an unusable private key.`, {
        cause: err,
        hint: 'Create a new JSON key for the service account in the Google Cloud console and import it.',
      });
    }
    let res: Response;
    try {
      res = await fetchImpl(aud, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: `${unsigned}.${signature}` }),
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      if (signal?.aborted) throw new AppError('Cancelled', 'The token request was cancelled.');
      throw new AppError('Transient', `Could not reach the Google token server for "${spec.storageName}".`, { cause: err, hint: 'Check the network connection.' });
    }
    const json = (await res.json().catch(() => ({}))) as TokenResponse;
    if (!res.ok || !json.access_token) {
      if (res.status >= 500 || res.status === 429) throw new AppError('Transient', `The Google token server failed (HTTP ${res.status}).`, { hint: 'Try again shortly.' });
      throw new AppError('AuthFailed', `Google rejected the service-account key of storage "${spec.storageName}" (${json.error ?? `HTTP ${res.status}`}).`, {
        hint: 'The key may have been deleted or the service account disabled: create a new JSON key and import it.',
        details: { oauthError: json.error },
      });
    }
    cached = { token: json.access_token, expiresAt: Date.now() + (json.expires_in ?? 3600) * 1000 };
    return cached.token;
  };
  return {
    invalidate: () => {
      cached = undefined;
    },
    accessToken: async (signal) => (cached && cached.expiresAt - 60_000 > Date.now() ? cached.token : fetchToken(signal)),
  };
}
