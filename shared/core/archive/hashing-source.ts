/** A `BackupSource` whose whole-file reads also feed a hash: the sha256 a companion records, checked on the way. */
import type { Hash } from 'node:crypto';
import { pipeline as streamPipeline, Transform } from 'node:stream';
import type { BackupSource } from './source';

/** `source` whose whole-file reads also feed `hash` (ranged reads do not: they are not the file's bytes in order). */
export function hashingSource(source: BackupSource, hash: Hash): BackupSource {
  return {
    ...source,
    // A local file's size is known once it is first opened: read it through, never copy it.
    get size() {
      return source.size;
    },
    open: async (range, signal) => {
      const s = await source.open(range, signal);
      if (range) return s;
      const tap = new Transform({ transform: (c: Buffer, _e, done) => (hash.update(c), done(null, c)) });
      return streamPipeline(s, tap, () => undefined);
    },
  };
}
