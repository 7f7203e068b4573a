/**
 * Opens a backup for reading in one pass: reads its first bytes, decrypts it when it is an OpenPGP
 * message, and says what format the (decrypted) bytes are — without buffering the backup.
 */
import { Readable } from 'node:stream';
import { AppError } from '../errors';
import { decryptStream, detectEncryption, type DecryptKeys } from '../crypto';
import { sniffFormat, type SniffedFormat } from '../archive/sniff';
import type { BackupSource } from '../archive/source';

/** A backup stream positioned at its start, with its first bytes already known. */
export interface OpenedBackup {
  /** Format of the (decrypted) content. */
  readonly format: Exclude<SniffedFormat, 'openpgp'>;
  /** The first bytes of the (decrypted) content. */
  readonly head: Buffer;
  /** The whole (decrypted) content, head included. */
  readonly stream: Readable;
  /** True when the source was an OpenPGP message. */
  readonly encrypted: boolean;
  /** How it was encrypted (`password` | `public-key` | `unknown`). */
  readonly encryption?: string;
  /** Raw bytes read from the source so far (for progress). */
  rawBytes(): number;
}

/** Reads at least `min` bytes of `input`; returns them and a stream of the whole input. */
export async function peekStream(input: Readable, min: number, onBytes?: (n: number) => void): Promise<{ head: Buffer; stream: Readable }> {
  const it = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const chunks: Buffer[] = [];
  let size = 0;
  while (size < min) {
    const r = await it.next();
    if (r.done) break;
    const c = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value as Uint8Array);
    chunks.push(c);
    size += c.length;
  }
  const head = Buffer.concat(chunks);
  async function* whole(): AsyncGenerator<Buffer> {
    try {
      for (const c of chunks) {
        onBytes?.(c.length);
        yield c;
      }
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        const c = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value as Uint8Array);
        onBytes?.(c.length);
        yield c;
      }
    } finally {
      await it.return?.();
      input.destroy();
    }
  }
  const stream = Readable.from(whole(), { objectMode: false, highWaterMark: 256 * 1024 });
  stream.on('close', () => input.destroy());
  return { head, stream };
}

/** Counts bytes passing through an async iterable. */
export function countingStream(input: AsyncIterable<Buffer>, onBytes: (n: number) => void): AsyncGenerator<Buffer> {
  return (async function* () {
    for await (const c of input) {
      onBytes(c.length);
      yield c;
    }
  })();
}

/** Opens `source`, decrypting it when needed, and sniffs its format. */
export async function openBackup(source: BackupSource, opts: { decrypt?: DecryptKeys; signal?: AbortSignal } = {}): Promise<OpenedBackup> {
  const raw = await source.open(undefined, opts.signal);
  let rawCount = 0;
  const first = await peekStream(raw, 4096, (n) => (rawCount += n));
  let format = sniffFormat(first.head);
  if (format !== 'openpgp') {
    if (first.head.length === 0) {
      first.stream.destroy();
      throw new AppError('InvalidInput', `${source.name} is empty.`, { hint: 'Choose another backup; this file holds no data.' });
    }
    return { format, head: first.head, stream: first.stream, encrypted: false, rawBytes: () => rawCount };
  }
  const info = detectEncryption(first.head);
  const method = (info as { method?: string }).method;
  if (!opts.decrypt || (!opts.decrypt.passphrase && !(opts.decrypt.privateKeys && opts.decrypt.privateKeys.length > 0))) {
    first.stream.destroy();
    throw new AppError('AuthFailed', `${source.name} is encrypted (OpenPGP${method ? `, ${method}` : ''}); a ${method === 'public-key' ? 'private key' : 'passphrase'} is needed.`, {
      hint: method === 'public-key' ? 'Give the private key (and its passphrase) to decrypt it.' : 'Type the passphrase the backup was encrypted with (none is remembered for its storage).',
      details: { encryption: method ?? 'unknown', ...(method === 'public-key' ? {} : { cliHint: 'Give the passphrase (prompt, --passphrase-file or --passphrase-env).' }) },
    });
  }
  const plain = await decryptStream(first.stream, opts.decrypt, opts.signal ? { signal: opts.signal } : {});
  const second = await peekStream(plain, 4096);
  format = sniffFormat(second.head);
  if (format === 'openpgp') format = 'unknown';
  return {
    format,
    head: second.head,
    stream: second.stream,
    encrypted: true,
    ...(method ? { encryption: method } : {}),
    rawBytes: () => rawCount,
  };
}
