/**
 * Executes the items of a plain SQL dump against one connection: statements are batched into
 * multi-statement simple queries (one round-trip for many small DDL statements; thousands of
 * foreign keys in a few transactions), COPY data streams through pg-copy-streams as raw bytes,
 * psql meta-commands pg_dump writes are skipped or refused. Index builds run on extra
 * connections (parallel-builds.ts), where the dump has them or, when they are known ahead, as
 * soon as their table's COPY is done (early-builds.ts).
 *
 * The first error stops the load. A failed batch has been rolled back as a whole (a multi-statement
 * query is one implicit transaction), so it is replayed statement by statement to name the culprit
 * and its line. Extensions are checked against the server before `CREATE EXTENSION` runs.
 */
import type pg from 'pg';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { AppError, cancelledError } from '../errors';
import { BesideBuilds } from './beside-builds';
import { type EarlyBuildSource } from './early-builds';
import { ParallelBuilds, SESSION_SETUP } from './parallel-builds';
import { besideStatement, copyTable, parallelClass } from './statement-kinds';
import { sqlError, statementPreview, type PgErrorLike } from './sql-errors';
import type { SqlItem, SqlMetaItem } from './sql-stream';

export { parallelClass } from './statement-kinds';
export { statementPreview } from './sql-errors';

/** Options of `loadSqlItems`. */
export interface LoadOptions {
  readonly signal?: AbortSignal;
  /** Name of the dump in messages, e.g. `dump.sql`. */
  readonly dumpName?: string;
  /** Max bytes of statement text per round-trip. */
  readonly batchBytes?: number;
  /** Max statements per round-trip. */
  readonly batchStatements?: number;
  /** Receives non-fatal problems. */
  readonly warn?: (message: string) => void;
  /** Called after each item with the dump line reached. */
  readonly onItem?: (item: SqlItem) => void;
  /**
   * Build indexes and constraints of the post-data section on extra connections, in parallel.
   * `open` connects a new session to the same database.
   */
  readonly parallel?: { readonly workers: number; readonly open: () => Promise<pg.Client> };
  /**
   * Called when the post-data section (index and key builds) begins, with how many builds have
   * finished (started early, see `early`), then after each build that finished on a parallel
   * worker, with how many have.
   */
  readonly onPostData?: (built: number) => void;
  /** Index builds known ahead (early-builds.ts): a table's builds start once its COPY is done. */
  readonly early?: EarlyBuildSource;
}


/** What was loaded. */
export interface LoadStats {
  statements: number;
  copies: number;
  extensions: string[];
}

