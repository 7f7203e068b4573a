/**
 * File-name conventions of every tool that writes Odoo backups (see
 * docs/odoo-backup-formats.md sections 1.1, 2.3, 3, 4). Pure functions on one file name.
 *
 * Database names may contain dots and underscores, so every pattern anchors on the
 * timestamp and takes the rest as the name.
 *
 * The app's own layout ("backup-desk"), which the scheduler writes:
 *
 *     <db>/<db>_<YYYY-MM-DDTHH-MM-SSZ>.zip[.gpg]     the backup (Odoo zip; `.gpg` = OpenPGP-encrypted)
 *     <db>/<db>_<YYYY-MM-DDTHH-MM-SSZ>.json          its sidecar (see `sidecarSchema` in sidecar.ts):
 *         { "format": "backup-desk/1", "database", "createdAt" (ISO UTC), "file" (backup file name),
 *           "size" (bytes of the stored object), "sha256" (hex of the stored object), "encrypted",
 *           "odooVersion"?, "pgVersion"? }
 *
 * The timestamp is UTC (the `Z` says so), with `-` instead of `:` so it is a valid file
 * name everywhere; one folder per database keeps listings small.
 *
 * The Odoo database manager's names (`<db>_<YYYY-MM-DD_HH-MM-SS>.zip|.dump`, optionally
 * encrypted) may have a checksum companion `<that name>.sha256` (checksum-file.ts), which the
 * app writes next to the backups it makes in that layout; a backup without one is complete too.
 */
import type { BackupFormat, Convention } from '../../contract/api';

/** What a backup file's name says. */
export interface NameInfo {
  readonly role: 'backup';
  readonly convention: Convention;
  /** Database name, when the name carries one. */
  readonly database: string | undefined;
  /** Parsed timestamp (wall-clock read as UTC when `timeIsLocal`). */
  readonly time: Date | undefined;
  readonly timeIsLocal: boolean;
  readonly format: BackupFormat;
  readonly encrypted: boolean;
  /** Key of the companion (`.info`, sidecar), for pairing: the stem shared by both. */
  readonly pairStem?: string;
  /** Set when the name looks like a convention but its timestamp is no valid date. */
  readonly badTimestamp?: boolean;
  /** Generic names whose format is only a guess from the extension (a head sniff can settle it). */
  readonly ambiguous?: boolean;
}

/** What a companion file's name says. */
export interface CompanionInfo {
  /** `.info` (odoo_backup_sh), sidecar (ours), `.sha256` (checksum of a database-manager backup). */
  readonly role: 'info' | 'sidecar' | 'checksum';
  readonly convention: Convention;
  readonly pairStem: string;
}

/** A name that is not a backup, with why. */
export interface NotBackup {
  readonly role: 'none';
  readonly reason: string;
}

/** The result of `classifyName`. */
export type NameClass = NameInfo | CompanionInfo | NotBackup;

/** OpenPGP-encryption suffixes (`.enc` is odoo_backup_sh's armored gpg output). */
const ENC_SUFFIX = /\.(gpg|pgp|asc|enc)$/i;

const TS_DASH = String.raw`(\d{4})-(\d{2})-(\d{2})_(\d{2})-(\d{2})-(\d{2})`;
const TS_US = String.raw`(\d{4})_(\d{2})_(\d{2})_(\d{2})_(\d{2})_(\d{2})`;
const TS_US_DAYFIRST = String.raw`(\d{2})_(\d{2})_(\d{4})_(\d{2})_(\d{2})_(\d{2})`;
const TS_OWN = String.raw`(\d{4})-(\d{2})-(\d{2})T(\d{2})-(\d{2})-(\d{2})Z`;

