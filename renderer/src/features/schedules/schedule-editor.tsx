/** Add or edit a scheduled job, with the spec read back live: its words and its next runs. */
import { useEffect, useId, useState } from 'react';
import type { ApiError } from '../../../../shared/contract/api';
import { newScheduleNameSchema, type ScheduledBackup, type SchedulePreview, type ScheduleStatus, type ScheduledWork } from '../../../../shared/contract/schedules';
import { toApiError } from '../../api';
import { useApi } from '../../app/api-context';
import { countOf, formatLocal } from '../../components/format';
import { NewPassphraseFields } from '../../components/passphrase';
import { ErrorMessage, Field, Modal } from '../../components/ui';
import { RotationField, rotatesByDefault, useRotationPolicies } from './rotation-field';

/** The zone this browser/machine is in. */
const LOCAL_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

interface Draft {
  name: string;
  kind: 'backup' | 'drill';
  db: string;
  source: string;
  dataDir: string;
  to: string[];
  storage: string;
  every: string;
  tz: string;
  drillEvery: string;
  /** Also copy the attachments kept in S3/Swift into each backup. */
  attachments: boolean;
  attachmentsStorage: string;
  /** Apply each destination's rotation policy after the backup; undefined (a new job, not chosen yet): as its storages' policies say. */
  rotate: boolean | undefined;
  format: 'zip' | 'dump';
  /** Empty: the format's default. */
  layout: '' | BackupLayout;
  filestore: boolean;
  /** Encrypted with a passphrase kept in the keychain for this job. */
  encrypt: boolean;
  /** A new passphrase (empty: keep the one in the keychain), typed twice. */
  passphrase: string;
  passphraseAgain: string;
}

type BackupLayout = NonNullable<ScheduledBackup['layout']>;

function draftOf(job: ScheduleStatus | undefined): Draft {
  const w = job?.work;
  return {
    name: job?.name ?? '',
    kind: w?.kind ?? 'backup',
    db: w?.db ?? '',
    source: w?.kind === 'backup' ? w.source : '',
    dataDir: w?.kind === 'backup' ? (w.dataDir ?? '') : '',
    to: w?.kind === 'backup' ? w.to : [],
    storage: w?.kind === 'drill' ? w.storage : '',
    every: job?.every ?? 'daily',
    tz: job?.tz ?? LOCAL_ZONE,
    drillEvery: w?.kind === 'backup' && w.drillEvery ? String(w.drillEvery) : '',
    attachments: w?.kind === 'backup' && w.attachments === 'include',
    attachmentsStorage: w?.kind === 'backup' ? (w.attachmentsStorage ?? '') : '',
    rotate: w === undefined ? undefined : w.kind === 'backup' && w.rotate === true,
    format: w?.kind === 'backup' ? w.format : 'zip',
    layout: w?.kind === 'backup' ? (w.layout ?? '') : '',
    filestore: !(w?.kind === 'backup' && w.noFilestore),
    encrypt: w?.kind === 'backup' && w.encrypt?.passphrase === true,
    passphrase: '',
    passphraseAgain: '',
  };
}

/** The encryption of the saved job: a passphrase as ticked, public keys (set with the CLI) kept. */
function encryptOf(d: Draft, prev: ScheduledBackup['encrypt']): ScheduledBackup['encrypt'] {
  const recipients = prev?.recipients?.length ? { recipients: prev.recipients } : {};
  return d.encrypt || prev?.recipients?.length ? { ...(d.encrypt ? { passphrase: true } : {}), ...recipients } : undefined;
}

function workOf(d: Draft, previous: ScheduleStatus | undefined): ScheduledWork {
  if (d.kind === 'drill') return { kind: 'drill', storage: d.storage.trim(), db: d.db.trim() };
  // What the dialog edits comes from the draft only (a field emptied there is dropped); the rest (set with the CLI) is kept.
  const { attachments: _a, attachmentsStorage: _s, layout: _l, noFilestore: _n, dataDir: _d, drillEvery: _e, rotate: _r, encrypt: prevEncrypt, ...prev } =
    previous?.work.kind === 'backup' ? previous.work : { encrypt: undefined };
  const drillEvery = Number(d.drillEvery);
  const encrypt = encryptOf(d, prevEncrypt);
  return {
    ...prev,
    kind: 'backup',
    db: d.db.trim(),
    source: d.source.trim(),
    to: d.to,
    format: d.format,
    ...(d.layout ? { layout: d.layout } : {}),
    ...(d.format === 'zip' && !d.filestore ? { noFilestore: true } : {}),
    ...(encrypt ? { encrypt } : {}),
    ...(d.dataDir.trim() ? { dataDir: d.dataDir.trim() } : {}),
    ...(Number.isInteger(drillEvery) && drillEvery > 0 ? { drillEvery } : {}),
    ...(d.attachments ? { attachments: 'include' as const } : {}),
    ...(d.attachments && d.attachmentsStorage.trim() ? { attachmentsStorage: d.attachmentsStorage.trim() } : {}),
    ...(d.rotate ? { rotate: true } : {}),
  };
}

