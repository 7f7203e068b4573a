/**
 * A small OpenStack Swift client over fetch (there is no official Node SDK): Keystone v3
 * password authentication with endpoint selection from the service catalog, or v1 tempauth,
 * and authenticated requests that re-authenticate once after a 401.
 */
import { AppError, cancelledError } from '../../errors';
import type { Logger } from '../../util/logger';
import type { SwiftConfig } from './config';
import { classifySwiftError, SwiftHttpError } from './errors';

/** A token and the storage URL it works against. */
export interface SwiftSession {
  readonly token: string;
  readonly storageUrl: string;
  /** Epoch ms, when the auth service said. */
  readonly expiresAt?: number;
}

/** A Keystone catalog entry (the parts we read). */
interface CatalogService {
  readonly type?: string;
  readonly endpoints?: ReadonlyArray<{ readonly interface?: string; readonly region?: string; readonly region_id?: string; readonly url?: string }>;
}

/** What the client needs. */
export interface SwiftClientOptions {
  readonly config: SwiftConfig;
  /** Reads the password/key when (re-)authenticating; never cached beyond one call. */
  readonly password: () => Promise<string | undefined>;
  readonly fetch: typeof fetch;
  readonly log: Logger;
  readonly storageName: string;
}

/** Options of one request. */
export interface SwiftRequest {
  readonly query?: Readonly<Record<string, string>>;
  readonly headers?: Readonly<Record<string, string>>;
  /** A replayable body (string/Buffer), or a one-shot stream (`replayable: false`). */
  readonly body?: string | Buffer | AsyncIterable<Uint8Array>;
  readonly signal?: AbortSignal;
}

/** The Keystone `/auth/tokens` URL for an auth URL given as `…/v3`, `…/v3/auth/tokens` or the bare host. */
export function keystoneTokensUrl(authUrl: string): string {
  const u = authUrl.replace(/\/+$/, '');
  if (/\/auth\/tokens$/.test(u)) return u;
  if (/\/v3$/.test(u)) return `${u}/auth/tokens`;
  return `${u}/v3/auth/tokens`;
}

/** Picks the object-store endpoint for `region`/`iface` from a Keystone v3 catalog. */
export function selectEndpoint(catalog: readonly CatalogService[], iface: string, region: string | undefined, storage: string): string {
  const all = catalog.filter((s) => s.type === 'object-store').flatMap((s) => s.endpoints ?? []);
  if (all.length === 0) {
    throw new AppError('Fatal', 'This OpenStack cloud has no object-store (Swift) service in its catalog.', {
      hint: 'Check the auth URL and project, or set the storage URL explicitly.',
    });
  }
  const ofIface = all.filter((e) => e.interface === iface && typeof e.url === 'string');
  const regions = [...new Set(ofIface.map((e) => e.region_id ?? e.region ?? ''))];
  if (region !== undefined) {
    const hit = ofIface.find((e) => e.region === region || e.region_id === region);
    if (!hit) {
      throw new AppError('InvalidInput', `The Swift catalog has no ${iface} endpoint in region "${region}" (regions: ${regions.join(', ') || 'none'}).`, {
        hint: 'Add the storage again with one of those regions as its Region.',
        details: { cliHint: `Add it again with one of those regions: \`backup-desk storage remove ${storage}\`, then \`storage add ${storage} --type swift … --region NAME\`.` },
      });
    }
    return hit.url!;
  }
  if (regions.length > 1) {
    throw new AppError('InvalidInput', `The Swift catalog lists several regions (${regions.join(', ')}); choose one.`, {
      hint: 'Add the storage again with one of those regions as its Region.',
      details: { cliHint: `Add it again with a region: \`backup-desk storage remove ${storage}\`, then \`storage add ${storage} --type swift … --region NAME\`.` },
    });
  }
  const only = ofIface[0];
  if (!only) throw new AppError('InvalidInput', `The Swift catalog has no "${iface}" endpoint.`, { hint: 'Choose another endpoint interface (public, internal, admin).' });
  return only.url!;
}

/** An authenticated Swift connection. */
export class SwiftClient {
  private session: SwiftSession | undefined;
  private authing: Promise<SwiftSession> | undefined;
  /** Successful authentications so far (for logs and tests). */
  authentications = 0;

  constructor(private readonly o: SwiftClientOptions) {}

  /** Forgets the token (after a 401). */
  invalidate(): void {
    this.session = undefined;
  }

  /** A current session, authenticating when there is none or it is about to expire. */
  async current(signal?: AbortSignal): Promise<SwiftSession> {
    const s = this.session;
    if (s && (s.expiresAt === undefined || s.expiresAt - 60_000 > Date.now())) return s;
    this.authing ??= this.authenticate(signal).finally(() => {
      this.authing = undefined;
    });
    this.session = await this.authing;
    return this.session;
  }

