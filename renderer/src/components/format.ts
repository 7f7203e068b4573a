/** Formatting for sizes, dates, durations and rates, in the user's locale. */

import { formatBytes as formatSize } from '../../../shared/contract/units';

export { countOf } from '../../../shared/contract/units';

/** Bytes as "12.3 MB" (the decimal units the CLI uses too); "—" when unknown. */
export function formatBytes(n: number | undefined): string {
  return n === undefined || !Number.isFinite(n) ? '—' : formatSize(n);
}

/** An ISO date in local time, e.g. "2024-03-05 14:07". */
export function formatLocal(iso: string, utc = false): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (x: number) => String(x).padStart(2, '0');
  if (utc) return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())} UTC`;
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** The full UTC form for a tooltip. */
export function formatUtcTitle(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

/** When a backup was made, as far as the catalog knows: `timeIsLocal` when its name gives the server's own clock. */
interface BackupTime {
  readonly createdAt: string;
  readonly timeIsLocal?: boolean | undefined;
}

/** A backup's time as `formatLocal` gives it; one its name gives in the server's own zone (OCA, Yenthe auto_backup) as written, never shifted. */
export function formatBackupTime(b: BackupTime, utc = false): string {
  const t = formatLocal(b.createdAt, b.timeIsLocal === true || utc);
  return b.timeIsLocal && t.endsWith(' UTC') ? t.slice(0, -' UTC'.length) : t;
}

/** A backup's full time: UTC, or as its name gives it in the server's own zone (without a zone). */
export function backupTimeFull(b: BackupTime): string {
  const t = formatUtcTitle(b.createdAt);
  return b.timeIsLocal && t.endsWith(' UTC') ? t.slice(0, -' UTC'.length) : t;
}

/** Seconds as "1 h 02 min", "3 min 05 s" or "12 s". */
export function formatDuration(s: number | undefined): string {
  if (s === undefined || !Number.isFinite(s) || s < 0) return '—';
  const t = Math.round(s);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = t % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  if (m > 0) return `${m} min ${String(sec).padStart(2, '0')} s`;
  return `${sec} s`;
}

/** A rate as "12 MB/s". */
export function formatRate(bps: number | undefined): string {
  return bps === undefined ? '—' : `${formatBytes(Math.max(0, bps))}/s`;
}

/** Human names for the layouts backups follow. */
export const CONVENTION_LABELS: Record<string, string> = {
  'odoo-manager': 'Odoo manager',
  'odoo-backup-sh': 'odoo_backup_sh',
  'oca-auto-backup': 'OCA auto_backup',
  'yenthe-auto-backup': 'auto_backup (Yenthe)',
  'click-odoo': 'click-odoo',
  'pg-dump-filestore': 'pg_dump + filestore',
  'odoo-sh': 'Odoo.sh',
  'backup-desk': 'Backup Desk',
  generic: 'Generic',
};

/** The last path segment of a storage key. */
export function baseName(key: string): string {
  const parts = key.split('/').filter(Boolean);
  return parts[parts.length - 1] ?? key;
}