const RE = {
  /** odoo_backup_sh archive `<db>.<ts>.zip` (`.enc` already stripped). */
  backupShArchive: new RegExp(String.raw`^(.+)\.${TS_DASH}\.zip$`),
  /** odoo_backup_sh companion `<db>.<ts>.info`. */
  backupShInfo: new RegExp(String.raw`^(.+)\.${TS_DASH}\.info$`),
  /** Our own `<db>_<ts>.zip|dump`. */
  own: new RegExp(String.raw`^(.+)_${TS_OWN}\.(zip|dump)$`),
  /** Our own sidecar `<db>_<ts>.json`. */
  ownSidecar: new RegExp(String.raw`^(.+)_${TS_OWN}\.json$`),
  /** Odoo database manager `<db>_<ts>.zip|dump` (also Odoo.sh repackaged by auto_backup_sh). */
  manager: new RegExp(String.raw`^(.+)_${TS_DASH}\.(zip|dump)$`),
  /** OCA auto_backup `<ts>.dump.zip|.dump`. */
  oca: new RegExp(String.raw`^${TS_US}\.(dump\.zip|dump)$`),
  /** Yenthe auto_backup 12.0-17.0 `<ts>_<db>.zip|dump`. */
  yenthe: new RegExp(String.raw`^${TS_US}_(.+)\.(zip|dump)$`),
  /** Yenthe auto_backup master, day first. */
  yentheDayFirst: new RegExp(String.raw`^${TS_US_DAYFIRST}_(.+)\.(zip|dump)$`),
  /** Odoo.sh daily dump `<db>_daily.sql.gz`. */
  odooSh: /^(.+)_daily\.sql\.gz$/,
};

/** Builds a Date from wall-clock parts read as UTC; undefined when they are no valid date. */
export function utcDate(y: number, mo: number, d: number, h: number, mi: number, s: number): Date | undefined {
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59 || y < 1970 || y > 9999) return undefined;
  const t = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  if (t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== d) return undefined; // e.g. 31 February
  return t;
}

const nums = (m: RegExpMatchArray, from: number, count: number): number[] => {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(Number(m[from + i]));
  return out;
};

/** Strips an encryption suffix; tells which one. */
export function stripEncryption(name: string): { name: string; encrypted: boolean; suffix: string | undefined } {
  const m = ENC_SUFFIX.exec(name);
  if (!m) return { name, encrypted: false, suffix: undefined };
  return { name: name.slice(0, -m[0].length), encrypted: true, suffix: m[1]!.toLowerCase() };
}

/** Known generic backup extensions and their formats, longest first. */
const GENERIC_EXTS: readonly { ext: string; format: BackupFormat; ambiguous?: boolean }[] = [
  { ext: '.dump.zip', format: 'zip' },
  { ext: '.dump.sql', format: 'sql' },
  { ext: '.sql.gz', format: 'sql' },
  { ext: '.zip', format: 'zip' },
  { ext: '.dump', format: 'dump', ambiguous: true },
  { ext: '.pgdump', format: 'dump' },
  { ext: '.backup', format: 'dump', ambiguous: true },
  { ext: '.sql', format: 'sql' },
];

/** The generic extension of a name (without encryption suffix), if any. */
export function genericExtension(name: string): { ext: string; format: BackupFormat; ambiguous?: boolean } | undefined {
  const lower = name.toLowerCase();
  return GENERIC_EXTS.find((g) => lower.endsWith(g.ext) && lower.length > g.ext.length);
}

/**
 * Guesses a database name from a file name that follows no convention: drops the
 * extension and anything that looks like a date, time or epoch stamp.
 */
export function guessDatabase(name: string): string | undefined {
  let base = stripEncryption(name).name;
  const g = genericExtension(base);
  if (g) base = base.slice(0, -g.ext.length);
  const cleaned = base
    .replace(/(?:^|[-_.])\d{9,13}(?=$|[-_.])/g, '')
    .replace(/\d{4}[-_.]?\d{2}[-_.]?\d{2}(?:[T_ .-]?\d{2}[-_:.]?\d{2}(?:[-_:.]?\d{2})?Z?)?/g, '')
    .replace(/(?:^|[-_.])(?:19|20)\d{2}(?=$|[-_.])/g, '')
    .replace(/[-_.]{2,}/g, (m) => m[0]!)
    .replace(/^[-_.]+|[-_.]+$/g, '');
  return cleaned === '' ? undefined : cleaned;
}

