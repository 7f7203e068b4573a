/**
 * Token sources of a Google Drive storage: a refresh token from `storage connect`, or a
 * service-account JSON key (odoo_backup_sh style) signed into tokens by google-auth-library's
 * JWT client (shipped with @googleapis/drive), with its token endpoint overridable for tests.
 */
import { auth } from '@googleapis/drive';
import { AppError } from '../../errors';
import { credentialKind, tokenSourceForStorage } from '../../auth/storage-tokens';
import type { TokenSource } from '../../auth/token-source';
import type { ProviderDeps } from '../provider';
import { GOOGLE_TOKEN_URL, type GdriveConfig } from './config';
import { driveErrorInfo } from './errors';

/** The scope odoo_backup_sh asks for (full Drive). */
export const DRIVE_SCOPE = 'https://www.googleapis.com/auth/drive';

/** A token source for a service-account key (JSON text with `client_email` and `private_key`). */
export function serviceAccountTokenSource(keyJson: string, tokenUrl: string, storage: string, fetchImpl: typeof fetch, scope: string = DRIVE_SCOPE): TokenSource {
  let key: { client_email?: unknown; private_key?: unknown };
  try {
    key = JSON.parse(keyJson) as typeof key;
  } catch {
    key = {};
  }
  if (typeof key.client_email !== 'string' || typeof key.private_key !== 'string') {
    throw new AppError('InvalidInput', `The service-account key of storage "${storage}" is not a Google JSON key.`, {
      hint: 'Paste the whole JSON key file downloaded from the Google Cloud console.',
    });
  }
  const email = key.client_email;
  const privateKey = key.private_key;
  // gtoken posts to Google's fixed token URL; send it to `tokenUrl` instead when overridden.
  const fetchImplementation = ((url: string | URL, init?: RequestInit) => fetchImpl(String(url) === GOOGLE_TOKEN_URL ? tokenUrl : url, init)) as typeof fetch;
  let jwt: InstanceType<typeof auth.JWT> | undefined;
  return {
    invalidate: () => {
      jwt = undefined;
    },
    accessToken: async () => {
      jwt ??= new auth.JWT({ email, key: privateKey, scopes: [scope], transporterOptions: { fetchImplementation, retry: false } });
      try {
        const { token } = await jwt.getAccessToken();
        if (!token) throw new Error('no access token in the answer');
        return token;
      } catch (e) {
        jwt = undefined;
        const info = driveErrorInfo(e);
        if (info?.status !== undefined && info.status < 500 && info.status !== 429) {
          throw new AppError('AuthFailed', `Google refused the service-account key of storage "${storage}".`, {
            hint: 'Check that the key is current (not deleted in the Cloud console) and store it again.',
            details: { status: info.status, reconnect: true },
          });
        }
        throw new AppError('Transient', `Could not reach Google's sign-in server for "${storage}".`, { hint: 'Check the network connection and try again.' });
      }
    },
  };
}

/**
 * The token source for a Drive storage: a refresh token (or any credential other than a
 * service-account key) goes through the accounts module's `tokenSourceForStorage`; a
 * service-account key is signed by google-auth-library's JWT client.
 */
export async function gdriveTokenSource(config: GdriveConfig, secretScope: string, storage: string, deps: ProviderDeps): Promise<TokenSource> {
  const fetchImpl = deps.fetch ?? fetch;
  if ((await credentialKind(deps.secrets, secretScope)) === 'service-account') {
    const key = (await deps.secrets.get(secretScope, 'serviceAccountKey')) as string;
    return serviceAccountTokenSource(key, config.tokenUrl, storage, fetchImpl, config.oauthScope ?? DRIVE_SCOPE);
  }
  return tokenSourceForStorage({ kind: 'gdrive', storageName: storage, scope: secretScope, settings: config, secrets: deps.secrets, fetch: fetchImpl });
}
