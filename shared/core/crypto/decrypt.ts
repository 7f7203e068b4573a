/**
 * Streaming OpenPGP decryption (openpgp.js — the maintained, audited pure-JS implementation,
 * so no gpg binary is needed on the user's machine) with early, precise failures.
 *
 * Flow: peek the head → sniff packets (not encrypted? wrong kind of key?) → obtain the session
 * key (wrong key passphrase, no matching key) → check the OpenPGP "quick check" bytes of the
 * first cipher block with that session key, as gpg does (wrong passphrase, in milliseconds,
 * without reading the rest) → stream the plaintext with `allowUnauthenticatedStream` (bounded
 * memory) and fail with `Integrity` at the end when the MDC/AEAD check fails or the input is
 * truncated. Output is untrusted until 'end'.
 */
import { createDecipheriv } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as openpgp from 'openpgp';
import { AppError, cancelledError, isAppError, toAppError } from '../errors';
import { parsePrivateKey, unlockPrivateKey } from './keys';
import { sniff, type PacketScan } from './packets';
import type { ReadableStreamReadResult } from 'node:stream/web';
import { decryptSeipdV1, fastPathApplies, prepareFastPath } from './seipd-v1';
import { passwordSessionKeys } from './s2k';
import { peekInput, stallGuard, webToNode } from './streams';
import { onAbort } from '../util/abort';

/** What can open a message: a passphrase and/or private keys (armored, each with its passphrase). */
export interface DecryptKeys {
  passphrase?: string;
  privateKeys?: Array<{ armored: string; passphrase?: string }>;
}

/** How many bytes are peeked before deciding anything (session-key packets live there). */
const HEAD_BYTES = 64 * 1024;

type SessionKey = { data: Uint8Array; algorithm: string; aeadAlgorithm?: string };
type Found = { sk: SessionKey; via: 'key' | 'password' };

const NODE_CFB: Record<string, [string, number]> = {
  aes128: ['aes-128-cfb', 16],
  aes192: ['aes-192-cfb', 16],
  aes256: ['aes-256-cfb', 16],
  tripledes: ['des-ede3-cfb', 8],
  cast5: ['cast5-cfb', 8],
  blowfish: ['bf-cfb', 8],
  camellia128: ['camellia-128-cfb', 16],
  camellia192: ['camellia-192-cfb', 16],
  camellia256: ['camellia-256-cfb', 16],
};

/**
 * The RFC 4880 §5.13 quick check: the last two bytes of the random prefix are repeated.
 * True/false when it could be computed; undefined when the cipher is unknown to Node's
 * OpenSSL or too few bytes are available.
 */
export function quickCheck(sk: SessionKey, firstBytes: Uint8Array): boolean | undefined {
  const spec = NODE_CFB[sk.algorithm];
  if (!spec) return undefined;
  const [name, bs] = spec;
  if (firstBytes.length < bs + 2) return undefined;
  try {
    const d = createDecipheriv(name, sk.data, Buffer.alloc(bs));
    const p = Buffer.concat([d.update(firstBytes.subarray(0, bs + 2)), d.final()]);
    return p[bs - 2] === p[bs] && p[bs - 1] === p[bs + 1];
  } catch {
    return undefined;
  }
}

const wrongPassphrase = (cause?: unknown, orDamaged = false): AppError =>
  new AppError('AuthFailed', orDamaged ? 'Wrong passphrase (or the file is damaged): it does not open this encrypted backup.' : 'Wrong passphrase: it does not open this encrypted backup.', {
    hint: 'Check the passphrase (it is case-sensitive; for odoo_backup_sh backups it is the encryption password of the backup configuration) and try again.',
    ...(cause === undefined ? {} : { cause }),
  });

function integrityError(err: unknown): AppError {
  const msg = err instanceof Error ? err.message : String(err);
  if (/modification detected|authentication tag|tag mismatch/i.test(msg)) {
    return new AppError('Integrity', 'The encrypted backup failed its integrity check: it was modified or damaged.', {
      hint: 'Download the backup again; if it fails again the stored copy is corrupt. Nothing decrypted from it was kept.',
      cause: err,
    });
  }
  return new AppError('Integrity', `The encrypted backup is damaged or incomplete (truncated): ${msg}`, {
    hint: 'Download the backup again; if it fails again the stored copy is corrupt. Nothing decrypted from it was kept.',
    cause: err,
  });
}

