/** The one unit system every face shows sizes in: decimal units (kB, MB, GB, TB), like file managers. */

/** Bytes as "950 B", "1.5 kB", "49 MB", "5.4 GB". */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return '?';
  if (Math.abs(n) < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB', 'PB'];
  let v = n;
  let i = -1;
  while (Math.abs(v) >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(Math.abs(v) < 10 ? 1 : 0)} ${units[i]}`;
}

/** A count and its noun, plural unless it is one: "1 backup", "3 backups" (nouns with a plain -s plural). */
export function countOf(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
