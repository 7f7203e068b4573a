/**
 * The migrations' book: one folder per home (`<home>/attachments/migrations/`), per migration a
 * state file `<id>.json` (what, where, status; written atomically) and an append-only journal
 * `<id>.log` of what was done to each object, so a migration survives a kill or a restart and can
 * be resumed or rolled back. Journal lines (tab-separated): `intent <sha>` before an object or file
 * that did not exist is written, `copied <sha> created|existed` once it is verified, and
 * `row <sha> <old store_fname>` once the rows are rewritten. A torn last line is ignored.
 */
import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, open, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { AppError } from '../../errors';
import { writeFileAtomic } from '../../util/atomic-file';

/** Where a migration moves attachments. */
export const migrationSpecSchema = z.object({
  /**
   * `to-store`: filestore → bucket/container; `to-filestore`: object storage → filestore;
   * `duplicate`: a copy of the database with its own copy of its bucket/container;
   * `drop`: the database dropped, then the objects it referenced in its own bucket/container.
   */
  direction: z.enum(['to-store', 'to-filestore', 'duplicate', 'drop']),
  db: z.string(),
  /** postgres:// URL without a password (libpq environment when omitted). */
  pgUrl: z.string().optional(),
  /** Odoo data dir (the filestore is `<dataDir>/filestore/<db>`). */
  dataDir: z.string(),
  /** `to-store`: the configured storage whose credentials are used, and the bucket (s3) or container (swift). */
  store: z.object({ storage: z.string(), kind: z.enum(['s3', 'swift']), name: z.string() }).optional(),
  /** Storage for reads in `to-filestore` (`--attachments-storage`), else matched by bucket/container; `duplicate`: the one used for both. */
  storage: z.string().optional(),
  /** `duplicate`: the copy's name and the bucket/container pair (`openstack`: bare SHA-1 names, the container named after the database). */
  duplicate: z.object({ newDb: z.string(), form: z.enum(['uri', 'openstack']), kind: z.enum(['s3', 'swift']), from: z.string(), to: z.string() }).optional(),
  /** `drop`: the database's own bucket/container. */
  drop: z.object({ form: z.enum(['uri', 'openstack']), kind: z.enum(['s3', 'swift']), store: z.string() }).optional(),
});
/** Where a migration moves attachments. */
export type MigrationSpec = z.infer<typeof migrationSpecSchema>;

/** A migration's persisted state. */
export const migrationStateSchema = z.object({
  id: z.string(),
  spec: migrationSpecSchema,
  status: z.enum(['running', 'interrupted', 'done', 'rolled-back', 'failed']),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** `ir_attachment.location` before the migration changed it. */
  locationWas: z.string().nullable().optional(),
  message: z.string().optional(),
  /**
   * How far it got. `duplicate` — `created`: the staging copy exists; `filestore`: its filestore is
   * being copied; `renamed`: done under its name. `drop` — `listed`: the objects to remove are
   * recorded; `dropped`: the database is gone.
   */
  phase: z.enum(['created', 'filestore', 'renamed', 'listed', 'dropped']).optional(),
  /** `duplicate`: the job created the copy's bucket/container (a rollback removes it when empty). */
  createdStore: z.boolean().optional(),
});
/** A migration's persisted state. */
export type MigrationState = z.infer<typeof migrationStateSchema>;

/** What the journal says about one object. */
export interface ObjectJournal {
  intent: boolean;
  copied?: 'created' | 'existed';
  /** The `store_fname` the rows had before they were rewritten. */
  rowsFrom?: string;
}

/** The migrations of one home. */
export class MigrationBook {
  constructor(private readonly dir: string) {}

  /** The book of a home folder. */
  static forHome(home: string): MigrationBook {
    return new MigrationBook(join(home, 'attachments', 'migrations'));
  }

