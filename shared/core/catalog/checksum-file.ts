/**
 * The checksum companion of a backup in the Odoo database manager's layout
 * (`<db>_<ts>.zip|.dump[.gpg].sha256`, see conventions.ts): `sha256sum`'s own format, so
 * `sha256sum -c` checks the backup, plus a comment line with its size (sha256sum skips lines
 * that start with `#`):
 *
 *     <64 hex>  <backup file name>
 *     # bytes: <size of the stored object>
 */

/** What a checksum file says. */
export interface ChecksumFile {
  readonly sha256: string;
  /** The file name the line is for. */
  readonly file: string;
  readonly size?: number;
}

/** The text of the checksum file of `file`. */
export function checksumFileText(file: string, sha256: string, size: number): string {
  return `${sha256}  ${file}\n# bytes: ${size}\n`;
}

/** Parses a checksum file; undefined when its first line is no sha256sum line. */
export function parseChecksumFile(text: string): ChecksumFile | undefined {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const m = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(lines[0] ?? '');
  if (!m) return undefined;
  const size = lines.map((l) => /^#\s*bytes:\s*(\d+)\s*$/.exec(l)?.[1]).find((s) => s !== undefined);
  return { sha256: m[1]!.toLowerCase(), file: m[2]!, ...(size !== undefined ? { size: Number(size) } : {}) };
}
