/**
 * Stage 3 of a restore: the staging area the load writes into — a temporary database (created
 * like Odoo creates one: UTF8, C collation, template0) and a temporary filestore folder next to
 * the final one, sharing one id so a cleanup can tell them apart. It also holds everything a
 * failure or cancel must close or remove, and `rollBack` does that.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type pg from 'pg';
import type { JobContext } from '../jobs/job';
import { classifyPgError, connect, quoteIdent } from '../pg/connection';

/** A temporary/aside database name (`bd_tmp_<id>_<db>`), cut to PostgreSQL's 63 bytes. */
export function tmpName(prefix: string, db: string, id = randomBytes(4).toString('hex')): string {
  let name = `${prefix}_${id}_${db}`;
  while (Buffer.byteLength(name) > 63) name = name.slice(0, -1);
  return name;
}

/** Ends every other session on a database. */
export async function terminate(admin: pg.Client, db: string): Promise<void> {
  await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [db]);
}

/** The temporary database and folder of one restore, and what to close or remove when it fails. */
export class Staging {
  admin: pg.Client | undefined;
  /** The connection the load runs on (to the temporary database). */
  loader: pg.Client | undefined;
  /** A running pg_restore. */
  child: ChildProcess | undefined;
  tempDb: string | undefined;
  tempDbCreated = false;
  /** The temporary filestore folder, once made. */
  tempFs: string | undefined;
  private folderMade: Promise<string> | undefined;
  /** Streams reading the backup (destroyed on failure). */
  readonly streams: Readable[] = [];
  private readonly id = randomBytes(4).toString('hex');

  constructor(
    private readonly pgUrl: string | undefined,
    private readonly db: string,
    private readonly filestoreRoot: string,
  ) {}

  /** Creates the temporary database and connects the loader to it (commits need not wait for the WAL: it is thrown away on a crash). */
  async createDatabase(admin: pg.Client): Promise<pg.Client> {
    this.tempDb = tmpName('bd_tmp', this.db, this.id);
    await admin.query(`CREATE DATABASE ${quoteIdent(this.tempDb)} ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`).catch((err: unknown) => {
      throw classifyPgError(err, this.pgUrl, 'Creating the database');
    });
    this.tempDbCreated = true;
    this.loader = await connect(this.pgUrl, this.tempDb);
    // The final rename commits synchronously (flushing everything before it).
    await this.loader.query('SET synchronous_commit = off');
    return this.loader;
  }

  /** The temporary filestore folder, made on first use (once, however many files ask at once). */
  folder(): Promise<string> {
    this.folderMade ??= (async () => {
      await mkdir(this.filestoreRoot, { recursive: true });
      const dir = join(this.filestoreRoot, `.bd-tmp-${this.id}-${this.db}`);
      await mkdir(dir);
      this.tempFs = dir;
      return dir;
    })();
    return this.folderMade;
  }

  /** On cancel: stop reading, stop pg_restore, end the sessions on the temporary database. */
  abort(): void {
    for (const s of this.streams) s.destroy();
    this.child?.kill('SIGTERM');
    if (this.admin && this.tempDb) terminate(this.admin, this.tempDb).catch(() => undefined);
  }

  /** Closes and removes everything this restore made; says what could not be removed. */
  async rollBack(ctx: JobContext): Promise<void> {
    for (const s of this.streams) s.destroy();
    if (this.child) {
      this.child.kill('SIGKILL');
      this.child = undefined;
    }
    if (this.loader) {
      await this.loader.end().catch(() => undefined);
      this.loader = undefined;
    }
    if (this.tempDbCreated && this.tempDb) await this.dropTempDb(ctx, this.tempDb);
    if (this.tempFs) {
      const dir = this.tempFs;
      await rm(dir, { recursive: true, force: true }).catch(() => ctx.log('error', `The temporary folder ${dir} could not be removed.`));
      this.tempFs = undefined;
    }
  }

  /** Drops the temporary database (a few tries: sessions may linger for a moment). */
  private async dropTempDb(ctx: JobContext, tempDb: string): Promise<void> {
    let admin = this.admin;
    try {
      // The admin connection may have been broken by the failure; use a fresh one if needed.
      try {
        await admin!.query('SELECT 1');
      } catch {
        admin = undefined;
      }
      for (let attempt = 0; attempt < 5; attempt++) {
        try {
          if (!admin) break;
          await terminate(admin, tempDb);
          await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(tempDb)}`);
          this.tempDbCreated = false;
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
        }
      }
    } finally {
      if (this.tempDbCreated) ctx.log('error', `The temporary database "${tempDb}" could not be dropped; drop it by hand.`);
    }
  }
}
