/**
 * Index builds started as soon as their table is loaded, instead of after the whole data load.
 *
 * Why: on a server with default durability every index build ends with an fsync of its file;
 * an Odoo database has thousands, and pg_dump puts them all after the last COPY, so they wait
 * for the whole load and then queue on the disk. A plain seekable zip can be read twice, so a
 * scout reads `dump.sql` ahead on a second reader (COPY data skipped: ~0.2 s for a 30 MB dump)
 * and notes each table's index and key builds; when the load has finished a table's COPY, its
 * builds start on the parallel workers while the other tables load. Foreign keys and every
 * other post-data statement stay in the post-data section (beside-builds.ts may run some of them
 * before its last build). A dump too large to read twice cheaply (its
 * inflate would compete with the load for the CPU) is not scouted, nor one whose scout fails or
 * has not finished when a table is loaded: those builds then run where the dump has them.
 */
import { Readable } from 'node:stream';
import type { ZipDirEntry } from '../archive/zip-dir-entry';
import type { RandomAccessZip } from '../archive/source-reader';
import { readInOrder } from '../archive/zip-in-order';
import { buildTable, parallelClass } from './statement-kinds';
import { parseSqlStream, type SqlItem } from './sql-stream';

/** Largest `dump.sql` scouted (uncompressed bytes). */
const SCOUT_MAX_BYTES = 256 * 1024 * 1024;

/** Statements that change no table definition: sequence values, large objects, comments (Odoo comments its SQL constraints). */
const HARMLESS_IN_DATA = /^(SELECT\s+pg_catalog\.(setval|lo_create|lo_open|lowrite|lo_close)\(|COMMENT\s+ON\s)/i;

/** A build statement and its line in the dump. */
export interface EarlyBuild {
  readonly text: string;
  readonly line: number;
}

/** What the loader asks of the scout. */
export interface EarlyBuildSource {
  /** The builds of `table` to start now that it is loaded (each handed out once; none before the scout has finished). */
  take(table: string): EarlyBuild[];
  /** True when the build at `line` was handed out by `take` (the loader skips it where the dump has it). */
  taken(line: number): boolean;
  /** The build at `line` runs where the dump has it (it came before its table's data): never hand it out. */
  ranInPlace(line: number): void;
  /** Settles once the scout has finished (or given up). */
  readonly settled: Promise<void>;
}

/** The scout's findings, filled in once it has read the whole dump. */
class Scouted implements EarlyBuildSource {
  settled: Promise<void> = Promise.resolve();
  private byTable: Map<string, EarlyBuild[]> | undefined;
  private readonly handedOut = new Set<number>();
  private readonly inPlace = new Set<number>();

  /** Records the builds found (only a complete reading is used). */
  fill(byTable: Map<string, EarlyBuild[]>): void {
    this.byTable = byTable;
  }

  take(table: string): EarlyBuild[] {
    const builds = this.byTable?.get(table)?.filter((b) => !this.inPlace.has(b.line));
    if (!builds) return [];
    this.byTable!.delete(table);
    for (const b of builds) this.handedOut.add(b.line);
    return builds;
  }

  ranInPlace(line: number): void {
    this.inPlace.add(line);
  }

  taken(line: number): boolean {
    return this.handedOut.has(line);
  }
}

/**
 * Starts scouting `dump.sql` (its entry `dump`) of a seekable zip on a second reader; returns at once. The scout
 * stops with `signal`; any failure of it only means no early builds.
 */
export function scoutBuilds(zip: RandomAccessZip, dump: ZipDirEntry, signal: AbortSignal): EarlyBuildSource {
  const scouted = new Scouted();
  scouted.settled = scout(zip, dump, signal).then(
    (found) => void (found && scouted.fill(found)),
    () => undefined,
  );
  return scouted;
}

/**
 * The index builds of the items, by table: those after the first COPY (the data section) and
 * before any statement that could change what a build sees — anything but COPY data, sequence
 * values, large-object data, comments, other builds and foreign keys (a `SET default_tablespace`,
 * a new column of a hand-written script). From there on, builds run where the dump has them.
 */
export async function buildsByTable(items: AsyncIterable<SqlItem>, signal?: AbortSignal): Promise<Map<string, EarlyBuild[]> | undefined> {
  const found = new Map<string, EarlyBuild[]>();
  let inData = false;
  for await (const item of items) {
    if (signal?.aborted) return undefined;
    if (item.kind === 'copy') inData = true;
    if (!inData || item.kind === 'copy') continue;
    if (item.kind !== 'sql') break;
    const table = buildTable(item.text);
    if (table) found.set(table, [...(found.get(table) ?? []), { text: item.text, line: item.line }]);
    else if (!HARMLESS_IN_DATA.test(item.text) && parallelClass(item.text) !== 'fk') break;
  }
  return found;
}


/** Reads the zip's `dump.sql` (its entry `dump`) for its build statements, by table; undefined when it is not worth it. */
async function scout(zip: RandomAccessZip, dump: ZipDirEntry, signal: AbortSignal): Promise<Map<string, EarlyBuild[]> | undefined> {
  if (dump.uncompressedSize > SCOUT_MAX_BYTES) return undefined;
  let found: Map<string, EarlyBuild[]> | undefined;
  await readInOrder(zip, [dump], dump.fileName, signal, async (_entry, data) => {
    found = await buildsByTable(parseSqlStream(Buffer.isBuffer(data) ? Readable.from([data]) : data), signal);
  });
  return found;
}
