/**
 * PKCE (RFC 7636, method S256) and `state` values for the OAuth authorization-code flow of a
 * native app (RFC 8252).
 */
import { createHash, randomBytes } from 'node:crypto';

/** A PKCE verifier and its S256 challenge. */
export interface Pkce {
  /** The secret kept by the app until the token exchange (43 base64url characters). */
  readonly verifier: string;
  /** `BASE64URL(SHA256(verifier))`, sent with the authorization request. */
  readonly challenge: string;
  readonly method: 'S256';
}

/** The S256 challenge of a verifier. */
export function s256Challenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** A fresh PKCE pair from 32 random bytes. */
export function createPkce(): Pkce {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: s256Challenge(verifier), method: 'S256' };
}

/** A fresh, unguessable `state` value (128 bits). */
export function createState(): string {
  return randomBytes(16).toString('base64url');
}
