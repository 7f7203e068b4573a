/** The Backups screen: toolbar (search, filters, grouping), the table or the strays list, and the detail panel. */
import { useDeferredValue, useId, useMemo, useState } from 'react';
import type { BackupEntry, BackupFormat, Catalog } from '../../../../shared/contract/api';
import { countOf, formatBytes } from '../../components/format';
import { ErrorMessage } from '../../components/ui';
import { BackupsTable } from './backups-table';
import { DetailPanel } from './detail-panel';
import { StraysList } from './strays-list';
import { buildRows, DEFAULT_QUERY, storagesOf, type SortKey, type TableQuery } from './table-model';

/** Props of the Backups screen. */
export interface BackupsViewProps {
  readonly catalog: Catalog | undefined;
  readonly loading: boolean;
  readonly onRefresh: () => void;
  readonly onRestore: (entry: BackupEntry) => void;
  readonly onDownload: (entry: BackupEntry) => void;
  /** Opens the verify dialog for a backup. */
  readonly onVerify?: (entry: BackupEntry) => void;
  /** Opens "Back up now" (absent: no button). */
  readonly onBackup?: () => void;
  readonly utc?: boolean;
  /** How many storages are configured (the sidebar's count); default: those with backups. */
  readonly storageCount?: number;
}

/** Every backup across every storage. */
export function BackupsView({ catalog, loading, onRefresh, onRestore, onDownload, onVerify, onBackup, utc = false, storageCount }: BackupsViewProps) {
  const [query, setQuery] = useState<TableQuery>(DEFAULT_QUERY);
  const [tab, setTab] = useState<'backups' | 'strays'>('backups');
  const [selected, setSelected] = useState<string | undefined>(undefined);
  const [detail, setDetail] = useState<BackupEntry | undefined>(undefined);
  const deferredSearch = useDeferredValue(query.search);
  const ids = { search: useId(), storage: useId(), format: useId(), enc: useId(), group: useId() };

  // What an inspect learned (the Odoo version) shows in the table at once, without a Refresh.
  const [learned, setLearned] = useState<Readonly<Record<string, string>>>({});
  const backups = useMemo(() => (catalog?.backups ?? []).map((b) => (!b.odooVersion && learned[b.ref] ? { ...b, odooVersion: learned[b.ref] } : b)), [catalog, learned]);
  const storages = useMemo(() => storagesOf(backups), [backups]);
  const nStorages = storageCount ?? storages.length;
  const rows = useMemo(() => buildRows(backups, { ...query, search: deferredSearch }), [backups, query, deferredSearch]);
  const shown = rows.filter((r) => r.type === 'backup').length;

  const set = (patch: Partial<TableQuery>): void => setQuery((q) => ({ ...q, ...patch }));
  const onSort = (key: SortKey): void =>
    setQuery((q) => ({ ...q, sort: { key, dir: q.sort.key === key ? (q.sort.dir === 'asc' ? 'desc' : 'asc') : key === 'createdAt' || key === 'size' ? 'desc' : 'asc' } }));
  const toggleGroup = (db: string): void =>
    setQuery((q) => {
      const c = new Set(q.collapsed);
      if (c.has(db)) c.delete(db);
      else c.add(db);
      return { ...q, collapsed: c };
    });

  const strays = catalog?.strays ?? [];
  const totalSize = backups.reduce((s, b) => s + b.size, 0);

  return (
    <div className="screen backups-screen">
      <header className="screen-header">
        <div>
          <h1>Backups</h1>
          <p className="muted" aria-live="polite">
            {loading && !catalog ? 'Reading your storages…' : `${countOf(backups.length, 'backup')} · ${formatBytes(totalSize)} · ${countOf(nStorages, 'storage')}`}
          </p>
        </div>
        <div className="header-actions">
          <div className="segmented" role="tablist" aria-label="What to show">
            <button type="button" role="tab" aria-selected={tab === 'backups'} className={tab === 'backups' ? 'on' : ''} onClick={() => setTab('backups')}>
              Backups
            </button>
            <button type="button" role="tab" aria-selected={tab === 'strays'} className={tab === 'strays' ? 'on' : ''} onClick={() => setTab('strays')}>
              Strays{strays.length ? ` (${strays.length})` : ''}
            </button>
          </div>
          <button type="button" className="btn" onClick={onRefresh} disabled={loading}>
            {loading ? 'Refreshing…' : 'Refresh'}
          </button>
          {onBackup ? (
            <button type="button" className="btn primary" onClick={onBackup}>
              Back up now
            </button>
          ) : null}
        </div>
      </header>
      {catalog?.failures.map((f) => (
        <ErrorMessage key={f.storage} error={{ ...f.error, message: `Storage “${f.storage}” could not be listed: ${f.error.message}` }} onRetry={onRefresh} />
      ))}
      {tab === 'strays' ? (
        <StraysList strays={strays} />
      ) : (
        <>
          <div className="toolbar" role="search">
            <label htmlFor={ids.search} className="sr-only">
              Search backups
            </label>
            <input
              id={ids.search}
              type="search"
              className="search"
              placeholder="Search database, file, version…"
              value={query.search}
              onChange={(e) => set({ search: e.target.value })}
            />
            <label htmlFor={ids.storage}>Storage</label>
            <select id={ids.storage} value={query.storages[0] ?? ''} onChange={(e) => set({ storages: e.target.value ? [e.target.value] : [] })}>
              <option value="">All</option>
              {storages.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
            <label htmlFor={ids.format}>Format</label>
            <select id={ids.format} value={query.format} onChange={(e) => set({ format: e.target.value as BackupFormat | 'all' })}>
              <option value="all">All</option>
              <option value="zip">zip</option>
              <option value="dump">dump</option>
              <option value="sql">sql</option>
              <option value="folder">folder</option>
            </select>
            <label htmlFor={ids.enc}>Encrypted</label>
            <select id={ids.enc} value={query.encrypted} onChange={(e) => set({ encrypted: e.target.value as TableQuery['encrypted'] })}>
              <option value="all">All</option>
              <option value="yes">Encrypted</option>
              <option value="no">Not encrypted</option>
            </select>
            <label className="check">
              <input id={ids.group} type="checkbox" checked={query.groupByDb} onChange={(e) => set({ groupByDb: e.target.checked })} />
              Group by database
            </label>
            <span className="muted count" aria-live="polite">
              {shown === backups.length ? `${shown} shown` : `${shown} of ${backups.length} shown`}
            </span>
          </div>
          <div className={`split ${detail ? 'with-detail' : ''}`}>
            <BackupsTable
              rows={rows}
              sort={query.sort}
              onSort={onSort}
              selectedId={selected}
              utc={utc}
              onSelect={(r) => {
                setSelected(r.id);
                if (r.type === 'backup' && detail) setDetail(r.entry);
              }}
              onActivate={(r) => {
                if (r.type === 'backup') setDetail(r.entry);
                else toggleGroup(r.database);
              }}
              onToggleGroup={toggleGroup}
            />
            {detail ? (
              <DetailPanel
                entry={detail}
                onClose={() => setDetail(undefined)}
                onRestore={onRestore}
                onDownload={onDownload}
                {...(onVerify ? { onVerify } : {})}
                onInspected={(ref, r) => r.odooVersion && setLearned((l) => (l[ref] === r.odooVersion ? l : { ...l, [ref]: r.odooVersion! }))}
              />
            ) : null}
          </div>
        </>
      )}
    </div>
  );
}
