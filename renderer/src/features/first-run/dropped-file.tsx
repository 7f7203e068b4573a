/** A backup file dropped on the window (or chosen): get it to the core, inspect it, offer to restore it. */
import { useEffect, useId, useState } from 'react';
import type { ApiError, InspectResult } from '../../../../shared/contract/api';
import { toApiError } from '../../api';
import { useApi } from '../../app/api-context';
import { formatBytes } from '../../components/format';
import { ErrorMessage, Modal, ProgressBar } from '../../components/ui';
import type { RestoreSource } from '../restore/restore-wizard';

/** True when the name says the file is encrypted. */
export function looksEncrypted(name: string): boolean {
  return /\.(enc|gpg|pgp|asc)$/i.test(name);
}

/** A file to open: dropped/chosen in the page, or a path from the host (Electron's File > Open). */
export type OpenedItem = { readonly file: File } | { readonly path: string };

/** The dropped-file dialog. */
export function DroppedFile({ item, onClose, onRestore }: { item: OpenedItem; onClose: () => void; onRestore: (s: RestoreSource) => void }) {
  const file = 'file' in item ? item.file : undefined;
  const name = file ? file.name : (item as { path: string }).path.split(/[\\/]/).pop() ?? '';
  const api = useApi();
  const passId = useId();
  const [path, setPath] = useState<string | undefined>(undefined);
  const [sent, setSent] = useState(0);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [inspect, setInspect] = useState<InspectResult | undefined>(undefined);
  const [passphrase, setPassphrase] = useState('');
  const encrypted = looksEncrypted(name);

  useEffect(() => {
    let live = true;
    if (!file) {
      setPath((item as { path: string }).path);
      return;
    }
    const local = api.getPathForFile?.(file);
    if (local) setPath(local);
    else if (api.uploadFile) {
      api.uploadFile(file, (n) => live && setSent(n)).then(
        (p) => live && setPath(p.path),
        (e: unknown) => live && setError(toApiError(e)),
      );
    } else {
      setError({ kind: 'Unsupported', message: 'This window cannot read dropped files.', hint: 'Copy the file into your backups folder instead.' });
    }
    return () => {
      live = false;
    };
  }, [api, file, item]);

  const runInspect = (pass?: string): void => {
    if (!path) return;
    setError(undefined);
    api['backups:inspect']({ source: path, ...(pass ? { passphrase: pass } : {}) }).then(setInspect, (e: unknown) => setError(toApiError(e)));
  };
  useEffect(() => {
    if (path && !encrypted) runInspect();
  }, [path]);

  return (
    <Modal title={name} onClose={onClose}>
      {!path && !error ? (
        <div aria-live="polite">
          <p>Copying the file to Backup Desk…</p>
          <ProgressBar value={sent} max={file?.size} label="Upload progress" />
          <p className="muted">
            {formatBytes(sent)} of {formatBytes(file?.size)}
          </p>
        </div>
      ) : null}
      <ErrorMessage error={error} />
      {path && encrypted && !inspect ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            runInspect(passphrase);
          }}
        >
          <label htmlFor={passId}>This backup is encrypted. Passphrase:</label>
          <div className="row">
            <input id={passId} type="password" autoComplete="off" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} />
            <button type="submit" className="btn" disabled={!passphrase}>
              Look inside
            </button>
          </div>
        </form>
      ) : null}
      {path && !inspect && !error && !encrypted ? <p role="status">Reading the backup…</p> : null}
      {inspect ? (
        <dl className="facts">
          <dt>Database</dt>
          <dd>{inspect.database ?? '—'}</dd>
          <dt>Format</dt>
          <dd>{inspect.format}</dd>
          <dt>Odoo</dt>
          <dd>{inspect.odooVersion ?? '—'}</dd>
          <dt>Modules</dt>
          <dd>{inspect.modules ? Object.keys(inspect.modules).length : '—'}</dd>
          <dt>Filestore</dt>
          <dd>{inspect.filestoreFiles !== undefined ? `${inspect.filestoreFiles} files` : 'none'}</dd>
        </dl>
      ) : null}
      <div className="wizard-nav">
        <button type="button" className="btn" onClick={onClose}>
          Close
        </button>
        <button
          type="button"
          className="btn primary"
          disabled={!path || (!inspect && !encrypted)}
          onClick={() =>
            path &&
            onRestore({
              source: path,
              label: name,
              database: inspect?.database,
              encrypted,
              format: inspect?.format,
              size: file?.size ?? inspect?.size,
              selfContained: inspect?.attachments?.selfContained,
              odooVersion: inspect?.odooVersion,
            })
          }
        >
          Restore…
        </button>
      </div>
    </Modal>
  );
}
