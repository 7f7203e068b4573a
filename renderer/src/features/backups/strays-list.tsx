/** Files on storages that are no (complete) backup; listed, never touched. */
import type { StrayEntry } from '../../../../shared/contract/api';
import { formatBytes } from '../../components/format';

/** The strays table. */
export function StraysList({ strays }: { strays: readonly StrayEntry[] }) {
  if (strays.length === 0) return <p className="empty">No stray files: everything on your storages is a recognised backup.</p>;
  return (
    <div className="table-wrap">
      <p className="muted">These files sit beside your backups but are not complete backups. Backup Desk lists them and never changes or deletes them.</p>
      <table className="plain-table" aria-label="Stray files">
        <thead>
          <tr>
            <th scope="col">Storage</th>
            <th scope="col">File</th>
            <th scope="col">Size</th>
            <th scope="col">Why it is listed here</th>
          </tr>
        </thead>
        <tbody>
          {strays.map((s) => (
            <tr key={s.ref}>
              <td>{s.storage}</td>
              <td className="mono">{s.key}</td>
              <td className="num">{formatBytes(s.size)}</td>
              <td>{s.stray}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
