/**
 * Post-data statements run beside the last index builds instead of after them all. pg_dump puts
 * every foreign key after every index, with Odoo's comments on its SQL constraints and any view
 * that needs a primary key in between; the loader used to wait for the last build at the first
 * of them (on the Odoo 17 fixture, 1.6 s of builds and then 1.3 s of foreign keys, one after the
 * other). A foreign key locks its own table and the one it references; a comment on a constraint
 * needs that constraint. Such a statement is sent, in small batches, when no build is queued or
 * running on its tables and — a comment — nothing held before it touches them, as soon as a
 * worker is idle (while both are busy it would only take CPU from them, on 2 cores); the others
 * are held and run in the dump's order once the builds are done. What cannot be told
 * from a statement's text (its tables, or the late view's) is held too. Their order changes,
 * not what they do: no foreign key depends on another post-data statement than a build.
 */
import type { ParallelBuilds } from './parallel-builds';
import type { BesideStatement } from './statement-kinds';

/** Statements per round-trip while builds still run (small, to keep pace with them). */
const BESIDE_BATCH = 100;

/** The loader's statement batch, as this needs it. */
export interface StatementQueue {
  /** Adds a statement (sent once the batch is full). */
  add(text: string, line: number): Promise<void>;
  /** Sends what is batched. */
  flush(): Promise<void>;
  /** Statements batched and not yet sent. */
  readonly size: number;
}

interface Held {
  readonly text: string;
  readonly line: number;
  readonly stmt: BesideStatement;
}

/** Foreign keys, comments and late views of the post-data section, each sent as soon as no build holds it up. */
export class BesideBuilds {
  private held: Held[] = [];

  constructor(
    private readonly batch: StatementQueue,
    private readonly builds: ParallelBuilds,
  ) {}

  /** Takes one such statement while builds still run; sends every held one that nothing holds up any more. */
  async offer(text: string, line: number, stmt: BesideStatement): Promise<void> {
    this.held.push({ text, line, stmt });
    await this.sendReady(BESIDE_BATCH);
  }

  /**
   * Waits for every build, sending each held statement as soon as nothing holds it up, then the
   * rest in the dump's order (into the batch); raises the first failure of a build.
   */
  async drain(): Promise<void> {
    while (this.held.length > 0 && this.builds.pending) {
      await this.builds.buildEnded();
      await this.sendReady(1);
    }
    await this.builds.barrier();
    const held = this.held;
    this.held = [];
    for (const h of held) await this.batch.add(h.text, h.line);
  }

  /** Moves the held statements nothing holds up into the batch; sends it once it has `flushAt`. */
  private async sendReady(flushAt: number): Promise<void> {
    this.builds.raiseFailure();
    if (this.builds.saturated) return;
    const busy = this.builds.busyTables();
    const { ready, still } = busy ? this.goingAhead(busy) : { ready: [], still: this.held };
    this.held = still;
    for (const h of ready) await this.batch.add(h.text, h.line);
    if (this.batch.size >= flushAt) await this.batch.flush();
  }

  /** The held statements that may go ahead now (see the module comment), and those still held. */
  private goingAhead(busy: Set<string>): { ready: Held[]; still: Held[] } {
    const ready: Held[] = [];
    const still: Held[] = [];
    const heldTables = new Set<string>();
    let unknownHeld = false;
    for (const h of this.held) {
      const tables = h.stmt.tables;
      const free = tables !== undefined && !tables.some((t) => busy.has(t));
      if (free && (h.stmt.kind === 'fk' || (!unknownHeld && !tables.some((t) => heldTables.has(t))))) {
        ready.push(h);
        continue;
      }
      still.push(h);
      if (tables) for (const t of tables) heldTables.add(t);
      else unknownHeld = true;
    }
    return { ready, still };
  }
}
