/**
 * "Restore a backup here": pick a backup from the catalog to restore into an Odoo instance
 * (as a new database, or replacing one of its databases). The restore wizard then opens with
 * that target chosen. Backups of another Odoo major than the server's cannot be picked: Odoo
 * does not migrate on restore.
 */
import { useId, useMemo, useState } from 'react';
import type { BackupEntry } from '../../../../shared/contract/api';
import { formatBackupTime, formatBytes } from '../../components/format';
import { Modal } from '../../components/ui';

/** How many matching backups the list shows (newest first). */
const SHOWN = 50;

/** The major version in an Odoo version string (`16.0+e` → 16). */
export function majorOf(version: string | undefined): number | undefined {
  const m = /(\d{1,3})\.\d+/.exec(version ?? '');
  return m ? Number(m[1]) : undefined;
}

/** Backups whose database or file name contains `query` (any case), newest first. */
export function matchingBackups(backups: ReadonlyArray<BackupEntry>, query: string): BackupEntry[] {
  const q = query.trim().toLowerCase();
  return backups.filter((b) => q === '' || b.database.toLowerCase().includes(q) || b.key.toLowerCase().includes(q)).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

/** Props of the picker. */
export interface ChooseBackupProps {
  readonly instance: string;
  /** The server's Odoo major, when known. */
  readonly serverMajor: number | undefined;
  /** The database to replace (its row's action), or undefined for a new database. */
  readonly replaceDb?: string | undefined;
  /** The catalog's backups; undefined while it loads. */
  readonly backups: ReadonlyArray<BackupEntry> | undefined;
  readonly onPick: (b: BackupEntry) => void;
  readonly onClose: () => void;
}

/** The picker dialog. */
export function ChooseBackup({ instance, serverMajor, replaceDb, backups, onPick, onClose }: ChooseBackupProps) {
  const id = useId();
  const [query, setQuery] = useState(replaceDb ?? '');
  const shown = useMemo(() => matchingBackups(backups ?? [], query), [backups, query]);
  const title = replaceDb ? `Restore a backup over ${replaceDb} on ${instance}` : `Restore a backup into ${instance}`;
  return (
    <Modal title={title} onClose={onClose} wide>
      <p className="muted">
        {replaceDb
          ? `The restore wizard opens with “${replaceDb}” to replace: it is dropped only once the backup has loaded completely, after you type its name.`
          : 'The restore wizard opens with this Odoo server as the target; you name the new database there.'}
      </p>
      <label htmlFor={id}>Search backups</label>
      <input id={id} type="search" value={query} onChange={(e) => setQuery(e.target.value)} placeholder="Database or file name" />
      {!backups ? <p role="status">Loading the catalog…</p> : shown.length === 0 ? <p className="muted">No backups match.</p> : <BackupChoices backups={shown.slice(0, SHOWN)} serverMajor={serverMajor} onPick={onPick} />}
      {shown.length > SHOWN ? <p className="muted">{shown.length - SHOWN} older matches not shown: narrow the search.</p> : null}
    </Modal>
  );
}

/** The matching backups, each with a Choose button (disabled for another Odoo major). */
function BackupChoices({ backups, serverMajor, onPick }: { backups: ReadonlyArray<BackupEntry>; serverMajor: number | undefined; onPick: (b: BackupEntry) => void }) {
  return (
    <div className="table-wrap">
    <table className="plain-table" aria-label="Backups to restore">
      <thead>
        <tr>
          <th>Database</th>
          <th>Date</th>
          <th>Storage</th>
          <th>Odoo</th>
          <th>Size</th>
          <th>
            <span className="sr-only">Action</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {backups.map((b) => {
          const major = majorOf(b.odooVersion);
          const other = major !== undefined && serverMajor !== undefined && major !== serverMajor;
          return (
            <tr key={b.ref}>
              <td>{b.database}</td>
              <td title={b.key}>{formatBackupTime(b)}</td>
              <td>{b.storage}</td>
              <td>{b.odooVersion ?? '—'}{other ? <span className="warn-text block">The server runs Odoo {serverMajor}: Odoo does not migrate</span> : null}</td>
              <td>{formatBytes(b.size)}{b.encrypted ? ' · encrypted' : ''}</td>
              <td>
                <button type="button" className="btn small" disabled={other} aria-label={`Choose ${b.database} of ${formatBackupTime(b)}`} onClick={() => onPick(b)}>
                  Choose
                </button>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
    </div>
  );
}
