/**
 * The SQL loader stage: streams a plain SQL dump (`dump.sql` of a zip, a `.sql` or `.sql.gz`)
 * through our own parser into the staging database — no client tools needed — checking its
 * "Dumped from" header against the server on the way.
 */
import { cpus } from 'node:os';
import { majorOf } from '../archive/dump-header';
import { connect } from '../pg/connection';
import { countingStream } from './open-backup';
import type { RestoreRun, TargetServer } from './pipeline';
import type { EarlyBuildSource } from './early-builds';
import { checkServerVersion } from './preflight';
import { loadSqlItems } from './sql-loader';
import { parseSqlStream } from './sql-stream';

/** One SQL input to load. */
export interface SqlInput {
  readonly data: AsyncIterable<Buffer>;
  /** Its name in messages (`dump.sql`, the file's name). */
  readonly name: string;
  /** Bytes to expect, for progress (undefined: unknown). */
  readonly total: number | undefined;
  /** Progress counts the raw (compressed) bytes read instead of the SQL bytes. */
  readonly rawBytes?: () => number;
  /** Called once when the post-data section (index and key builds) begins. */
  readonly onPostData?: () => void;
  /** Index builds known ahead, started as their tables are loaded (early-builds.ts). */
  readonly early?: EarlyBuildSource;
}

/** The label of the post-data phase: the dump is read, its indexes and constraints are being built. */
export const INDEX_PHASE = { phase: 'indexes', label: 'Building indexes and constraints' } as const;

/**
 * Loads one SQL dump into the staging database (parallel index/key builds on extra connections).
 * Progress: the bytes read (phase `database`), then, from the first index or key on, the builds
 * finished (phase `indexes`), instead of a byte count that sits at its end while they run.
 */
export async function loadSql(run: RestoreRun, server: TargetServer, input: SqlInput): Promise<void> {
  const { staging, opts } = run;
  let done = 0;
  let postData = false;
  const progress = (force: boolean, ended = false): void => {
    if (postData) return;
    const read = input.rawBytes ? input.rawBytes() : done;
    // Once the data is in, the load is done: what is left to read is the builds' own statements.
    run.report({ phase: 'database', label: 'Loading the database', done: ended && input.total !== undefined ? Math.max(read, input.total) : read, ...(input.total !== undefined ? { total: input.total } : {}), unit: 'bytes' }, force);
  };
  const counted = countingStream(input.data, (n) => {
    done += n;
    progress(false);
  });
  // The throttle may drop the last chunks' reports: the end of the input is always reported.
  const all = (async function* () {
    yield* counted;
    progress(true);
  })();
  const onPostData = (built: number): void => {
    const first = !postData;
    if (first) {
      progress(true, true);
      input.onPostData?.();
    }
    postData = true;
    run.report({ ...INDEX_PHASE, done: built, unit: 'items' }, first);
  };
  const tempDb = staging.tempDb!;
  await loadSqlItems(parseSqlStream(versionGate(all, server.version, opts.pgUrl)), staging.loader!, {
    signal: run.signal,
    dumpName: input.name,
    warn: (m) => run.warn(m),
    parallel: { workers: Math.max(2, Math.min(4, cpus().length)), open: () => connect(opts.pgUrl, tempDb) },
    onPostData,
    ...(input.early ? { early: input.early } : {}),
  });
}

/** Passes the dump through, checking its "Dumped from database version" header against the server. */
function versionGate(input: AsyncIterable<Buffer>, server: { major: number; text: string }, pgUrl: string | undefined): AsyncGenerator<Buffer> {
  const check = (head: Buffer): void => checkServerVersion(majorOf(/-- Dumped from database version (\d+(?:\.\d+)?)/.exec(head.toString('latin1'))?.[1]), server, pgUrl);
  return (async function* () {
    let head = Buffer.alloc(0);
    let checked = false;
    for await (const c of input) {
      if (!checked) {
        head = Buffer.concat([head, c.subarray(0, 8192)]);
        if (head.length >= 4096) {
          checked = true;
          check(head);
        }
      }
      yield c;
    }
    if (!checked) check(head);
  })();
}