/** Rejects with `Cancelled` when the signal fires before `p` settles. */
function raceAbort<T>(p: Promise<T>, signal: AbortSignal | undefined, abortAll: () => void): Promise<T> {
  if (!signal) return p;
  return new Promise<T>((resolve, reject) => {
    const stopListening = onAbort(signal, () => {
      abortAll();
      reject(cancelledError('Decryption'));
    });
    p.then(
      (v) => {
        stopListening();
        resolve(v);
      },
      (e: unknown) => {
        stopListening();
        reject(e);
      },
    );
  });
}

/**
 * The session key for a passphrase computed natively (s2k.ts) for gpg's usual packets, chosen
 * by the quick check; undefined when openpgp.js has to do it. Throws on a wrong passphrase.
 */
function nativePasswordKey(esk: Uint8Array | undefined, scan: PacketScan, passphrase: string): Found | undefined {
  if (!esk || scan.data?.tag !== 18 || scan.data.version !== 1) return undefined;
  const candidates = passwordSessionKeys(esk, passphrase);
  if (!candidates) return undefined;
  for (const sk of candidates) {
    const check = quickCheck(sk, scan.data.firstBytes);
    if (check === undefined) return undefined;
    if (check) return { sk, via: 'password' };
  }
  throw wrongPassphrase();
}

/** Finds the session key with the given keys, or throws the precise AuthFailed. */
async function findSessionKey(message: openpgp.Message<ReadableStream<Uint8Array> | Uint8Array>, scan: PacketScan, keys: DecryptKeys, esk?: Uint8Array): Promise<Found> {
  const hasPk = scan.pkesk.length > 0;
  const hasPw = scan.skesk.length > 0;
  const wanted = scan.pkesk.map((p) => p.keyId);
  const givenKeys = keys.privateKeys ?? [];
  const hasPassphrase = keys.passphrase !== undefined && keys.passphrase !== '';
  let keyError: AppError | undefined;

  if (hasPk && givenKeys.length) {
    const msgIds = message.getEncryptionKeyIDs();
    const unlocked: openpgp.PrivateKey[] = [];
    for (const given of givenKeys) {
      const key = await parsePrivateKey(given.armored);
      const matches = key.getKeys().some((k) => msgIds.some((id) => id.toHex() === '0000000000000000' || id.equals(k.getKeyID())));
      if (!matches) continue;
      try {
        unlocked.push(await unlockPrivateKey(key, given.passphrase));
      } catch (err) {
        keyError ??= toAppError(err);
      }
    }
    if (unlocked.length) {
      try {
        const sks = await openpgp.decryptSessionKeys({ message, decryptionKeys: unlocked });
        if (sks[0]) return { sk: sks[0] as SessionKey, via: 'key' };
      } catch (err) {
        keyError ??= new AppError('AuthFailed', 'The private key does not open this backup (its session key could not be decrypted).', {
          hint: `Use the private key this backup was encrypted to (key IDs ${wanted.join(', ')}).`,
          cause: err,
          details: { keyIds: wanted },
        });
      }
    } else {
      keyError ??= new AppError('AuthFailed', `No matching private key: this backup is encrypted to key ID(s) ${wanted.join(', ')}.`, {
        hint: 'Provide the private key for one of these key IDs (`gpg --list-secret-keys --keyid-format long` lists yours).',
        details: { keyIds: wanted },
      });
    }
  }
  if (hasPw && hasPassphrase) {
    try {
      const native = nativePasswordKey(esk, scan, keys.passphrase!);
      if (native) return native;
    } catch (err) {
      throw keyError ?? err;
    }
    try {
      const sks = await openpgp.decryptSessionKeys({ message, passwords: [keys.passphrase!] });
      if (sks[0]) return { sk: sks[0] as SessionKey, via: 'password' };
    } catch (err) {
      throw keyError ?? wrongPassphrase(err);
    }
  }
  if (keyError) throw keyError;
  if (hasPk && !hasPw) {
    throw new AppError('AuthFailed', `This backup is encrypted to a public key (key ID(s) ${wanted.join(', ')}); a passphrase cannot open it.`, {
      hint: 'Provide the matching private key file (and its passphrase).',
      details: { keyIds: wanted },
    });
  }
  if (hasPw && !hasPk && givenKeys.length && !hasPassphrase) {
    throw new AppError('AuthFailed', 'This backup is encrypted with a passphrase, not to a public key.', {
      hint: 'Provide the passphrase it was encrypted with.',
    });
  }
  throw new AppError('AuthFailed', 'This backup is encrypted; a passphrase or private key is needed to open it.', {
    hint: hasPk ? `Provide the passphrase or the private key for key ID(s) ${wanted.join(', ')}.` : 'Provide the passphrase.',
    ...(hasPk ? { details: { keyIds: wanted } } : {}),
  });
}

