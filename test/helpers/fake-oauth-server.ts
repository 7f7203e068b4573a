/**
 * A local OAuth 2.0 authorization server for tests (127.0.0.1, random port) that enforces
 * what real ones enforce and what matters to us:
 * - `GET /authorize`: known `client_id`, `response_type=code`, a loopback `redirect_uri`
 *   (`http://127.0.0.1:<any port>/…`, RFC 8252), `code_challenge_method=S256`, a
 *   `code_challenge` and a `state`; answers with a 302 to the redirect URI carrying `code`
 *   and `state` (or `error=access_denied` in deny mode) — what a browser follows.
 * - `POST /token`, `authorization_code`: the code is single-use and short-lived, and
 *   `client_id`, `redirect_uri` and `BASE64URL(SHA256(code_verifier)) == code_challenge` must
 *   match; `refresh_token`: known, not revoked, not expired → a new access token;
 *   `urn:ietf:params:oauth:grant-type:jwt-bearer`: a JWT signed RS256 by a registered service
 *   account. Errors are RFC 6749 JSON (`invalid_grant`, `invalid_client`…).
 * - `POST /revoke` (`token=`) and `revoke()`/`expireRefreshTokens()` for revocation and
 *   Google's 7-day testing-mode expiry.
 * - `isValidAccessToken(token)` for fake API servers that want real bearer checks.
 */
