/**
 * decryptStream / decryptToFile against messages made by the real gpg binary: every format
 * gpg writes decrypts byte-identically, and every failure is its own clear, fast AppError
 * that leaves nothing on disk.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../../shared/core/errors';
import { decryptStream, decryptToFile, readPrivateKeyFile, type DecryptKeys } from '../../../../shared/core/crypto';
import { gpgEncryptSymmetric, gpgEncryptTo, gpgGenKey, makeGpgHome, type GpgHome, type GpgKey } from '../../../helpers/gpg';

const PW = 'correct horse battery staple ✓';
const KEY_PW = 'key passphrase 42';
let home: GpgHome;
let dir: string;
let plainPath: string;
let plainSha: string;
let key: GpgKey;
let otherKey: GpgKey;

const sha = (b: Buffer | Uint8Array): string => createHash('sha256').update(b).digest('hex');

async function shaOf(r: Readable): Promise<{ sha: string; bytes: number }> {
  const h = createHash('sha256');
  let bytes = 0;
  for await (const c of r) {
    h.update(c as Buffer);
    bytes += (c as Buffer).length;
  }
  return { sha: h.digest('hex'), bytes };
}

/** Runs `fn`, expecting an AppError; returns it with the elapsed time. */
async function failure(fn: () => Promise<unknown>): Promise<{ err: AppError; ms: number }> {
  const t0 = Date.now();
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return { err: err as AppError, ms: Date.now() - t0 };
  }
  throw new Error('expected a failure');
}

/** Decrypts `file` fully through decryptStream. */
async function decryptFile(file: string, keys: DecryptKeys): Promise<{ sha: string; bytes: number }> {
  return shaOf(await decryptStream(createReadStream(file), keys));
}

beforeAll(async () => {
  home = await makeGpgHome();
  dir = await mkdtemp(join(tmpdir(), 'dec-'));
  plainPath = join(dir, 'plain.bin');
  // Half random, half compressible text: compression paths are exercised for real.
  const plain = Buffer.concat([randomBytes(256 << 10), Buffer.from('INSERT INTO res_partner VALUES (1, \'Acme\');\n'.repeat(8000))]);
  await writeFile(plainPath, plain);
  plainSha = sha(plain);
  key = await gpgGenKey(home, 'Backup Key <backup@example.com>', KEY_PW);
  otherKey = await gpgGenKey(home, 'Other <other@example.com>', 'other pw');
});

