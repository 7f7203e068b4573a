/**
 * Session keys from a passphrase for the symmetric-key packets gpg writes (SKESK v4 with the
 * simple, salted or iterated+salted S2K of RFC 4880 §3.7, AES), computed with Node's native
 * hashes. openpgp.js hashes gpg's default S2K count (~65 MB of SHA-1) in JavaScript, which
 * took longer than decrypting a 100 MB backup; natively it takes milliseconds.
 * Anything else (SKESK v5/v6, other ciphers or hashes, GnuPG extensions) returns undefined so
 * that the caller falls back to openpgp.js.
 */
import { createDecipheriv, createHash } from 'node:crypto';
import { PacketSplitter, type PacketEvent } from './packet-splitter';

/** A session key in openpgp.js's shape. */
export interface NativeSessionKey {
  data: Uint8Array;
  algorithm: string;
}

const CIPHERS: Readonly<Record<number, { name: string; cfb: string; keyLen: number }>> = {
  7: { name: 'aes128', cfb: 'aes-128-cfb', keyLen: 16 },
  8: { name: 'aes192', cfb: 'aes-192-cfb', keyLen: 24 },
  9: { name: 'aes256', cfb: 'aes-256-cfb', keyLen: 32 },
};

const HASHES: Readonly<Record<number, string>> = { 1: 'md5', 2: 'sha1', 8: 'sha256', 9: 'sha384', 10: 'sha512', 11: 'sha224' };

/** The bodies of the SKESK packets among the session-key packets in `esk` (binary). */
function skeskBodies(esk: Uint8Array): Buffer[] | undefined {
  const split = new PacketSplitter();
  const ev: PacketEvent[] = [];
  try {
    split.feed(Buffer.from(esk.buffer, esk.byteOffset, esk.byteLength), ev);
    split.finish(ev);
  } catch {
    return undefined;
  }
  const bodies: Buffer[] = [];
  let cur: Buffer[] | undefined;
  for (const e of ev) {
    if (e.kind === 'start') cur = e.tag === 3 ? [] : undefined;
    else if (e.kind === 'body') cur?.push(e.data);
    else if (cur) bodies.push(Buffer.concat(cur));
  }
  return bodies;
}

/** The RFC 4880 string-to-key: `keyLen` bytes from the passphrase. */
function stringToKey(type: number, hash: string, salt: Buffer, count: number, pass: Buffer, keyLen: number): Buffer {
  const data = type === 0 ? pass : Buffer.concat([salt, pass]);
  const total = type === 3 ? Math.max(count, data.length) : data.length;
  // One big buffer of repeated salt+passphrase, fed as often as needed.
  const reps = Math.max(1, Math.floor((1 << 16) / data.length));
  const block = Buffer.concat(Array.from({ length: reps }, () => data));
  const out: Buffer[] = [];
  for (let ctx = 0, have = 0; have < keyLen; ctx++) {
    const h = createHash(hash);
    if (ctx) h.update(Buffer.alloc(ctx));
    let left = total;
    while (left >= block.length) {
      h.update(block);
      left -= block.length;
    }
    if (left > 0) h.update(block.subarray(0, left));
    const d = h.digest();
    out.push(d);
    have += d.length;
  }
  return Buffer.concat(out).subarray(0, keyLen);
}

/** Session-key candidates from one SKESK v4 body; undefined when it is not a native case. */
function fromSkesk(body: Buffer, pass: Buffer): NativeSessionKey | undefined | null {
  if (body[0] !== 4 || body.length < 4) return undefined;
  const cipher = CIPHERS[body[1]!];
  const type = body[2]!;
  const hash = HASHES[body[3]!];
  if (!cipher || !hash || (type !== 0 && type !== 1 && type !== 3)) return undefined;
  let off = 4;
  const salt = type === 0 ? Buffer.alloc(0) : body.subarray(off, (off += 8));
  let count = 0;
  if (type === 3) {
    const c = body[off++]!;
    count = (16 + (c & 15)) << ((c >> 4) + 6);
  }
  if (off > body.length) return undefined;
  const key = stringToKey(type, hash, salt, count, pass, cipher.keyLen);
  const esk = body.subarray(off);
  if (esk.length === 0) return { data: new Uint8Array(key), algorithm: cipher.name };
  const d = createDecipheriv(cipher.cfb, key, Buffer.alloc(16));
  const plain = Buffer.concat([d.update(esk), d.final()]);
  const inner = CIPHERS[plain[0]!];
  // A wrong passphrase gives a random algorithm byte: not this packet's key.
  if (!inner || plain.length - 1 !== inner.keyLen) return null;
  return { data: new Uint8Array(plain.subarray(1)), algorithm: inner.name };
}

/**
 * The candidate session keys for `passphrase` from the session-key packets `esk` (the binary
 * bytes before the encrypted data packet), computed natively; undefined when some SKESK needs
 * openpgp.js. Candidates are not yet verified (the caller's quick check does that).
 */
export function passwordSessionKeys(esk: Uint8Array, passphrase: string): NativeSessionKey[] | undefined {
  const bodies = skeskBodies(esk);
  if (!bodies?.length) return undefined;
  const pass = Buffer.from(passphrase, 'utf8');
  const keys: NativeSessionKey[] = [];
  for (const b of bodies) {
    const k = fromSkesk(b, pass);
    if (k === undefined) return undefined;
    if (k) keys.push(k);
  }
  return keys;
}
