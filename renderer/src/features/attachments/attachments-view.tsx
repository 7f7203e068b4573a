/**
 * The Attachments screen: databases whose attachments live in S3/Swift — duplicate one with its
 * bucket/container, drop one with it (its name typed again), and the migrations, duplicates and
 * drops of this home with Resume / Roll back.
 */
import { useCallback, useEffect, useId, useState } from 'react';
import type { ApiError, MigrationSummary, RestoreTargetSpec } from '../../../../shared/contract/api';
import { toApiError } from '../../api';
import { useApi } from '../../app/api-context';
import { Badge, ErrorMessage, Field } from '../../components/ui';

const STATUS_TONE = { running: 'info', interrupted: 'warn', failed: 'bad', done: 'good', 'rolled-back': 'neutral' } as const;

/** Where the database is: a PostgreSQL server and an Odoo data dir (empty: the defaults). */
interface Where {
  server: string;
  dataDir: string;
}

function targetOf(w: Where): RestoreTargetSpec {
  const dataDir = w.dataDir.trim() ? { dataDir: w.dataDir.trim() } : {};
  return w.server.trim() === 'embedded' ? { type: 'embedded', ...dataDir } : { type: 'postgres', ...(w.server.trim() ? { url: w.server.trim() } : {}), ...dataDir };
}

/** The server and data dir fields shared by both forms. */
function WhereFields({ where, onChange }: { where: Where; onChange: (w: Where) => void }) {
  const id = useId();
  return (
    <>
      <Field label="PostgreSQL server" help='postgres://USER@HOST:PORT/ (password in ~/.pgpass), "embedded", or empty for the libpq environment' htmlFor={`${id}-server`}>
        <input type="text" id={`${id}-server`} value={where.server} onChange={(e) => onChange({ ...where, server: e.target.value })} />
      </Field>
      <Field label="Odoo data dir" help="the filestore is in DIR/filestore/DB (empty: Odoo's default)" htmlFor={`${id}-data`}>
        <input type="text" id={`${id}-data`} value={where.dataDir} onChange={(e) => onChange({ ...where, dataDir: e.target.value })} />
      </Field>
    </>
  );
}

/** Runs a start call, showing its error; `onStarted` after it is accepted. */
function useStart(onStarted: () => void): { busy: boolean; error: ApiError | undefined; run: (p: Promise<unknown>) => void } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const run = (p: Promise<unknown>): void => {
    setBusy(true);
    setError(undefined);
    p.then(
      () => {
        setBusy(false);
        onStarted();
      },
      (e: unknown) => {
        setBusy(false);
        setError(toApiError(e));
      },
    );
  };
  return { busy, error, run };
}

/** Duplicate a database together with its own bucket/container. */
function DuplicateForm({ onStarted }: { onStarted: () => void }) {
  const api = useApi();
  const id = useId();
  const [db, setDb] = useState('');
  const [copy, setCopy] = useState('');
  const [storage, setStorage] = useState('');
  const [where, setWhere] = useState<Where>({ server: '', dataDir: '' });
  const { busy, error, run } = useStart(onStarted);
  const start = () => run(api['attachments:duplicate']({ db: db.trim(), newDb: copy.trim(), target: targetOf(where), ...(storage.trim() ? { storage: storage.trim() } : {}) }));
  return (
    <section className="card form-card" aria-label="Duplicate with the bucket/container">
      <h2>Duplicate a database with its bucket/container</h2>
      <p className="muted small">Every object is copied into the copy&apos;s own bucket/container and SHA-1 checked; the copy appears under its name only once complete. Stop Odoo first: PostgreSQL copies a database nobody is connected to.</p>
      <Field label="Database" htmlFor={`${id}-db`}>
        <input type="text" id={`${id}-db`} value={db} onChange={(e) => setDb(e.target.value)} />
      </Field>
      <Field label="Name of the copy" htmlFor={`${id}-copy`}>
        <input type="text" id={`${id}-copy`} value={copy} onChange={(e) => setCopy(e.target.value)} />
      </Field>
      <Field label="Storage with the credentials" help="empty: the configured storage whose bucket/container is the database's" htmlFor={`${id}-storage`}>
        <input type="text" id={`${id}-storage`} value={storage} onChange={(e) => setStorage(e.target.value)} />
      </Field>
      <WhereFields where={where} onChange={setWhere} />
      <ErrorMessage error={error} />
      <div className="form-actions">
        <button type="button" className="btn primary" disabled={busy || !db.trim() || !copy.trim()} onClick={start}>
          Duplicate
        </button>
      </div>
    </section>
  );
}

