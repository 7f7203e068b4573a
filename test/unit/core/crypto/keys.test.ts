/** readPrivateKeyFile and key unlocking, with keys exported by the real gpg. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPrivateKeyFile } from '../../../../shared/core/crypto';
import { parsePrivateKey, unlockPrivateKey } from '../../../../shared/core/crypto/keys';
import { gpgGenKey, makeGpgHome, type GpgHome, type GpgKey } from '../../../helpers/gpg';

let home: GpgHome;
let dir: string;
let key: GpgKey;
beforeAll(async () => {
  home = await makeGpgHome();
  dir = await mkdtemp(join(tmpdir(), 'keys-'));
  key = await gpgGenKey(home, 'Keys <keys@example.com>', 'kpw');
});
afterAll(async () => {
  await home?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('readPrivateKeyFile', () => {
  it('returns armored keys as they are and converts binary key files to armored text', async () => {
    await writeFile(join(dir, 'k.asc'), key.armoredSecret);
    await writeFile(join(dir, 'k.gpg'), key.binarySecret);
    const a = await readPrivateKeyFile(join(dir, 'k.asc'));
    const b = await readPrivateKeyFile(join(dir, 'k.gpg'));
    for (const armored of [a, b]) {
      expect(armored.startsWith('-----BEGIN PGP PRIVATE KEY BLOCK-----')).toBe(true);
      const k = await parsePrivateKey(armored);
      expect(k.getFingerprint().toUpperCase()).toBe(key.fingerprint);
      expect(k.isDecrypted()).toBe(false); // still protected by its passphrase
    }
  });
  it('missing file, public key, and garbage are clear errors', async () => {
    await expect(readPrivateKeyFile(join(dir, 'none.asc'))).rejects.toMatchObject({ kind: 'NotFound' });
    await writeFile(join(dir, 'pub.asc'), key.armoredPublic);
    await expect(readPrivateKeyFile(join(dir, 'pub.asc'))).rejects.toMatchObject({ kind: 'InvalidInput', message: expect.stringMatching(/public key, not a private key/) });
    await writeFile(join(dir, 'junk'), 'PK\x03\x04 not a key');
    await expect(readPrivateKeyFile(join(dir, 'junk'))).rejects.toMatchObject({ kind: 'InvalidInput', message: expect.stringMatching(/not an OpenPGP private key/) });
  });
});

describe('unlockPrivateKey', () => {
  it('unlocks with the right passphrase, and says which passphrase is wrong otherwise', async () => {
    const k = await parsePrivateKey(key.armoredSecret);
    expect((await unlockPrivateKey(k, 'kpw')).isDecrypted()).toBe(true);
    await expect(unlockPrivateKey(k, 'nope')).rejects.toMatchObject({ kind: 'AuthFailed', message: expect.stringMatching(/passphrase of the private key [0-9A-F]{16} is wrong/) });
    await expect(unlockPrivateKey(k, undefined)).rejects.toMatchObject({ kind: 'AuthFailed', message: expect.stringMatching(/none was given/) });
  });
});
