/**
 * odoo_backup_sh's `.info` companion: an INI file with one `[common]` section (see
 * docs/odoo-backup-formats.md 1.2). Parsed leniently like Python's ConfigParser.
 */

/** The fields of a `.info` file we use. */
export interface BackupShInfo {
  readonly database?: string;
  readonly encrypted?: boolean;
  /** `upload_datetime` as written (`YYYY-MM-DD_HH-MM-SS`, UTC). */
  readonly uploadDatetime?: string;
  /** `backup_size` converted from MiB to bytes (approximate). */
  readonly sizeBytes?: number;
  readonly storageService?: string;
  /** `backup_sha256`, which this app adds (lower-case hex). */
  readonly sha256?: string;
  /** `backup_bytes`, which this app adds: the exact size. */
  readonly bytes?: number;
}

/** Parses a `.info` file's text; unknown keys and other sections are ignored. */
export function parseInfoFile(text: string): BackupShInfo {
  const values = new Map<string, string>();
  let section = '';
  for (const raw of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const sec = /^\[(.+)\]$/.exec(line);
    if (sec) {
      section = sec[1]!.trim().toLowerCase();
      continue;
    }
    if (section !== 'common') continue;
    const kv = /^([^=:]+)[=:](.*)$/.exec(line);
    if (kv) values.set(kv[1]!.trim().toLowerCase(), kv[2]!.trim());
  }
  const enc = values.get('encrypted')?.toLowerCase();
  const size = values.get('backup_size');
  const mib = size !== undefined ? Number(size) : NaN;
  return {
    ...(values.has('database') ? { database: values.get('database')! } : {}),
    ...(enc === 'true' || enc === 'false' ? { encrypted: enc === 'true' } : {}),
    ...(values.has('upload_datetime') ? { uploadDatetime: values.get('upload_datetime')! } : {}),
    ...(Number.isFinite(mib) && mib >= 0 ? { sizeBytes: Math.round(mib * 1024 * 1024) } : {}),
    ...(values.has('storage_service') ? { storageService: values.get('storage_service')! } : {}),
    ...(/^[0-9a-f]{64}$/i.test(values.get('backup_sha256') ?? '') ? { sha256: values.get('backup_sha256')!.toLowerCase() } : {}),
    ...(/^\d+$/.test(values.get('backup_bytes') ?? '') ? { bytes: Number(values.get('backup_bytes')) } : {}),
  };
}