/** Classifies one file name (the last path segment). */
export function classifyName(fileName: string): NameClass {
  const enc = stripEncryption(fileName);
  const name = enc.name;
  const encrypted = enc.encrypted;
  let m: RegExpMatchArray | null;

  // A database-manager backup's checksum file: `<its whole name>.sha256`.
  if (/\.sha256$/.test(fileName)) {
    const of = fileName.slice(0, -'.sha256'.length);
    const inner = classifyName(of);
    if (inner.role === 'backup' && inner.convention === 'odoo-manager') return { role: 'checksum', convention: 'odoo-manager', pairStem: of };
  }
  // odoo_backup_sh companion: never encrypted.
  if (!encrypted && RE.backupShInfo.test(name)) {
    return { role: 'info', convention: 'odoo-backup-sh', pairStem: name.slice(0, -'.info'.length) };
  }
  if (!encrypted && RE.ownSidecar.test(name)) {
    return { role: 'sidecar', convention: 'backup-desk', pairStem: name.slice(0, -'.json'.length) };
  }
  if ((m = RE.own.exec(name))) {
    const [y, mo, d, h, mi, s] = nums(m, 2, 6) as [number, number, number, number, number, number];
    const time = utcDate(y, mo, d, h, mi, s);
    const format: BackupFormat = m[8] === 'dump' ? 'dump' : 'zip';
    return { role: 'backup', convention: 'backup-desk', database: m[1], time, timeIsLocal: false, format, encrypted, pairStem: name.slice(0, -(m[8]!.length + 1)), ...(time ? {} : { badTimestamp: true }) };
  }
  if ((m = RE.backupShArchive.exec(name))) {
    const [y, mo, d, h, mi, s] = nums(m, 2, 6) as [number, number, number, number, number, number];
    const time = utcDate(y, mo, d, h, mi, s);
    return { role: 'backup', convention: 'odoo-backup-sh', database: m[1], time, timeIsLocal: false, format: 'zip', encrypted, pairStem: name.slice(0, -'.zip'.length), ...(time ? {} : { badTimestamp: true }) };
  }
  if ((m = RE.manager.exec(name))) {
    const [y, mo, d, h, mi, s] = nums(m, 2, 6) as [number, number, number, number, number, number];
    const time = utcDate(y, mo, d, h, mi, s);
    return { role: 'backup', convention: 'odoo-manager', database: m[1], time, timeIsLocal: false, format: m[8] === 'dump' ? 'dump' : 'zip', encrypted, pairStem: fileName, ...(time ? {} : { badTimestamp: true }) };
  }
  if ((m = RE.oca.exec(name))) {
    const [y, mo, d, h, mi, s] = nums(m, 1, 6) as [number, number, number, number, number, number];
    const time = utcDate(y, mo, d, h, mi, s);
    return { role: 'backup', convention: 'oca-auto-backup', database: undefined, time, timeIsLocal: true, format: m[7] === 'dump' ? 'dump' : 'zip', encrypted, ...(time ? {} : { badTimestamp: true }) };
  }
  if ((m = RE.yenthe.exec(name))) {
    const [y, mo, d, h, mi, s] = nums(m, 1, 6) as [number, number, number, number, number, number];
    const time = utcDate(y, mo, d, h, mi, s);
    return { role: 'backup', convention: 'yenthe-auto-backup', database: m[7], time, timeIsLocal: true, format: m[8] === 'dump' ? 'dump' : 'zip', encrypted, ...(time ? {} : { badTimestamp: true }) };
  }
  if ((m = RE.yentheDayFirst.exec(name))) {
    const [d, mo, y, h, mi, s] = nums(m, 1, 6) as [number, number, number, number, number, number];
    const time = utcDate(y, mo, d, h, mi, s);
    return { role: 'backup', convention: 'yenthe-auto-backup', database: m[7], time, timeIsLocal: true, format: m[8] === 'dump' ? 'dump' : 'zip', encrypted, ...(time ? {} : { badTimestamp: true }) };
  }
  if ((m = RE.odooSh.exec(name))) {
    return { role: 'backup', convention: 'odoo-sh', database: m[1], time: undefined, timeIsLocal: false, format: 'sql', encrypted };
  }
  const lower = name.toLowerCase();
  if (lower.endsWith('.dump.sql') && lower.length > '.dump.sql'.length) {
    return { role: 'backup', convention: 'pg-dump-filestore', database: name.slice(0, -'.dump.sql'.length), time: undefined, timeIsLocal: false, format: 'sql', encrypted };
  }
  const g = genericExtension(name);
  if (g) {
    return { role: 'backup', convention: 'generic', database: guessDatabase(fileName), time: undefined, timeIsLocal: false, format: g.format, encrypted, ...(g.ambiguous ? { ambiguous: true } : {}) };
  }
  if (/\.info$/i.test(fileName)) return { role: 'none', reason: 'an .info file whose name is not <database>.<YYYY-MM-DD_HH-MM-SS>.info' };
  if (/(\.part|\.tmp|\.partial|\.crdownload)$/i.test(fileName) || fileName.includes('.backup-desk-tmp-')) {
    return { role: 'none', reason: 'an unfinished transfer (temporary file)' };
  }
  if (encrypted) return { role: 'none', reason: 'an encrypted file whose name does not look like a backup' };
  return { role: 'none', reason: 'not a backup (unknown file type)' };
}
