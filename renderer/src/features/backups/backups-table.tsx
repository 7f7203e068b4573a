/**
 * The catalog table. Rows are virtualized by hand: every row has the same height, so the visible
 * window is a division away and a library would add weight for nothing. Only the rows in view
 * (plus a few above and below) are in the DOM, which keeps 10,000 backups smooth.
 *
 * Keyboard: the grid takes focus; ↑/↓/PgUp/PgDn/Home/End move, Enter opens the detail panel,
 * Space or ←/→ fold a database group.
 */
import { useCallback, useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';
import { Badge } from '../../components/ui';
import { backupTimeFull, CONVENTION_LABELS, countOf, formatBackupTime, formatBytes } from '../../components/format';
import type { SortKey, TableRow } from './table-model';

/** Height of one row in px (must match `.vt-row` in the CSS). */
export const ROW_HEIGHT = 36;
const OVERSCAN = 8;
/** Viewport height assumed before layout is known (and in jsdom, which has no layout). */
const FALLBACK_HEIGHT = 540;

const COLUMNS: ReadonlyArray<{ key: SortKey; label: string; className: string }> = [
  { key: 'database', label: 'Database', className: 'c-db' },
  { key: 'createdAt', label: 'Date', className: 'c-date' },
  { key: 'storage', label: 'Storage', className: 'c-storage' },
  { key: 'format', label: 'Format', className: 'c-format' },
  { key: 'size', label: 'Size', className: 'c-size' },
  { key: 'encrypted', label: 'Encrypted', className: 'c-enc' },
  { key: 'odooVersion', label: 'Odoo', className: 'c-odoo' },
  { key: 'convention', label: 'Layout', className: 'c-layout' },
];

/** Props of the table. */
export interface BackupsTableProps {
  readonly rows: readonly TableRow[];
  readonly sort: { key: SortKey; dir: 'asc' | 'desc' };
  readonly onSort: (key: SortKey) => void;
  readonly selectedId: string | undefined;
  readonly onSelect: (row: TableRow) => void;
  readonly onActivate: (row: TableRow) => void;
  readonly onToggleGroup: (database: string) => void;
  readonly utc?: boolean;
}

/** The virtualized, sortable, keyboard-navigable backups grid. */
export function BackupsTable({ rows, sort, onSort, selectedId, onSelect, onActivate, onToggleGroup, utc = false }: BackupsTableProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(FALLBACK_HEIGHT);
  const [active, setActive] = useState(0);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const measure = (): void => setHeight(el.clientHeight > 0 ? el.clientHeight : FALLBACK_HEIGHT);
    measure();
    if (typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  useEffect(() => {
    if (active >= rows.length) setActive(Math.max(0, rows.length - 1));
  }, [rows.length, active]);

  const bodyHeight = Math.max(0, height - ROW_HEIGHT);
  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((scrollTop + bodyHeight) / ROW_HEIGHT) + OVERSCAN);

  const scrollIntoView = useCallback(
    (i: number) => {
      const el = scroller.current;
      if (!el) return;
      const top = i * ROW_HEIGHT;
      if (top < el.scrollTop) el.scrollTop = top;
      else if (top + ROW_HEIGHT > el.scrollTop + bodyHeight) el.scrollTop = top + ROW_HEIGHT - bodyHeight;
      setScrollTop(el.scrollTop);
    },
    [bodyHeight],
  );

  const move = (i: number): void => {
    if (rows.length === 0) return;
    const n = Math.max(0, Math.min(rows.length - 1, i));
    setActive(n);
    scrollIntoView(n);
    onSelect(rows[n]!);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>): void => {
    const page = Math.max(1, Math.floor(bodyHeight / ROW_HEIGHT) - 1);
    const row = rows[active];
    switch (e.key) {
      case 'ArrowDown':
        move(active + 1);
        break;
      case 'ArrowUp':
        move(active - 1);
        break;
      case 'PageDown':
        move(active + page);
        break;
      case 'PageUp':
        move(active - page);
        break;
      case 'Home':
        move(0);
        break;
      case 'End':
        move(rows.length - 1);
        break;
      case 'Enter':
        if (row) onActivate(row);
        break;
      case ' ':
      case 'ArrowLeft':
      case 'ArrowRight':
        if (row?.type === 'group') {
          if (e.key === ' ' || (e.key === 'ArrowLeft') !== row.collapsed) onToggleGroup(row.database);
        } else return;
        break;
      default:
        return;
    }
    e.preventDefault();
  };

  const activeRow = rows[active];
  const visible = rows.slice(first, last);
  // Rows are keyed by slot, not by id: while scrolling, React rewrites the few DOM rows that
  // left the view with the ones that entered it instead of destroying and creating elements.
  const pool = Math.ceil(bodyHeight / ROW_HEIGHT) + 2 * OVERSCAN + 2;

  return (
    <div
      className="vt"
      ref={scroller}
      role="grid"
      aria-label="Backups"
      aria-rowcount={rows.length + 1}
      aria-colcount={COLUMNS.length}
      aria-activedescendant={activeRow ? rowDomId(activeRow.id) : undefined}
      tabIndex={0}
      onKeyDown={onKeyDown}
      onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
      data-testid="backups-grid"
    >
      <div className="vt-head" role="row" aria-rowindex={1}>
        {COLUMNS.map((c) => {
          const sorted = sort.key === c.key;
          return (
            <div
              key={c.key}
              role="columnheader"
              className={`vt-cell ${c.className}`}
              aria-sort={sorted ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'}
            >
              <button type="button" className="sort-btn" onClick={() => onSort(c.key)} title={`Sort by ${c.label.toLowerCase()}`}>
                {c.label}
                <span className="sort-mark" aria-hidden="true">
                  {sorted ? (sort.dir === 'asc' ? '▲' : '▼') : ''}
                </span>
              </button>
            </div>
          );
        })}
      </div>
      <div className="vt-body" style={{ height: rows.length * ROW_HEIGHT }} role="rowgroup">
        {visible.map((row, k) => {
          const i = first + k;
          const common = {
            id: rowDomId(row.id),
            role: 'row' as const,
            'aria-rowindex': i + 2,
            'aria-selected': row.id === selectedId,
            style: { transform: `translateY(${i * ROW_HEIGHT}px)` },
            // One click opens a backup's detail (a double click is not discoverable); on a group it folds.
            onClick: () => {
              setActive(i);
              onSelect(row);
              if (row.type === 'group') onToggleGroup(row.database);
              else onActivate(row);
            },
          };
          if (row.type === 'group') {
            return (
              <div key={`s${i % pool}`} {...common} className={`vt-row vt-group ${i === active ? 'active' : ''}`} aria-expanded={!row.collapsed}>
                <div role="gridcell" className="vt-cell c-group" aria-colspan={COLUMNS.length}>
                  <span className="chevron" aria-hidden="true">
                    {row.collapsed ? '▸' : '▾'}
                  </span>
                  <strong>{row.database}</strong>
                  <span className="muted">
                    {countOf(row.count, 'backup')} · latest {formatBackupTime(row.latest, utc)} · {formatBytes(row.size)}
                  </span>
                </div>
              </div>
            );
          }
          const b = row.entry;
          return (
            <div key={`s${i % pool}`} {...common} className={`vt-row ${i === active ? 'active' : ''} ${row.id === selectedId ? 'selected' : ''}`}>
              <div role="gridcell" className="vt-cell c-db" title={b.key}>
                {b.database}
                {b.warnings?.length ? (
                  <span className="warn-dot" title={b.warnings.join('\n')} aria-label={countOf(b.warnings.length, 'warning')}>
                    !
                  </span>
                ) : null}
              </div>
              <div role="gridcell" className="vt-cell c-date" title={backupTimeFull(b) + (b.timeIsLocal ? ' (server-local time, zone unknown)' : '')}>
                {formatBackupTime(b, utc)}
              </div>
              <div role="gridcell" className="vt-cell c-storage">
                {b.storage}
              </div>
              <div role="gridcell" className="vt-cell c-format">
                <span className={`fmt fmt-${b.format}`}>{b.format}</span>
              </div>
              <div role="gridcell" className="vt-cell c-size num">
                {formatBytes(b.size)}
              </div>
              <div role="gridcell" className="vt-cell c-enc">
                {b.encrypted ? <Badge tone="info">Yes</Badge> : <span className="muted">No</span>}
              </div>
              <div role="gridcell" className="vt-cell c-odoo">
                {b.odooVersion ?? <span className="muted">—</span>}
              </div>
              <div role="gridcell" className="vt-cell c-layout">
                {CONVENTION_LABELS[b.convention] ?? b.convention}
              </div>
            </div>
          );
        })}
      </div>
      {rows.length === 0 ? <div className="vt-empty">No backups match.</div> : null}
    </div>
  );
}

function rowDomId(id: string): string {
  return `row-${encodeURIComponent(id)}`;
}
