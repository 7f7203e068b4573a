/** Pure filtering, sorting and grouping of catalog rows for the Backups table. */
import type { BackupEntry, BackupFormat } from '../../../../shared/contract/api';

/** Sortable columns. */
export type SortKey = 'database' | 'createdAt' | 'storage' | 'format' | 'size' | 'encrypted' | 'odooVersion' | 'convention';

/** What the user chose in the toolbar and headers. */
export interface TableQuery {
  readonly search: string;
  /** Storages to show; empty = all. */
  readonly storages: readonly string[];
  readonly format: BackupFormat | 'all';
  readonly encrypted: 'all' | 'yes' | 'no';
  readonly groupByDb: boolean;
  readonly sort: { readonly key: SortKey; readonly dir: 'asc' | 'desc' };
  /** Databases whose group is collapsed. */
  readonly collapsed: ReadonlySet<string>;
}

/** The default query: newest first, nothing filtered, not grouped. */
export const DEFAULT_QUERY: TableQuery = {
  search: '',
  storages: [],
  format: 'all',
  encrypted: 'all',
  groupByDb: false,
  sort: { key: 'createdAt', dir: 'desc' },
  collapsed: new Set(),
};

/** When a group's newest backup was made, and whether its name gives the server's own clock (shown as written). */
export type GroupLatest = Pick<BackupEntry, 'createdAt' | 'timeIsLocal'>;

/** A display row: a database group header or one backup. */
export type TableRow =
  | { readonly type: 'group'; readonly id: string; readonly database: string; readonly count: number; readonly latest: GroupLatest; readonly size: number; readonly collapsed: boolean }
  | { readonly type: 'backup'; readonly id: string; readonly entry: BackupEntry };

function matches(b: BackupEntry, q: TableQuery, terms: string[]): boolean {
  if (q.storages.length > 0 && !q.storages.includes(b.storage)) return false;
  if (q.format !== 'all' && b.format !== q.format) return false;
  if (q.encrypted === 'yes' && !b.encrypted) return false;
  if (q.encrypted === 'no' && b.encrypted) return false;
  if (terms.length === 0) return true;
  const hay = `${b.database} ${b.key} ${b.storage} ${b.odooVersion ?? ''} ${b.convention} ${b.format}`.toLowerCase();
  return terms.every((t) => hay.includes(t));
}

function compare(a: BackupEntry, b: BackupEntry, key: SortKey): number {
  switch (key) {
    case 'size':
      return a.size - b.size;
    case 'encrypted':
      return Number(a.encrypted) - Number(b.encrypted);
    case 'createdAt':
      return a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0;
    case 'odooVersion':
      return (a.odooVersion ?? '').localeCompare(b.odooVersion ?? '', undefined, { numeric: true });
    default:
      return String(a[key]).localeCompare(String(b[key]), undefined, { numeric: true, sensitivity: 'base' });
  }
}

/** The filtered, sorted (and optionally grouped) rows to display. */
export function buildRows(backups: readonly BackupEntry[], q: TableQuery): TableRow[] {
  const terms = q.search.toLowerCase().split(/\s+/).filter(Boolean);
  const dir = q.sort.dir === 'asc' ? 1 : -1;
  const kept = backups.filter((b) => matches(b, q, terms));
  kept.sort((a, b) => dir * compare(a, b, q.sort.key) || (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0) || a.ref.localeCompare(b.ref));
  if (!q.groupByDb) return kept.map((entry) => ({ type: 'backup', id: entry.ref, entry }));
  const groups = new Map<string, BackupEntry[]>();
  for (const b of kept) {
    let g = groups.get(b.database);
    if (!g) groups.set(b.database, (g = []));
    g.push(b);
  }
  const names = [...groups.keys()].sort((a, b) => (q.sort.key === 'database' ? dir : 1) * a.localeCompare(b, undefined, { sensitivity: 'base' }));
  const rows: TableRow[] = [];
  for (const name of names) {
    const items = groups.get(name)!;
    const collapsed = q.collapsed.has(name);
    const newest = items.reduce((m, b) => (b.createdAt > m.createdAt ? b : m));
    const latest: GroupLatest = { createdAt: newest.createdAt, ...(newest.timeIsLocal ? { timeIsLocal: true } : {}) };
    rows.push({ type: 'group', id: `group:${name}`, database: name, count: items.length, latest, size: items.reduce((s, b) => s + b.size, 0), collapsed });
    if (!collapsed) for (const entry of items) rows.push({ type: 'backup', id: entry.ref, entry });
  }
  return rows;
}

/** The distinct storages in a catalog, sorted. */
export function storagesOf(backups: readonly BackupEntry[]): string[] {
  return [...new Set(backups.map((b) => b.storage))].sort();
}
