/**
 * OpenPGP key handling: reading private key files (armored or binary), unlocking private
 * keys with their passphrase, and reading public keys — each failure a clear AppError.
 */
import { readFile } from 'node:fs/promises';
import * as openpgp from 'openpgp';
import { AppError } from '../errors';

const PRIVATE_ARMOR = '-----BEGIN PGP PRIVATE KEY BLOCK-----';

/** Reads a private key file (armored, or binary as `gpg --export-secret-keys` writes) as armored text. */
export async function readPrivateKeyFile(path: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new AppError('NotFound', `Private key file not found: ${path}`, { hint: 'Check the path of the key file.', cause: err });
    if (code === 'EACCES' || code === 'EPERM') {
      throw new AppError('PermissionDenied', `Cannot read the private key file ${path}.`, { hint: 'Check the file permissions.', cause: err });
    }
    throw new AppError('Fatal', `Cannot read the private key file ${path}: ${(err as Error).message}`, { cause: err });
  }
  const text = bytes.toString('latin1');
  if (text.includes(PRIVATE_ARMOR)) {
    await parsePrivateKey(text);
    return text.slice(text.indexOf(PRIVATE_ARMOR));
  }
  if (text.includes('-----BEGIN PGP PUBLIC KEY BLOCK-----')) {
    throw new AppError('InvalidInput', `${path} holds a public key, not a private key.`, {
      hint: 'Export the private key with `gpg --export-secret-keys --armor KEYID > key.asc` and use that file.',
    });
  }
  let key: openpgp.PrivateKey;
  try {
    key = await openpgp.readPrivateKey({ binaryKey: new Uint8Array(bytes) });
  } catch (err) {
    throw new AppError('InvalidInput', `${path} is not an OpenPGP private key.`, {
      hint: 'Export the private key with `gpg --export-secret-keys --armor KEYID > key.asc` and use that file.',
      cause: err,
    });
  }
  return key.armor();
}

/** Parses an armored private key. */
export async function parsePrivateKey(armored: string): Promise<openpgp.PrivateKey> {
  try {
    return await openpgp.readPrivateKey({ armoredKey: armored });
  } catch (err) {
    throw new AppError('InvalidInput', 'The private key could not be read (it is not an armored OpenPGP private key).', {
      hint: 'Use a key exported with `gpg --export-secret-keys --armor KEYID`.',
      cause: err,
    });
  }
}

/** Unlocks a private key with its passphrase (a no-op for an unprotected key). */
export async function unlockPrivateKey(key: openpgp.PrivateKey, passphrase: string | undefined): Promise<openpgp.PrivateKey> {
  if (key.isDecrypted()) return key;
  const id = key.getKeyID().toHex().toUpperCase();
  if (passphrase === undefined || passphrase === '') {
    throw new AppError('AuthFailed', `The private key ${id} is protected by a passphrase, and none was given.`, {
      hint: "Provide the private key's passphrase.",
      details: { keyId: id },
    });
  }
  try {
    return await openpgp.decryptKey({ privateKey: key, passphrase });
  } catch (err) {
    const msg = (err as Error).message ?? '';
    if (/incorrect key passphrase/i.test(msg)) {
      throw new AppError('AuthFailed', `The passphrase of the private key ${id} is wrong.`, {
        hint: "Check the private key's passphrase (not the backup passphrase) and try again.",
        details: { keyId: id },
      });
    }
    throw new AppError('Unsupported', `The private key ${id} could not be unlocked: ${msg}`, {
      hint: 'Re-export the key with a current gpg (`gpg --export-secret-keys --armor KEYID`).',
      cause: err,
      details: { keyId: id },
    });
  }
}

/** Parses armored public keys for encryption. */
export async function parsePublicKeys(armored: readonly string[]): Promise<openpgp.PublicKey[]> {
  const out: openpgp.PublicKey[] = [];
  for (const [i, text] of armored.entries()) {
    try {
      const keys = await openpgp.readKeys({ armoredKeys: text });
      out.push(...keys.map((k) => (k.isPrivate() ? k.toPublic() : k)));
    } catch (err) {
      throw new AppError('InvalidInput', `Public key #${i + 1} could not be read.`, {
        hint: 'Use a key exported with `gpg --export --armor KEYID`.',
        cause: err,
      });
    }
  }
  return out;
}
