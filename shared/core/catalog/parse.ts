/**
 * Pure parsing of one storage's object listing into backups and strays: which objects form a
 * backup (single files, pairs with a companion, folder layouts), in which convention, of
 * which database and when. No I/O: content the parser would like to see (`.info` files,
 * sidecars, manifests, the first bytes of ambiguous files) is requested through `wants` and
 * passed back in `content` on a second call.
 */
import type { BackupEntry, BackupFormat, StrayEntry } from '../../contract/api';
import type { ObjectInfo } from '../storage/provider';
import { companionFacts, EMPTY_COMPANION, LONE_COMPANION, MISSING_SIDECAR_WARNING, type CompanionFacts } from './companions';
import { classifyName, guessDatabase, type CompanionInfo, type NameInfo } from './conventions';
import { sniffHead } from './sniff';

/** Content the parser can use: whole small text files, and heads of ambiguous ones. */
export interface ListingContent {
  readonly text?: ReadonlyMap<string, string>;
  readonly heads?: ReadonlyMap<string, Uint8Array>;
}

/** Content the parser would use if it were given. */
export interface ContentWant {
  readonly key: string;
  /** `text`: the whole (small) file; `head`: its first bytes. */
  readonly what: 'text' | 'head';
}

/** The parse of one storage's listing. */
export interface ParsedListing {
  readonly backups: BackupEntry[];
  readonly strays: StrayEntry[];
  readonly wants: ContentWant[];
}

/** Warning on names that follow no convention. */
export const GENERIC_WARNING = 'The name follows no known convention: the database is guessed from the name and the date is the file\u2019s modification time.';
/** Warning when odoo_backup_sh's `.info` is missing. */
export const MISSING_INFO_WARNING = 'Its odoo_backup_sh companion .info file is missing (the module itself ignores such a backup).';

const FILESTORE_SEG = 'filestore';

/** `./a/b` -> `a/b` (odoo_backup_sh's S3 quirk); used for matching only, refs keep the real key. */
function normalizeKey(key: string): string {
  let k = key;
  while (k.startsWith('./')) k = k.slice(2);
  return k;
}

/** Index of the `filestore` segment when `norm` is a file at least two levels below one (`…/filestore/<x>/<file>`), else -1. */
function filestoreIndex(norm: string): number {
  const segs = norm.split('/');
  const fi = segs.indexOf(FILESTORE_SEG);
  return fi >= 0 && fi <= segs.length - 3 ? fi : -1;
}

function splitKey(norm: string): { dir: string; base: string } {
  const i = norm.lastIndexOf('/');
  return i < 0 ? { dir: '', base: norm } : { dir: norm.slice(0, i), base: norm.slice(i + 1) };
}

const join = (dir: string, name: string): string => (dir === '' ? name : `${dir}/${name}`);
const lastSeg = (dir: string): string => dir.slice(dir.lastIndexOf('/') + 1);

interface Obj {
  readonly info: ObjectInfo;
  readonly norm: string;
  readonly dir: string;
  readonly base: string;
}

/** The warning on archives that share one pair stem (`x.zip` and `x.zip.enc`): their companion is one for two. */
function sameStemWarning(a: Obj, b: Obj, n: NameInfo): string {
  const module = n.convention === 'odoo-backup-sh' ? ' (odoo_backup_sh ignores both)' : '';
  return `Another archive has the same name but for its suffix (${a.base}, ${b.base}): which one the companion belongs to is unclear${module}, and rotation leaves them alone.`;
}