/**
 * Decrypts an OpenPGP message (armored or binary; password or public key; compressed or
 * not). Resolves only once the key has been verified and the first plaintext is ready;
 * rejects fast with `AuthFailed` for a wrong passphrase/key. The returned stream emits
 * `Integrity` at the end when the message was tampered with or truncated.
 */
export async function decryptStream(input: Readable, keys: DecryptKeys, opts: { signal?: AbortSignal } = {}): Promise<Readable> {
  const { signal } = opts;
  if (signal?.aborted) {
    input.destroy();
    throw cancelledError('Decryption');
  }
  let peeked: Awaited<ReturnType<typeof peekInput>> | undefined;
  const abortAll = (): void => {
    if (peeked) void peeked.close();
    else input.destroy();
  };
  const setup = async (): Promise<Readable> => {
    peeked = await peekInput(input, HEAD_BYTES).catch((err: unknown) => {
      throw toAppError(err);
    });
    const p = peeked;
    const { info, scan, binary } = sniff(p.head);
    if (!info.encrypted || !scan) {
      throw new AppError('InvalidInput', 'This file is not an OpenPGP-encrypted message, so there is nothing to decrypt.', {
        hint: 'Open it without decrypting, or check that you picked the .enc/.gpg file.',
      });
    }
    if (scan.data?.tag === 9) {
      throw new AppError('Unsupported', 'This message uses the obsolete encryption without integrity protection (no MDC), which is not safe to decrypt.', {
        hint: 'Re-encrypt the file with a current gpg.',
      });
    }
    // Session keys come from the session-key packets in the head alone, so that the choice
    // of decryption path can still be made before the stream is consumed.
    let eskMessage: openpgp.Message<Uint8Array> | undefined;
    if (scan.data) {
      eskMessage = await openpgp.readMessage({ binaryMessage: binary.subarray(0, scan.data.offset) }).catch(() => undefined);
    }
    let fullMessage: openpgp.Message<ReadableStream<Uint8Array>> | undefined;
    const readFull = async (): Promise<openpgp.Message<ReadableStream<Uint8Array>>> => {
      const web = p.toWeb();
      try {
        return info.armored
          ? ((await openpgp.readMessage({ armoredMessage: web.pipeThrough(new TextDecoderStream('latin1')) })) as openpgp.Message<ReadableStream<Uint8Array>>)
          : await openpgp.readMessage({ binaryMessage: web });
      } catch (err) {
        if (p.inputError) throw toAppError(p.inputError);
        throw integrityError(err);
      }
    };
    if (!eskMessage) fullMessage = await readFull();
    if (scan.data?.tag === 18 && scan.data.version === 1) prepareFastPath();
    const { sk, via } = await findSessionKey((eskMessage ?? fullMessage)!, scan, keys, eskMessage ? binary.subarray(0, scan.data!.offset) : undefined);
    const versionedV1 = scan.data?.tag === 18 && scan.data.version === 1;
    const check = versionedV1 ? quickCheck(sk, scan.data!.firstBytes) : undefined;
    if (check === false) {
      throw via === 'password'
        ? wrongPassphrase()
        : new AppError('AuthFailed', 'The private key does not open this backup (the decrypted session key is wrong).', {
            hint: 'Use the private key this backup was encrypted to.',
          });
    }
    // Legacy ciphers Node's OpenSSL lacks (CAST5, Blowfish, Twofish) get no quick check: a
    // failure before any output is then most likely a wrong passphrase, but may be damage.
    const ambiguous = check === undefined && versionedV1 && via === 'password';
    let reader: Pick<ReadableStreamDefaultReader<Uint8Array>, 'read' | 'cancel'>;
    if (check === true && !fullMessage && fastPathApplies(sk, scan.data!.firstBytes)) {
      // gpg's default format (and odoo_backup_sh's): native AES-CFB/SHA-1/zlib, constant memory.
      const gen = decryptSeipdV1(p.iterate(), info.armored, sk);
      reader = {
        read: () => gen.next() as Promise<ReadableStreamReadResult<Uint8Array>>,
        cancel: async () => {
          await gen.return(undefined);
        },
      };
    } else {
      const message = fullMessage ?? (await readFull());
      let result: openpgp.DecryptMessageResult & { data: ReadableStream<Uint8Array> };
      const stuck = (): Error => {
        void p.close();
        const why = new Error('the decoder stopped reading the message');
        return ambiguous ? wrongPassphrase(why, true) : integrityError(why);
      };
      try {
        result = (await stallGuard(
          openpgp.decrypt({
            message,
            sessionKeys: sk as openpgp.SessionKey,
            format: 'binary',
            config: { allowUnauthenticatedStream: true },
          }),
          p,
          stuck,
        )) as openpgp.DecryptMessageResult & { data: ReadableStream<Uint8Array> };
      } catch (err) {
        if (p.inputError) throw toAppError(p.inputError);
        if (isAppError(err)) throw err;
        if (ambiguous) throw wrongPassphrase(err, true);
        throw integrityError(err);
      }
      // openpgp.js may wait forever on garbage (a wrong key for a cipher without a quick
      // check): every read is guarded against a decoder that stopped reading its input.
      const raw = result.data.getReader();
      reader = { read: () => stallGuard(raw.read(), p, stuck), cancel: (reason?: unknown) => raw.cancel(reason) };
    }
    const mapError = (err: unknown): Error => {
      if (p.inputError) return toAppError(p.inputError);
      if (isAppError(err)) return err;
      return ambiguous ? wrongPassphrase(err, true) : integrityError(err);
    };
    let first: ReadableStreamReadResult<Uint8Array>;
    try {
      first = await reader.read();
    } catch (err) {
      if (p.inputError) throw toAppError(p.inputError);
      if (ambiguous) throw wrongPassphrase(err, true);
      throw integrityError(err);
    }
    const out = webToNode(reader, mapError, first, () => void p.close());
    out.once('close', onAbort(signal, () => out.destroy(cancelledError('Decryption'))));
    return out;
  };
  try {
    return await raceAbort(setup(), signal, abortAll);
  } catch (err) {
    abortAll();
    throw toAppError(err);
  }
}

