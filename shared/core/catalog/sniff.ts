/** Cheap content checks on the first bytes of an object, for names that do not settle the format. */
import type { BackupFormat } from '../../contract/api';

/** What the first bytes say. */
export type HeadKind = { format: BackupFormat; encrypted: false } | { format: undefined; encrypted: true } | { format: undefined; encrypted: false; reason: string };

/** How many bytes `sniffHead` wants. */
export const HEAD_BYTES = 32;

/** Classifies an object by its first bytes. */
export function sniffHead(head: Uint8Array): HeadKind {
  const b = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && (b[2] === 0x03 || b[2] === 0x05) && (b[3] === 0x04 || b[3] === 0x06)) return { format: 'zip', encrypted: false };
  if (b.subarray(0, 5).toString('latin1') === 'PGDMP') return { format: 'dump', encrypted: false };
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) return { format: 'sql', encrypted: false };
  const text = b.toString('latin1');
  if (text.startsWith('-----BEGIN PGP MESSAGE')) return { format: undefined, encrypted: true };
  // Binary OpenPGP: a symmetric-key (3) or public-key (1) encrypted session key packet first.
  const tag = b[0];
  if (tag !== undefined && (tag & 0x80) !== 0) {
    const packet = (tag & 0x40) !== 0 ? tag & 0x3f : (tag >> 2) & 0x0f;
    if (packet === 1 || packet === 3) return { format: undefined, encrypted: true };
  }
  if (/^(--|SET |CREATE |\\restrict|BEGIN;|SELECT )/.test(text.replace(/^\uFEFF/, ''))) return { format: 'sql', encrypted: false };
  if (b.length === 0) return { format: undefined, encrypted: false, reason: 'empty file (0 bytes)' };
  return { format: undefined, encrypted: false, reason: 'not a backup (content is neither a zip, a PostgreSQL dump nor SQL)' };
}
