/**
 * encryptStream: what we write opens with plain `gpg --decrypt` (gpg 2.2) byte-identically,
 * to a password or to several public keys, armored or binary; the 'modern' profile writes
 * SEIPDv2 that our own decrypt reads.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptStream, detectEncryption, encryptStream, type EncryptOptions } from '../../../../shared/core/crypto';
import { scanPackets, dearmorHead } from '../../../../shared/core/crypto/packets';
import { AppError } from '../../../../shared/core/errors';
import { gpgDecrypt, gpgGenKey, makeGpgHome, type GpgHome, type GpgKey } from '../../../helpers/gpg';

const PW = 'our backup passphrase';
let home: GpgHome;
let dir: string;
let plainPath: string;
let plainSha: string;
let keyA: GpgKey;
let keyB: GpgKey;

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function encryptTo(file: string, opts: EncryptOptions): Promise<string> {
  const out = join(dir, `enc-${Math.random().toString(36).slice(2)}`);
  await pipeline(await encryptStream(createReadStream(plainPath), opts), createWriteStream(out));
  return out;
}

async function ourDecrypt(file: string, keys: Parameters<typeof decryptStream>[1]): Promise<string> {
  const h = createHash('sha256');
  for await (const c of await decryptStream(createReadStream(file), keys)) h.update(c as Buffer);
  return h.digest('hex');
}

beforeAll(async () => {
  home = await makeGpgHome();
  dir = await mkdtemp(join(tmpdir(), 'enc-'));
  plainPath = join(dir, 'plain.zip');
  const plain = randomBytes(1 << 20);
  await writeFile(plainPath, plain);
  plainSha = sha(plain);
  keyA = await gpgGenKey(home, 'A <a@example.com>', 'pw A');
  keyB = await gpgGenKey(home, 'B <b@example.com>', 'pw B');
});

afterAll(async () => {
  await home?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('gpg-compatible (default) output opens with gpg --decrypt', () => {
  for (const armor of [true, false]) {
    it(`password, ${armor ? 'armored' : 'binary'}`, async () => {
      const enc = await encryptTo(plainPath, { passphrase: PW, armor });
      const head = (await readFile(enc)).subarray(0, 4096);
      expect(detectEncryption(head)).toEqual({ encrypted: true, armored: armor, method: 'password' });
      const out = join(dir, 'gpg-out');
      const r = await gpgDecrypt(home, enc, out, PW);
      expect(r.code, r.stderr).toBe(0);
      expect(sha(await readFile(out))).toBe(plainSha);
      // SEIPDv1 + AES256 (no AEAD), as gpg 2.2 reports it.
      const packets = (await home.ok(['--pinentry-mode', 'loopback', '--passphrase-fd', '0', '--list-packets', enc], PW)).stdout.toString();
      expect(packets).toMatch(/symkey enc packet: version 4, cipher 9/);
      expect(packets).toMatch(/encrypted data packet:[\s\S]*mdc_method: 2/);
      expect(packets).not.toMatch(/aead [1-9]|AEAD encrypted/i);
    });

    it(`two public keys, ${armor ? 'armored' : 'binary'}: a recipient holding only its own key opens it with gpg`, async () => {
      const enc = await encryptTo(plainPath, { publicKeys: [keyA.armoredPublic, keyB.armoredPublic], armor });
      const info = detectEncryption((await readFile(enc)).subarray(0, 4096));
      expect(info.method).toBe('public-key');
      expect(info.keyIds?.sort()).toEqual([keyA.encryptionKeyId, keyB.encryptionKeyId].sort());
      // A fresh home holding only one of the two secret keys (A for armored, B for binary: both covered).
      for (const pw of [armor ? 'pw A' : 'pw B']) {
        const solo = await makeGpgHome();
        try {
          const secret = pw === 'pw A' ? keyA.armoredSecret : keyB.armoredSecret;
          const keyFile = join(dir, 'solo.key');
          await writeFile(keyFile, secret);
          await solo.ok(['--pinentry-mode', 'loopback', '--passphrase-fd', '0', '--import', keyFile], pw);
          const out = join(dir, 'gpg-out-pk');
          const r = await gpgDecrypt(solo, enc, out, pw);
          expect(r.code, r.stderr).toBe(0);
          expect(sha(await readFile(out))).toBe(plainSha);
        } finally {
          await solo.close();
        }
      }
    });
  }

  it('our own decrypt reads it back too (password + key in one message)', async () => {
    const enc = await encryptTo(plainPath, { passphrase: PW, publicKeys: [keyA.armoredPublic] });
    expect(await ourDecrypt(enc, { passphrase: PW })).toBe(plainSha);
    expect(await ourDecrypt(enc, { privateKeys: [{ armored: keyA.armoredSecret, passphrase: 'pw A' }] })).toBe(plainSha);
  });
});

describe("'modern' profile (SEIPDv2 / AEAD)", () => {
  it('password: writes SKESK v6 + SEIPD v2 and our decrypt reads it; a wrong passphrase is AuthFailed', async () => {
    const enc = await encryptTo(plainPath, { passphrase: PW, profile: 'modern', armor: true });
    const bin = dearmorHead((await readFile(enc)).subarray(0, 4096));
    const scan = scanPackets(bin!);
    expect(scan?.skesk[0]?.version).toBe(6);
    expect(scan?.data).toMatchObject({ tag: 18, version: 2 });
    expect(await ourDecrypt(enc, { passphrase: PW })).toBe(plainSha);
    await expect(ourDecrypt(enc, { passphrase: 'wrong' })).rejects.toMatchObject({ kind: 'AuthFailed', message: expect.stringMatching(/wrong passphrase/i) });
  });

  it('public key: SEIPD v2 that our decrypt reads', async () => {
    const enc = await encryptTo(plainPath, { publicKeys: [keyB.armoredPublic], profile: 'modern' });
    const scan = scanPackets((await readFile(enc)).subarray(0, 4096));
    expect(scan?.data).toMatchObject({ tag: 18, version: 2 });
    expect(await ourDecrypt(enc, { privateKeys: [{ armored: keyB.armoredSecret, passphrase: 'pw B' }] })).toBe(plainSha);
  });

  it('a flipped byte in a modern message → Integrity', async () => {
    const enc = await encryptTo(plainPath, { passphrase: PW, profile: 'modern' });
    const bytes = await readFile(enc);
    bytes[bytes.length >> 1]! ^= 0x40;
    const bad = join(dir, 'bad-modern');
    await writeFile(bad, bytes);
    await expect(ourDecrypt(bad, { passphrase: PW })).rejects.toMatchObject({ kind: 'Integrity' });
  });
});

describe('bad encryption requests', () => {
  it('nothing to encrypt to → InvalidInput', async () => {
    await expect(encryptStream(Readable.from([Buffer.from('x')]), {})).rejects.toMatchObject({ kind: 'InvalidInput' });
  });
  it('an unreadable public key → InvalidInput', async () => {
    const err = await encryptStream(Readable.from([Buffer.from('x')]), { publicKeys: ['not a key'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ kind: 'InvalidInput', message: 'Public key #1 could not be read.' });
  });
});
