/** Accounts: OAuth sign-in for Dropbox/Google, token sources, connection status, credential imports. */
export { staticTokenSource, refreshingTokenSource, serviceAccountTokenSource, type TokenSource, type RefreshSpec, type ServiceAccountKey, type ServiceAccountSpec } from './token-source';
export { connectStorage, authorizeInBrowser, exchangeCode, buildAuthorizationUrl, type ConnectStorageOptions, type ConnectResult, type AuthorizeOptions, type TokenSet } from './oauth-flow';
export { OAUTH_PRESETS, GOOGLE_DRIVE_SCOPES, isOAuthKind, resolveOAuthClient, type OAuthKind, type OAuthClient, type OAuthPreset } from './oauth-providers';
export { markNeedsReconnect, clearConnectionStatus, connectionStatus, connectionStatuses, CONNECTION_STATUS_FILE, type ConnectionStatus, type ReconnectRecord } from './connection-status';
export { parseServiceAccountKey, importServiceAccountKey, importDropboxAccessToken } from './imports';
export { tokenSourceForStorage, credentialKind, type StorageTokenOptions, type CredentialKind } from './storage-tokens';
export { createPkce, createState, s256Challenge, type Pkce } from './pkce';
export { startLoopbackReceiver, type LoopbackReceiver, type CallbackResult } from './loopback';