const CREATE_EXTENSION = /^CREATE\s+EXTENSION\s+(?:IF\s+NOT\s+EXISTS\s+)?("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_]*)/i;
const COMMENT_ON_EXTENSION = /^COMMENT\s+ON\s+EXTENSION\s/i;
const SKIPPED_META = new Set(['restrict', 'unrestrict']);

/** Statements batched into multi-statement simple queries on the loader's connection. */
class StatementBatch {
  private batch: Array<{ text: string; line: number }> = [];
  private bytes = 0;
  private available: Set<string> | undefined;

  constructor(
    private readonly client: pg.Client,
    private readonly opts: LoadOptions,
    private readonly dumpName: string,
    private readonly stats: LoadStats,
    private readonly check: () => void,
  ) {}

  /** Statements batched and not yet sent. */
  get size(): number {
    return this.batch.length;
  }

  /** Adds a statement; sends the batch once it is full. */
  async add(text: string, line: number): Promise<void> {
    this.batch.push({ text, line });
    this.bytes += text.length;
    this.stats.statements++;
    if (this.bytes >= (this.opts.batchBytes ?? 512 * 1024) || this.batch.length >= (this.opts.batchStatements ?? 2000)) await this.flush();
  }

  /** Sends what is batched; a failed batch (rolled back as a whole) is replayed one statement at a time to name the culprit. */
  async flush(): Promise<void> {
    if (this.batch.length === 0) return;
    const current = this.batch;
    this.batch = [];
    this.bytes = 0;
    this.check();
    if (current.length === 1) return this.runOne(current[0]!);
    try {
      await this.client.query(current.map((s) => s.text).join('\n'));
    } catch (err) {
      this.check();
      for (const s of current) await this.runOne(s);
      throw sqlError(err, current[0]!.text, current[0]!.line, this.dumpName);
    }
  }

  /** `MissingTool` before `CREATE EXTENSION` runs, when the server does not have the extension. */
  async checkExtension(name: string, line: number): Promise<void> {
    if (!this.available) {
      const r = await this.client.query<{ name: string }>('SELECT name FROM pg_available_extensions');
      this.available = new Set(r.rows.map((x) => x.name));
    }
    this.stats.extensions.push(name);
    if (!this.available.has(name)) {
      throw new AppError('MissingTool', `The dump needs the PostgreSQL extension "${name}" (line ${line} of ${this.dumpName}), which the target server does not have.`, {
        hint: `Install it on the database server (for "${name}" usually the postgresql-contrib package), then restore again.`,
        details: { extension: name, line },
      });
    }
  }

  private async runOne(s: { text: string; line: number }): Promise<void> {
    try {
      await this.client.query(s.text);
    } catch (err) {
      this.check();
      const e = err as PgErrorLike;
      if (COMMENT_ON_EXTENSION.test(s.text) && e.code === '42501') {
        // odoo/odoo#31115: only the extension's owner may comment on it; harmless to skip.
        this.opts.warn?.(`Skipped "${statementPreview(s.text, 80)}" (line ${s.line}): ${e.message ?? ''}`);
        return;
      }
      throw sqlError(err, s.text, s.line, this.dumpName);
    }
  }
}

/** Loads parsed dump items into the connected database. */
export async function loadSqlItems(items: AsyncIterable<SqlItem>, client: pg.Client, opts: LoadOptions = {}): Promise<LoadStats> {
  const dumpName = opts.dumpName ?? 'dump.sql';
  const signal = opts.signal;
  const stats: LoadStats = { statements: 0, copies: 0, extensions: [] };
  const check = (): void => {
    if (signal?.aborted) throw cancelledError('The restore');
  };
  const batch = new StatementBatch(client, opts, dumpName, stats, check);
  let built = 0;
  let postData = false;
  // Builds that finish before the post-data section (started early) are counted, not yet reported.
  const builds = opts.parallel ? new ParallelBuilds(opts.parallel, dumpName, signal, () => (built++, postData && opts.onPostData?.(built))) : undefined;
  const early = builds ? opts.early : undefined;
  const beside = builds ? new BesideBuilds(batch, builds) : undefined;
  try {
    for await (const item of items) {
      check();
      const cls = item.kind === 'sql' ? parallelClass(item.text) : undefined;
      if (cls && !postData) {
        postData = true;
        opts.onPostData?.(built);
      }
      const late = postData && builds?.pending && item.kind === 'sql' ? besideStatement(item.text) : undefined;
      if (cls === 'index' && early?.taken(item.line)) {
        // Started when its table was loaded.
      } else if (cls === 'index' && builds && item.kind === 'sql') {
        await batch.flush();
        stats.statements++;
        early?.ranInPlace(item.line);
        await builds.dispatch(item.text, item.line);
      } else if (late && beside && item.kind === 'sql') {
        await beside.offer(item.text, item.line, late);
      } else {
        if (postData && beside) await beside.drain();
        else builds?.raiseFailure();
        if (item.kind === 'sql') await addStatement(item.text, item.line, batch, builds);
        else if (item.kind === 'copy') {
          await copyIn(client, item, batch, stats, { dumpName, signal, check });
          startBuildsOf(item.text, early, builds, stats);
        } else if (SKIPPED_META.has(item.command)) continue;
        else await refuseMeta(item, batch, dumpName);
      }
      opts.onItem?.(item);
    }
    await batch.flush();
    await beside?.drain();
    await batch.flush();
  } catch (err) {
    // Any error ends the load at once: builds still running are not waited for.
    builds?.abandon();
    throw err;
  }
  await builds?.close();
  return stats;
}

/** Queues the builds of a table whose COPY has just finished, when the scout knows them. */
function startBuildsOf(copyText: string, early: EarlyBuildSource | undefined, builds: ParallelBuilds | undefined, stats: LoadStats): void {
  const table = early && builds ? copyTable(copyText) : undefined;
  if (!table) return;
  for (const b of early!.take(table)) {
    stats.statements++;
    builds!.enqueue(b.text, b.line);
  }
}

/** A plain statement: remembered as session setup for the parallel workers, extensions checked first, then batched. */
async function addStatement(text: string, line: number, batch: StatementBatch, builds: ParallelBuilds | undefined): Promise<void> {
  if (builds && SESSION_SETUP.test(text)) builds.setup.push(text);
  const ext = CREATE_EXTENSION.exec(text);
  if (ext) {
    await batch.flush();
    await batch.checkExtension(ext[1]!.replace(/^"|"$/g, '').replace(/""/g, '"'), line);
  }
  await batch.add(text, line);
}

/** A COPY block: its data streamed as raw bytes through pg-copy-streams. */
async function copyIn(
  client: pg.Client,
  item: Extract<SqlItem, { kind: 'copy' }>,
  batch: StatementBatch,
  stats: LoadStats,
  o: { dumpName: string; signal: AbortSignal | undefined; check: () => void },
): Promise<void> {
  await batch.flush();
  stats.copies++;
  const stream = client.query(copyFrom(item.text));
  try {
    await pipeline(Readable.from(item.data, { objectMode: false }), stream, o.signal ? { signal: o.signal } : {});
  } catch (err) {
    o.check();
    if (err instanceof AppError) throw err;
    throw sqlError(err, item.text, item.line, o.dumpName);
  }
}

/** A psql meta-command only psql can run: `Unsupported`, saying why. */
async function refuseMeta(item: SqlMetaItem, batch: StatementBatch, dumpName: string): Promise<never> {
  await batch.flush();
  if (item.command === 'connect' || item.command === 'c') {
    throw new AppError('Unsupported', `The dump switches databases with "\\${item.command} ${item.args}" (line ${item.line} of ${dumpName}); it is a multi-database (pg_dumpall or pg_dump -C) script.`, {
      hint: 'Restore a single-database dump made with pg_dump (as Odoo makes them).',
    });
  }
  throw new AppError('Unsupported', `The dump uses the psql command "\\${item.command}" (line ${item.line} of ${dumpName}), which only psql can run.`, {
    hint: 'Restore it with psql, or remove that line from the dump.',
  });
}
