/** "Back up now": database, source, storages, format, layout and encryption; then progress like a restore, and the result. */
import { useId, useState } from 'react';
import type { ApiError, BackupRequest, BackupResultDto } from '../../../../shared/contract/api';
import { toApiError } from '../../api';
import { useApi, useJob } from '../../app/api-context';
import { countOf, formatBytes } from '../../components/format';
import { ErrorMessage, Field, Modal, ResultIcon } from '../../components/ui';
import { NewPassphraseFields } from '../../components/passphrase';
import { JobProgressPanel } from '../../components/job-panels';

/** Props of the dialog. */
export interface BackupDialogProps {
  /** The configured storages' names. */
  readonly storages: readonly string[];
  /** Preset source: a database of a running Odoo (the Odoo instances screen's "Back up now"). */
  readonly from?: { readonly instance: string; readonly db: string };
  readonly onClose: () => void;
}

interface Form {
  db: string;
  sourceType: 'postgres' | 'odoo';
  url: string;
  dataDir: string;
  filestore: boolean;
  instance: string;
  to: string[];
  format: 'zip' | 'dump';
  layout: BackupRequest['layout'];
  encrypt: boolean;
  /** Apply each storage's rotation policy afterwards. */
  rotate: boolean;
  passphrase: string;
  /** The passphrase typed again: a typo would make the backup unreadable. */
  passphraseAgain: string;
  /** Also copy the attachments kept in S3/Swift into the backup (a zip of a PostgreSQL database with its filestore). */
  attachments: boolean;
}

/** Whether the form's backup can hold the attachments kept in S3/Swift: a zip, with its filestore, from PostgreSQL. */
const canIncludeObjects = (f: Form): boolean => f.sourceType === 'postgres' && f.format === 'zip' && f.filestore;

/** The request the form describes. */
export function requestOf(f: Form): BackupRequest {
  const source: BackupRequest['source'] =
    f.sourceType === 'odoo'
      ? { type: 'odoo', instance: f.instance.trim() }
      : { type: 'postgres', ...(f.url.trim() ? { url: f.url.trim() } : {}), ...(f.dataDir.trim() ? { dataDir: f.dataDir.trim() } : {}), filestore: f.filestore && f.format === 'zip' };
  return {
    db: f.db.trim(),
    source,
    to: f.to,
    format: f.format,
    layout: f.format === 'dump' && f.layout === 'odoo-backup-sh' ? 'odoo-manager' : f.layout,
    rotate: f.rotate,
    ...(f.encrypt ? { encrypt: { passphrase: f.passphrase } } : {}),
    ...(f.attachments && canIncludeObjects(f) ? { attachments: 'include' as const } : {}),
  };
}

