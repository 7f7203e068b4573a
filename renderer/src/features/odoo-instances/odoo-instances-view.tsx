/**
 * The Odoo instances screen: running Odoo servers reached through their database manager.
 * Add (URL + master password, checked against the server), test, change the master password,
 * remove (once confirmed); per instance its version and databases; per database back up now, duplicate
 * (optionally neutralized), drop (typed confirmation) and restore a backup over it; per instance
 * restore a backup as a new database. Restoring goes through the restore wizard with the
 * instance as its "Odoo server" target.
 */
import { useCallback, useEffect, useId, useState } from 'react';
import type { ApiError, ApiResult, BackupEntry, OdooInstanceSummary } from '../../../../shared/contract/api';
import { toApiError } from '../../api';
import { useApi, useJob } from '../../app/api-context';
import { formatBytes } from '../../components/format';
import { Badge, ErrorMessage, Field, Modal } from '../../components/ui';
import { BackupDialog } from '../backup/backup-dialog';
import type { RestorePreset } from '../restore/restore-wizard';
import { ChooseBackup } from './choose-backup';

/** Opens the restore wizard on a backup with a preset Odoo target. */
export type RestoreHere = (backup: BackupEntry, preset: RestorePreset) => void;

/** What restoring into an instance needs from the app: the catalog, and the wizard. */
export interface RestoreHereProps {
  /** The catalog's backups (undefined while it loads). */
  readonly backups: ReadonlyArray<BackupEntry> | undefined;
  readonly onRestoreHere: RestoreHere;
}

/** "Restore a backup here…": a button that opens the backup picker, then the wizard. */
function RestoreHereButton({ instance, major, replaceDb, here }: { instance: string; major: number | undefined; replaceDb?: string; here: RestoreHereProps | undefined }) {
  const [picking, setPicking] = useState(false);
  if (!here) return null;
  const pick = (b: BackupEntry): void => {
    setPicking(false);
    here.onRestoreHere(b, { instance, replaceDb });
  };
  return (
    <>
      <button type="button" className="btn small" onClick={() => setPicking(true)}>
        Restore a backup here…
      </button>
      {picking ? <ChooseBackup instance={instance} serverMajor={major} replaceDb={replaceDb} backups={here.backups} onPick={pick} onClose={() => setPicking(false)} /> : null}
    </>
  );
}

type Dbs = ApiResult<'odoo:dbs'>;
type Test = ApiResult<'odoo:test'>;

/** The add-instance form. */
function AddInstance({ onAdded }: { onAdded: () => void }) {
  const api = useApi();
  const ids = { name: useId(), url: useId(), pw: useId() };
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [pw, setPw] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const add = (): void => {
    setBusy(true);
    setError(undefined);
    api['odoo:add']({ name: name.trim(), url: url.trim(), masterPassword: pw }).then(
      () => {
        setName('');
        setUrl('');
        setPw('');
        setBusy(false);
        onAdded();
      },
      (e: unknown) => {
        setBusy(false);
        setError(toApiError(e));
      },
    );
  };
  return (
    <form className="card form-card" aria-label="Add an Odoo instance" onSubmit={(e) => (e.preventDefault(), add())}>
      <h3>Add an Odoo instance</h3>
      <Field label="Name" htmlFor={ids.name} help="Letters, digits, “_”, “.” or “-”.">
        <input id={ids.name} type="text" value={name} onChange={(e) => setName(e.target.value)} placeholder="production" />
      </Field>
      <Field label="URL" htmlFor={ids.url} help="The address you open Odoo at.">
        <input id={ids.url} type="url" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://odoo.example.com" />
      </Field>
      <Field label="Master password" htmlFor={ids.pw} help="Odoo's admin_passwd; kept with this app's secrets (the keychain, or the vault), checked against the server first.">
        <input id={ids.pw} type="password" autoComplete="off" value={pw} onChange={(e) => setPw(e.target.value)} />
      </Field>
      <ErrorMessage error={error} />
      <button type="submit" className="btn primary" disabled={busy || !name.trim() || !url.trim() || !pw}>
        {busy ? 'Checking…' : 'Add instance'}
      </button>
    </form>
  );
}