/** The configured storages' names (empty until listed). */
function useStorageNames(): string[] {
  const api = useApi();
  const [names, setNames] = useState<string[]>([]);
  useEffect(() => {
    api['storages:list']({}).then((l) => setNames(l.map((x) => x.name)), () => setNames([]));
  }, [api]);
  return names;
}

/** What a backup job has that this dialog does not edit (set with the CLI), kept as it is on Save. */
export function cliOnlySettings(w: ScheduledWork | undefined): string[] {
  if (w?.kind !== 'backup') return [];
  return [
    ...(w.encrypt?.recipients?.length ? [`encrypted to ${countOf(w.encrypt.recipients.length, 'public key')}`] : []),
    ...(w.cold ? ['Odoo stopped during the backup'] : []),
  ];
}

/** The live reading of a spec while it is typed (debounced). */
function usePreview(every: string, tz: string): SchedulePreview | undefined {
  const api = useApi();
  const [preview, setPreview] = useState<SchedulePreview | undefined>(undefined);
  useEffect(() => {
    let live = true;
    const t = setTimeout(() => {
      api['schedules:preview']({ every, tz, count: 5 }).then(
        (p) => live && setPreview(p),
        (e: unknown) => live && setPreview({ ok: false, runs: [], error: toApiError(e).message }),
      );
    }, 200);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [api, every, tz]);
  return preview;
}

/** The preview box under the spec field. */
function PreviewBox({ preview, utc }: { preview: SchedulePreview | undefined; utc: boolean }) {
  if (!preview) return <p className="muted small">Reading the schedule…</p>;
  if (!preview.ok) return <p className="error-text small" role="alert">{preview.error}</p>;
  return (
    <div className="schedule-preview" aria-live="polite">
      <p>
        <strong>{preview.description}</strong>
      </p>
      {preview.normalized ? <p className="small muted">Normalized: <code>{preview.normalized}</code></p> : null}
      {preview.runs.length === 0 ? <p className="small">It never runs again.</p> : null}
      {preview.runs.length > 0 && !utc ? <p className="small muted">Next runs, in this computer&apos;s time:</p> : null}
      <ol className="small" aria-label="Next runs">
        {preview.runs.map((r) => (
          <li key={r}>{formatLocal(r, utc)}</li>
        ))}
      </ol>
    </div>
  );
}

/** True when the encryption part of the draft can be saved: a new passphrase typed twice alike, or the kept one. */
function passphraseReady(d: Draft, job: ScheduleStatus | undefined): boolean {
  if (d.kind !== 'backup' || !d.encrypt) return true;
  const kept = job?.work.kind === 'backup' && job.work.encrypt?.passphrase === true;
  if (d.passphrase === '' && d.passphraseAgain === '') return kept;
  return d.passphrase !== '' && d.passphrase === d.passphraseAgain;
}

/** Format, names on the storage, filestore and encryption of a scheduled backup. */
function ArchiveFields({ d, set, keptPassphrase }: { d: Draft; set: (patch: Partial<Draft>) => void; keptPassphrase: boolean }) {
  const id = useId();
  return (
    <>
      <div className="row">
        <Field label="Format" htmlFor={`${id}-fmt`}>
          <select id={`${id}-fmt`} value={d.format} onChange={(e) => { const format = e.target.value as Draft['format']; set({ format, ...(format === 'dump' && d.layout === 'odoo-backup-sh' ? { layout: '' } : {}) }); }}>
            <option value="zip">Odoo zip (with filestore)</option>
            <option value="dump">pg_dump custom format (database only)</option>
          </select>
        </Field>
        <Field label="Names" htmlFor={`${id}-layout`}>
          <select id={`${id}-layout`} value={d.layout} onChange={(e) => set({ layout: e.target.value as Draft['layout'] })}>
            <option value="">{d.format === 'zip' ? 'Default: odoo_backup_sh (.zip + .info)' : 'Default: Odoo database manager'}</option>
            {d.format === 'zip' ? <option value="odoo-backup-sh">odoo_backup_sh (.zip + .info)</option> : null}
            <option value="odoo-manager">Odoo database manager</option>
            <option value="backup-desk">Backup Desk (folder per database + sidecar)</option>
          </select>
        </Field>
      </div>
      {d.format === 'zip' ? (
        <label className="choice">
          <input type="checkbox" checked={d.filestore} onChange={(e) => set({ filestore: e.target.checked })} />
          <span>Include the filestore</span>
        </label>
      ) : null}
      <label className="choice">
        <input type="checkbox" checked={d.encrypt} onChange={(e) => set({ encrypt: e.target.checked })} />
        <span>Encrypt with a passphrase (OpenPGP; stored for this job with the app's other secrets)</span>
      </label>
      {d.encrypt ? (
        <NewPassphraseFields
          value={d.passphrase}
          again={d.passphraseAgain}
          onChange={set}
          help={keptPassphrase ? 'Leave both empty to keep the stored passphrase.' : undefined}
          keepSafe="Without it the backups cannot be restored: keep it somewhere safe."
        />
      ) : null}
    </>
  );
}

/** After a save whose source looked wrong: the job is saved, and here is what will make it fail. */
function SavedWithWarnings({ name, warnings, onClose }: { name: string; warnings: string[]; onClose: () => void }) {
  return (
    <Modal title={`${name} is saved`} onClose={onClose}>
      <p role="status">The job is saved and will run at its time, but:</p>
      {warnings.map((w) => (
        <p key={w} className="warning" data-testid="schedule-warning">
          {w}
        </p>
      ))}
      <div className="dialog-actions">
        <button type="button" className="btn primary" onClick={onClose} autoFocus>
          Done
        </button>
      </div>
    </Modal>
  );
}

/** The form that adds or edits a scheduled job. */
export function ScheduleEditor({ job, utc, onClose, onSaved }: { job?: ScheduleStatus | undefined; utc: boolean; onClose: () => void; onSaved: () => void }) {
  const api = useApi();
  const id = useId();
  const [d, setD] = useState<Draft>(() => draftOf(job));
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [saving, setSaving] = useState(false);
  const [savedWarnings, setSavedWarnings] = useState<string[] | undefined>(undefined);
  const preview = usePreview(d.every, d.tz);
  const storages = useStorageNames();
  const policies = useRotationPolicies(storages);
  const rotate = d.rotate ?? rotatesByDefault(d.to, policies);
  // Checked as typed, under the field: the core's own check names the method, not the field.
  const nameError = d.name.trim() === '' || job !== undefined ? undefined : nameProblem(d.name.trim());
  const drillError = d.kind === 'backup' && d.drillEvery.trim() !== '' && !/^[1-9][0-9]*$/.test(d.drillEvery.trim()) ? 'A whole number of backups, 1 or more (empty: no automatic drills).' : undefined;
  const kept = cliOnlySettings(job?.work);
  const set = (patch: Partial<Draft>) => setD({ ...d, ...patch });
  const save = () => {
    setSaving(true);
    setError(undefined);
    const passphrase = d.kind === 'backup' && d.encrypt && d.passphrase !== '' ? { passphrase: d.passphrase } : {};
    api['schedules:save']({ name: d.name.trim(), work: workOf({ ...d, rotate }, job), every: d.every, tz: d.tz.trim() || LOCAL_ZONE, replace: job !== undefined, ...passphrase }).then(
      (saved) => (saved.warnings?.length ? setSavedWarnings(saved.warnings) : onSaved()),
      (e: unknown) => {
        setSaving(false);
        setError(toApiError(e));
      },
    );
  };
  if (savedWarnings) return <SavedWithWarnings name={d.name.trim()} warnings={savedWarnings} onClose={onSaved} />;
  return (
    <Modal title={job ? `Edit ${job.name}` : 'New scheduled job'} onClose={onClose} wide>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          save();
        }}
      >
        <Field label="Name" htmlFor={`${id}-name`} error={nameError}>
          <input id={`${id}-name`} value={d.name} disabled={job !== undefined} onChange={(e) => set({ name: e.target.value })} required aria-invalid={nameError !== undefined} aria-describedby={nameError ? `${id}-name-error` : undefined} />
        </Field>
        <Field label="What" htmlFor={`${id}-kind`}>
          <select id={`${id}-kind`} value={d.kind} onChange={(e) => set({ kind: e.target.value as Draft['kind'] })}>
            <option value="backup">Back up a database</option>
            <option value="drill">Restore drill (restore the newest backup privately and check it)</option>
          </select>
        </Field>
        <Field label="Database" htmlFor={`${id}-db`}>
          <input id={`${id}-db`} value={d.db} onChange={(e) => set({ db: e.target.value })} required />
        </Field>
        {d.kind === 'backup' ? (
          <>
            <Field label="Source" help="postgres://USER@HOST:PORT/ (password in ~/.pgpass), or odoo:INSTANCE" htmlFor={`${id}-source`}>
              <input id={`${id}-source`} value={d.source} onChange={(e) => set({ source: e.target.value })} required />
            </Field>
            <Field label="Odoo data dir" help="the filestore is in DIR/filestore/DB (empty: Odoo's default)" htmlFor={`${id}-data`}>
              <input id={`${id}-data`} value={d.dataDir} onChange={(e) => set({ dataDir: e.target.value })} />
            </Field>
            <fieldset>
              <legend>Storages (all at once)</legend>
              {storages.length === 0 ? <p className="muted">Add a storage first.</p> : null}
              {[...new Set([...storages, ...d.to])].map((n) => (
                <label key={n} className="choice">
                  <input type="checkbox" checked={d.to.includes(n)} onChange={(e) => set({ to: e.target.checked ? [...d.to, n] : d.to.filter((x) => x !== n) })} />
                  <span>
                    {n}
                    {storages.includes(n) ? '' : ' (no longer configured)'}
                  </span>
                </label>
              ))}
            </fieldset>
            <ArchiveFields d={d} set={set} keptPassphrase={job?.work.kind === 'backup' && job.work.encrypt?.passphrase === true} />
            <RotationField id={`${id}-rotate`} checked={rotate} onChange={(r) => set({ rotate: r })} to={d.to} policies={policies} />
            <Field label="Attachments in S3/Swift" help="copy every object the database keeps in a bucket or container into each backup (SHA-1 checked), so it restores without the bucket" htmlFor={`${id}-attach`}>
              <label className="choice">
                <input id={`${id}-attach`} type="checkbox" checked={d.attachments} onChange={(e) => set({ attachments: e.target.checked })} />
                <span>Include them in each backup</span>
              </label>
            </Field>
            {d.attachments ? (
              <Field label="Storage for the attachments" help="the configured storage whose credentials read the bucket/container (empty: the one whose bucket/container matches)" htmlFor={`${id}-attach-storage`}>
                <input id={`${id}-attach-storage`} value={d.attachmentsStorage} onChange={(e) => set({ attachmentsStorage: e.target.value })} />
              </Field>
            ) : null}
            <Field label="Restore drill after every Nth backup" help="empty: no automatic drills" htmlFor={`${id}-drill`} error={drillError}>
              <input id={`${id}-drill`} inputMode="numeric" value={d.drillEvery} onChange={(e) => set({ drillEvery: e.target.value })} aria-invalid={drillError !== undefined} aria-describedby={drillError ? `${id}-drill-error` : undefined} />
            </Field>
          </>
        ) : (
          <Field label="Storage" help="where the backups are" htmlFor={`${id}-storage`}>
            <select id={`${id}-storage`} value={d.storage} onChange={(e) => set({ storage: e.target.value })} required>
              <option value="">Choose a storage…</option>
              {[...new Set([...storages, ...(d.storage ? [d.storage] : [])])].map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </Field>
        )}
        <Field label="When" help='a calendar event ("Mon..Fri 02:00", "*:0/15", "daily") or a cron expression ("0 2 * * *")' htmlFor={`${id}-every`}>
          <input id={`${id}-every`} value={d.every} onChange={(e) => set({ every: e.target.value })} required />
        </Field>
        <Field label="Time zone" htmlFor={`${id}-tz`}>
          <input id={`${id}-tz`} value={d.tz} onChange={(e) => set({ tz: e.target.value })} />
        </Field>
        <PreviewBox preview={preview} utc={utc} />
        {kept.length ? (
          <p className="muted small" data-testid="cli-settings">
            Also, as set with the CLI and kept on Save: {kept.join('; ')}.
          </p>
        ) : null}
        <ErrorMessage error={error} />
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn primary" disabled={saving || nameError !== undefined || drillError !== undefined || preview?.ok === false || (preview?.ok === true && preview.runs.length === 0) || (d.kind === 'backup' && d.to.length === 0) || !passphraseReady(d, job)}>
            {saving ? 'Saving…' : 'Save'}
          </button>
        </div>
      </form>
    </Modal>
  );
}

/** Why a job name cannot be saved, in the editor's words; undefined when it can. */
function nameProblem(name: string): string | undefined {
  const r = newScheduleNameSchema.safeParse(name);
  if (r.success) return undefined;
  return name.endsWith('.drill') ? r.error.issues[0]?.message : 'Use letters, digits, "_", "." or "-", starting with a letter or digit (at most 64).';
}