/** The "Back up now" dialog. */
export function BackupDialog({ storages, from, onClose }: BackupDialogProps) {
  const api = useApi();
  const id = { db: useId(), url: useId(), dir: useId(), inst: useId(), fmt: useId(), layout: useId() };
  const [f, setF] = useState<Form>({ db: from?.db ?? '', sourceType: from ? 'odoo' : 'postgres', url: '', dataDir: '', filestore: true, instance: from?.instance ?? '', to: storages.length === 1 ? [...storages] : [], format: 'zip', layout: 'odoo-backup-sh', encrypt: false, rotate: false, passphrase: '', passphraseAgain: '', attachments: false });
  const [jobId, setJobId] = useState<string | undefined>(undefined);
  const [startErr, setStartErr] = useState<ApiError | undefined>(undefined);
  const { job, rate } = useJob(jobId);
  const set = (patch: Partial<Form>): void => setF((x) => ({ ...x, ...patch }));
  const valid = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(f.db.trim()) && f.to.length > 0 && (!f.encrypt || (f.passphrase !== '' && f.passphrase === f.passphraseAgain)) && (f.sourceType === 'postgres' || f.instance.trim() !== '');

  const start = (): void => {
    setStartErr(undefined);
    api['backup:start'](requestOf(f)).then(
      (r) => setJobId(r.jobId),
      (e: unknown) => setStartErr(toApiError(e)),
    );
  };

  const running = job?.state === 'running' || (jobId !== undefined && !job);
  const done = job && job.state !== 'running' ? job : undefined;
  return (
    <Modal title="Back up now" onClose={onClose} locked={running} wide>
      {!jobId ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            start();
          }}
        >
          <Field label="Database" htmlFor={id.db}>
            <input id={id.db} type="text" value={f.db} spellCheck={false} onChange={(e) => set({ db: e.target.value })} />
          </Field>
          <fieldset>
            <legend>From</legend>
            <label className="choice">
              <input type="radio" name="source" checked={f.sourceType === 'postgres'} onChange={() => set({ sourceType: 'postgres' })} />
              <span>A PostgreSQL server and the Odoo filestore this machine can reach</span>
            </label>
            <label className="choice">
              <input type="radio" name="source" checked={f.sourceType === 'odoo'} onChange={() => set({ sourceType: 'odoo' })} />
              <span>A running Odoo, through its database manager</span>
            </label>
          </fieldset>
          {f.sourceType === 'postgres' ? (
            <>
              <Field label="PostgreSQL server" htmlFor={id.url} help="postgres://USER@HOST:PORT/ without a password (PGPASSWORD or ~/.pgpass); empty for the usual environment.">
                <input id={id.url} type="text" value={f.url} spellCheck={false} onChange={(e) => set({ url: e.target.value })} />
              </Field>
              <Field label="Odoo data dir" htmlFor={id.dir} help="The filestore is DATA_DIR/filestore/DATABASE; empty for Odoo's default.">
                <input id={id.dir} type="text" value={f.dataDir} spellCheck={false} onChange={(e) => set({ dataDir: e.target.value })} />
              </Field>
              <label className="choice">
                <input type="checkbox" checked={f.filestore && f.format === 'zip'} disabled={f.format === 'dump'} onChange={(e) => set({ filestore: e.target.checked })} />
                <span>{f.format === 'dump' ? 'Include the filestore (a pg_dump file holds the database only)' : 'Include the filestore'}</span>
              </label>
              {canIncludeObjects(f) ? (
                <label className="choice">
                  <input type="checkbox" checked={f.attachments} onChange={(e) => set({ attachments: e.target.checked })} />
                  <span>Include the attachments kept in S3/Swift (each object copied into the backup, SHA-1 checked, so it restores without the bucket; read with the storage whose bucket or container matches)</span>
                </label>
              ) : null}
            </>
          ) : (
            <Field label="Odoo instance" htmlFor={id.inst} help="An Odoo server added under Odoo instances.">
              <input id={id.inst} type="text" value={f.instance} onChange={(e) => set({ instance: e.target.value })} />
            </Field>
          )}
          <fieldset>
            <legend>To (all at once)</legend>
            {storages.length === 0 ? <p className="muted">Add a storage first.</p> : null}
            {storages.map((s) => (
              <label key={s} className="choice">
                <input type="checkbox" checked={f.to.includes(s)} onChange={(e) => set({ to: e.target.checked ? [...f.to, s] : f.to.filter((x) => x !== s) })} />
                <span>{s}</span>
              </label>
            ))}
          </fieldset>
          <div className="row">
            <Field label="Format" htmlFor={id.fmt}>
              <select
                id={id.fmt}
                value={f.format}
                onChange={(e) => {
                  const format = e.target.value as Form['format'];
                  // odoo_backup_sh names hold zips only: a dump takes the database manager's names, shown as such.
                  set({ format, ...(format === 'dump' && f.layout === 'odoo-backup-sh' ? { layout: 'odoo-manager' as const } : {}) });
                }}
              >
                <option value="zip">Odoo zip (with filestore)</option>
                <option value="dump">pg_dump custom format</option>
              </select>
            </Field>
            <Field label="Names" htmlFor={id.layout}>
              <select id={id.layout} value={f.layout} onChange={(e) => set({ layout: e.target.value as Form['layout'] })}>
                <option value="odoo-backup-sh" disabled={f.format === 'dump'}>
                  odoo_backup_sh (.zip + .info){f.format === 'dump' ? ' — zip only' : ''}
                </option>
                <option value="odoo-manager">Odoo database manager</option>
                <option value="backup-desk">Backup Desk (folder per database + sidecar)</option>
              </select>
            </Field>
          </div>
          <label className="choice">
            <input type="checkbox" checked={f.rotate} onChange={(e) => set({ rotate: e.target.checked })} />
            <span>Then apply each storage&apos;s rotation policy (Storages → Rotation): older backups it does not keep are deleted</span>
          </label>
          <label className="choice">
            <input type="checkbox" checked={f.encrypt} onChange={(e) => set({ encrypt: e.target.checked })} />
            <span>Encrypt (OpenPGP: gpg decrypts it)</span>
          </label>
          {f.encrypt ? <NewPassphraseFields value={f.passphrase} again={f.passphraseAgain} onChange={set} keepSafe="Without it the backup cannot be restored: keep it somewhere safe." /> : null}
          <ErrorMessage error={startErr} />
          <div className="wizard-nav">
            <button type="button" className="btn" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="btn primary" disabled={!valid}>
              Back up now
            </button>
          </div>
        </form>
      ) : done ? (
        <BackupOutcome state={done.state} result={done.result as BackupResultDto | undefined} error={done.error} onClose={onClose} onBack={() => setJobId(undefined)} />
      ) : (
        <JobProgressPanel
          heading={job?.progress?.label ?? 'Starting…'}
          progress={job?.progress}
          rate={rate}
          barLabel="Backup progress"
          doneLabel="Written"
          testIdPrefix="bk"
          cancelLabel="Cancel backup"
          jobId={jobId}
        />
      )}
    </Modal>
  );
}

