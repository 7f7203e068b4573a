/**
 * Access control for `serve`: a random bearer token compared in constant time, and Host/Origin
 * checks against DNS rebinding (a page on another site must not reach our loopback server even
 * if it resolves its own name to 127.0.0.1).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** A fresh random token (256 bits, URL-safe). */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Constant-time equality of a presented token and the expected one (any lengths). */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined || presented === '') return false;
  // Hash both sides so the comparison has fixed length and leaks neither length nor prefix.
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The token a request presents: `Authorization: Bearer …`, else `?token=` (for EventSource). */
export function presentedToken(req: IncomingMessage, url: URL, allowQuery: boolean): string | undefined {
  const h = req.headers.authorization;
  if (typeof h === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
    if (m) return m[1];
  }
  if (allowQuery) return url.searchParams.get('token') ?? undefined;
  return undefined;
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost' || host.startsWith('127.');
}

/** True for wildcard bind addresses, where any Host header is plausible. */
export function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}

/**
 * The Host header values we answer to: loopback names on our port, plus the bound address when
 * it is a specific non-loopback one. `undefined` means any (wildcard bind; the token still guards).
 */
export function allowedHosts(bindHost: string, port: number): Set<string> | undefined {
  if (isWildcard(bindHost)) return undefined;
  const hosts = new Set(LOOPBACK_NAMES.map((h) => `${h}:${port}`));
  const b = bindHost.includes(':') && !bindHost.startsWith('[') ? `[${bindHost}]` : bindHost;
  hosts.add(`${b}:${port}`);
  return hosts;
}

/** True when the request's Host header is one we serve (DNS-rebinding guard). */
export function hostAllowed(req: IncomingMessage, allowed: Set<string> | undefined): boolean {
  if (!allowed) return true;
  const host = req.headers.host?.toLowerCase();
  return host !== undefined && allowed.has(host);
}

/** True when the request has no Origin (same-origin GET, curl) or the Origin is our own. */
export function originAllowed(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  const host = req.headers.host;
  if (!host) return false;
  return origin === `http://${host}`;
}
