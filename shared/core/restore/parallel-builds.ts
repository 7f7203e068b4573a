/**
 * The post-data section of a dump (index builds, key constraints) run on extra connections in
 * parallel. Statements of one class run side by side; a statement of another class, or any
 * other statement, waits for them (a barrier). The first failure is raised at the next barrier.
 */
import type pg from 'pg';
import { cancelledError } from '../errors';
import { sqlError, type PgErrorLike } from './sql-errors';

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

interface Worker {
  client: pg.Client;
  /** How many of the session setup statements it has run. */
  synced: number;
  busy?: Promise<void>;
}

/** Parallel index/key builds on up to `workers` extra sessions of the same database. */
export class ParallelBuilds {
  /** Session setup statements of the dump (`SET …`), replayed on each worker before its first build. */
  readonly setup: string[] = [];
  private readonly workers: Worker[] = [];
  private running = new Set<Promise<void>>();
  private runningClass: 'index' | 'fk' | undefined;
  private error: unknown;

  constructor(
    private readonly opts: { readonly workers: number; readonly open: () => Promise<pg.Client> },
    private readonly dumpName: string,
    private readonly signal: AbortSignal | undefined,
    /** Called after each build that finished without error. */
    private readonly onBuilt: () => void = () => undefined,
  ) {}

  /** True while builds run or a failure waits to be raised. */
  get pending(): boolean {
    return this.running.size > 0 || this.error !== undefined;
  }

  /** Waits for every running build; raises the first failure. */
  async barrier(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
    this.runningClass = undefined;
    if (this.error) {
      const e = this.error;
      this.error = undefined;
      throw e;
    }
  }

  /** Starts `text` on a free worker (waiting for one, or for the other class to finish). */
  async dispatch(cls: 'index' | 'fk', text: string, line: number): Promise<void> {
    if ((this.runningClass !== undefined && this.runningClass !== cls) || this.error) await this.barrier();
    const worker = await this.freeWorker();
    if (this.error) await this.barrier();
    this.runningClass = cls;
    const job = this.build(worker, text).then(
      () => this.built(),
      (err: unknown) => {
        if (!this.error) this.error = this.signal?.aborted ? cancelledError('The restore') : sqlError(err, text, line, this.dumpName);
      },
    );
    worker.busy = job;
    this.running.add(job);
    void job.finally(() => {
      worker.busy = undefined;
      this.running.delete(job);
    });
  }

  /**
   * After a failure elsewhere: closes the worker sessions without waiting for their builds (the
   * roll back ends what still runs on the server when it drops the temporary database).
   */
  abandon(): void {
    this.running = new Set();
    for (const w of this.workers) void w.client.end().catch(() => undefined);
  }

  /** Waits for what runs, then closes every worker session. */
  async close(): Promise<void> {
    if (this.running.size > 0) await Promise.allSettled([...this.running]);
    this.running = new Set();
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

  private async freeWorker(): Promise<Worker> {
    let w = this.workers.find((x) => !x.busy);
    if (!w && this.workers.length < this.opts.workers) {
      const client = await this.opts.open();
      await client.query('SET synchronous_commit = off');
      w = { client, synced: 0 };
      this.workers.push(w);
    }
    while (!w) {
      await Promise.race([...this.running]).catch(() => undefined);
      w = this.workers.find((x) => !x.busy);
    }
    return w;
  }

  private async build(worker: Worker, text: string): Promise<void> {
    for (; worker.synced < this.setup.length; worker.synced++) await worker.client.query(this.setup[worker.synced]!);
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
  }
}