/** What the rotation did on one storage, in a line. */
function rotationLine(r: NonNullable<BackupResultDto['rotation']>[number]): string {
  if (!r.policy) return `${r.storage}: no rotation policy, nothing deleted`;
  const failed = r.failed.length ? `; ${countOf(r.failed.length, 'deletion')} failed (${r.failed[0]!.error})` : '';
  return `${r.storage}: kept ${r.kept}, deleted ${countOf(r.deleted.length, 'older backup')} (${formatBytes(r.bytes)})${failed}`;
}

/** What including the attachments kept in S3/Swift did, in a line. */
function objectsLine(a: NonNullable<BackupResultDto['attachments']>): string {
  const missed = a.problems.length ? `; ${countOf(a.problems.length, 'object')} could not be included (${a.problems[0]!.message})` : '';
  return `${a.included} of ${countOf(a.total, 'object')} included (${formatBytes(a.bytes)})${missed}`;
}

/** How many of its storages a backup did not reach. */
const missed = (r: BackupResultDto): number => r.destinations.filter((d) => !d.ok).length;

/** A backup's end: what was written where, or why not; after a failure or cancel, Back returns to the form as it was filled in. */
function BackupOutcome({ state, result, error, onClose, onBack }: { state: string; result: BackupResultDto | undefined; error: ApiError | undefined; onClose: () => void; onBack: () => void }) {
  return (
    <div className="result" aria-live="polite">
      {state === 'succeeded' && result ? (
        <>
          <ResultIcon state={missed(result) ? 'partial' : 'succeeded'} />
          <h3>{missed(result) ? `Backed up ${result.db} to ${result.destinations.length - missed(result)} of ${result.destinations.length} storages` : `Backed up ${result.db}`}</h3>
          <dl className="facts">
            <dt>Written to</dt>
            <dd>
              <ul className="checks">
                {result.destinations.map((d) => (
                  <li key={d.storage} className={d.ok ? 'ok' : 'bad'}>
                    {d.ok ? d.ref : `${d.storage}: ${d.error?.message ?? 'failed'}`}
                  </li>
                ))}
              </ul>
            </dd>
            <dt>Size</dt>
            <dd>{formatBytes(result.size)}</dd>
            <dt>SHA-256</dt>
            <dd className="mono wrap">{result.sha256}</dd>
            <dt>Verification</dt>
            <dd data-testid="bk-verification">{result.verification.message}</dd>
            {result.attachments ? (
              <>
                <dt>Attachments in S3/Swift</dt>
                <dd data-testid="bk-attachments">{objectsLine(result.attachments)}</dd>
              </>
            ) : null}
            {result.rotation ? (
              <>
                <dt>Rotation</dt>
                <dd data-testid="bk-rotation">
                  {result.rotation.map((r) => (
                    <span key={r.storage} className="block">
                      {rotationLine(r)}
                    </span>
                  ))}
                </dd>
              </>
            ) : null}
          </dl>
          {result.warnings.map((w) => (
            <p key={w} className="warning">
              {w}
            </p>
          ))}
        </>
      ) : (
        <>
          <ResultIcon state={state === 'cancelled' ? 'cancelled' : 'failed'} />
          <h3>{state === 'cancelled' ? 'Backup cancelled' : 'The backup failed'}</h3>
          <p className="muted">Nothing half-written was left on any storage.</p>
          <ErrorMessage error={error} />
        </>
      )}
      <div className="wizard-nav">
        {state === 'succeeded' ? null : (
          <button type="button" className="btn" onClick={onBack}>
            Back to the form
          </button>
        )}
        <button type="button" className="btn primary" onClick={onClose}>
          Close
        </button>
      </div>
    </div>
  );
}
