/**
 * SSH host key verification: SHA256 fingerprints (as `ssh-keygen -l` prints them) and
 * OpenSSH `known_hosts` files (plain and hashed `|1|salt|hash` entries, `[host]:port` for
 * non-standard ports, `@revoked` markers). Never accepts an unknown key silently.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/** `SHA256:<base64 without padding>` of a raw public key blob. */
export function sha256Fingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** Normalizes a user-given fingerprint (`SHA256:abc…`, with or without padding) for comparison. */
export function normalizeFingerprint(fp: string): string {
  const t = fp.trim();
  const body = t.toUpperCase().startsWith('SHA256:') ? t.slice(7) : t;
  return `SHA256:${body.replace(/=+$/, '')}`;
}

/** The key type inside a raw SSH public key blob (`ssh-ed25519`, `ecdsa-sha2-nistp256`…). */
export function keyTypeOf(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return 'unknown';
  const len = keyBlob.readUInt32BE(0);
  return keyBlob.subarray(4, 4 + len).toString('latin1');
}

/** How `known_hosts` names a host: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** One usable `known_hosts` line. */
interface KnownHostEntry {
  readonly marker?: 'revoked' | 'cert-authority';
  readonly patterns: string;
  readonly keyType: string;
  readonly key: Buffer;
}

function parseKnownHosts(text: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const parts = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (parts[0] === '@revoked' || parts[0] === '@cert-authority') {
      marker = parts[0] === '@revoked' ? 'revoked' : 'cert-authority';
      parts.shift();
    }
    const [patterns, keyType, b64] = parts;
    if (patterns === undefined || keyType === undefined || b64 === undefined) continue;
    out.push({ ...(marker ? { marker } : {}), patterns, keyType, key: Buffer.from(b64, 'base64') });
  }
  return out;
}

function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
}

/** True when a `known_hosts` host field matches `name` (hashed, plain, wildcards, `!` negation). */
export function hostPatternMatches(patterns: string, name: string): boolean {
  if (patterns.startsWith('|1|')) {
    const [, , salt, hash] = patterns.split('|');
    if (salt === undefined || hash === undefined) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  let matched = false;
  for (const p of patterns.split(',')) {
    if (p.startsWith('!')) {
      if (globToRegExp(p.slice(1)).test(name)) return false;
    } else if (globToRegExp(p).test(name)) {
      matched = true;
    }
  }
  return matched;
}

/** What `known_hosts` says about a presented key. */
export type KnownHostsVerdict =
  | { readonly status: 'match' }
  | { readonly status: 'revoked' }
  | { readonly status: 'mismatch'; readonly knownTypes: readonly string[] }
  | { readonly status: 'unknown'; readonly knownTypes: readonly string[] };

/**
 * Checks `keyBlob` for `host:port` against `known_hosts` text: `match`, `revoked`, `mismatch`
 * (the host is known with a different key of the same type: possibly an attack) or `unknown`
 * (with the key types known for the host, so the client can prefer them).
 */
export function checkKnownHosts(text: string, host: string, port: number, keyBlob: Buffer): KnownHostsVerdict {
  const name = knownHostsName(host, port);
  const entries = parseKnownHosts(text).filter((e) => e.marker !== 'cert-authority' && hostPatternMatches(e.patterns, name));
  if (entries.some((e) => e.marker === 'revoked' && e.key.equals(keyBlob))) return { status: 'revoked' };
  const usable = entries.filter((e) => e.marker === undefined);
  if (usable.some((e) => e.key.equals(keyBlob))) return { status: 'match' };
  const type = keyTypeOf(keyBlob);
  const knownTypes = [...new Set(usable.map((e) => e.keyType))];
  return usable.some((e) => e.keyType === type) ? { status: 'mismatch', knownTypes } : { status: 'unknown', knownTypes };
}

/** The key types `known_hosts` holds for a host (empty when the file is missing). */
export async function knownKeyTypes(file: string, host: string, port: number): Promise<string[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const name = knownHostsName(host, port);
  return [...new Set(parseKnownHosts(text).filter((e) => e.marker === undefined && hostPatternMatches(e.patterns, name)).map((e) => e.keyType))];
}

/** Appends a hashed entry for `host:port` (creating the file 0600 and its folder 0700). */
export async function addKnownHost(file: string, host: string, port: number, keyBlob: Buffer): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const salt = randomBytes(20);
  const hash = createHmac('sha1', salt).update(knownHostsName(host, port)).digest('base64');
  const line = `|1|${salt.toString('base64')}|${hash} ${keyTypeOf(keyBlob)} ${keyBlob.toString('base64')}\n`;
  const existing = await readFile(file, 'utf8').catch(() => '');
  await appendFile(file, (existing !== '' && !existing.endsWith('\n') ? '\n' : '') + line, { mode: 0o600 });
}
