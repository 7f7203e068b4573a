/** Checks a downloaded file before it is presented as complete. */
import { createHash, type Hash } from 'node:crypto';
import { open } from 'node:fs/promises';
import yauzl from 'yauzl';
import { AppError } from '../errors';
import type { ObjectChecksum } from '../storage/provider';

/** An incremental checksum over the stored bytes. */
export interface Checksummer {
  readonly algorithm: ObjectChecksum['algorithm'];
  update(chunk: Buffer): void;
  /** Lower-case hex. */
  digest(): string;
}

/** Dropbox's content_hash: sha256 over the concatenated sha256 of each 4 MiB block. */
class DropboxContentHash implements Checksummer {
  readonly algorithm = 'dropbox-content-hash' as const;
  private readonly outer = createHash('sha256');
  private block: Hash = createHash('sha256');
  private inBlock = 0;
  private static readonly BLOCK = 4 * 1024 * 1024;

  update(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length) {
      const take = Math.min(DropboxContentHash.BLOCK - this.inBlock, chunk.length - off);
      this.block.update(chunk.subarray(off, off + take));
      this.inBlock += take;
      off += take;
      if (this.inBlock === DropboxContentHash.BLOCK) this.flush();
    }
  }

  private flush(): void {
    this.outer.update(this.block.digest());
    this.block = createHash('sha256');
    this.inBlock = 0;
  }

  digest(): string {
    if (this.inBlock > 0) this.flush();
    return this.outer.digest('hex');
  }
}

/** A checksummer for `algorithm`. */
export function checksummer(algorithm: ObjectChecksum['algorithm']): Checksummer {
  if (algorithm === 'dropbox-content-hash') return new DropboxContentHash();
  const h = createHash(algorithm);
  return { algorithm, update: (c) => void h.update(c), digest: () => h.digest('hex') };
}

/** Opens a zip's central directory and walks every entry header; `Integrity` when it cannot. */
export async function verifyZip(path: string, what: string): Promise<{ entries: number }> {
  return new Promise((resolve, reject) => {
    const fail = (err: unknown): void =>
      reject(
        new AppError('Integrity', `${what} is not a complete zip archive: ${((err as Error)?.message ?? String(err)).replace(/\.$/, '')}.`, {
          hint: 'The backup is truncated or corrupt (a common cause: a proxy cut a large download). Download it again, or check the original.',
          cause: err,
        }),
      );
    yauzl.open(path, { lazyEntries: true, autoClose: true, strictFileNames: false, validateEntrySizes: true }, (err, zip) => {
      if (err || !zip) return fail(err);
      let entries = 0;
      zip.on('error', fail);
      zip.on('entry', () => {
        entries++;
        zip.readEntry();
      });
      zip.on('end', () => resolve({ entries }));
      zip.readEntry();
    });
  });
}

/** The first bytes of a file. */
export async function readHead(path: string, bytes: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}