/** Duplicate one database: new name, neutralize or not; a job. */
function DuplicateForm({ instance, db, onDone }: { instance: string; db: string; onDone: () => void }) {
  const api = useApi();
  const ids = { name: useId(), neutral: useId() };
  const [newName, setNewName] = useState(`${db}-copy`);
  const [neutralize, setNeutralize] = useState(true);
  const [jobId, setJobId] = useState<string | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const { job } = useJob(jobId);
  useEffect(() => {
    if (job?.state === 'succeeded') onDone();
  }, [job?.state]);
  const start = (): void => {
    setError(undefined);
    api['odoo:duplicate']({ name: instance, db, newName, neutralize }).then((r) => setJobId(r.jobId), (e: unknown) => setError(toApiError(e)));
  };
  return (
    <div className="inline-form" role="group" aria-label={`Duplicate ${db}`}>
      <Field label="Name of the copy" htmlFor={ids.name}>
        <input id={ids.name} type="text" value={newName} onChange={(e) => setNewName(e.target.value)} />
      </Field>
      <label htmlFor={ids.neutral} className="check">
        <input id={ids.neutral} type="checkbox" checked={neutralize} onChange={(e) => setNeutralize(e.target.checked)} /> Neutralize the copy (mail servers and scheduled actions off; Odoo 16+)
      </label>
      <ErrorMessage error={error ?? job?.error} />
      {job?.state === 'running' ? <p className="muted">{job.progress?.label ?? 'Duplicating…'}</p> : null}
      <button type="button" className="btn" disabled={job?.state === 'running' || !newName.trim()} onClick={start}>
        Duplicate
      </button>
    </div>
  );
}

/** Drop one database after its name is typed. */
function DropForm({ instance, db, onDone }: { instance: string; db: string; onDone: () => void }) {
  const api = useApi();
  const id = useId();
  const [confirm, setConfirm] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const drop = (): void => {
    setBusy(true);
    setError(undefined);
    api['odoo:drop']({ name: instance, db, confirm }).then(
      () => onDone(),
      (e: unknown) => {
        setBusy(false);
        setError(toApiError(e));
      },
    );
  };
  return (
    <div className="inline-form" role="group" aria-label={`Drop ${db}`}>
      <Field label={`Type “${db}” to drop it and its filestore on the server`} htmlFor={id}>
        <input id={id} type="text" value={confirm} onChange={(e) => setConfirm(e.target.value)} autoComplete="off" />
      </Field>
      <ErrorMessage error={error} />
      <button type="button" className="btn danger" disabled={busy || confirm !== db} onClick={drop}>
        Drop {db}
      </button>
    </div>
  );
}

/** Replace the stored master password (checked against the server first). */
function PasswordForm({ instance, onDone }: { instance: string; onDone: () => void }) {
  const api = useApi();
  const id = useId();
  const [pw, setPw] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const save = (): void => {
    setBusy(true);
    setError(undefined);
    api['odoo:set-password']({ name: instance, masterPassword: pw }).then(
      () => onDone(),
      (e: unknown) => (setError(toApiError(e)), setBusy(false)),
    );
  };
  return (
    <form className="inline-form" aria-label={`Master password of ${instance}`} onSubmit={(e) => (e.preventDefault(), save())}>
      <Field label="New master password" htmlFor={id} help="Checked against the server before it replaces the stored one.">
        <input id={id} type="password" autoComplete="off" value={pw} onChange={(e) => setPw(e.target.value)} />
      </Field>
      <ErrorMessage error={error} />
      <button type="submit" className="btn" disabled={busy || !pw}>
        {busy ? 'Checking…' : 'Save'}
      </button>
    </form>
  );
}

/** One database row with its actions. */
function DatabaseRow({ instance, db, size, major, here, onChanged }: { instance: string; db: string; size: number | undefined; major: number | undefined; here: RestoreHereProps | undefined; onChanged: () => void }) {
  const api = useApi();
  const [open, setOpen] = useState<'duplicate' | 'drop' | undefined>(undefined);
  const [backupTo, setBackupTo] = useState<string[] | undefined>(undefined);
  const backUp = (): void => {
    api['storages:list']({}).then(
      (s) => setBackupTo(s.map((x) => x.name)),
      () => setBackupTo([]),
    );
  };
  const done = (): void => {
    setOpen(undefined);
    onChanged();
  };
  return (
    <li className="db-row">
      <span className="db-name">{db}</span> <span className="muted">{size !== undefined ? formatBytes(size) : ''}</span>
      <span className="actions">
        <button type="button" className="btn small" onClick={backUp}>
          Back up now…
        </button>
        <RestoreHereButton instance={instance} major={major} replaceDb={db} here={here} />
        <button type="button" className="btn small" aria-expanded={open === 'duplicate'} onClick={() => setOpen(open === 'duplicate' ? undefined : 'duplicate')}>
          Duplicate…
        </button>
        <button type="button" className="btn small danger" aria-expanded={open === 'drop'} onClick={() => setOpen(open === 'drop' ? undefined : 'drop')}>
          Drop…
        </button>
      </span>
      {open === 'duplicate' ? <DuplicateForm instance={instance} db={db} onDone={done} /> : null}
      {open === 'drop' ? <DropForm instance={instance} db={db} onDone={done} /> : null}
      {backupTo ? <BackupDialog storages={backupTo} from={{ instance, db }} onClose={() => setBackupTo(undefined)} /> : null}
    </li>
  );
}