afterAll(async () => {
  await home?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('gpg-made messages decrypt byte-identically', () => {
  for (const armor of [true, false]) {
    for (const compress of ['ZLIB', 'ZIP', 'BZIP2', 'none'] as const) {
      it(`symmetric, ${armor ? 'armored' : 'binary'}, ${compress}`, async () => {
        const enc = join(dir, `sym-${armor}-${compress}.gpg`);
        await gpgEncryptSymmetric(home, plainPath, enc, PW, { armor, compress });
        const r = await decryptFile(enc, { passphrase: PW });
        expect(r.sha).toBe(plainSha);
      });
    }
    for (const compress of ['ZLIB', 'none'] as const) {
      it(`public-key (cv25519), ${armor ? 'armored' : 'binary'}, ${compress}`, async () => {
        const enc = join(dir, `pk-${armor}-${compress}.gpg`);
        await gpgEncryptTo(home, plainPath, enc, [key.fingerprint], { armor, compress });
        const r = await decryptFile(enc, { privateKeys: [{ armored: otherKey.armoredSecret, passphrase: 'other pw' }, { armored: key.armoredSecret, passphrase: KEY_PW }] });
        expect(r.sha).toBe(plainSha);
      });
    }
  }

  it('public-key with an RSA key given as a binary key file', async () => {
    const rsa = await gpgGenKey(home, 'RSA Key <rsa@example.com>', KEY_PW, 'rsa1024');
    const enc = join(dir, 'pk-rsa.gpg');
    await gpgEncryptTo(home, plainPath, enc, [rsa.fingerprint], { compress: 'ZIP' });
    const keyFile = join(dir, 'rsa.key');
    await writeFile(keyFile, rsa.binarySecret);
    const armored = await readPrivateKeyFile(keyFile);
    expect(armored).toMatch(/^-----BEGIN PGP PRIVATE KEY BLOCK-----/);
    expect((await decryptFile(enc, { privateKeys: [{ armored, passphrase: KEY_PW }] })).sha).toBe(plainSha);
  });

  it('a message to a key and a passphrase opens with either', async () => {
    const enc = join(dir, 'both.gpg');
    await home.ok(['--pinentry-mode', 'loopback', '--passphrase-fd', '0', '--trust-model', 'always', '--yes', '--symmetric', '--encrypt', '-r', key.fingerprint, '-o', enc, plainPath], PW);
    expect((await decryptFile(enc, { passphrase: PW })).sha).toBe(plainSha);
    expect((await decryptFile(enc, { privateKeys: [{ armored: key.armoredSecret, passphrase: KEY_PW }] })).sha).toBe(plainSha);
  });

  it('legacy CAST5 (no quick check possible in Node) still decrypts, and a wrong passphrase is AuthFailed', async () => {
    const enc = join(dir, 'cast5.gpg');
    await gpgEncryptSymmetric(home, plainPath, enc, PW, { cipher: 'CAST5' });
    expect((await decryptFile(enc, { passphrase: PW })).sha).toBe(plainSha);
    const { err } = await failure(() => decryptFile(enc, { passphrase: 'nope' }));
    expect(err.kind).toBe('AuthFailed');
    expect(err.message).toMatch(/wrong passphrase/i);
  });

  it('legacy CAST5: many different wrong passphrases each end in AuthFailed, none hangs', async () => {
    // A wrong key turns the message into garbage that openpgp.js parses; some garbage made it
    // wait forever for input it never asked for (~7% of passphrases before the stall guard).
    const small = join(dir, 'cast5-small.bin');
    await writeFile(small, randomBytes(20_000));
    const enc = join(dir, 'cast5-small.gpg');
    await gpgEncryptSymmetric(home, small, enc, PW, { cipher: 'CAST5' });
    const kinds: string[] = [];
    for (let i = 0; i < 60; i++) {
      const attempt = (async () => {
        const out = await decryptStream(createReadStream(enc), { passphrase: `wrong ${i}` });
        for await (const _ of out) void _;
        return 'decrypted';
      })().catch((e: unknown) => (e instanceof AppError ? e.kind : 'other'));
      kinds.push(await Promise.race([attempt, new Promise<string>((r) => setTimeout(() => r('hang'), 20_000))]));
    }
    expect(new Set(kinds)).toEqual(new Set(['AuthFailed']));
  }, 180_000);

  it('an empty plaintext decrypts to zero bytes', async () => {
    const empty = join(dir, 'empty.txt');
    await writeFile(empty, '');
    const enc = join(dir, 'empty.gpg');
    await gpgEncryptSymmetric(home, empty, enc, PW, { armor: true });
    expect(await decryptFile(enc, { passphrase: PW })).toEqual({ sha: sha(Buffer.alloc(0)), bytes: 0 });
  });
});

describe('failures are clear, fast and leave nothing behind', () => {
  let symArmored: string;
  let symBinary: string;
  let pkFile: string;
  let bigSym: string;
  let outDir: string;

  beforeAll(async () => {
    symArmored = join(dir, 'f-sym.asc');
    symBinary = join(dir, 'f-sym.gpg');
    pkFile = join(dir, 'f-pk.gpg');
    bigSym = join(dir, 'f-big.gpg');
    outDir = await mkdtemp(join(tmpdir(), 'dec-out-'));
    const big = join(dir, 'big.bin');
    await writeFile(big, randomBytes(32 << 20));
    await Promise.all([
      gpgEncryptSymmetric(home, plainPath, symArmored, PW, { armor: true, compress: 'ZLIB' }),
      gpgEncryptSymmetric(home, plainPath, symBinary, PW),
      gpgEncryptTo(home, plainPath, pkFile, [key.fingerprint]),
      gpgEncryptSymmetric(home, big, bigSym, PW),
    ]);
  });
  afterAll(async () => {
    await rm(outDir, { recursive: true, force: true });
  });

  async function expectNothingLeft(): Promise<void> {
    expect(await readdir(outDir)).toEqual([]);
  }

  it('wrong passphrase → AuthFailed within seconds, before reading the message (32 MB file)', async () => {
    for (const file of [symArmored, symBinary, bigSym]) {
      const { err, ms } = await failure(() => decryptToFile(createReadStream(file), join(outDir, 'out.zip'), { passphrase: 'wrong' }));
      expect(err.kind).toBe('AuthFailed');
      expect(err.message).toBe('Wrong passphrase: it does not open this encrypted backup.');
      expect(err.hint).toMatch(/passphrase/);
      expect(ms).toBeLessThan(5000);
      await expectNothingLeft();
    }
  });

  it('no matching private key → AuthFailed naming the key IDs', async () => {
    const { err } = await failure(() => decryptToFile(createReadStream(pkFile), join(outDir, 'out.zip'), { privateKeys: [{ armored: otherKey.armoredSecret, passphrase: 'other pw' }] }));
    expect(err.kind).toBe('AuthFailed');
    expect(err.message).toMatch(/No matching private key/);
    expect(err.message).toContain(key.encryptionKeyId);
    await expectNothingLeft();
  });

  it("wrong key passphrase → AuthFailed saying the key's passphrase is wrong", async () => {
    const { err, ms } = await failure(() => decryptToFile(createReadStream(pkFile), join(outDir, 'out.zip'), { privateKeys: [{ armored: key.armoredSecret, passphrase: 'not it' }] }));
    expect(err.kind).toBe('AuthFailed');
    expect(err.message).toMatch(/passphrase of the private key .* is wrong/);
    expect(ms).toBeLessThan(5000);
    await expectNothingLeft();
  });

  it('a protected key without its passphrase, or a passphrase for a public-key message → AuthFailed each with its reason', async () => {
    const a = await failure(() => decryptFile(pkFile, { privateKeys: [{ armored: key.armoredSecret }] }));
    expect(a.err.kind).toBe('AuthFailed');
    expect(a.err.message).toMatch(/protected by a passphrase, and none was given/);
    const b = await failure(() => decryptFile(pkFile, { passphrase: PW }));
    expect(b.err.kind).toBe('AuthFailed');
    expect(b.err.message).toMatch(/encrypted to a public key/);
    const c = await failure(() => decryptFile(symBinary, {}));
    expect(c.err.kind).toBe('AuthFailed');
    expect(c.err.message).toMatch(/passphrase or private key is needed/);
  });

  it('a flipped byte in the middle → Integrity at the end, no output file', async () => {
    for (const [src, armored] of [
      [symBinary, false],
      [symArmored, true],
    ] as const) {
      const bytes = Buffer.from(await readFile(src));
      const bad = join(dir, `flipped-${armored}`);
      if (armored) {
        // Change one base64 character on a line in the middle.
        const lines = bytes.toString('latin1').split('\n');
        const i = Math.floor(lines.length / 2);
        const l = lines[i]!;
        lines[i] = l.slice(0, 20) + (l[20] === 'A' ? 'B' : 'A') + l.slice(21);
        await writeFile(bad, lines.join('\n'));
      } else {
        bytes[bytes.length >> 1]! ^= 0x01;
        await writeFile(bad, bytes);
      }
      const { err } = await failure(() => decryptToFile(createReadStream(bad), join(outDir, 'out.zip'), { passphrase: PW }));
      expect(err.kind).toBe('Integrity');
      expect(err.hint).toMatch(/Download the backup again/);
      await expectNothingLeft();
    }
  });

  it('a truncated file → Integrity, no output file', async () => {
    for (const src of [symBinary, symArmored, pkFile]) {
      const bytes = await readFile(src);
      const bad = join(dir, 'truncated');
      await writeFile(bad, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
      const keys: DecryptKeys = src === pkFile ? { privateKeys: [{ armored: key.armoredSecret, passphrase: KEY_PW }] } : { passphrase: PW };
      const { err } = await failure(() => decryptToFile(createReadStream(bad), join(outDir, 'out.zip'), keys));
      expect(err.kind).toBe('Integrity');
      expect(err.message).toMatch(/damaged|truncated|integrity/i);
      await expectNothingLeft();
    }
  });

  it('a file that is not encrypted → InvalidInput', async () => {
    const { err } = await failure(() => decryptToFile(createReadStream(plainPath), join(outDir, 'out.zip'), { passphrase: PW }));
    expect(err.kind).toBe('InvalidInput');
    expect(err.message).toMatch(/not an OpenPGP-encrypted message/);
    await expectNothingLeft();
  });

  it('decryptToFile writes through .part and reports progress', async () => {
    const out = join(outDir, 'ok.bin');
    const seen: number[] = [];
    const r = await decryptToFile(createReadStream(symArmored), out, { passphrase: PW }, { onProgress: (b) => seen.push(b) });
    expect(r.bytes).toBe((await readFile(plainPath)).length);
    expect(sha(await readFile(out))).toBe(plainSha);
    expect(seen.at(-1)).toBe(r.bytes);
    expect(await readdir(outDir)).toEqual(['ok.bin']);
    await rm(out);
  });

  it('honours the abort signal mid-stream: Cancelled, .part removed', async () => {
    const ac = new AbortController();
    const p = failure(() =>
      decryptToFile(createReadStream(bigSym), join(outDir, 'big.bin'), { passphrase: PW }, { signal: ac.signal, onProgress: (b) => b > 4 << 20 && ac.abort() }),
    );
    const { err } = await p;
    expect(err.kind).toBe('Cancelled');
    await expectNothingLeft();
    const pre = new AbortController();
    pre.abort();
    expect((await failure(() => decryptStream(createReadStream(bigSym), { passphrase: PW }, { signal: pre.signal }))).err.kind).toBe('Cancelled');
  });

  it('an input failure mid-way surfaces as that error, not as a decryption error', async () => {
    const bytes = await readFile(bigSym);
    async function* flaky(): AsyncGenerator<Buffer> {
      for (let o = 0; o < 8 << 20; o += 1 << 20) yield bytes.subarray(o, o + (1 << 20));
      throw new AppError('Transient', 'Connection reset by the storage', { hint: 'Retry.' });
    }
    const out = await decryptStream(Readable.from(flaky()), { passphrase: PW });
    const { err } = await failure(() => shaOf(out));
    expect(err.kind).toBe('Transient');
    expect(err.message).toBe('Connection reset by the storage');
  });
});
