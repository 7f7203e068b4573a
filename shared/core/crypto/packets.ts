/**
 * OpenPGP packet sniffing: tells from the first bytes of a file whether it is an encrypted
 * OpenPGP message, whether it is ASCII-armored, how it is encrypted (password / public key)
 * and to which key IDs — without any key and without reading the whole file.
 *
 * Only the packet framing of RFC 4880 / RFC 9580 is parsed (old and new format headers);
 * every field we rely on is range-checked so that zip files, PostgreSQL dumps, SQL text and
 * random bytes are not mistaken for a message.
 */

/** How a message is encrypted. */
export type EncryptionMethod = 'password' | 'public-key' | 'unknown';

/** What `detectEncryption` found out. */
export interface EncryptionInfo {
  /** True when the bytes start an encrypted OpenPGP message. */
  encrypted: boolean;
  /** True when the bytes are ASCII-armored (`-----BEGIN PGP MESSAGE-----`). */
  armored: boolean;
  /** How it is encrypted, when `encrypted`. */
  method?: EncryptionMethod;
  /** Recipient key IDs (16 upper-case hex digits; all zeros for an anonymous recipient). */
  keyIds?: string[];
}

/** Where the encrypted data packet starts, for the quick check of the first block. */
export interface DataPacketInfo {
  /** Packet tag: 18 SEIPD, 20 AEAD (legacy), 9 SED (no integrity protection). */
  tag: number;
  /** Packet version (first body byte), when the packet has one. */
  version: number | undefined;
  /** The first body bytes available in the head (after the version byte for tag 18/20). */
  firstBytes: Uint8Array;
  /** Offset of the packet header in the (dearmored) head: the session-key packets come before. */
  offset: number;
}

/** Result of walking the packets in the head of a message. */
export interface PacketScan {
  pkesk: Array<{ version: number; keyId: string }>;
  skesk: Array<{ version: number }>;
  data: DataPacketInfo | undefined;
}

const ARMOR_BEGIN = '-----BEGIN PGP MESSAGE-----';
const TAG_PKESK = 1;
const TAG_SKESK = 3;
const TAG_SED = 9;
const TAG_MARKER = 10;
const TAG_SEIPD = 18;
const TAG_AEAD = 20;

const PK_ALGOS = new Set([1, 2, 3, 16, 18, 25, 26]);
const SYM_ALGOS = new Set([1, 2, 3, 4, 7, 8, 9, 10, 11, 12, 13]);
const AEAD_ALGOS = new Set([1, 2, 3]);
const S2K_TYPES = new Set([0, 1, 3, 4, 101]);

interface Header {
  tag: number;
  bodyStart: number;
  /** Body length of this (first) chunk; undefined for an indeterminate old-format length. */
  length: number | undefined;
  partial: boolean;
}

function readHeader(b: Uint8Array, pos: number): Header | undefined {
  const b0 = b[pos];
  if (b0 === undefined || (b0 & 0x80) === 0) return undefined;
  if (b0 & 0x40) {
    const tag = b0 & 0x3f;
    const l0 = b[pos + 1];
    if (l0 === undefined) return { tag, bodyStart: pos + 1, length: undefined, partial: false };
    if (l0 < 192) return { tag, bodyStart: pos + 2, length: l0, partial: false };
    if (l0 < 224) {
      const l1 = b[pos + 2];
      if (l1 === undefined) return { tag, bodyStart: pos + 2, length: undefined, partial: false };
      return { tag, bodyStart: pos + 3, length: ((l0 - 192) << 8) + l1 + 192, partial: false };
    }
    if (l0 === 255) {
      if (pos + 6 > b.length) return { tag, bodyStart: pos + 2, length: undefined, partial: false };
      const len = ((b[pos + 2]! << 24) >>> 0) + (b[pos + 3]! << 16) + (b[pos + 4]! << 8) + b[pos + 5]!;
      return { tag, bodyStart: pos + 6, length: len, partial: false };
    }
    return { tag, bodyStart: pos + 2, length: 1 << (l0 & 0x1f), partial: true };
  }
  const tag = (b0 >> 2) & 0x0f;
  const lt = b0 & 0x03;
  if (lt === 3) return { tag, bodyStart: pos + 1, length: undefined, partial: false };
  const n = lt === 0 ? 1 : lt === 1 ? 2 : 4;
  if (pos + 1 + n > b.length) return { tag, bodyStart: pos + 1, length: undefined, partial: false };
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + b[pos + 1 + i]!;
  return { tag, bodyStart: pos + 1 + n, length: len, partial: false };
}

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('').toUpperCase();

/** Parses a PKESK body; undefined when it does not look like one. */
function parsePkesk(body: Uint8Array): { version: number; keyId: string } | undefined {
  const v = body[0];
  if (v === 3) {
    if (body.length < 10 || !PK_ALGOS.has(body[9]!)) return undefined;
    return { version: 3, keyId: hex(body.subarray(1, 9)) };
  }
  if (v === 6) {
    const n = body[1];
    if (n === undefined) return undefined;
    if (n === 0) return PK_ALGOS.has(body[2] ?? -1) ? { version: 6, keyId: '0000000000000000' } : undefined;
    const keyVersion = body[2];
    const fpr = body.subarray(3, 2 + n);
    if (body.length < 3 + n || !PK_ALGOS.has(body[2 + n]!)) return undefined;
    if (keyVersion === 4 && fpr.length === 20) return { version: 6, keyId: hex(fpr.subarray(12)) };
    if (keyVersion === 6 && fpr.length === 32) return { version: 6, keyId: hex(fpr.subarray(0, 8)) };
    return undefined;
  }
  return undefined;
}