/** "Remove “NAME”?": forgets the instance and its master password once confirmed; a refusal (a job uses it) shows here. */
function RemoveInstance({ instance, onRemoved, onClose }: { instance: string; onRemoved: () => void; onClose: () => void }) {
  const api = useApi();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const remove = (): void => {
    setBusy(true);
    setError(undefined);
    api['odoo:remove']({ name: instance }).then(onRemoved, (e: unknown) => (setError(toApiError(e)), setBusy(false)));
  };
  return (
    <Modal title={`Remove “${instance}”?`} onClose={onClose}>
      <p>Backup Desk forgets this Odoo server and its master password. Its databases are not touched.</p>
      <ErrorMessage error={error} />
      <div className="wizard-nav">
        <button type="button" className="btn" onClick={onClose}>
          Keep it
        </button>
        <button type="button" className="btn danger" disabled={busy} onClick={remove}>
          Remove instance
        </button>
      </div>
    </Modal>
  );
}

/** One instance: test, databases, remove. */
function InstanceCard({ inst, here, onRemoved }: { inst: OdooInstanceSummary; here: RestoreHereProps | undefined; onRemoved: () => void }) {
  const api = useApi();
  const [dbs, setDbs] = useState<Dbs | undefined>(undefined);
  const [test, setTest] = useState<Test | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [changingPw, setChangingPw] = useState(false);
  const [removing, setRemoving] = useState(false);
  const loadDbs = useCallback(() => {
    setError(undefined);
    api['odoo:dbs']({ name: inst.name }).then(setDbs, (e: unknown) => setError(toApiError(e)));
  }, [api, inst.name]);
  useEffect(loadDbs, [loadDbs]);
  const runTest = (): void => {
    setBusy(true);
    api['odoo:test']({ name: inst.name }).then(
      (r) => (setTest(r), setBusy(false)),
      (e: unknown) => (setError(toApiError(e)), setBusy(false)),
    );
  };
  return (
    <article className="card odoo-card" aria-label={`Odoo instance ${inst.name}`}>
      <header className="card-head">
        <h3>{inst.name}</h3>
        <span className="muted">{inst.url}</span>
        {dbs ? <Badge tone="info">Odoo {dbs.version}</Badge> : null}
      </header>
      <ErrorMessage error={error} onRetry={loadDbs} />
      {test ? (
        <ul className="checks" aria-label="Test results">
          {test.checks.map((c) => (
            <li key={c.name}>
              <Badge tone={c.ok ? 'good' : 'bad'}>{c.ok ? 'OK' : 'Failed'}</Badge> {c.name}: {c.message}
            </li>
          ))}
        </ul>
      ) : null}
      {dbs ? (
        dbs.listDisabled ? (
          <p className="muted">The server hides its database list (list_db = False).</p>
        ) : dbs.databases.length === 0 ? (
          <p className="muted">No databases.</p>
        ) : (
          <ul className="db-list" aria-label={`Databases on ${inst.name}`}>
            {dbs.databases.map((d) => (
              <DatabaseRow key={d.name} instance={inst.name} db={d.name} size={d.size} major={dbs.major} here={here} onChanged={loadDbs} />
            ))}
          </ul>
        )
      ) : null}
      <div className="card-actions">
        <button type="button" className="btn" disabled={busy} onClick={runTest}>
          {busy ? 'Testing…' : 'Test'}
        </button>
        <button type="button" className="btn" onClick={loadDbs}>
          Refresh
        </button>
        <RestoreHereButton instance={inst.name} major={dbs?.major} here={here} />
        <button type="button" className="btn" aria-expanded={changingPw} onClick={() => setChangingPw(!changingPw)}>
          Master password…
        </button>
        <button type="button" className="btn danger" onClick={() => setRemoving(true)}>
          Remove
        </button>
      </div>
      {removing ? <RemoveInstance instance={inst.name} onRemoved={onRemoved} onClose={() => setRemoving(false)} /> : null}
      {changingPw ? (
        <PasswordForm
          instance={inst.name}
          onDone={() => {
            setChangingPw(false);
            setTest(undefined);
            loadDbs();
          }}
        />
      ) : null}
    </article>
  );
}

/** The screen; restoring into an instance is offered when the app passes its catalog and wizard. */
export function OdooInstancesView({ restoreHere }: { restoreHere?: RestoreHereProps }) {
  const api = useApi();
  const [list, setList] = useState<OdooInstanceSummary[] | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const load = useCallback(() => {
    api['odoo:list']({}).then(setList, (e: unknown) => setError(toApiError(e)));
  }, [api]);
  useEffect(load, [load]);
  return (
    <div className="screen">
      <header className="screen-header">
        <div>
          <h1>Odoo instances</h1>
          <p className="muted">Running Odoo servers reached through their database manager: restore a backup into them, back up, duplicate and drop their databases.</p>
        </div>
      </header>
      <ErrorMessage error={error} onRetry={load} />
      {list?.map((i) => <InstanceCard key={i.name} inst={i} here={restoreHere} onRemoved={load} />)}
      {list && list.length === 0 ? <p className="muted">No Odoo instances yet.</p> : null}
      <AddInstance onAdded={load} />
    </div>
  );
}