/** Parses the listing of storage `storage`. */
export function parseListing(storage: string, objects: Iterable<ObjectInfo>, content: ListingContent = {}): ParsedListing {
  const objs: Obj[] = [];
  const byNorm = new Map<string, Obj>();
  for (const info of objects) {
    const norm = normalizeKey(info.key);
    const { dir, base } = splitKey(norm);
    const o = { info, norm, dir, base };
    objs.push(o);
    byNorm.set(norm, o);
  }
  const claimed = new Set<Obj>();
  const backups: BackupEntry[] = [];
  const strays: StrayEntry[] = [];
  const wants: ContentWant[] = [];
  const ref = (key: string): string => `${storage}:${key}`;

  // Prefix index: which folders exist (as prefixes of object keys), for folder layouts.
  const underPrefix = (prefix: string): Obj[] => objs.filter((o) => o.norm.startsWith(prefix));
  const dirsWithFiles = new Set<string>();
  for (const o of objs) {
    let d = o.dir;
    while (d !== '' && !dirsWithFiles.has(d)) {
      dirsWithFiles.add(d);
      d = splitKey(d).dir;
    }
  }
  // Group objects by their folders lazily: a map from folder prefix to the objects below.
  const below = new Map<string, Obj[]>();
  const objsBelow = (dir: string): Obj[] => {
    let list = below.get(dir);
    if (!list) {
      const prefix = dir + '/';
      list = dirsWithFiles.has(dir) ? underPrefix(prefix) : [];
      below.set(dir, list);
    }
    return list;
  };
  const originalPrefix = (o: Obj, dirNorm: string): string => o.info.key.slice(0, o.info.key.length - o.norm.length) + dirNorm;

  // 1. click-odoo `folder` backups: D/db.dump + D/manifest.json [+ D/filestore/**].
  for (const o of objs) {
    if (o.base !== 'db.dump' || claimed.has(o)) continue;
    const manifest = byNorm.get(join(o.dir, 'manifest.json'));
    if (!manifest) continue;
    const parts = [o, manifest, ...(o.dir === '' ? objs.filter((x) => x.norm.startsWith('filestore/')) : objsBelow(join(o.dir, FILESTORE_SEG)))];
    for (const p of parts) claimed.add(p);
    const filestoreCount = parts.length - 2;
    const warnings: string[] = [];
    let database = guessDatabase(lastSeg(o.dir)) ?? (o.dir === '' ? storage : lastSeg(o.dir));
    let odooVersion: string | undefined;
    const mtext = content.text?.get(manifest.info.key);
    if (mtext !== undefined) {
      try {
        const m = JSON.parse(mtext) as { db_name?: unknown; version?: unknown };
        if (typeof m.db_name === 'string' && m.db_name !== '') database = m.db_name;
        if (typeof m.version === 'string') odooVersion = m.version;
      } catch {
        warnings.push('Its manifest.json is not valid JSON.');
      }
    } else {
      wants.push({ key: manifest.info.key, what: 'text' });
    }
    if (filestoreCount === 0) warnings.push('The folder has no filestore/: the restore will bring the database only.');
    const key = o.dir === '' ? '' : originalPrefix(o, o.dir) + '/';
    const newest = parts.reduce((a, b) => (b.info.modified > a ? b.info.modified : a), o.info.modified);
    backups.push({
      ref: ref(key),
      storage,
      key,
      database,
      createdAt: newest.toISOString(),
      format: 'folder',
      encrypted: false,
      size: parts.reduce((s, p) => s + p.info.size, 0),
      convention: 'click-odoo',
      companions: [o.info.key, manifest.info.key, ...(filestoreCount > 0 ? [originalPrefix(o, join(o.dir, FILESTORE_SEG)) + '/'] : [])],
      ...(warnings.length ? { warnings } : {}),
      ...(odooVersion ? { odooVersion } : {}),
    });
  }

  // 2. Single files and pairs.
  const pairs = new Map<string, { backup?: { o: Obj; n: NameInfo }; companion?: Obj }>();
  const singles: { o: Obj; n: NameInfo }[] = [];
  /** An archive that shares its pair stem with an earlier one → that one (and its name). */
  const twins = new Map<Obj, { o: Obj; n: NameInfo }>();
  for (const o of objs) {
    if (claimed.has(o)) continue;
    if (filestoreIndex(o.norm) >= 0) continue; // filestore content: handled with folder layouts below
    const n = classifyName(o.base);
    if (n.role === 'none') continue;
    if (n.role !== 'backup') {
      const k = `${n.convention}\u0000${join(o.dir, n.pairStem)}`;
      const p = pairs.get(k) ?? {};
      p.companion = o;
      pairs.set(k, p);
      continue;
    }
    if ((n.convention === 'odoo-backup-sh' || n.convention === 'backup-desk' || n.convention === 'odoo-manager') && n.pairStem) {
      const k = `${n.convention}\u0000${join(o.dir, n.pairStem)}`;
      const p = pairs.get(k) ?? {};
      if (p.backup) {
        singles.push({ o, n }); // e.g. both .zip and .zip.gpg: the second one stands alone
        twins.set(o, p.backup);
      } else p.backup = { o, n };
      pairs.set(k, p);
      continue;
    }
    singles.push({ o, n });
  }

  const twinWarnings = new Map<Obj, string>();
  for (const [twin, first] of twins) {
    twinWarnings.set(twin, sameStemWarning(first.o, twin, first.n));
    twinWarnings.set(first.o, sameStemWarning(first.o, twin, first.n));
  }
  const twinWarning = (o: Obj): string[] => (twinWarnings.has(o) ? [twinWarnings.get(o)!] : []);

  const entryFor = (o: Obj, n: NameInfo, extra: { companions?: string[]; warnings?: string[]; database?: string; odooVersion?: string; sha256?: string; format?: BackupFormat; encrypted?: boolean } = {}): BackupEntry => {
    const warnings = [...(extra.warnings ?? [])];
    let database = extra.database ?? n.database;
    if (n.convention === 'oca-auto-backup' && database === undefined) {
      const folder = lastSeg(o.dir);
      if (folder !== '' && folder !== '.') database = folder;
      else warnings.push('OCA auto_backup names carry no database name and this backup is not in a folder named after its database.');
    }
    if (database === undefined) {
      database = 'unknown';
      if (n.convention === 'generic') warnings.push('No database name could be guessed from the file name.');
    }
    let time = n.time;
    if (n.badTimestamp) warnings.push('The timestamp in the name is no valid date: the date is the file\u2019s modification time.');
    if (n.convention === 'generic') warnings.push(GENERIC_WARNING);
    time ??= o.info.modified;
    return {
      ref: ref(o.info.key),
      storage,
      key: o.info.key,
      database,
      createdAt: time.toISOString(),
      ...(n.timeIsLocal && n.time ? { timeIsLocal: true } : {}),
      format: extra.format ?? n.format,
      encrypted: extra.encrypted ?? n.encrypted,
      size: o.info.size,
      convention: n.convention,
      ...(extra.companions?.length ? { companions: extra.companions } : {}),
      ...(warnings.length ? { warnings } : {}),
      ...(extra.odooVersion ? { odooVersion: extra.odooVersion } : {}),
      ...(extra.sha256 ? { sha256: extra.sha256 } : {}),
    };
  };

  const emptyStray = (o: Obj): StrayEntry => ({ ref: ref(o.info.key), storage, key: o.info.key, size: 0, stray: 'empty file (0 bytes)' });

  for (const p of pairs.values()) {
    const b = p.backup;
    const c = p.companion;
    if (b) claimed.add(b.o);
    if (c) claimed.add(c);
    if (!b && c) {
      const what = LONE_COMPANION[(classifyName(c.base) as CompanionInfo).role];
      strays.push({ ref: ref(c.info.key), storage, key: c.info.key, size: c.info.size, stray: what });
      continue;
    }
    if (!b) continue;
    if (b.o.info.size === 0) {
      strays.push(emptyStray(b.o));
      if (c) strays.push({ ref: ref(c.info.key), storage, key: c.info.key, size: c.info.size, stray: 'the companion of an empty backup file' });
      continue;
    }
    let facts: CompanionFacts = { warnings: twinWarning(b.o) };
    if (!c) {
      if (b.n.convention !== 'odoo-manager') facts.warnings.push(b.n.convention === 'odoo-backup-sh' ? MISSING_INFO_WARNING : MISSING_SIDECAR_WARNING);
    } else if (c.info.size === 0) {
      facts.warnings.push(EMPTY_COMPANION[(classifyName(c.base) as CompanionInfo).role]);
    } else {
      const text = content.text?.get(c.info.key);
      if (text === undefined) wants.push({ key: c.info.key, what: 'text' });
      else {
        const said = companionFacts(b.n, b.o.info, c.base, text);
        facts = { ...said, warnings: [...facts.warnings, ...said.warnings] };
      }
    }
    backups.push(entryFor(b.o, b.n, { ...(c ? { companions: [c.info.key] } : {}), ...facts }));
  }

  // 3. Folder layouts with a plain SQL dump: pg_dump + filestore/<db>/, and Odoo.sh.
  for (const { o, n } of singles) {
    claimed.add(o);
    if (o.info.size === 0) {
      strays.push(emptyStray(o));
      continue;
    }
    const lower = o.base.toLowerCase();
    if (n.convention === 'odoo-sh') {
      const db = n.database!;
      const folder = join(o.dir, `${db}_daily`);
      const fsPrefix = `${folder}/home/odoo/data/filestore/${db}/`;
      const parts = objsBelow(folder);
      const fsParts = parts.filter((x) => x.norm.startsWith(fsPrefix));
      for (const x of parts) claimed.add(x);
      const warnings = fsParts.length === 0 ? [`No ${db}_daily/home/odoo/data/filestore/${db}/ folder beside it: the restore will bring the database only.`] : [];
      backups.push({
        ...entryFor(o, n, { warnings, companions: parts.length ? [originalPrefix(o, folder) + '/'] : [] }),
        size: o.info.size + parts.reduce((s, x) => s + x.info.size, 0),
      });
      continue;
    }
    const isPlainSql = n.format === 'sql' && !n.encrypted && (lower.endsWith('.sql') || lower.endsWith('.sql.gz'));
    if (isPlainSql) {
      const db = lower.endsWith('.dump.sql') ? o.base.slice(0, -9) : lower.endsWith('.sql.gz') ? o.base.slice(0, -7) : o.base.slice(0, -4);
      const fsDir = join(o.dir, `${FILESTORE_SEG}/${db}`);
      const fsParts = objsBelow(fsDir);
      if (fsParts.length > 0 || n.convention === 'pg-dump-filestore') {
        for (const x of fsParts) claimed.add(x);
        const warnings = fsParts.length === 0 ? [`No filestore/${db}/ folder beside it: the restore will bring the database only.`] : [];
        backups.push({
          ...entryFor(o, { ...n, convention: 'pg-dump-filestore', database: db }, { warnings, companions: fsParts.length ? [originalPrefix(o, fsDir) + '/'] : [] }),
          size: o.info.size + fsParts.reduce((s, x) => s + x.info.size, 0),
        });
        continue;
      }
    }
    if (n.ambiguous) {
      const head = content.heads?.get(o.info.key);
      if (head === undefined) wants.push({ key: o.info.key, what: 'head' });
      else {
        const h = sniffHead(head);
        if (h.format === undefined && !h.encrypted) {
          strays.push({ ref: ref(o.info.key), storage, key: o.info.key, size: o.info.size, stray: h.reason });
          continue;
        }
        backups.push(entryFor(o, n, h.encrypted ? { encrypted: true } : { format: h.format! }));
        continue;
      }
    }
    backups.push(entryFor(o, n, { warnings: twinWarning(o) }));
  }

  // 4. Everything left: filestore folders without a dump (one stray per folder), other files.
  const orphanFolders = new Map<string, { key: string; size: number; reason: string }>();
  for (const o of objs) {
    if (claimed.has(o)) continue;
    const fi = filestoreIndex(o.norm);
    if (fi >= 0) {
      const dirNorm = o.norm.split('/').slice(0, fi + 2).join('/'); // `…/filestore/<db>/`
      const key = originalPrefix(o, dirNorm) + '/';
      const g = orphanFolders.get(key) ?? { key, size: 0, reason: 'a filestore folder without a database dump beside it' };
      g.size += o.info.size;
      orphanFolders.set(key, g);
      continue;
    }
    const n = classifyName(o.base);
    strays.push({ ref: ref(o.info.key), storage, key: o.info.key, size: o.info.size, stray: n.role === 'none' ? n.reason : 'not a backup' });
  }
  for (const g of orphanFolders.values()) strays.push({ ref: ref(g.key), storage, key: g.key, size: g.size, stray: g.reason });

  return { backups, strays, wants };
}

/** Sorts backups newest first (ties by ref), in place; returns the array. */
export function sortNewestFirst<T extends { createdAt: string; ref: string }>(entries: T[]): T[] {
  return entries.sort((a, b) => (a.createdAt === b.createdAt ? (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0) : a.createdAt < b.createdAt ? 1 : -1));
}