/**
 * Decrypts to `outPath` through `outPath + '.part'`, renamed only after the integrity check
 * passed; on any failure the `.part` file is deleted and nothing is left.
 */
export async function decryptToFile(
  input: Readable,
  outPath: string,
  keys: DecryptKeys,
  opts: { signal?: AbortSignal; onProgress?: (bytes: number) => void } = {},
): Promise<{ bytes: number }> {
  const plain = await decryptStream(input, keys, opts.signal ? { signal: opts.signal } : {});
  const part = `${outPath}.part`;
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      opts.onProgress?.(bytes);
      cb(null, chunk);
    },
  });
  try {
    await pipeline(plain, counter, createWriteStream(part, { flush: true }), ...(opts.signal ? [{ signal: opts.signal }] : []));
    if (opts.signal?.aborted) throw cancelledError('Decryption');
    await rename(part, outPath);
    return { bytes };
  } catch (err) {
    plain.destroy();
    await rm(part, { force: true });
    if (opts.signal?.aborted) throw cancelledError('Decryption');
    if (isAppError(err)) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC') throw new AppError('Fatal', `No space left while writing ${outPath}.`, { hint: 'Free some disk space and try again.', cause: err });
    if (code === 'ENOENT') throw new AppError('NotFound', `The folder for ${outPath} does not exist.`, { hint: 'Choose an existing folder.', cause: err });
    if (code === 'EACCES' || code === 'EPERM') {
      throw new AppError('PermissionDenied', `Cannot write ${part}: ${(err as Error).message}`, { hint: 'Choose a folder you can write to.', cause: err });
    }
    throw toAppError(err);
  }
}

/**
 * A damaged-content error (`Integrity`: a zip CRC, a dump that breaks off) found in data that was
 * decrypted on the way, said as what it is: OpenPGP streams the plaintext and checks its own
 * integrity only at the message's end, so a damaged encrypted file shows first as damaged content.
 */
export function damagedWhileDecrypted(e: AppError, encrypted: boolean): AppError {
  if (!encrypted || e.kind !== 'Integrity' || /OpenPGP|decrypt/i.test(e.message)) return e;
  return new AppError('Integrity', `${e.message.replace(/\.?$/, '.')} It was found in data decrypted on the way: the encrypted file may be damaged or altered (OpenPGP checks that only at the message's end).`, {
    hint: e.hint ?? 'Download it again, or restore another backup.',
    cause: e,
    ...(e.details ? { details: e.details } : {}),
  });
}
