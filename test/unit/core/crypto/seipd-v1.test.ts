/**
 * The native SEIPDv1 fast path: applies to gpg's default formats (AES, none/ZIP/ZLIB), not
 * to BZip2; gives the same bytes as openpgp.js on gpg-made files; skips signature packets;
 * reads CRLF armor; and fails on a bad MDC or truncation.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptStream } from '../../../../shared/core/crypto';
import { sniff } from '../../../../shared/core/crypto/packets';
import { decryptSeipdV1, fastPathApplies } from '../../../../shared/core/crypto/seipd-v1';
import { gpgEncryptSymmetric, gpgGenKey, makeGpgHome, type GpgHome } from '../../../helpers/gpg';

const PW = 'fast path';
let home: GpgHome;
let dir: string;
let plainPath: string;
let plain: Buffer;
const sha = (b: Buffer | Uint8Array): string => createHash('sha256').update(b).digest('hex');

async function sessionKey(file: string): Promise<{ data: Uint8Array; algorithm: string; armored: boolean; first: Uint8Array }> {
  const head = (await readFile(file)).subarray(0, 65536);
  const { info, scan, binary } = sniff(head);
  const msg = await openpgp.readMessage({ binaryMessage: binary.subarray(0, scan!.data!.offset) });
  const [sk] = await openpgp.decryptSessionKeys({ message: msg, passwords: [PW] });
  return { data: sk!.data, algorithm: sk!.algorithm ?? '', armored: info.armored, first: scan!.data!.firstBytes };
}

async function fastDecrypt(file: string): Promise<Buffer> {
  const sk = await sessionKey(file);
  const out: Buffer[] = [];
  for await (const c of decryptSeipdV1(createReadStream(file), sk.armored, sk)) out.push(c);
  return Buffer.concat(out);
}

beforeAll(async () => {
  home = await makeGpgHome();
  dir = await mkdtemp(join(tmpdir(), 'fast-'));
  plainPath = join(dir, 'p.bin');
  // A fixed start: gpg does not compress data whose first byte reads as an OpenPGP compressed
  // packet's header (0xa0–0xa3), as random bytes do 1 time in 64; the BZip2 case then had no BZip2.
  plain = Buffer.concat([Buffer.from('-- odoo backup test data\n'), randomBytes(300_000), Buffer.alloc(300_000, 'odoo ')]);
  await writeFile(plainPath, plain);
});
afterAll(async () => {
  await home?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('SEIPDv1 fast path', () => {
  it('applies to AES with none/ZIP/ZLIB and decrypts to the original bytes; not to BZip2', async () => {
    for (const compress of ['none', 'ZIP', 'ZLIB', 'BZIP2'] as const) {
      const f = join(dir, `c-${compress}.asc`);
      await gpgEncryptSymmetric(home, plainPath, f, PW, { armor: true, compress });
      const sk = await sessionKey(f);
      expect(fastPathApplies(sk, sk.first), compress).toBe(compress !== 'BZIP2');
      if (compress !== 'BZIP2') expect(sha(await fastDecrypt(f))).toBe(sha(plain));
    }
  });

  it('reads armor with CRLF line endings (a file that went through Windows)', async () => {
    const f = join(dir, 'crlf.asc');
    await gpgEncryptSymmetric(home, plainPath, f, PW, { armor: true, compress: 'ZLIB' });
    const crlf = join(dir, 'crlf2.asc');
    await writeFile(crlf, (await readFile(f, 'latin1')).replace(/\n/g, '\r\n'), 'latin1');
    expect(sha(await fastDecrypt(crlf))).toBe(sha(plain));
  });

  it('skips one-pass signature and signature packets of a signed+encrypted message', async () => {
    const key = await gpgGenKey(home, 'Signer <s@example.com>', 'sign pw');
    const f = join(dir, 'signed.gpg');
    // --symmetric --sign: the passphrase on fd 0 serves both the message and the signing key.
    await home.ok(['--pinentry-mode', 'loopback', '--passphrase-fd', '0', '--yes', '-u', key.fingerprint, '--symmetric', '--sign', '-o', f, plainPath], 'sign pw');
    const h = createHash('sha256');
    for await (const c of await decryptStream(createReadStream(f), { passphrase: 'sign pw' })) h.update(c as Buffer);
    expect(h.digest('hex')).toBe(sha(plain));
  });

  it('a damaged MDC or a cut-off message throws', async () => {
    const f = join(dir, 'm.gpg');
    await gpgEncryptSymmetric(home, plainPath, f, PW, { compress: 'ZLIB' });
    const bytes = await readFile(f);
    const bad = Buffer.from(bytes);
    bad[bad.length - 1]! ^= 1;
    await writeFile(join(dir, 'bad.gpg'), bad);
    await expect(fastDecrypt(join(dir, 'bad.gpg'))).rejects.toThrow(/Modification detected/);
    await writeFile(join(dir, 'cut.gpg'), bytes.subarray(0, bytes.length - 100));
    await expect(fastDecrypt(join(dir, 'cut.gpg'))).rejects.toThrow(/truncated/);
  });
});