/** Drop a database with its own bucket/container, after its name is typed again. */
function DropForm({ onStarted }: { onStarted: () => void }) {
  const api = useApi();
  const id = useId();
  const [db, setDb] = useState('');
  const [confirm, setConfirm] = useState('');
  const [storage, setStorage] = useState('');
  const [where, setWhere] = useState<Where>({ server: '', dataDir: '' });
  const { busy, error, run } = useStart(() => {
    setConfirm('');
    onStarted();
  });
  const name = db.trim();
  const drop = () => run(api['attachments:drop']({ db: name, confirm, target: targetOf(where), ...(storage.trim() ? { storage: storage.trim() } : {}) }));
  return (
    <section className="card form-card" aria-label="Drop with the bucket/container">
      <h2>Drop a database with its bucket/container</h2>
      <p className="muted small">Refused while another database on the server still references that bucket/container. This cannot be undone.</p>
      <Field label="Database" htmlFor={`${id}-db`}>
        <input type="text" id={`${id}-db`} value={db} onChange={(e) => setDb(e.target.value)} />
      </Field>
      <Field label="Storage with the credentials" help="empty: the configured storage whose bucket/container is the database's" htmlFor={`${id}-storage`}>
        <input type="text" id={`${id}-storage`} value={storage} onChange={(e) => setStorage(e.target.value)} />
      </Field>
      <WhereFields where={where} onChange={setWhere} />
      {name ? (
        <Field label={`Type “${name}” to drop it, its filestore and its objects`} htmlFor={`${id}-confirm`}>
          <input type="text" id={`${id}-confirm`} value={confirm} onChange={(e) => setConfirm(e.target.value)} autoComplete="off" />
        </Field>
      ) : null}
      <ErrorMessage error={error} />
      <div className="form-actions">
        <button type="button" className="btn danger" disabled={busy || !name || confirm !== name} onClick={drop}>
          {name ? `Drop ${name}` : 'Drop'}
        </button>
      </div>
    </section>
  );
}

/** One migration, duplicate or drop, with its actions. */
function JobRow({ m, onAct }: { m: MigrationSummary; onAct: (p: Promise<unknown>) => void }) {
  const api = useApi();
  const open = m.status === 'interrupted' || m.status === 'failed';
  return (
    <tr>
      <td>{m.direction}</td>
      <td>{m.copy ? `${m.db} → ${m.copy}` : m.db}</td>
      <td>{m.store ?? ''}</td>
      <td>
        <Badge tone={STATUS_TONE[m.status]}>{m.status}</Badge>
        {m.message ? <span className="muted small"> {m.message}</span> : null}
      </td>
      <td>
        {open ? (
          <>
            <button type="button" className="btn small" onClick={() => onAct(api['attachments:migration-resume']({ id: m.id }))}>
              Resume
            </button>
            <button type="button" className="btn small" onClick={() => onAct(api['attachments:migration-rollback']({ id: m.id }))}>
              Roll back
            </button>
          </>
        ) : null}
      </td>
    </tr>
  );
}

/** The Attachments screen; reloads when `reloadKey` changes (e.g. a job ended). */
export function AttachmentsView({ reloadKey = 0 }: { reloadKey?: number }) {
  const api = useApi();
  const [list, setList] = useState<MigrationSummary[] | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const load = useCallback(() => {
    api['attachments:migrations']({}).then(setList, (e: unknown) => setError(toApiError(e)));
  }, [api]);
  useEffect(load, [load, reloadKey]);
  const act = (p: Promise<unknown>) => p.then(load, (e: unknown) => setError(toApiError(e)));
  return (
    <div className="screen">
      <header className="screen-header">
        <div>
          <h1>Attachments</h1>
          <p className="muted">Databases whose attachments live in S3 or Swift: copy or drop one with its bucket/container; migrations, duplicates and drops resume after a restart.</p>
        </div>
      </header>
      <ErrorMessage error={error} onRetry={load} />
      <DuplicateForm onStarted={load} />
      <DropForm onStarted={load} />
      {list?.length ? (
        <table className="history-table">
          <caption className="sr-only">Migrations, duplicates and drops</caption>
          <thead>
            <tr>
              <th scope="col">What</th>
              <th scope="col">Database</th>
              <th scope="col">Bucket/container</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((m) => (
              <JobRow key={m.id} m={m} onAct={act} />
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}
