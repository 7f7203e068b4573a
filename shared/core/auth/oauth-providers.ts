/**
 * OAuth client presets for the storages that sign in through the browser, and how a
 * storage's settings override them (`clientId`, `authUrl`, `tokenUrl`, `oauthScope`).
 * See docs/oauth-clients.md for registering your own Dropbox app / Google OAuth client.
 */
import { AppError } from '../errors';

/** Storage kinds that use OAuth. */
export type OAuthKind = 'dropbox' | 'gdrive';

/** Everything the flow needs to talk to one authorization server. */
export interface OAuthClient {
  readonly kind: OAuthKind;
  readonly clientId: string;
  readonly authUrl: string;
  readonly tokenUrl: string;
  /** Extra query parameters for the authorization request (offline access, scope…). */
  readonly authParams: Readonly<Record<string, string>>;
}

/** A provider's defaults. */
export interface OAuthPreset {
  readonly label: string;
  readonly authUrl: string;
  readonly tokenUrl: string;
  /** Env var that may hold a default client id for this machine. */
  readonly clientIdEnv: string;
  readonly defaultScope?: string;
  /** Parameters that ask for a refresh token. */
  readonly offlineParams: Readonly<Record<string, string>>;
}

/** Dropbox and Google presets. */
export const OAUTH_PRESETS: Readonly<Record<OAuthKind, OAuthPreset>> = {
  dropbox: {
    label: 'Dropbox',
    authUrl: 'https://www.dropbox.com/oauth2/authorize',
    tokenUrl: 'https://api.dropboxapi.com/oauth2/token',
    clientIdEnv: 'BACKUP_DESK_DROPBOX_CLIENT_ID',
    offlineParams: { token_access_type: 'offline' },
  },
  gdrive: {
    label: 'Google Drive',
    authUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
    tokenUrl: 'https://oauth2.googleapis.com/token',
    clientIdEnv: 'BACKUP_DESK_GOOGLE_CLIENT_ID',
    defaultScope: 'https://www.googleapis.com/auth/drive',
    offlineParams: { access_type: 'offline', prompt: 'consent' },
  },
};

/** The Google scopes a storage may ask for. */
export const GOOGLE_DRIVE_SCOPES = ['https://www.googleapis.com/auth/drive', 'https://www.googleapis.com/auth/drive.file'] as const;

/** True for kinds that connect through the browser. */
export function isOAuthKind(kind: string): kind is OAuthKind {
  return kind === 'dropbox' || kind === 'gdrive';
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

function checkUrl(v: string, what: string, storageName: string): string {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new AppError('InvalidInput', `The ${what} of storage "${storageName}" is not a URL: ${v}`, { hint: `Set a full https:// URL as ${what}.` });
  }
  const loopback = u.hostname === '127.0.0.1' || u.hostname === 'localhost' || u.hostname === '[::1]';
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && loopback)) {
    throw new AppError('InvalidInput', `The ${what} of storage "${storageName}" must use https:// (plain http only on loopback).`, {
      hint: `Fix the ${what} setting.`,
    });
  }
  return u.toString();
}

/**
 * The OAuth client of a storage: its settings `clientId`, `authUrl`, `tokenUrl` and
 * `oauthScope` (Google) over the preset; `InvalidInput` when no client id is known.
 */
export function resolveOAuthClient(kind: OAuthKind, settings: Readonly<Record<string, unknown>>, storageName: string, env: NodeJS.ProcessEnv = process.env): OAuthClient {
  const preset = OAUTH_PRESETS[kind];
  const clientId = str(settings.clientId) ?? str(env[preset.clientIdEnv]);
  if (!clientId) {
    throw new AppError('InvalidInput', `Storage "${storageName}" has no OAuth client id.`, {
      hint: `Register your own ${preset.label} app (see docs/oauth-clients.md) and give its client id when adding the storage, or set ${preset.clientIdEnv}.`,
      details: {
        setting: 'clientId',
        cliHint: `Register your own ${preset.label} app (see docs/oauth-clients.md) and set it: \`backup-desk storage add … --client-id ID\`, or set ${preset.clientIdEnv}.`,
      },
    });
  }
  const authUrl = checkUrl(str(settings.authUrl) ?? preset.authUrl, 'authUrl', storageName);
  const tokenUrl = checkUrl(str(settings.tokenUrl) ?? preset.tokenUrl, 'tokenUrl', storageName);
  const authParams: Record<string, string> = { ...preset.offlineParams };
  if (kind === 'gdrive') {
    const scope = str(settings.oauthScope) ?? preset.defaultScope ?? '';
    authParams.scope = scope;
  } else if (str(settings.oauthScope)) {
    authParams.scope = str(settings.oauthScope) as string;
  }
  return { kind, clientId, authUrl, tokenUrl, authParams };
}
