/**
 * Where a backup goes on a storage and what its companion says, per layout (see
 * catalog/conventions.ts, which lists all three back):
 * - `odoo-backup-sh` (default): `<db>.<YYYY-MM-DD_HH-MM-SS>.zip[.enc]` at the storage root (UTC)
 *   + the `.info` INI with exactly odoo_backup_sh's fields, in its order, plus `backup_sha256` and
 *   `backup_bytes` (ConfigParser readers ignore keys they do not know). Zip only, like the module.
 * - `odoo-manager`: `<db>_<YYYY-MM-DD_HH-MM-SS>.zip|.dump[.gpg]`, the database manager's download
 *   name, + `<that name>.sha256` in `sha256sum`'s format with a `# bytes:` comment line
 *   (catalog/checksum-file.ts): `sha256sum -c` checks the backup, and Odoo's own downloads
 *   (which have none) still count as complete backups of this layout.
 * - `backup-desk`: `<db>/<db>_<YYYY-MM-DDTHH-MM-SSZ>.zip|.dump[.gpg]` + the `.json` sidecar.
 */
import { checksumFileText } from '../catalog/checksum-file';
import type { Sidecar } from '../catalog/sidecar';
import { AppError } from '../errors';
import type { ProviderKind } from '../storage/provider';

/** The layouts a backup can be written in. */
export type BackupLayout = 'odoo-backup-sh' | 'odoo-manager' | 'backup-desk';

/** What a layout needs to name and describe one backup. */
export interface LayoutInput {
  readonly db: string;
  readonly time: Date;
  readonly format: 'zip' | 'dump';
  readonly encrypted: boolean;
}

/** The keys of one backup. */
export interface LayoutKeys {
  readonly archive: string;
  /** The `.info`, sidecar or `.sha256` checksum file. */
  readonly companion?: string;
}

/** What the companion records once the archive is written. */
export interface CompanionFacts extends LayoutInput {
  readonly size: number;
  readonly sha256: string;
  readonly storageKind: ProviderKind;
  readonly odooVersion?: string;
  readonly pgVersion?: string;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** `YYYY-MM-DD_HH-MM-SS` in UTC (odoo_backup_sh's and Odoo's download stamp). */
export function dashStamp(t: Date): string {
  return `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}_${pad(t.getUTCHours())}-${pad(t.getUTCMinutes())}-${pad(t.getUTCSeconds())}`;
}

/** `YYYY-MM-DDTHH-MM-SSZ` (our own stamp). */
export function ownStamp(t: Date): string {
  return t.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/:/g, '-');
}

/** Refuses combinations a layout cannot hold. */
export function checkLayout(layout: BackupLayout, input: Pick<LayoutInput, 'format'>): void {
  if (layout === 'odoo-backup-sh' && input.format !== 'zip') {
    throw new AppError('InvalidInput', 'The odoo_backup_sh layout holds zip backups only.', { hint: 'Use --layout odoo-manager or --layout backup-desk with --format dump.' });
  }
}

/** The archive and companion keys of a backup in `layout`. */
export function layoutKeys(layout: BackupLayout, i: LayoutInput): LayoutKeys {
  checkLayout(layout, i);
  if (layout === 'odoo-backup-sh') {
    const stem = `${i.db}.${dashStamp(i.time)}`;
    return { archive: `${stem}.zip${i.encrypted ? '.enc' : ''}`, companion: `${stem}.info` };
  }
  const enc = i.encrypted ? '.gpg' : '';
  if (layout === 'odoo-manager') {
    const archive = `${i.db}_${dashStamp(i.time)}.${i.format}${enc}`;
    return { archive, companion: `${archive}.sha256` };
  }
  const stem = `${i.db}/${i.db}_${ownStamp(i.time)}`;
  return { archive: `${stem}.${i.format}${enc}`, companion: `${stem}.json` };
}

/** Python's `repr(float)`: shortest round-trip digits, `.0` on integers, exponent below 1e-4. */
export function pythonFloatRepr(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return `${x}.0`;
  if (x !== 0 && Math.abs(x) < 1e-4) {
    const [m, e] = x.toExponential().split('e') as [string, string];
    const exp = Number(e);
    return `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return String(x);
}

/** odoo_backup_sh's `storage_service` code for a storage kind (S3's code for kinds it never had). */
export function backupShService(kind: ProviderKind): string {
  return kind === 'dropbox' ? 'dropbox' : kind === 'gdrive' ? 'google_drive' : 'odoo_backup_sh';
}

/** The `.info` text odoo_backup_sh writes, plus our two extra keys. */
export function infoFileText(f: CompanionFacts): string {
  const lines = [
    '[common]',
    `database = ${f.db}`,
    `encrypted = ${f.encrypted ? 'True' : 'False'}`,
    `upload_datetime = ${dashStamp(f.time)}`,
    `backup_size = ${pythonFloatRepr(f.size / 1024 / 1024)}`,
    `storage_service = ${backupShService(f.storageKind)}`,
    `backup_sha256 = ${f.sha256}`,
    `backup_bytes = ${f.size}`,
  ];
  return `${lines.join('\n')}\n`;
}

/** The companion's bytes for a backup written in `layout`. */
export function companionText(layout: BackupLayout, keys: LayoutKeys, f: CompanionFacts): string | undefined {
  if (layout === 'odoo-backup-sh') return infoFileText(f);
  const file = keys.archive.slice(keys.archive.lastIndexOf('/') + 1);
  if (layout === 'odoo-manager') return checksumFileText(file, f.sha256, f.size);
  const sidecar: Sidecar = {
    format: 'backup-desk/1',
    database: f.db,
    createdAt: f.time.toISOString(),
    file,
    size: f.size,
    sha256: f.sha256,
    encrypted: f.encrypted,
    ...(f.odooVersion ? { odooVersion: f.odooVersion } : {}),
    ...(f.pgVersion ? { pgVersion: f.pgVersion } : {}),
  };
  return `${JSON.stringify(sidecar, null, 2)}\n`;
}