  private async authenticate(signal?: AbortSignal): Promise<SwiftSession> {
    const c = this.o.config;
    const password = await this.o.password();
    if (password === undefined || password === '') {
      throw new AppError('AuthFailed', `Swift storage "${this.o.storageName}" has no password/key stored.`, {
        hint: 'Store it with "Change secret" on the Storages screen.',
        details: { cliHint: `Store it: \`backup-desk storage set-secret ${this.o.storageName}\`.` },
      });
    }
    const fail = (status: number): AppError =>
      status === 401 || status === 403
        ? new AppError('AuthFailed', `${c.authVersion === 'v3' ? 'Keystone' : 'Swift tempauth'} rejected the user, project or password of storage "${this.o.storageName}".`, {
            hint: 'Check them; a changed password goes in with "Change secret" on the Storages screen.',
            details: { status, cliHint: `Check them; a changed password: \`backup-desk storage set-secret ${this.o.storageName}\`.` },
          })
        : status === 404 || status === 405
          ? new AppError('InvalidInput', `Nothing answers authentication at ${c.authUrl} (HTTP ${status}).`, { hint: 'Check the auth URL (…/v3 for Keystone, …/auth/v1.0 for tempauth) and the auth version.' })
          : classifySwiftError(new SwiftHttpError(status, '', null), 'authentication', this.o.storageName, signal);
    let res: Response;
    try {
      if (c.authVersion === 'v1') {
        res = await this.o.fetch(c.authUrl, { method: 'GET', headers: { 'x-auth-user': c.username, 'x-auth-key': password }, ...(signal ? { signal } : {}) });
      } else {
        const project = c.projectId !== undefined ? { id: c.projectId } : { name: c.projectName, domain: { name: c.projectDomain } };
        const body = JSON.stringify({
          auth: {
            identity: { methods: ['password'], password: { user: { name: c.username, domain: { name: c.userDomain }, password } } },
            scope: { project },
          },
        });
        res = await this.o.fetch(keystoneTokensUrl(c.authUrl), { method: 'POST', headers: { 'content-type': 'application/json' }, body, ...(signal ? { signal } : {}) });
      }
    } catch (e) {
      throw classifySwiftError(e, 'authentication', this.o.storageName, signal);
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw fail(res.status);
    }
    let session: SwiftSession;
    if (c.authVersion === 'v1') {
      await res.body?.cancel();
      const token = res.headers.get('x-auth-token') ?? res.headers.get('x-storage-token');
      const url = res.headers.get('x-storage-url');
      if (!token || !url) throw new AppError('Fatal', 'Swift tempauth answered without a token or storage URL.', { hint: 'Check the auth URL.' });
      const ttl = Number(res.headers.get('x-auth-token-expires'));
      session = { token, storageUrl: c.storageUrl ?? url, ...(Number.isFinite(ttl) && ttl > 0 ? { expiresAt: Date.now() + ttl * 1000 } : {}) };
    } else {
      const token = res.headers.get('x-subject-token');
      const json = (await res.json().catch(() => ({}))) as { token?: { catalog?: CatalogService[]; expires_at?: string } };
      if (!token) throw new AppError('Fatal', 'Keystone answered without X-Subject-Token.', { hint: 'Check the auth URL.' });
      const storageUrl = c.storageUrl ?? selectEndpoint(json.token?.catalog ?? [], c.interface, c.region, this.o.storageName);
      const exp = json.token?.expires_at ? Date.parse(json.token.expires_at) : NaN;
      session = { token, storageUrl, ...(Number.isFinite(exp) ? { expiresAt: exp } : {}) };
    }
    this.authentications++;
    this.o.log.debug('Swift authenticated', { version: c.authVersion, storageUrl: session.storageUrl });
    return session;
  }

  /**
   * Sends one request to `path` (already URL-encoded, relative to the storage URL). A 401
   * re-authenticates and repeats once when the body can be replayed; a one-shot stream body
   * gets a `Transient` error instead (the caller retries with a fresh body).
   */
  async request(method: string, path: string, what: string, r: SwiftRequest = {}): Promise<Response> {
    const replayable = r.body === undefined || typeof r.body === 'string' || Buffer.isBuffer(r.body);
    for (let attempt = 0; ; attempt++) {
      if (r.signal?.aborted) throw cancelledError(`The Swift request for "${what}"`);
      const s = await this.current(r.signal);
      const qs = r.query && Object.keys(r.query).length ? `?${new URLSearchParams(r.query as Record<string, string>).toString()}` : '';
      let res: Response;
      try {
        res = await this.o.fetch(`${s.storageUrl.replace(/\/+$/, '')}${path}${qs}`, {
          method,
          headers: { ...r.headers, 'x-auth-token': s.token },
          ...(r.body !== undefined ? { body: r.body as NonNullable<RequestInit['body']>, duplex: 'half' } : {}),
          ...(r.signal ? { signal: r.signal } : {}),
        } as RequestInit);
      } catch (e) {
        throw classifySwiftError(e, what, this.o.storageName, r.signal);
      }
      if (res.status === 401) {
        await res.body?.cancel();
        if (this.session === s) this.invalidate();
        if (attempt === 0 && replayable) {
          this.o.log.info('Swift answered 401; authenticating again once');
          continue;
        }
        if (attempt === 0) throw new AppError('Transient', 'The Swift token expired during an upload.', { hint: 'Try the upload again.' });
        throw classifySwiftError(new SwiftHttpError(401, '', null), what, this.o.storageName, r.signal);
      }
      return res;
    }
  }

  /** Throws the classified error of an unsuccessful answer (reading its short body). */
  async fail(res: Response, what: string, signal?: AbortSignal): Promise<never> {
    const body = await res.text().catch(() => '');
    throw classifySwiftError(new SwiftHttpError(res.status, body, res.headers.get('retry-after')), what, this.o.storageName, signal);
  }
}
