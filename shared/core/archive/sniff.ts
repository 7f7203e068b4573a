/** Recognises a backup's format by its first bytes, not by its name. */

/** What the first bytes of a backup are. */
export type SniffedFormat = 'zip' | 'dump' | 'sql' | 'sql-gz' | 'openpgp' | 'unknown';

const SQL_START = /^(?:--|\/\*|SET\s|SELECT\s|CREATE\s|BEGIN|\\restrict|\\connect|COPY\s|INSERT\s|ALTER\s|DROP\s|COMMENT\s)/i;

/** True when `b` starts with `prefix` (ASCII). */
function startsWith(b: Uint8Array, prefix: string): boolean {
  if (b.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (b[i] !== prefix.charCodeAt(i)) return false;
  return true;
}

/**
 * True when the first byte looks like an OpenPGP packet header that starts an encrypted message:
 * a public-key encrypted session key (1), symmetric-key encrypted session key (3), a symmetrically
 * encrypted (integrity protected) data packet (9, 18, 20), or a compressed packet (8), in old or new
 * packet format.
 */
function isOpenPgpBinary(b: Uint8Array): boolean {
  const c = b[0];
  if (c === undefined || (c & 0x80) === 0) return false;
  const tag = (c & 0x40) !== 0 ? c & 0x3f : (c >> 2) & 0x0f;
  return tag === 1 || tag === 3 || tag === 9 || tag === 18 || tag === 20;
}

/** The format of a backup from its first bytes (at least 64 are best). */
export function sniffFormat(head: Uint8Array): SniffedFormat {
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5) && (head[3] === 4 || head[3] === 6)) return 'zip';
  if (startsWith(head, 'PGDMP')) return 'dump';
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'sql-gz';
  if (startsWith(head, '-----BEGIN PGP MESSAGE')) return 'openpgp';
  if (isOpenPgpBinary(head)) return 'openpgp';
  let i = 0;
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) i = 3;
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x0a || head[i] === 0x0d || head[i] === 0x09)) i++;
  const text = Buffer.from(head.buffer, head.byteOffset + i, Math.min(64, head.length - i)).toString('latin1');
  if (SQL_START.test(text)) return 'sql';
  return 'unknown';
}