  private file(id: string, ext: 'json' | 'log' | 'lock' | 'keys'): string {
    if (!/^[a-z0-9-]+$/.test(id)) throw new AppError('InvalidInput', `"${id}" is not a migration id.`);
    return join(this.dir, `${id}.${ext}`);
  }

  /** Records a new migration (status `running`). */
  async create(spec: MigrationSpec): Promise<MigrationState> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const now = new Date().toISOString();
    const id = `${now.slice(0, 10)}-${randomBytes(4).toString('hex')}`;
    const state: MigrationState = { id, spec, status: 'running', createdAt: now, updatedAt: now };
    await this.save(state);
    return state;
  }

  /** Writes the state (atomically). */
  async save(state: MigrationState): Promise<MigrationState> {
    const s = { ...state, updatedAt: new Date().toISOString() };
    await writeFileAtomic(this.file(s.id, 'json'), JSON.stringify(s, null, 2));
    return s;
  }

  /** One migration; `NotFound` when there is none with that id. */
  async load(id: string): Promise<MigrationState> {
    try {
      return migrationStateSchema.parse(JSON.parse(await readFile(this.file(id, 'json'), 'utf8')));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new AppError('NotFound', `There is no migration "${id}".`, { hint: 'See the migrations with `backup-desk attachments migrations`.' });
      throw err;
    }
  }

  /** Every migration, newest first. */
  async list(): Promise<MigrationState[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const all = await Promise.all(names.filter((n) => n.endsWith('.json') && !n.startsWith('.')).map((n) => this.load(n.slice(0, -5)).catch(() => undefined)));
    return all.filter((s): s is MigrationState => !!s).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  /** Records a list of object keys for migration `id` (atomically). */
  async writeKeys(id: string, keys: readonly string[]): Promise<void> {
    await writeFileAtomic(this.file(id, 'keys'), keys.map((k) => `${k}\n`).join(''));
  }

  /** The keys recorded with `writeKeys` (none when there are none). */
  async readKeys(id: string): Promise<string[]> {
    return (await readFile(this.file(id, 'keys'), 'utf8').catch(() => '')).split('\n').filter(Boolean);
  }

  /** Appends journal lines (each `fields` joined by tabs). */
  async append(id: string, ...lines: string[][]): Promise<void> {
    await appendFile(this.file(id, 'log'), lines.map((l) => l.join('\t') + '\n').join(''), { mode: 0o600 });
  }

  /** The journal, per SHA-1. */
  async journal(id: string): Promise<Map<string, ObjectJournal>> {
    const text = await readFile(this.file(id, 'log'), 'utf8').catch(() => '');
    const out = new Map<string, ObjectJournal>();
    for (const line of text.split('\n')) {
      const [op, sha, arg] = line.split('\t');
      if (!sha || !/^[0-9a-f]{40}$/.test(sha)) continue;
      const j = out.get(sha) ?? { intent: false };
      if (op === 'intent') j.intent = true;
      else if (op === 'copied' && (arg === 'created' || arg === 'existed')) j.copied = arg;
      else if (op === 'row' && arg) j.rowsFrom = arg;
      else continue;
      out.set(sha, j);
    }
    return out;
  }

  /**
   * Takes the migration's lock (one process at a time); a lock left by a process that is gone is
   * taken over. Returns the release function.
   */
  async lock(id: string): Promise<() => Promise<void>> {
    const file = this.file(id, 'lock');
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fh = await open(file, 'wx', 0o600);
        await fh.writeFile(String(process.pid));
        await fh.close();
        return () => rm(file, { force: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const pid = Number(await readFile(file, 'utf8').catch(() => ''));
        if (pid && pid !== process.pid && alive(pid)) {
          throw new AppError('Conflict', `Migration ${id} is running in another process (pid ${pid}).`, { hint: 'Wait for it to finish, or stop that process first.' });
        }
        await rm(file, { force: true });
      }
    }
    throw new AppError('Conflict', `Could not lock migration ${id}.`);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
