/**
 * The one call a Dropbox or Google Drive provider makes to get its `TokenSource`: it looks
 * at which credential the storage has in the secret store, in this order —
 * `refreshToken` (browser sign-in), `accessToken` (legacy Dropbox token),
 * `serviceAccountKey` (Google service account) — and builds the right source.
 */
import { AppError } from '../errors';
import type { SecretStore } from '../secrets/secret-store';
import { OAUTH_PRESETS, resolveOAuthClient, type OAuthKind } from './oauth-providers';
import { refreshingTokenSource, serviceAccountTokenSource, staticTokenSource, type TokenSource } from './token-source';

/** Inputs of `tokenSourceForStorage`. */
export interface StorageTokenOptions {
  readonly kind: OAuthKind;
  readonly storageName: string;
  /** The storage's secret scope. */
  readonly scope: string;
  /** Non-secret settings (`clientId`, `tokenUrl`, `oauthScope`…). */
  readonly settings: Readonly<Record<string, unknown>>;
  readonly secrets: SecretStore;
  /** Home folder, so a revoked grant is recorded as "needs-reconnect". */
  readonly home?: string;
  readonly fetch?: typeof fetch;
  readonly env?: NodeJS.ProcessEnv;
}

/** Which credential a storage has (no values). */
export type CredentialKind = 'oauth' | 'access-token' | 'service-account' | 'none';

/** Which credential the storage has in the secret store. */
export async function credentialKind(secrets: SecretStore, scope: string): Promise<CredentialKind> {
  if (await secrets.get(scope, 'refreshToken')) return 'oauth';
  if (await secrets.get(scope, 'accessToken')) return 'access-token';
  if (await secrets.get(scope, 'serviceAccountKey')) return 'service-account';
  return 'none';
}

/** The token source for an OAuth storage (see module comment); `AuthFailed` + reconnect when it has no credential. */
export async function tokenSourceForStorage(o: StorageTokenOptions): Promise<TokenSource> {
  const which = await credentialKind(o.secrets, o.scope);
  const fetchImpl = o.fetch ?? fetch;
  if (which === 'oauth') {
    const client = resolveOAuthClient(o.kind, o.settings, o.storageName, o.env);
    return refreshingTokenSource({ tokenUrl: client.tokenUrl, clientId: client.clientId, storageName: o.storageName, ...(o.home ? { statusHome: o.home } : {}) }, o.secrets, o.scope, fetchImpl);
  }
  if (which === 'access-token') {
    const token = (await o.secrets.get(o.scope, 'accessToken')) as string;
    return staticTokenSource(token);
  }
  if (which === 'service-account') {
    const tokenUrl = typeof o.settings.tokenUrl === 'string' && o.settings.tokenUrl ? o.settings.tokenUrl : undefined;
    const scope = typeof o.settings.oauthScope === 'string' && o.settings.oauthScope ? o.settings.oauthScope : OAUTH_PRESETS.gdrive.defaultScope;
    return serviceAccountTokenSource({ storageName: o.storageName, ...(tokenUrl ? { tokenUrl } : {}), ...(scope ? { scope } : {}) }, o.secrets, o.scope, fetchImpl);
  }
  throw new AppError('AuthFailed', `Storage "${o.storageName}" is not connected.`, {
    hint: `Run \`backup-desk storage connect ${o.storageName}\` (or press Connect in the app).`,
    details: { reconnect: true, reason: 'not-connected' },
  });
}
