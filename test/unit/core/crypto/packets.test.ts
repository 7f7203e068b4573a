/**
 * Content detection: encrypted OpenPGP messages (gpg-made and ours) are recognised, armored
 * or binary, by password or public key with their key IDs; zip files, PostgreSQL dumps, SQL,
 * signed-only messages and random bytes are not.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectEncryption } from '../../../../shared/core/crypto';
import { dearmorHead, scanPackets } from '../../../../shared/core/crypto/packets';
import { gpgEncryptSymmetric, gpgEncryptTo, gpgGenKey, makeGpgHome, writeTinyZip, type GpgHome, type GpgKey } from '../../../helpers/gpg';
import { seededRandom } from '../../../helpers/seeded';

let home: GpgHome;
let dir: string;
let plain: string;
let key: GpgKey;
const head = async (f: string, n = 4096): Promise<Uint8Array> => (await readFile(f)).subarray(0, n);

beforeAll(async () => {
  home = await makeGpgHome();
  dir = await mkdtemp(join(tmpdir(), 'pkt-'));
  plain = join(dir, 'plain.zip');
  await writeTinyZip(plain, { 'dump.sql': 'SELECT 1;\n', 'manifest.json': '{}' });
  key = await gpgGenKey(home, 'Detect <detect@example.com>', 'k');
});
afterAll(async () => {
  await home?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('detectEncryption on gpg-made messages', () => {
  it('armored symmetric (odoo_backup_sh style)', async () => {
    const f = join(dir, 'a.zip.enc');
    await gpgEncryptSymmetric(home, plain, f, 'pw', { armor: true, compress: 'ZLIB' });
    expect(detectEncryption(await head(f))).toEqual({ encrypted: true, armored: true, method: 'password' });
  });
  it('binary symmetric', async () => {
    const f = join(dir, 'b.gpg');
    await gpgEncryptSymmetric(home, plain, f, 'pw');
    expect(detectEncryption(await head(f))).toEqual({ encrypted: true, armored: false, method: 'password' });
    // Even the first 20 bytes are enough to tell.
    expect(detectEncryption(await head(f, 20))).toMatchObject({ encrypted: true, method: 'password' });
  });
  it('public key, armored and binary, with the recipient key ID', async () => {
    for (const armor of [true, false]) {
      const f = join(dir, `pk-${armor}`);
      await gpgEncryptTo(home, plain, f, [key.fingerprint], { armor });
      expect(detectEncryption(await head(f))).toEqual({ encrypted: true, armored: armor, method: 'public-key', keyIds: [key.encryptionKeyId] });
    }
  });
  it('an anonymous recipient (--throw-keyids) is reported with the all-zero key ID', async () => {
    const f = join(dir, 'anon.gpg');
    await home.ok(['--trust-model', 'always', '--throw-keyids', '-r', key.fingerprint, '-o', f, '--encrypt', plain]);
    expect(detectEncryption(await head(f))).toEqual({ encrypted: true, armored: false, method: 'public-key', keyIds: ['0000000000000000'] });
  });
  it('old-format and new-format packet headers are both parsed', async () => {
    // gpg 2.2 writes an old-format SKESK header (ctb 0x8c) followed by a new-format SEIPD (0xd2).
    const f = join(dir, 'b2.gpg');
    await gpgEncryptSymmetric(home, plain, f, 'pw');
    const bin = await head(f);
    const scan = scanPackets(bin);
    expect(scan?.skesk).toEqual([{ version: 4 }]);
    expect(scan?.data?.tag).toBe(18);
    expect(bin[0]).toBe(0x8c);
  });
  it('signed-only and compressed-only (not encrypted) messages are not encrypted', async () => {
    const f = join(dir, 'stored.asc');
    await home.ok(['--armor', '--compress-algo', 'ZLIB', '-o', f, '--store', plain]);
    expect(detectEncryption(await head(f))).toEqual({ encrypted: false, armored: true });
    const s = join(dir, 'signed.gpg');
    await home.ok(['--pinentry-mode', 'loopback', '--passphrase-fd', '0', '-u', key.fingerprint, '-o', s, '--sign', plain], 'k');
    expect(detectEncryption(await head(s))).toEqual({ encrypted: false, armored: false });
  });
});

describe('detectEncryption is not fooled', () => {
  it('zip, custom dump, plain SQL, empty input', async () => {
    expect(detectEncryption(await head(plain))).toEqual({ encrypted: false, armored: false });
    const pgdmp = Buffer.concat([Buffer.from('PGDMP'), Buffer.from([1, 14, 0, 4, 8, 1, 1, 1])]);
    expect(detectEncryption(pgdmp)).toEqual({ encrypted: false, armored: false });
    const sql = Buffer.from('--\n-- PostgreSQL database dump\n--\n\nSET statement_timeout = 0;\n');
    expect(detectEncryption(sql)).toEqual({ encrypted: false, armored: false });
    expect(detectEncryption(new Uint8Array(0))).toEqual({ encrypted: false, armored: false });
  });
  it('random bytes (2000 samples, and every first byte value)', () => {
    let hits = 0;
    // Seeded, so that every run tests the same samples: a sample must start with a plausible
    // tag, length and version to pass, measured at ~5e-5 per sample over 400,000 — with fresh
    // random bytes, 2 hits in 2000 came about once in 200 runs and failed a CI run.
    const random = seededRandom(0x0dd0);
    const next = (): number => Math.floor(random() * 256);
    for (let i = 0; i < 2000; i++) if (detectEncryption(Buffer.from(Array.from({ length: 512 }, next))).encrypted) hits++;
    expect(hits).toBeLessThanOrEqual(1);
    for (let b = 0; b < 256; b++) {
      const buf = Buffer.concat([Buffer.from([b]), Buffer.alloc(511, 0)]);
      expect(detectEncryption(buf).encrypted).toBe(false);
    }
  });
  it('an armor line that is not a message, or text mentioning it later, is not a message', () => {
    const pub = Buffer.from('-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQINBF\n-----END PGP PUBLIC KEY BLOCK-----\n');
    expect(detectEncryption(pub)).toEqual({ encrypted: false, armored: false });
    const sql = Buffer.from("INSERT INTO notes VALUES ('-----BEGIN PGP MESSAGE-----');\n");
    expect(detectEncryption(sql)).toEqual({ encrypted: false, armored: false });
  });
  it('dearmorHead decodes across header lines and partial lines', () => {
    const text = '-----BEGIN PGP MESSAGE-----\nVersion: X\nComment: y\n\nAQID\nBAUG\nBw\n';
    expect(Array.from(dearmorHead(Buffer.from(text))!)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });
});
