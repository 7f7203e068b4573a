/**
 * Executes the items of a plain SQL dump against one connection: statements are batched into
 * multi-statement simple queries (one round-trip for many small DDL statements), COPY data streams
 * through pg-copy-streams as raw bytes, psql meta-commands pg_dump writes are skipped or refused.
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
import type { SqlItem } from './sql-stream';

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
}

/**
 * Which post-data statements may run in parallel with each other: index builds (and PRIMARY KEY /
 * UNIQUE constraints, which build one) lock a single table; foreign keys lock two and need the
 * referenced keys, so they form a later group. Anything else is a barrier.
 */
export function parallelClass(text: string): 'index' | 'fk' | undefined {
  if (/^CREATE\s+(UNIQUE\s+)?INDEX\s+(?!CONCURRENTLY)/i.test(text)) return 'index';
  const m = /^ALTER\s+TABLE\s+(?:ONLY\s+)?[^;]*?\s+ADD\s+CONSTRAINT\s+\S+\s+(PRIMARY\s+KEY|UNIQUE|FOREIGN\s+KEY)\s/i.exec(text);
  if (!m || text.indexOf(';') !== text.length - 1) return undefined;
  return /^FOREIGN/i.test(m[1]!) ? 'fk' : 'index';
}

const SESSION_SETUP = /^(SET\s|SELECT\s+pg_catalog\.set_config\()/i;

/** What was loaded. */
export interface LoadStats {
  statements: number;
  copies: number;
  extensions: string[];
}

const CREATE_EXTENSION = /^CREATE\s+EXTENSION\s+(?:IF\s+NOT\s+EXISTS\s+)?("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_]*)/i;
const COMMENT_ON_EXTENSION = /^COMMENT\s+ON\s+EXTENSION\s/i;
const SKIPPED_META = new Set(['restrict', 'unrestrict']);

/** Short form of a statement for messages. */
export function statementPreview(text: string, max = 200): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max)}…` : t;
}

interface PgErrorLike {
  code?: string;
  message?: string;
  detail?: string;
  hint?: string;
  where?: string;
}

function sqlError(err: unknown, text: string, line: number, dumpName: string): AppError {
  if (err instanceof AppError) return err;
  const e = err as PgErrorLike;
  const code = e.code;
  let hint = 'The dump does not load into this server; fix the cause named above (or restore into a server like the one the backup came from).';
  if (code === '42704' && /role/i.test(e.message ?? '')) hint = 'Create the missing role on the target server (CREATE ROLE …), then restore again.';
  else if (code === '42501') hint = 'Restore with a PostgreSQL role that owns the database and may create extensions (a superuser, or the database owner on PostgreSQL 13+).';
  else if (code === '0A000' || code === '58P01') hint = 'The server lacks a feature or extension the dump needs; install it (e.g. the postgresql-contrib package) or use a newer PostgreSQL.';
  else if (code === '22021') hint = 'The dump holds bytes that are not valid in its declared encoding.';
  const details = [e.detail, e.where].filter(Boolean).join('; ');
  return new AppError(
    'Fatal',
    `SQL error at line ${line} of ${dumpName}: ${e.message ?? String(err)}${details ? ` (${details})` : ''}. Statement: ${statementPreview(text)}`,
    { hint, cause: err, details: { line, statement: statementPreview(text), ...(code ? { sqlState: code } : {}) } },
  );
}

/** Loads parsed dump items into the connected database. */
export async function loadSqlItems(items: AsyncIterable<SqlItem>, client: pg.Client, opts: LoadOptions = {}): Promise<LoadStats> {
  const dumpName = opts.dumpName ?? 'dump.sql';
  const maxBytes = opts.batchBytes ?? 512 * 1024;
  const maxStatements = opts.batchStatements ?? 2000;
  const signal = opts.signal;
  const stats: LoadStats = { statements: 0, copies: 0, extensions: [] };
  let batch: Array<{ text: string; line: number }> = [];
  let batchBytes = 0;
  let available: Set<string> | undefined;

  const check = (): void => {
    if (signal?.aborted) throw cancelledError('The restore');
  };

  const runOne = async (s: { text: string; line: number }): Promise<void> => {
    try {
      await client.query(s.text);
    } catch (err) {
      check();
      const e = err as PgErrorLike;
      if (COMMENT_ON_EXTENSION.test(s.text) && e.code === '42501') {
        // odoo/odoo#31115: only the extension's owner may comment on it; harmless to skip.
        opts.warn?.(`Skipped "${statementPreview(s.text, 80)}" (line ${s.line}): ${e.message ?? ''}`);
        return;
      }
      throw sqlError(err, s.text, s.line, dumpName);
    }
  };

  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const current = batch;
    batch = [];
    batchBytes = 0;
    check();
    if (current.length === 1) {
      await runOne(current[0]!);
      return;
    }
    try {
      await client.query(current.map((s) => s.text).join('\n'));
    } catch (err) {
      check();
      // The whole batch was rolled back: replay it one statement at a time to find the culprit.
      for (const s of current) await runOne(s);
      throw sqlError(err, current[0]!.text, current[0]!.line, dumpName);
    }
  };

  const checkExtension = async (name: string, line: number): Promise<void> => {
    if (!available) {
      const r = await client.query<{ name: string }>('SELECT name FROM pg_available_extensions');
      available = new Set(r.rows.map((x) => x.name));
    }
    stats.extensions.push(name);
    if (!available.has(name)) {
      throw new AppError('MissingTool', `The dump needs the PostgreSQL extension "${name}" (line ${line} of ${dumpName}), which the target server does not have.`, {
        hint: `Install it on the database server (for "${name}" usually the postgresql-contrib package), then restore again.`,
        details: { extension: name, line },
      });
    }
  };

  // ---- parallel post-data (index builds, constraints)
  const setup: string[] = [];
  interface Worker {
    client: pg.Client;
    synced: number;
    busy?: Promise<void>;
  }
  const workers: Worker[] = [];
  let running = new Set<Promise<void>>();
  let runningClass: 'index' | 'fk' | undefined;
  let workerError: unknown;
  const barrier = async (): Promise<void> => {
    while (running.size > 0) await Promise.allSettled([...running]);
    runningClass = undefined;
    if (workerError) {
      const e = workerError;
      workerError = undefined;
      throw e;
    }
  };
  const dispatch = async (cls: 'index' | 'fk', text: string, line: number): Promise<void> => {
    const par = opts.parallel!;
    if (runningClass !== undefined && runningClass !== cls) await barrier();
    if (workerError) await barrier();
    let w = workers.find((x) => !x.busy);
    if (!w && workers.length < par.workers) {
      const client = await par.open();
      await client.query('SET synchronous_commit = off');
      w = { client, synced: 0 };
      workers.push(w);
    }
    while (!w) {
      await Promise.race([...running]).catch(() => undefined);
      w = workers.find((x) => !x.busy);
    }
    if (workerError) await barrier();
    const worker = w;
    runningClass = cls;
    const job = (async (): Promise<void> => {
      for (; worker.synced < setup.length; worker.synced++) await worker.client.query(setup[worker.synced]!);
      for (let attempt = 1; ; attempt++) {
        try {
          await worker.client.query(text);
          return;
        } catch (err) {
          // Two foreign keys locking the same tables in opposite order: one is rolled back; retry it.
          if ((err as PgErrorLike).code === '40P01' && attempt < 4) continue;
          throw err;
        }
      }
    })().then(
      () => undefined,
      (err: unknown) => {
        if (!workerError) workerError = signal?.aborted ? cancelledError('The restore') : sqlError(err, text, line, dumpName);
      },
    );
    worker.busy = job;
    running.add(job);
    void job.finally(() => {
      worker.busy = undefined;
      running.delete(job);
    });
  };

  try {
    await loadItems();
    await barrier();
  } finally {
    if (running.size > 0) await Promise.allSettled([...running]);
    running = new Set();
    for (const w of workers) await w.client.end().catch(() => undefined);
  }
  return stats;

  async function loadItems(): Promise<void> {
  for await (const item of items) {
    check();
    const cls = item.kind === 'sql' && opts.parallel ? parallelClass(item.text) : undefined;
    if (cls && item.kind === 'sql') {
      await flush();
      stats.statements++;
      await dispatch(cls, item.text, item.line);
      opts.onItem?.(item);
      continue;
    }
    if (running.size > 0 || workerError) await barrier();
    if (item.kind === 'sql' && SESSION_SETUP.test(item.text)) setup.push(item.text);
    if (item.kind === 'sql') {
      const ext = CREATE_EXTENSION.exec(item.text);
      if (ext) {
        await flush();
        await checkExtension(ext[1]!.replace(/^"|"$/g, '').replace(/""/g, '"'), item.line);
      }
      batch.push({ text: item.text, line: item.line });
      batchBytes += item.text.length;
      stats.statements++;
      if (batchBytes >= maxBytes || batch.length >= maxStatements) await flush();
    } else if (item.kind === 'copy') {
      await flush();
      stats.copies++;
      const stream = client.query(copyFrom(item.text));
      try {
        await pipeline(Readable.from(item.data, { objectMode: false }), stream, signal ? { signal } : {});
      } catch (err) {
        check();
        if (err instanceof AppError) throw err;
        throw sqlError(err, item.text, item.line, dumpName);
      }
    } else {
      if (SKIPPED_META.has(item.command)) continue;
      await flush();
      if (item.command === 'connect' || item.command === 'c') {
        throw new AppError('Unsupported', `The dump switches databases with "\\${item.command} ${item.args}" (line ${item.line} of ${dumpName}); it is a multi-database (pg_dumpall or pg_dump -C) script.`, {
          hint: 'Restore a single-database dump made with pg_dump (as Odoo makes them).',
        });
      }
      throw new AppError('Unsupported', `The dump uses the psql command "\\${item.command}" (line ${item.line} of ${dumpName}), which only psql can run.`, {
        hint: 'Restore it with psql, or remove that line from the dump.',
      });
    }
    opts.onItem?.(item);
  }
  await flush();
  }
}
