/**
 * Encryption for Odoo Backup Desk: detect, decrypt and encrypt OpenPGP messages, streaming
 * and interoperable with gpg both ways (see decrypt.ts / encrypt.ts for the details).
 */
import { sniff, type EncryptionInfo } from './packets';

export { damagedWhileDecrypted, decryptStream, decryptToFile, type DecryptKeys } from './decrypt';
export { encryptStream, type EncryptOptions } from './encrypt';
export { readPrivateKeyFile } from './keys';
export type { EncryptionInfo, EncryptionMethod } from './packets';

/**
 * Tells from the first bytes of a file (pass ≥ 4 KiB when available) whether it is an
 * encrypted OpenPGP message, armored or binary, by password or public key, to which key IDs.
 */
export function detectEncryption(head: Uint8Array): EncryptionInfo {
  return sniff(head).info;
}
