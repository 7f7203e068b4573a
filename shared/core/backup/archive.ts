/**
 * Archive-writer stage: Odoo's `zip` (dump.sql first, then manifest.json, then `filestore/…`, as
 * Odoo's `dump_db` orders them) or Odoo's `dump` (pg_dump's custom format as it comes). pg_dump and
 * the writer run at once: the dump is deflated while pg_dump is still producing it. The archive
 * only ends (central directory written) once pg_dump has exited successfully, so a failed dump can
 * never look like a complete archive.
 */
import { Readable } from 'node:stream';
import type { PgDumpRun } from './pg-dump';
import { writeZip, type ZipEntry, type ZipWrittenEntry } from './zip-writer';

/** pg_dump's output, followed by the check of its exit status. */
async function* dumpOutput(run: PgDumpRun): AsyncGenerator<Buffer> {
  try {
    for await (const c of run.stdout as AsyncIterable<Buffer>) yield c;
  } catch (err) {
    run.kill();
    await run.done.catch(() => undefined);
    throw err;
  }
  await run.done;
}

/** What goes into an Odoo zip. */
export interface OdooZipParts {
  readonly dump: PgDumpRun;
  readonly manifest: string;
  /** `filestore/…` entries (none with `--no-filestore`). */
  readonly filestore?: AsyncIterable<ZipEntry>;
  /** Deflate level of dump.sql (default `DUMP_LEVEL`). */
  readonly level?: number;
}

/**
 * Deflate level of dump.sql: 3 rather than zlib's (and Odoo's) 6 — here on a 30 MB Odoo dump it
 * deflates in less than half the time for a 13 % larger member, and keeps pace with pg_dump.
 */
export const DUMP_LEVEL = 3;

async function* odooZipEntries(p: OdooZipParts, now: Date): AsyncGenerator<ZipEntry> {
  let consumed = false;
  try {
    yield { name: 'dump.sql', deflate: true, level: p.level ?? DUMP_LEVEL, mtime: now, data: { kind: 'stream', open: () => dumpOutput(p.dump) } };
    consumed = true;
    yield { name: 'manifest.json', deflate: true, mtime: now, data: { kind: 'buffer', buffer: Buffer.from(p.manifest, 'utf8') } };
    if (p.filestore) yield* p.filestore;
  } finally {
    if (!consumed) p.dump.kill();
  }
}

/** The Odoo zip as a stream; `onEntry` hears of every member written. */
export function odooZipStream(p: OdooZipParts, onEntry?: (e: ZipWrittenEntry) => void): Readable {
  return Readable.from(writeZip(odooZipEntries(p, new Date()), onEntry), { objectMode: false, highWaterMark: 1 << 20 });
}

/** Odoo's `dump` format: pg_dump's custom-format output, ending only after pg_dump succeeded. */
export function odooDumpStream(dump: PgDumpRun): Readable {
  return Readable.from(dumpOutput(dump), { objectMode: false, highWaterMark: 1 << 20 });
}
