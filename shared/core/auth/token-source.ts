/**
 * Access tokens for OAuth storages (Dropbox, Google Drive). Providers ask a `TokenSource`
 * for a token before each request and call `invalidate()` after a 401, so refresh,
 * expiry and revocation are handled in one place, not in each provider.
 */
import { AppError } from '../errors';
import type { SecretStore } from '../secrets/secret-store';

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
  /** Name of the storage, for messages. */
  readonly storageName: string;
}

/**
 * A token source that refreshes with the refresh token kept in the secret store under
 * `scope`/`refreshToken`. An `invalid_grant` answer (revoked, expired, Google's 7-day
 * testing-mode expiry) becomes `AuthFailed` with details `{ reconnect: true }`.
 */
export function refreshingTokenSource(spec: RefreshSpec, secrets: SecretStore, scope: string, fetchImpl: typeof fetch = fetch): TokenSource {
  let cached: { token: string; expiresAt: number } | undefined;
  return {
    invalidate: () => {
      cached = undefined;
    },
    accessToken: async (signal) => {
      if (cached && cached.expiresAt - 60_000 > Date.now()) return cached.token;
      const refreshToken = await secrets.get(scope, 'refreshToken');
      if (!refreshToken) {
        throw new AppError('AuthFailed', `Storage "${spec.storageName}" is not connected.`, {
          hint: `Run \`backup-desk storage connect ${spec.storageName}\` (or press Connect in the app).`,
          details: { reconnect: true },
        });
      }
      const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: spec.clientId });
      let res: Response;
      try {
        res = await fetchImpl(spec.tokenUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body,
          ...(signal ? { signal } : {}),
        });
      } catch (err) {
        throw new AppError('Transient', `Could not reach the sign-in server for "${spec.storageName}".`, { cause: err, hint: 'Check the network connection and try again.' });
      }
      const json = (await res.json().catch(() => ({}))) as { access_token?: string; expires_in?: number; error?: string };
      if (!res.ok || !json.access_token) {
        if (json.error === 'invalid_grant' || res.status === 400 || res.status === 401) {
          throw new AppError('AuthFailed', `The sign-in for storage "${spec.storageName}" was revoked or has expired.`, {
            hint: `Reconnect it: \`backup-desk storage connect ${spec.storageName}\` (or Connect in the app).`,
            details: { reconnect: true },
          });
        }
        throw new AppError(res.status >= 500 || res.status === 429 ? 'Transient' : 'Fatal', `Token refresh for "${spec.storageName}" failed (HTTP ${res.status}).`);
      }
      cached = { token: json.access_token, expiresAt: Date.now() + (json.expires_in ?? 3600) * 1000 };
      return cached.token;
    },
  };
}
