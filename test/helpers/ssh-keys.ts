/**
 * ed25519 key pairs from ssh2's generator, without its one-in-256 bad key: ssh2 strips every
 * leading zero byte of the DER bit string, so a public key that begins with 0x00 comes out
 * 31 bytes long and OpenSSH refuses it ("error in libcrypto"). Such a pair is drawn again.
 */
// The default import (not a named one): ssh2 is CommonJS, and Node's ESM loader (tsx, for the
// benchmarks) cannot name its exports.
import ssh2 from 'ssh2';

const sshUtils = ssh2.utils;

type KeyOptions = Parameters<typeof sshUtils.generateKeyPairSync>[1];

/** The blob of `ssh-ed25519` + a 32-byte key is 4 + 11 + 4 + 32 bytes. */
const ED25519_BLOB_BYTES = 51;

/** A well-formed ed25519 key pair in OpenSSH format (private key encrypted when `options.passphrase` is set). */
export function ed25519KeyPair(options?: KeyOptions): { private: string; public: string } {
  for (;;) {
    const pair = options ? sshUtils.generateKeyPairSync('ed25519', options) : sshUtils.generateKeyPairSync('ed25519');
    const blob = Buffer.from(pair.public.split(' ')[1] ?? '', 'base64');
    if (blob.length === ED25519_BLOB_BYTES) return pair;
  }
}
