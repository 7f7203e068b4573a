/** Gzip-compressed dumps (`dump.sql.gz`, `.sql.gz` backups) read as plain bytes. */
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { AppError } from '../errors';

/** The bytes of a gzip stream; a corrupt or truncated one fails as `Integrity`. */
export function gunzipped(input: Readable, name: string): AsyncIterable<Buffer> {
  const gz = createGunzip({ chunkSize: 256 * 1024 });
  input.on('error', (err) => gz.destroy(err));
  input.pipe(gz);
  return (async function* () {
    try {
      for await (const c of gz as AsyncIterable<Buffer>) yield c;
    } catch (err) {
      if (err instanceof AppError) throw err;
      throw new AppError('Integrity', `${name} is corrupt or truncated (gzip: ${(err as Error).message}).`, {
        hint: 'The backup is damaged or incomplete; download it again or use another backup.',
      });
    }
  })();
}
