/**
 * Native S2K: the session keys computed from a passphrase equal openpgp.js's for messages made
 * by gpg (salted and iterated S2K, several digests and ciphers) and by openpgp.js itself (an
 * encrypted session key); unsupported packets fall back (undefined).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quickCheck } from '../../../../shared/core/crypto/decrypt';
import { sniff } from '../../../../shared/core/crypto/packets';
import { passwordSessionKeys } from '../../../../shared/core/crypto/s2k';
import { makeGpgHome, type GpgHome } from '../../../helpers/gpg';

const PW = 's2k pässphrase';
let home: GpgHome;
let dir: string;

beforeAll(async () => {
  home = await makeGpgHome();
  dir = await mkdtemp(join(tmpdir(), 's2k-'));
  await writeFile(join(dir, 'p.txt'), 'hello s2k');
});
afterAll(async () => {
  await home?.close();
  await rm(dir, { recursive: true, force: true });
});

async function compare(bytes: Uint8Array): Promise<void> {
  const { scan, binary } = sniff(bytes);
  const esk = binary.subarray(0, scan!.data!.offset);
  const native = passwordSessionKeys(esk, PW);
  expect(native).toBeDefined();
  const good = native!.filter((k) => quickCheck(k, scan!.data!.firstBytes));
  const [expected] = await openpgp.decryptSessionKeys({ message: await openpgp.readMessage({ binaryMessage: esk }), passwords: [PW] });
  expect(good.length).toBe(1);
  expect(good[0]!.algorithm).toBe(expected!.algorithm);
  expect(Buffer.from(good[0]!.data).equals(Buffer.from(expected!.data))).toBe(true);
  // A wrong passphrase yields no candidate that passes the quick check.
  expect((passwordSessionKeys(esk, 'wrong') ?? []).filter((k) => quickCheck(k, scan!.data!.firstBytes))).toHaveLength(0);
}

describe('native S2K', () => {
  for (const [mode, digest, cipher] of [
    ['3', 'SHA1', 'AES256'],
    ['3', 'SHA256', 'AES128'],
    ['3', 'SHA512', 'AES192'],
    ['1', 'SHA256', 'AES256'],
  ] as const) {
    it(`gpg --s2k-mode ${mode} --s2k-digest-algo ${digest}, ${cipher}`, async () => {
      const out = join(dir, `m-${mode}-${digest}.gpg`);
      await home.ok(['--pinentry-mode', 'loopback', '--passphrase-fd', '0', '--yes', '--s2k-mode', mode, '--s2k-digest-algo', digest, '--cipher-algo', cipher, '--compress-algo', 'none', '--symmetric', '-o', out, join(dir, 'p.txt')], PW);
      await compare(await readFile(out));
    });
  }

  it('an openpgp.js message (encrypted session key in the SKESK)', async () => {
    const msg = await openpgp.encrypt({ message: await openpgp.createMessage({ text: 'hi' }), passwords: [PW], format: 'binary', config: { aeadProtect: false } });
    await compare(msg as Uint8Array);
  });

  it('falls back (undefined) for packets it does not handle', () => {
    expect(passwordSessionKeys(new Uint8Array([0xc3, 4, 5, 7, 3, 2]), PW)).toBeUndefined(); // SKESK v5
    expect(passwordSessionKeys(new Uint8Array([0xc3, 4, 4, 3, 3, 2]), PW)).toBeUndefined(); // CAST5
  });
});