/** Checks an SKESK body; false when it does not look like one. */
function isSkesk(body: Uint8Array): boolean {
  const v = body[0];
  if (v === 4) return body.length >= 4 && SYM_ALGOS.has(body[1]!) && S2K_TYPES.has(body[2]!);
  if (v === 5) return body.length >= 5 && SYM_ALGOS.has(body[1]!) && AEAD_ALGOS.has(body[2]!) && S2K_TYPES.has(body[3]!);
  if (v === 6) return body.length >= 6 && SYM_ALGOS.has(body[2]!) && AEAD_ALGOS.has(body[3]!);
  return false;
}

/**
 * Walks the session-key packets at the start of a binary message up to the encrypted data
 * packet. Returns undefined when the bytes are not the start of an encrypted message.
 */
export function scanPackets(b: Uint8Array): PacketScan | undefined {
  const scan: PacketScan = { pkesk: [], skesk: [], data: undefined };
  let pos = 0;
  for (let guard = 0; guard < 1000 && pos < b.length; guard++) {
    const h = readHeader(b, pos);
    if (!h) return undefined;
    if (h.tag === TAG_SEIPD || h.tag === TAG_AEAD || h.tag === TAG_SED) {
      const first = b.subarray(h.bodyStart, h.length === undefined ? b.length : Math.min(b.length, h.bodyStart + h.length));
      const versioned = h.tag !== TAG_SED;
      const version = versioned ? first[0] : undefined;
      if (versioned && version !== undefined) {
        const ok = h.tag === TAG_SEIPD ? version === 1 || version === 2 : version === 1;
        if (!ok) return undefined;
      }
      scan.data = { tag: h.tag, version, firstBytes: versioned ? first.subarray(1) : first, offset: pos };
      break;
    }
    if (h.tag !== TAG_PKESK && h.tag !== TAG_SKESK && h.tag !== TAG_MARKER) return undefined;
    // Session-key packets are small and never use partial or indeterminate lengths.
    if (h.partial || h.length === undefined || h.length > 8192) {
      if (h.length === undefined && h.bodyStart >= b.length && (scan.pkesk.length || scan.skesk.length)) break; // head ended
      return undefined;
    }
    const end = h.bodyStart + h.length;
    const body = b.subarray(h.bodyStart, Math.min(end, b.length));
    const complete = end <= b.length;
    if (h.tag === TAG_MARKER) {
      if (complete && !(h.length === 3 && body[0] === 0x50 && body[1] === 0x47 && body[2] === 0x50)) return undefined;
    } else if (h.tag === TAG_PKESK) {
      const p = parsePkesk(body);
      if (!p) {
        if (complete || body.length >= 10) return undefined;
        break; // head ended inside the packet
      }
      scan.pkesk.push(p);
    } else {
      if (!isSkesk(body)) {
        if (complete || body.length >= 6) return undefined;
        break;
      }
      scan.skesk.push({ version: body[0]! });
    }
    if (!complete) break;
    pos = end;
  }
  const hasEsk = scan.pkesk.length > 0 || scan.skesk.length > 0;
  // A lone data packet counts only when it is versioned (SEIPD/AEAD): a bare SED has no
  // version byte to check, so random bytes would match too often.
  if (!hasEsk && (!scan.data || scan.data.version === undefined)) return undefined;
  return scan;
}

const B64 = new Int16Array(256).fill(-1);
'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.split('').forEach((c, i) => (B64[c.charCodeAt(0)] = i));

/** Decodes the base64 body of an armored message as far as the head goes. */
export function dearmorHead(head: Uint8Array): Uint8Array | undefined {
  let text = new TextDecoder('latin1').decode(head.subarray(0, Math.min(head.length, 1 << 20)));
  if (text.charCodeAt(0) === 0xef && text.charCodeAt(1) === 0xbb && text.charCodeAt(2) === 0xbf) text = text.slice(3);
  text = text.replace(/^[ \t\r\n]+/, '');
  if (!text.startsWith(ARMOR_BEGIN)) return undefined;
  const lines = text.split(/\r?\n/);
  let i = 1;
  // Armor headers ("Version: …", "Comment: …"), then a blank line.
  while (i < lines.length && /^[^\s:]+: /.test(lines[i]!)) i++;
  if (i < lines.length && lines[i]!.trim() === '') i++;
  let b64 = '';
  for (; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line.startsWith('=') || line.startsWith('-----')) break;
    b64 += line;
  }
  let chars = b64.replace(/=+$/, '');
  chars = chars.slice(0, chars.length - (chars.length % 4 === 1 ? 1 : 0));
  const out = new Uint8Array(Math.floor((chars.length * 3) / 4));
  let o = 0;
  let acc = 0;
  let bits = 0;
  for (let k = 0; k < chars.length; k++) {
    const v = B64[chars.charCodeAt(k)]!;
    if (v < 0) return out.subarray(0, o);
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out.subarray(0, o);
}

/** True when the head starts with an ASCII armor line for a PGP message. */
export function isArmoredMessage(head: Uint8Array): boolean {
  return dearmorHead(head) !== undefined;
}

/** Scans the head of a file (armored or binary), returning the packet scan too. */
export function sniff(head: Uint8Array): { info: EncryptionInfo; scan: PacketScan | undefined; binary: Uint8Array } {
  const dearmored = dearmorHead(head);
  const armored = dearmored !== undefined;
  const binary = dearmored ?? head;
  const scan = scanPackets(binary);
  if (!scan) return { info: { encrypted: false, armored }, scan: undefined, binary };
  const keyIds = scan.pkesk.map((p) => p.keyId);
  const method: EncryptionMethod = scan.pkesk.length ? 'public-key' : scan.skesk.length ? 'password' : 'unknown';
  return { info: { encrypted: true, armored, method, ...(keyIds.length ? { keyIds } : {}) }, scan, binary };
}