import { createHash, createVerify, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Options of the fake server. */
export interface FakeOAuthOptions {
  /** Accepted client ids (default `['test-client']`). */
  readonly clientIds?: readonly string[];
  /** Client id → required client secret (Google desktop clients). */
  readonly clientSecrets?: Readonly<Record<string, string>>;
  /** Access-token lifetime in seconds (default 3600). */
  readonly accessTokenTtl?: number;
  /** Issue a new refresh token on every refresh (rotation). */
  readonly rotateRefreshTokens?: boolean;
  /** Omit the refresh token from the code exchange (like Google without `prompt=consent`). */
  readonly omitRefreshToken?: boolean;
  /**
   * Mints access tokens with another fake (e.g. a fake Dropbox's `issueToken`), so the API
   * server accepts exactly the tokens this authorization server hands out.
   */
  readonly mintAccessToken?: (ttlSeconds: number) => string;
}

/** A running fake authorization server. */
export interface FakeOAuthServer {
  readonly url: string;
  readonly authUrl: string;
  readonly tokenUrl: string;
  /** `'approve'` (default) or `'deny'` for the next authorizations. */
  mode: 'approve' | 'deny';
  /** Every authorization request's query parameters, in order. */
  readonly authorizeRequests: Array<Record<string, string>>;
  /** Every token request's grant type and outcome. */
  readonly tokenRequests: Array<{ grantType: string; ok: boolean; error?: string; body: Record<string, string> }>;
  /** Revokes one refresh token (or every one). */
  revoke(refreshToken?: string): void;
  /** Makes every existing refresh token expire (Google testing-mode 7-day expiry). */
  expireRefreshTokens(): void;
  /** Makes every access token expire now. */
  expireAccessTokens(): void;
  /** Registers a service account's public key (PEM) for the jwt-bearer grant. */
  addServiceAccount(clientEmail: string, publicKeyPem: string): void;
  /** True for a live access token. */
  isValidAccessToken(token: string): boolean;
  /** The refresh tokens issued so far. */
  readonly issuedRefreshTokens: string[];
  /** The access tokens issued so far. */
  readonly issuedAccessTokens: string[];
  close(): Promise<void>;
}

interface CodeGrant {
  clientId: string;
  redirectUri: string;
  challenge: string;
  expiresAt: number;
  used: boolean;
}

function rand(): string {
  return randomBytes(24).toString('base64url');
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/** Starts the fake authorization server. */
export async function startFakeOAuthServer(opts: FakeOAuthOptions = {}): Promise<FakeOAuthServer> {
  const clientIds = new Set(opts.clientIds ?? ['test-client']);
  const ttl = opts.accessTokenTtl ?? 3600;
  const codes = new Map<string, CodeGrant>();
  const refreshTokens = new Map<string, { clientId: string; revoked: boolean; expired: boolean }>();
  const accessTokens = new Map<string, number>();
  const serviceAccounts = new Map<string, string>();
  const authorizeRequests: Array<Record<string, string>> = [];
  const tokenRequests: FakeOAuthServer['tokenRequests'] = [];
  const issuedRefreshTokens: string[] = [];
  const issuedAccessTokens: string[] = [];

  const issueAccess = (): { access_token: string; expires_in: number; token_type: string } => {
    const t = opts.mintAccessToken ? opts.mintAccessToken(ttl) : rand();
    accessTokens.set(t, Date.now() + ttl * 1000);
    issuedAccessTokens.push(t);
    return { access_token: t, expires_in: ttl, token_type: 'bearer' };
  };

  const state = { mode: 'approve' as 'approve' | 'deny' };

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (req.method === 'GET' && url.pathname === '/authorize') {
        const q = Object.fromEntries(url.searchParams.entries());
        authorizeRequests.push(q);
        const fail = (m: string): void => {
          res.writeHead(400, { 'content-type': 'text/plain' });
          res.end(m);
        };
        if (!q.client_id || !clientIds.has(q.client_id)) return fail('invalid client_id');
        if (q.response_type !== 'code') return fail('unsupported response_type');
        let redirect: URL;
        try {
          redirect = new URL(q.redirect_uri ?? '');
        } catch {
          return fail('invalid redirect_uri');
        }
        if (redirect.protocol !== 'http:' || redirect.hostname !== '127.0.0.1' || !redirect.port) return fail('redirect_uri must be http://127.0.0.1:<port>/…');
        if (q.code_challenge_method !== 'S256' || !q.code_challenge || q.code_challenge.length < 43) return fail('PKCE S256 required');
        if (!q.state) return fail('state required');
        const back = new URL(redirect.toString());
        if (state.mode === 'deny') {
          back.searchParams.set('error', 'access_denied');
        } else {
          const code = rand();
          codes.set(code, { clientId: q.client_id, redirectUri: q.redirect_uri as string, challenge: q.code_challenge, expiresAt: Date.now() + 60_000, used: false });
          back.searchParams.set('code', code);
        }
        back.searchParams.set('state', q.state);
        res.writeHead(302, { location: back.toString() });
        res.end();
        return;
      }
      if (req.method === 'POST' && (url.pathname === '/token' || url.pathname === '/revoke')) {
        const body = Object.fromEntries(new URLSearchParams(await readBody(req)).entries());
        if (url.pathname === '/revoke') {
          const r = refreshTokens.get(body.token ?? '');
          if (r) r.revoked = true;
          accessTokens.delete(body.token ?? '');
          res.writeHead(200);
          res.end();
          return;
        }
        const grantType = body.grant_type ?? '';
        const err = (status: number, error: string, description: string): void => {
          tokenRequests.push({ grantType, ok: false, error, body });
          json(res, status, { error, error_description: description });
        };
        const ok = (payload: unknown): void => {
          tokenRequests.push({ grantType, ok: true, body });
          json(res, 200, payload);
        };
        const clientOk = (): boolean => {
          if (!body.client_id || !clientIds.has(body.client_id)) return false;
          const secret = opts.clientSecrets?.[body.client_id];
          return secret === undefined || body.client_secret === secret;
        };
        if (grantType === 'authorization_code') {
          if (!clientOk()) return err(401, 'invalid_client', 'unknown client or bad secret');
          const grant = codes.get(body.code ?? '');
          if (!grant || grant.used || grant.expiresAt < Date.now()) return err(400, 'invalid_grant', 'code unknown, used or expired');
          grant.used = true;
          if (grant.clientId !== body.client_id) return err(400, 'invalid_grant', 'code was issued to another client');
          if (grant.redirectUri !== body.redirect_uri) return err(400, 'invalid_grant', 'redirect_uri mismatch');
          if (!body.code_verifier || createHash('sha256').update(body.code_verifier, 'ascii').digest('base64url') !== grant.challenge) {
            return err(400, 'invalid_grant', 'PKCE verification failed');
          }
          const payload: Record<string, unknown> = { ...issueAccess(), scope: 'files.content.read files.content.write' };
          if (!opts.omitRefreshToken) {
            const rt = rand();
            refreshTokens.set(rt, { clientId: body.client_id as string, revoked: false, expired: false });
            issuedRefreshTokens.push(rt);
            payload.refresh_token = rt;
          }
          return ok(payload);
        }
        if (grantType === 'refresh_token') {
          if (!clientOk()) return err(401, 'invalid_client', 'unknown client or bad secret');
          const r = refreshTokens.get(body.refresh_token ?? '');
          if (!r || r.clientId !== body.client_id) return err(400, 'invalid_grant', 'refresh token unknown');
          if (r.revoked) return err(400, 'invalid_grant', 'Token has been expired or revoked.');
          if (r.expired) return err(400, 'invalid_grant', 'Token has been expired or revoked.');
          const payload: Record<string, unknown> = issueAccess();
          if (opts.rotateRefreshTokens) {
            r.revoked = true;
            const rt = rand();
            refreshTokens.set(rt, { clientId: r.clientId, revoked: false, expired: false });
            issuedRefreshTokens.push(rt);
            payload.refresh_token = rt;
          }
          return ok(payload);
        }
        if (grantType === 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
          const parts = (body.assertion ?? '').split('.');
          if (parts.length !== 3) return err(400, 'invalid_grant', 'malformed JWT');
          const [h, c, s] = parts as [string, string, string];
          let claims: { iss?: string; aud?: string; exp?: number; scope?: string };
          try {
            claims = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as typeof claims;
            const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as { alg?: string };
            if (header.alg !== 'RS256') return err(400, 'invalid_grant', 'alg must be RS256');
          } catch {
            return err(400, 'invalid_grant', 'malformed JWT');
          }
          const pub = serviceAccounts.get(claims.iss ?? '');
          if (!pub) return err(400, 'invalid_grant', 'Invalid JWT Signature.');
          if (!createVerify('RSA-SHA256').update(`${h}.${c}`).verify(pub, s, 'base64url')) return err(400, 'invalid_grant', 'Invalid JWT Signature.');
          if (claims.aud !== `${baseUrl}/token`) return err(400, 'invalid_grant', 'Invalid JWT: aud');
          if (!claims.exp || claims.exp * 1000 < Date.now()) return err(400, 'invalid_grant', 'Invalid JWT: expired');
          if (!claims.scope) return err(400, 'invalid_scope', 'scope required');
          return ok(issueAccess());
        }
        return err(400, 'unsupported_grant_type', grantType);
      }
      res.writeHead(404);
      res.end();
    })().catch((e: unknown) => {
      res.writeHead(500);
      res.end(String(e));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: baseUrl,
    authUrl: `${baseUrl}/authorize`,
    tokenUrl: `${baseUrl}/token`,
    get mode() {
      return state.mode;
    },
    set mode(m) {
      state.mode = m;
    },
    authorizeRequests,
    tokenRequests,
    issuedRefreshTokens,
    issuedAccessTokens,
    revoke(rt) {
      for (const [k, v] of refreshTokens) if (rt === undefined || k === rt) v.revoked = true;
    },
    expireRefreshTokens() {
      for (const v of refreshTokens.values()) v.expired = true;
    },
    expireAccessTokens() {
      for (const k of accessTokens.keys()) accessTokens.set(k, 0);
    },
    addServiceAccount(email, pem) {
      serviceAccounts.set(email, pem);
    },
    isValidAccessToken(token) {
      return (accessTokens.get(token) ?? 0) > Date.now();
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/**
 * Plays the browser: fetches the authorization URL without following redirects, then
 * requests the `Location` (the app's loopback callback), as a browser would.
 */
export async function browserFollow(authorizationUrl: string): Promise<{ authorizeStatus: number; callbackStatus?: number; callbackBody?: string }> {
  const a = await fetch(authorizationUrl, { redirect: 'manual' });
  const location = a.headers.get('location');
  await a.arrayBuffer().catch(() => undefined);
  if (a.status !== 302 || !location) return { authorizeStatus: a.status };
  const cb = await fetch(location);
  return { authorizeStatus: a.status, callbackStatus: cb.status, callbackBody: await cb.text() };
}
