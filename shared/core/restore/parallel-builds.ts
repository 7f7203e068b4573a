/**
 * Index builds (and PRIMARY KEY / UNIQUE constraints, which build one) run on extra connections
 * of the same database, in parallel: started where the dump has them (`dispatch`, which waits
 * for a free connection) or as soon as their table is loaded (`enqueue`, which does not wait;
 * see early-builds.ts). Any other statement of the post-data section waits for them all (a
 * barrier). Foreign keys are not built here: they run batched on the loader's own connection,
 * a few transactions for thousands of them (on 2 cores, 1,900 of an Odoo database took 3.5 s as
 * separate statements and 1.8 s in one transaction; in parallel they queue on the locks of the
 * tables every one references, such as res_users) — beside the builds still running, when
 * neither of a key's tables has one and a worker is idle (beside-builds.ts). The first failure
 * is raised at the next barrier, or by `raiseFailure`.
 */
import type pg from 'pg';
import { cancelledError } from '../errors';
import { sqlError } from './sql-errors';
import { buildTable } from './statement-kinds';

/** The statements a worker replays before its first build: the dump's session settings. */
export const SESSION_SETUP = /^(SET\s|SELECT\s+pg_catalog\.set_config\()/i;

interface Worker {
  client: pg.Client;
  /** How many of the session setup statements it has run. */
  synced: number;
  busy?: Promise<void>;
  /** Taken by a caller that is about to start a build on it. */
  claimed?: boolean;
}

/** An index build queued to start as soon as a worker is free (see `enqueue`). */
interface Queued {
  readonly text: string;
  readonly line: number;
  readonly table: string | undefined;
}

/** Parallel index builds on up to `workers` extra sessions of the same database. */
export class ParallelBuilds {
  /** Session setup statements of the dump (`SET …`), replayed on each worker before its first build. */
  readonly setup: string[] = [];
  private readonly workers: Worker[] = [];
  /** The builds running, with the table each is on. */
  private running = new Map<Promise<void>, string | undefined>();
  private error: unknown;
  private queue: Queued[] = [];
  private pumping: Promise<void> | undefined;
  private opening = 0;
  /** Callers waiting for a worker to come free. */
  private freed: Array<() => void> = [];
  private closed = false;

  constructor(
    private readonly opts: { readonly workers: number; readonly open: () => Promise<pg.Client> },
    private readonly dumpName: string,
    private readonly signal: AbortSignal | undefined,
    /** Called after each build that finished without error. */
    private readonly onBuilt: () => void = () => undefined,
  ) {}

  /** True while builds run or wait in the queue, or a failure waits to be raised. */
  get pending(): boolean {
    return this.running.size > 0 || this.queue.length > 0 || this.error !== undefined;
  }

  /** Waits for every queued and running build; raises the first failure. */
  async barrier(): Promise<void> {
    for (;;) {
      if (this.queue.length > 0 && !this.error) await this.pump();
      if (this.running.size === 0 && (this.queue.length === 0 || this.error)) break;
      await Promise.allSettled([...this.running.keys()]);
    }
    this.queue = [];
    this.raiseFailure();
  }

  /**
   * Settles when a build ends or a worker comes free — at once when nothing is queued or running,
   * or a build failed. A promise that waits, never a spin: a worker still connecting needs I/O.
   */
  async buildEnded(): Promise<void> {
    if (this.error !== undefined || this.closed || (this.running.size === 0 && this.queue.length === 0)) return;
    if (this.queue.length > 0) void this.pump();
    await new Promise<void>((resolve) => this.freed.push(resolve));
  }

  /** Raises the first failure of a build without waiting for the others. */
  raiseFailure(): void {
    if (this.error) {
      const e = this.error;
      this.error = undefined;
      throw e;
    }
  }

  /**
   * Queues an index build to start on the next free worker without waiting for it: a build whose
   * table is loaded while the rest of the data still loads.
   */
  enqueue(text: string, line: number): void {
    this.queue.push({ text, line, table: buildTable(text) });
    void this.pump();
  }

  /** True while every worker has a build (or builds wait for one): a statement run beside them would only take CPU from them. */
  get saturated(): boolean {
    return this.queue.length > 0 || this.running.size >= this.opts.workers;
  }

  /** The tables that have a build queued or running (a foreign key on one would wait for its lock); undefined when one such build's table is not known. */
  busyTables(): Set<string> | undefined {
    const tables = new Set<string>();
    for (const t of [...this.queue.map((q) => q.table), ...this.running.values()]) {
      if (t === undefined) return undefined;
      tables.add(t);
    }
    return tables;
  }

  /** Starts queued builds as workers come free (one pump at a time). */
  private pump(): Promise<void> {
    this.pumping ??= (async () => {
      try {
        while (this.queue.length > 0 && !this.error) {
          const worker = await this.freeWorker();
          const q = this.queue.shift();
          if (!q || this.error) {
            worker.claimed = false;
            this.released();
            break;
          }
          this.start(worker, q);
        }
      } catch (err) {
        this.error ??= err;
        this.released();
      } finally {
        this.pumping = undefined;
      }
    })();
    return this.pumping;
  }

  /** Starts `text` on a free worker (waiting for one); a failure so far is raised first. */
  async dispatch(text: string, line: number): Promise<void> {
    if (this.error) await this.barrier();
    const worker = await this.freeWorker();
    if (this.error) {
      worker.claimed = false;
      this.released();
      await this.barrier();
    }
    this.start(worker, { text, line, table: buildTable(text) });
  }

  /** Runs the build on `worker` (claimed by the caller), recording the first failure. */
  private start(worker: Worker, { text, line, table }: Queued): void {
    worker.claimed = false;
    const job = this.build(worker, text).then(
      () => this.built(),
      (err: unknown) => {
        if (!this.error) this.error = this.signal?.aborted ? cancelledError('The restore') : sqlError(err, text, line, this.dumpName);
      },
    );
    worker.busy = job;
    this.running.set(job, table);
    void job.finally(() => {
      worker.busy = undefined;
      this.running.delete(job);
      this.released();
    });
  }

  /**
   * After a failure elsewhere: closes the worker sessions without waiting for their builds (the
   * roll back ends what still runs on the server when it drops the temporary database).
   */
  abandon(): void {
    this.queue = [];
    this.closed = true;
    this.released();
    this.running = new Map();
    for (const w of this.workers) void w.client.end().catch(() => undefined);
  }

  /** Waits for what runs, then closes every worker session. */
  async close(): Promise<void> {
    if (this.running.size > 0) await Promise.allSettled([...this.running.keys()]);
    this.running = new Map();
    for (const w of this.workers) await w.client.end().catch(() => undefined);
  }

  /** Reports a finished build; a failing report never fails the build (nor goes unhandled). */
  private built(): void {
    try {
      this.onBuilt();
    } catch {
      /* progress only */
    }
  }

  /** A free worker, claimed for the caller (a new session while fewer than `workers` are open). */
  private async freeWorker(): Promise<Worker> {
    const free = (): Worker | undefined => this.workers.find((x) => !x.busy && !x.claimed);
    let w = free();
    if (!w && this.workers.length + this.opening < this.opts.workers) {
      this.opening++;
      try {
        const client = await this.opts.open();
        if (this.closed) {
          // Abandoned while it connected: nobody else would close it.
          void client.end().catch(() => undefined);
          throw cancelledError('The restore');
        }
        w = { client, synced: 0, claimed: true };
        this.workers.push(w);
        await client.query('SET synchronous_commit = off');
      } finally {
        this.opening--;
      }
    }
    while (!w) {
      if (this.closed) throw cancelledError('The restore');
      await new Promise<void>((resolve) => this.freed.push(resolve));
      w = free();
    }
    w.claimed = true;
    return w;
  }

  /** Wakes the callers waiting for a free worker. */
  private released(): void {
    for (const wake of this.freed.splice(0)) wake();
  }

  /** Brings the worker's session settings up to date, then builds. */
  private async build(worker: Worker, text: string): Promise<void> {
    for (; worker.synced < this.setup.length; worker.synced++) await worker.client.query(this.setup[worker.synced]!);
    await worker.client.query(text);
  }
}
