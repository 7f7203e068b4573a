/**
 * What the app has already learned about backups (Odoo version, PostgreSQL version) from
 * `inspect` and restores, kept per backup so the catalog can show it without opening every
 * archive on every listing. A backup is identified by its ref and size: a different object
 * under the same name gets no stale facts. Non-secret; stored in `<home>/cache/backup-facts.json`.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import type { BackupEntry, Catalog } from '../../contract/api';
import { writeFileAtomic } from '../util/atomic-file';
import { GENERIC_WARNING } from './parse';

/** Facts remembered about one backup. */
export interface BackupFacts {
  /** The database the backup holds, as its manifest or dump names it (a generic file name only guesses it). */
  readonly database?: string;
  readonly odooVersion?: string;
  readonly pgVersion?: string;
  /** False when the backup's attachments are partly in object storage only (inspect's attachments report). */
  readonly selfContained?: boolean;
}

const factsSchema = z.object({ database: z.string().optional(), odooVersion: z.string().optional(), pgVersion: z.string().optional(), selfContained: z.boolean().optional(), at: z.string() });
const fileSchema = z.object({ version: z.literal(1), entries: z.record(z.string(), factsSchema) });

/** The catalog warning of a backup known not to hold all its attachments. */
export const NOT_SELF_CONTAINED = 'Not self-contained: some attachments are only in object storage (S3/Swift), not in this backup.';

/** The generic-name warning once inspect has read the database's name in the backup. */
export const GENERIC_KNOWN_WARNING = 'The name follows no known convention: the database is the one its contents name, and the date is the file\u2019s modification time.';

/** How many backups the cache remembers (oldest forgotten first). */
export const FACTS_CACHE_LIMIT = 20_000;

const keyOf = (ref: string, size: number): string => `${ref}\u0000${size}`;

/** A small persistent map from (ref, size) to facts learned about that backup. */
export class BackupFactsCache {
  private entries: Map<string, z.infer<typeof factsSchema>> | undefined;
  private writing: Promise<void> = Promise.resolve();

  /** The cache of the app home `home`. */
  constructor(private readonly file: string) {}

  /** The cache file of a home folder. */
  static forHome(home: string): BackupFactsCache {
    return new BackupFactsCache(join(home, 'cache', 'backup-facts.json'));
  }

  private async load(): Promise<Map<string, z.infer<typeof factsSchema>>> {
    if (this.entries) return this.entries;
    let map = new Map<string, z.infer<typeof factsSchema>>();
    try {
      const parsed = fileSchema.safeParse(JSON.parse(await readFile(this.file, 'utf8')));
      // A damaged cache is only a cache: start again rather than fail a listing.
      if (parsed.success) map = new Map(Object.entries(parsed.data.entries));
    } catch {
      /* no cache yet */
    }
    this.entries ??= map;
    return this.entries;
  }

  /** Remembers facts about the backup `ref` of `size` bytes (only the fields given). */
  async remember(ref: string, size: number, facts: BackupFacts): Promise<void> {
    if (!facts.database && !facts.odooVersion && !facts.pgVersion && facts.selfContained === undefined) return;
    const map = await this.load();
    const k = keyOf(ref, size);
    const prev = map.get(k);
    map.delete(k); // re-insert: Map order is our age order
    map.set(k, {
      ...prev,
      ...(facts.database ? { database: facts.database } : {}),
      ...(facts.odooVersion ? { odooVersion: facts.odooVersion } : {}),
      ...(facts.pgVersion ? { pgVersion: facts.pgVersion } : {}),
      ...(facts.selfContained !== undefined ? { selfContained: facts.selfContained } : {}),
      at: new Date().toISOString(),
    });
    while (map.size > FACTS_CACHE_LIMIT) map.delete(map.keys().next().value as string);
    const data = JSON.stringify({ version: 1, entries: Object.fromEntries(map) });
    this.writing = this.writing
      .catch(() => undefined)
      .then(async () => {
        await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
        await writeFileAtomic(this.file, data);
      });
    await this.writing;
  }

  /** The facts remembered about `ref` of `size` bytes, if any. */
  async lookup(ref: string, size: number): Promise<BackupFacts | undefined> {
    const f = (await this.load()).get(keyOf(ref, size));
    return f
      ? { ...(f.database ? { database: f.database } : {}), ...(f.odooVersion ? { odooVersion: f.odooVersion } : {}), ...(f.pgVersion ? { pgVersion: f.pgVersion } : {}), ...(f.selfContained !== undefined ? { selfContained: f.selfContained } : {}) }
      : undefined;
  }

  /** The catalog with `odooVersion` filled from remembered facts where the listing had none. */
  async annotate(catalog: Catalog): Promise<Catalog> {
    const map = await this.load();
    if (map.size === 0) return catalog;
    const backups = catalog.backups.map((b): BackupEntry => {
      const f = map.get(keyOf(b.ref, b.size));
      if (!f) return b;
      let out = b;
      if (!b.odooVersion && f.odooVersion) out = { ...out, odooVersion: f.odooVersion };
      // A name in no known convention only guessed the database: what inspect read in the backup replaces the guess.
      if (b.convention === 'generic' && f.database && f.database !== b.database) {
        out = { ...out, database: f.database, warnings: (out.warnings ?? []).map((w) => (w === GENERIC_WARNING ? GENERIC_KNOWN_WARNING : w)) };
      }
      if (f.selfContained !== undefined && b.selfContained === undefined) {
        out = { ...out, selfContained: f.selfContained };
        if (!f.selfContained) out = { ...out, warnings: [...(out.warnings ?? []), NOT_SELF_CONTAINED] };
      }
      return out;
    });
    return { ...catalog, backups };
  }
}
