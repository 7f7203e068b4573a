/** First run: a local backups folder and the detected restore target, so a newcomer can restore within a minute. */
import { useEffect, useId, useState } from 'react';
import type { ApiError, ApiResult } from '../../../../shared/contract/api';
import { toApiError } from '../../api';
import { useApi } from '../../app/api-context';
import { ErrorMessage, Field } from '../../components/ui';

/** Props of the first-run screen. */
export interface FirstRunProps {
  readonly home: string | undefined;
  readonly onDone: () => void;
  readonly onSkip: () => void;
  readonly onFiles: (files: File[]) => void;
  readonly onCloud: () => void;
}

/** The welcome screen shown while no storage exists. */
export function FirstRun({ home, onDone, onSkip, onFiles, onCloud }: FirstRunProps) {
  const api = useApi();
  const ids = { folder: useId(), file: useId() };
  const [folder, setFolder] = useState('');
  const [touched, setTouched] = useState(false);
  const [targets, setTargets] = useState<ApiResult<'targets:detect'> | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!touched && home) setFolder(`${home.replace(/[\\/]+$/, '')}/backups`);
  }, [home, touched]);
  useEffect(() => {
    api['targets:detect']({}).then(setTargets, () => setTargets([]));
  }, [api]);

  const target = targets?.find((t) => t.available);

  const useFolder = (): void => {
    setBusy(true);
    setError(undefined);
    api['storages:add']({ name: 'local', kind: 'local', settings: { path: folder.trim() }, secrets: {} }).then(
      () => {
        setBusy(false);
        onDone();
      },
      (e: unknown) => {
        setBusy(false);
        setError(toApiError(e));
      },
    );
  };

  return (
    <div className="screen first-run">
      <header className="hero">
        <div className="logo-mark large" aria-hidden="true">
          ⛁
        </div>
        <h1>Welcome to Odoo Backup Desk</h1>
        <p className="muted">See every Odoo backup in one list, and restore any of them into PostgreSQL in a few clicks.</p>
      </header>
      <ol className="first-steps">
        <li className="card">
          <h2>1. Where are your backups?</h2>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              useFolder();
            }}
          >
            <Field label="Backups folder" htmlFor={ids.folder} help="A folder on this machine with Odoo backups (.zip, .dump…). Sub-folders are included.">
              <div className="row">
                <input
                  id={ids.folder}
                  type="text"
                  value={folder}
                  spellCheck={false}
                  onChange={(e) => {
                    setFolder(e.target.value);
                    setTouched(true);
                  }}
                />
                {api.pickFolder ? (
                  <button
                    type="button"
                    className="btn"
                    onClick={() =>
                      void api.pickFolder?.({ title: 'Backups folder', defaultPath: folder }).then((p) => {
                        if (p) {
                          setFolder(p);
                          setTouched(true);
                        }
                      })
                    }
                  >
                    Browse…
                  </button>
                ) : null}
              </div>
            </Field>
            <ErrorMessage error={error} />
            <div className="row">
              <button type="submit" className="btn primary" disabled={busy || !folder.trim()}>
                {busy ? 'Adding…' : 'Use this folder'}
              </button>
              <button type="button" className="btn" onClick={onCloud}>
                Connect a cloud storage instead…
              </button>
            </div>
          </form>
        </li>
        <li className="card">
          <h2>2. Where restores go</h2>
          {!targets ? (
            <p role="status">Looking for PostgreSQL on this machine…</p>
          ) : target ? (
            <p>
              <span className="ok-text">✓</span> <strong>{target.label}</strong>
              {target.detail ? <span className="muted block">{target.detail}</span> : null}
            </p>
          ) : (
            <p className="warn-text">No PostgreSQL found on this machine. You can give a server's address when you restore.</p>
          )}
        </li>
        <li className="card">
          <h2>3. Or just restore a file</h2>
          <p className="muted">Drop a backup file anywhere on this window, or choose one:</p>
          <label htmlFor={ids.file} className="btn file-btn">
            Choose a backup file…
          </label>
          <input
            id={ids.file}
            type="file"
            className="sr-only"
            accept=".zip,.dump,.sql,.gz,.enc,.gpg,.pgp"
            onChange={(e) => {
              const f = [...(e.target.files ?? [])];
              if (f.length) onFiles(f);
              e.target.value = '';
            }}
          />
        </li>
      </ol>
      <p className="center">
        <button type="button" className="link-btn" onClick={onSkip}>
          Skip for now
        </button>
      </p>
    </div>
  );
}
