/**
 * What a backup's companion says about it, cross-checked with its name and its object: the
 * odoo_backup_sh `.info`, our sidecar, or the `.sha256` checksum file of a database-manager
 * backup. Disagreements become warnings; the sha256 (and Odoo version) become catalog facts.
 */
import type { ObjectInfo } from '../storage/provider';
import { parseChecksumFile } from './checksum-file';
import type { CompanionInfo, NameInfo } from './conventions';
import { parseInfoFile } from './info-file';
import { parseSidecar } from './sidecar';

/** Warning when our own sidecar is missing. */
export const MISSING_SIDECAR_WARNING = 'Its sidecar (.json with size and sha256) is missing: a download can only be checked by size and zip structure.';

/** The stray reason of a companion whose backup is not there. */
export const LONE_COMPANION: Readonly<Record<CompanionInfo['role'], string>> = {
  info: 'an odoo_backup_sh .info file without its backup',
  sidecar: 'a Backup Desk sidecar without its backup',
  checksum: 'a checksum file (.sha256) without its backup',
};

/** The warning on a backup whose companion is an empty file (odoo_backup_sh lists no 0-byte object, so to it the archive is alone). */
export const EMPTY_COMPANION: Readonly<Record<CompanionInfo['role'], string>> = {
  info: 'Its odoo_backup_sh .info file is empty (0 bytes): the module itself ignores such a backup, and rotation leaves it alone.',
  sidecar: 'Its sidecar is empty (0 bytes): a download can only be checked by size and zip structure.',
  checksum: 'Its .sha256 file is empty (0 bytes).',
};

/** The file name of the companion a backup named `n` may have (undefined: its convention has none). */
export function companionName(n: NameInfo): string | undefined {
  if (!n.pairStem) return undefined;
  if (n.convention === 'odoo-backup-sh') return `${n.pairStem}.info`;
  if (n.convention === 'backup-desk') return `${n.pairStem}.json`;
  if (n.convention === 'odoo-manager') return `${n.pairStem}.sha256`;
  return undefined;
}

/** What a companion adds to the catalog entry of its backup. */
export interface CompanionFacts {
  readonly warnings: string[];
  readonly odooVersion?: string;
  /** Lower-case hex sha256 of the stored object, as the companion records it. */
  readonly sha256?: string;
}

const truncated = (what: string, said: number, has: number): string =>
  `${what} gives a size of ${said} bytes but the object has ${has}: ${has < said ? 'it may be truncated' : 'bytes were added to it, or it was changed after the backup was made'}.`;

function fromInfo(n: NameInfo, o: ObjectInfo, text: string): CompanionFacts {
  const warnings: string[] = [];
  const info = parseInfoFile(text);
  if (info.database !== undefined && info.database !== n.database) warnings.push(`Its .info names database "${info.database}", not "${n.database}".`);
  if (info.encrypted !== undefined && info.encrypted !== n.encrypted) warnings.push(`Its .info says encrypted=${info.encrypted}, but the name says ${n.encrypted ? 'encrypted' : 'not encrypted'}.`);
  if (info.bytes !== undefined && info.bytes !== o.size) warnings.push(truncated('Its .info', info.bytes, o.size));
  // backup_size is MiB with float precision: allow rounding slack.
  else if (info.bytes === undefined && info.sizeBytes !== undefined && Math.abs(info.sizeBytes - o.size) > Math.max(1024, o.size * 0.001)) warnings.push(truncated('Its .info', info.sizeBytes, o.size));
  return { warnings, ...(info.sha256 ? { sha256: info.sha256 } : {}) };
}

function fromSidecar(o: ObjectInfo, text: string): CompanionFacts {
  const sc = parseSidecar(text);
  if (!sc) return { warnings: ['Its sidecar is not valid.'] };
  const warnings = sc.size !== o.size ? [truncated('Its sidecar', sc.size, o.size)] : [];
  return { warnings, sha256: sc.sha256, ...(sc.odooVersion ? { odooVersion: sc.odooVersion } : {}) };
}

function fromChecksum(o: ObjectInfo, fileName: string, text: string): CompanionFacts {
  const cf = parseChecksumFile(text);
  if (!cf) return { warnings: ['Its .sha256 file is not valid (expected a line "<sha256>  <file name>").'] };
  if (cf.file !== fileName) return { warnings: [`Its .sha256 file is for "${cf.file}", not for this backup.`] };
  const warnings = cf.size !== undefined && cf.size !== o.size ? [truncated('Its .sha256 file', cf.size, o.size)] : [];
  return { warnings, sha256: cf.sha256 };
}

/** What the companion named `companionBase`, whose text is `text`, says about backup `o` named `n`. */
export function companionFacts(n: NameInfo, o: ObjectInfo, companionBase: string, text: string): CompanionFacts {
  if (n.convention === 'odoo-backup-sh') return fromInfo(n, o, text);
  if (n.convention === 'odoo-manager') return fromChecksum(o, companionBase.slice(0, -'.sha256'.length), text);
  return fromSidecar(o, text);
}
