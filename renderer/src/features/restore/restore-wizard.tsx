/**
 * The restore wizard: backup → target → database name → options → summary → progress → result.
 * The name is checked live against Odoo's rule and, on the chosen server, for existing databases.
 */
import { useEffect, useId, useMemo, useRef, useState } from 'react';
import { DBNAME_PATTERN, PG_URL_PREFIX, type ApiError, type ApiResult, type RestoreTargetSpec } from '../../../../shared/contract/api';
import { toApiError } from '../../api';
import { useApi, useJob } from '../../app/api-context';
import { formatBackupTime, formatBytes, formatDuration } from '../../components/format';
import { ErrorMessage, Field, Modal, ProgressBar, RememberPassphrase, ResultIcon } from '../../components/ui';
import { PassphraseField, PrivateKeyField, passphraseMissing, privateKeyArg, usePassphraseRemembered, type LoadedPrivateKey } from '../../components/passphrase';
import { CancelButton } from '../../components/job-panels';

/** The backup to restore: a catalog entry or a local file. */
export interface RestoreSource {
  /** A catalog ref or a local path. */
  readonly source: string;
  readonly label: string;
  readonly database?: string | undefined;
  readonly encrypted: boolean;
  /** The storage of a catalog ref (undefined for a local path): where a passphrase can be remembered. */
  readonly storage?: string | undefined;
  readonly format?: string | undefined;
  readonly size?: number | undefined;
  readonly createdAt?: string | undefined;
  /** True when `createdAt` is the server's own clock, as the backup's name gives it (OCA, Yenthe auto_backup). */
  readonly timeIsLocal?: boolean | undefined;
  /** False when inspect found attachments kept in object storage (S3/Swift) that the backup does not hold. */
  readonly selfContained?: boolean | undefined;
  /** The backup's Odoo version when the catalog (or an inspect) knows it. */
  readonly odooVersion?: string | undefined;
}

type AttachmentsChoice = 'bring-home' | 'keep-remote' | 'skip';
const ATTACHMENT_CHOICES: ReadonlyArray<{ id: AttachmentsChoice; title: string; help: string; summary: string }> = [
  { id: 'bring-home', title: 'Bring them home (recommended)', help: 'Downloads every object from its bucket or container into the new filestore and checks it: the copy is a plain Odoo database that never touches production’s storage. Needs a storage here that reaches them.', summary: 'Brought home into the filestore' },
  { id: 'keep-remote', title: 'Keep reading them from production, read-only', help: 'The copy reads production’s bucket with its Odoo server’s credentials; new attachments go to its own filestore and it is neutralized.', summary: 'Read from production’s storage (read-only)' },
  { id: 'skip', title: 'Restore without them', help: 'Attachments kept in object storage will open empty in the copy.', summary: 'Skipped: they read as empty' },
];

type Step = 'backup' | 'target' | 'name' | 'options' | 'summary' | 'progress';
const STEPS: ReadonlyArray<{ id: Step; label: string }> = [
  { id: 'backup', label: 'Backup' },
  { id: 'target', label: 'Target' },
  { id: 'name', label: 'Name' },
  { id: 'options', label: 'Options' },
  { id: 'summary', label: 'Summary' },
  { id: 'progress', label: 'Restore' },
];

/** Why `name` is not a valid Odoo database name, or undefined when it is. */
export function dbNameProblem(name: string): string | undefined {
  if (name === '') return 'Enter a name for the new database.';
  if (name.length < 2) return 'Use at least 2 characters.';
  if (name.length > 63) return 'PostgreSQL database names have at most 63 characters.';
  if (!/^[a-zA-Z0-9]/.test(name)) return 'Start with a letter or a digit.';
  if (!DBNAME_PATTERN.test(name)) {
    const bad = [...new Set(name.replace(/[a-zA-Z0-9_.-]/g, ''))].map((c) => (c === ' ' ? 'spaces' : `“${c}”`)).join(', ');
    return `Only letters, digits, “_”, “.” and “-” are allowed (not ${bad}).`;
  }
  return undefined;
}

type Detected = ApiResult<'targets:detect'>[number];
type NameCheck = { state: 'idle' } | { state: 'checking' } | { state: 'done'; exists: boolean; message?: string | undefined } | { state: 'error'; error: ApiError };

/** A target chosen before the wizard opens ("Restore a backup here" on the Odoo instances screen). */
export interface RestorePreset {
  /** The Odoo instance to restore into (the `odoo:NAME` target). */
  readonly instance: string;
  /** An existing database to replace: the name is preset and "replace" ticked; its typed confirmation is still asked. */
  readonly replaceDb?: string | undefined;
}

/** Props of the wizard. */
export interface RestoreWizardProps {
  readonly initial: RestoreSource;
  /** Opens at the name step with this target (and database to replace) chosen. */
  readonly preset?: RestorePreset | undefined;
  readonly onClose: () => void;
  /** Called when a restore finished successfully. */
  readonly onRestored?: (db: string) => void;
}

/** The restore wizard in a modal. */
export function RestoreWizard({ initial, preset, onClose, onRestored }: RestoreWizardProps) {
  const api = useApi();
  const ids = { name: useId(), url: useId(), dataDir: useId(), pass: useId(), confirm: useId(), remember: useId(), owner: useId(), asIs: useId() };
  const [step, setStep] = useState<Step>(preset ? 'name' : 'target');
  const [targets, setTargets] = useState<Detected[] | undefined>(undefined);
  const [targetErr, setTargetErr] = useState<ApiError | undefined>(undefined);
  const [targetId, setTargetId] = useState<string>(preset ? `odoo:${preset.instance}` : '');
  const [customUrl, setCustomUrl] = useState('');
  const [dataDir, setDataDir] = useState('');
  const [name, setName] = useState(preset?.replaceDb ?? initial.database ?? '');
  const [check, setCheck] = useState<NameCheck>({ state: 'idle' });
  const [mode, setMode] = useState<'copy' | 'move'>('copy');
  // A copy is suggested neutralized (no mail to customers, no scheduled jobs); a move is not.
  const [neutralize, setNeutralize] = useState(true);
  const [filestore, setFilestore] = useState(initial.format !== 'dump');
  const [replace, setReplace] = useState(false);
  const [confirmName, setConfirmName] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [remember, setRemember] = useState(false);
  const [privateKey, setPrivateKey] = useState<LoadedPrivateKey | undefined>(undefined);
  const remoteAttachments = initial.selfContained === false;
  const [attachments, setAttachments] = useState<AttachmentsChoice>('bring-home');
  // Into a running Odoo the backup goes as it is: that, ticked, is the only choice for such attachments.
  const [asIs, setAsIs] = useState(false);
  // A catalog ref (not a local path): its storage may have a remembered passphrase, or remember one.
  const onStorage = initial.storage !== undefined;
  const remembered = usePassphraseRemembered(initial.encrypted ? initial.storage : undefined);
  // The role that will own the database: the local Odoo's (db_user of its odoo.conf) unless changed; empty = the connecting role.
  const [owner, setOwner] = useState('');
  const [ownerTouched, setOwnerTouched] = useState(false);
  const [jobId, setJobId] = useState<string | undefined>(undefined);
  const [startErr, setStartErr] = useState<ApiError | undefined>(undefined);
  const { job, phases } = useJob(jobId);

  useEffect(() => {
    api['targets:detect']({}).then(
      (t) => {
        setTargets(t);
        const odooRole = t.find((x) => x.target.type === 'local-odoo')?.odooRole;
        if (odooRole) setOwner((cur) => cur || odooRole);
        const first = t.find((x) => x.available);
        setTargetId((cur) => cur || (first?.id ?? 'custom'));
      },
      (e: unknown) => {
        setTargetErr(toApiError(e));
        setTargets([]);
        setTargetId('custom');
      },
    );
  }, [api]);

  const target: RestoreTargetSpec | undefined = useMemo(() => {
    const withDir = <T extends RestoreTargetSpec>(t: T): T => (dataDir.trim() && t.type !== 'odoo' ? { ...t, dataDir: dataDir.trim() } : t);
    if (targetId === 'custom') return customUrl.trim() && !urlProblem(customUrl) ? withDir({ type: 'postgres', url: customUrl.trim() }) : undefined;
    const t = targets?.find((x) => x.id === targetId)?.target;
    return t ? withDir(t) : undefined;
  }, [targetId, customUrl, dataDir, targets]);
  const targetLabel = targetId === 'custom' ? `PostgreSQL at ${redactUrl(customUrl)}` : (targets?.find((x) => x.id === targetId)?.label ?? '');

  const problem = dbNameProblem(name);
  // The server refused the name itself; any other failure (unreachable, a login refused) is about the target, not the name.
  const nameRefused = check.state === 'error' && check.error.kind === 'InvalidInput';
  // The owner applies where this app creates the database itself (not the private server, not an Odoo's manager).
  const ownerApplies = target?.type === 'postgres' || target?.type === 'local-odoo';
  const ownerRole = ownerApplies ? owner.trim() : '';

  // Live check of the name on the chosen server (debounced).
  useEffect(() => {
    if (problem || !target) {
      setCheck({ state: 'idle' });
      return;
    }
    setCheck({ state: 'checking' });
    let live = true;
    const t = setTimeout(() => {
      api['restore:check-name']({ db: name, target }).then(
        (r) => live && setCheck(r.valid ? { state: 'done', exists: r.exists, message: r.message } : { state: 'error', error: { kind: 'InvalidInput', message: r.message ?? 'This name is not allowed.' } }),
        (e: unknown) => live && setCheck({ state: 'error', error: toApiError(e) }),
      );
    }, 250);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [api, name, problem, target]);

  const exists = check.state === 'done' && check.exists;
  useEffect(() => {
    if (!exists) {
      setReplace(false);
      setConfirmName('');
    } else if (name === preset?.replaceDb) setReplace(true);
  }, [exists]);

  const nameOk = !problem && check.state === 'done';
  const odooAsIs = remoteAttachments && target?.type === 'odoo';
  const optionsOk = (!odooAsIs || asIs) && (!exists || (replace && confirmName === name)) && (!initial.encrypted || privateKey !== undefined || (!passphraseMissing(initial.storage, remembered, passphrase) && !(remember && passphrase === ''))) && owner.trim().length <= 63;

  const start = (): void => {
    if (!target) return;
    setStartErr(undefined);
    api['restore:start']({
      source: initial.source,
      db: name,
      target,
      mode,
      neutralize,
      replace: exists && replace,
      filestore: filestore || target.type === 'odoo', // an Odoo server restores the whole backup
      ...(remoteAttachments ? { attachments: odooAsIs ? 'skip' : attachments } : {}),
      ...(ownerRole ? { owner: ownerRole } : {}),
      ...(initial.encrypted && passphrase !== '' ? { passphrase, ...(onStorage && remember ? { rememberPassphrase: true } : {}) } : {}),
      ...(initial.encrypted ? privateKeyArg(privateKey) : {}),
    }).then(
      (r) => {
        setJobId(r.jobId);
        setStep('progress');
      },
      (e: unknown) => setStartErr(toApiError(e)),
    );
  };

  useEffect(() => {
    if (job?.state === 'succeeded') onRestored?.(name);
  }, [job?.state]);

  // Each step (and the result) takes the focus on its heading, for keyboard and screen-reader users.
  const body = useRef<HTMLDivElement>(null);
  const firstStep = useRef(true);
  useEffect(() => {
    if (firstStep.current) {
      firstStep.current = false;
      return;
    }
    body.current?.querySelector<HTMLElement>('.wizard-step h3')?.focus();
  }, [step, job?.state]);

  // The dialog focuses its first input before the targets are found: the "Another PostgreSQL
  // server" radio, unchecked. Once they are, the focus moves to the target that is chosen.
  useEffect(() => {
    const focused = document.activeElement;
    if (!(focused instanceof HTMLInputElement) || focused.name !== 'target' || focused.checked) return;
    body.current?.querySelector<HTMLInputElement>('input[name="target"]:checked')?.focus();
  }, [targets, targetId]);

  const stepIndex = STEPS.findIndex((s) => s.id === step);
  const running = step === 'progress' && (!job || job.state === 'running');

  return (
    <Modal title={`Restore ${initial.database ?? initial.label}`} onClose={onClose} locked={running} wide>
      <ol className="stepper" aria-label="Steps">
        {STEPS.map((s, i) => (
          <li key={s.id} className={i === stepIndex ? 'current' : i < stepIndex ? 'done' : ''} aria-current={i === stepIndex ? 'step' : undefined}>
            <span className="step-num">{i < stepIndex ? '✓' : i + 1}</span> {s.label}
          </li>
        ))}
      </ol>
      <div ref={body} className="wizard-body">

      {step === 'backup' ? (
        <section className="wizard-step">
          <h3 tabIndex={-1}>Backup</h3>
          <SourceSummary s={initial} />
          <div className="wizard-nav">
            <button type="button" className="btn" onClick={onClose}>
              Cancel
            </button>
            <button type="button" className="btn primary" onClick={() => setStep('target')}>
              Next
            </button>
          </div>
        </section>
      ) : null}

      {step === 'target' ? (
        <section className="wizard-step">
          <h3 tabIndex={-1}>Where should it go?</h3>
          <SourceSummary s={initial} compact />
          <ErrorMessage error={targetErr} />
          {!targets ? <p role="status">Looking for PostgreSQL on this machine…</p> : null}
          <fieldset className="choices">
            <legend className="sr-only">Restore target</legend>
            {targets?.map((t) => (
              <label key={t.id} className={`choice ${t.available ? '' : 'disabled'}`}>
                <input type="radio" name="target" value={t.id} checked={targetId === t.id} disabled={!t.available} onChange={() => setTargetId(t.id)} />
                <span>
                  <strong>{t.label}</strong>
                  {t.detail ? <span className="muted block">{t.detail}</span> : null}
                  {!t.available ? <span className="muted block">Not available on this machine.</span> : null}
                </span>
              </label>
            ))}
            <label className="choice">
              <input type="radio" name="target" value="custom" checked={targetId === 'custom'} onChange={() => setTargetId('custom')} />
              <span>
                <strong>Another PostgreSQL server</strong>
                <span className="muted block">Give its address as a postgres:// URL.</span>
              </span>
            </label>
          </fieldset>
          {targetId === 'custom' ? (
            <Field label="Server URL" htmlFor={ids.url} help="For example postgres://odoo@db.example.com:5432/postgres. A password is better kept in ~/.pgpass than in the URL." error={urlProblem(customUrl)}>
              <input id={ids.url} type="text" value={customUrl} onChange={(e) => setCustomUrl(e.target.value)} placeholder="postgres://user@host:5432/postgres" />
            </Field>
          ) : null}
          {target?.type === 'odoo' ? (
            <p className="muted">The backup is uploaded to this Odoo server's database manager (decrypted or packed into an Odoo zip on the way); the server keeps the filestore itself.</p>
          ) : (
            <Field label="Odoo data folder (optional)" htmlFor={ids.dataDir} help="The filestore goes to <folder>/filestore/<database name>. Leave empty for Odoo's default on this machine.">
              <input id={ids.dataDir} type="text" value={dataDir} onChange={(e) => setDataDir(e.target.value)} placeholder="~/.local/share/Odoo" />
            </Field>
          )}
          <div className="wizard-nav">
            <button type="button" className="btn" onClick={() => setStep('backup')}>
              Back
            </button>
            <button type="button" className="btn primary" disabled={!target} onClick={() => setStep('name')}>
              Next
            </button>
          </div>
        </section>
      ) : null}

      {step === 'name' ? (
        <section className="wizard-step">
          <h3 tabIndex={-1}>Name of the new database</h3>
          <Field
            label="Database name"
            htmlFor={ids.name}
            help="Letters, digits, “_”, “.” and “-”, starting with a letter or digit (Odoo's rule)."
            error={problem ?? (nameRefused ? check.error.message : undefined)}
          >
            <input
              id={ids.name}
              type="text"
              autoFocus
              spellCheck={false}
              value={name}
              aria-invalid={problem !== undefined || nameRefused}
              aria-describedby={`${ids.name}-help ${ids.name}-status`}
              onChange={(e) => setName(e.target.value.trim())}
            />
          </Field>
          {check.state === 'error' && !nameRefused ? <ErrorMessage error={check.error} /> : null}
          <p id={`${ids.name}-status`} className="name-status" role="status" aria-live="polite">
            {problem ? null : check.state === 'checking' ? (
              'Checking the server…'
            ) : check.state === 'done' ? (
              check.exists ? (
                <span className="warn-text">A database named “{name}” already exists on {targetLabel}. Choose another name, or replace it in the next step.</span>
              ) : (
                <span className="ok-text">✓ “{name}” is free.</span>
              )
            ) : null}
          </p>
          <div className="wizard-nav">
            <button type="button" className="btn" onClick={() => setStep('target')}>
              Back
            </button>
            <button type="button" className="btn primary" disabled={!nameOk} onClick={() => setStep('options')}>
              Next
            </button>
          </div>
        </section>
      ) : null}

      {step === 'options' ? (
        <section className="wizard-step">
          <h3 tabIndex={-1}>Options</h3>
          <fieldset className="choices">
            <legend>Is this database a copy, or did it move here?</legend>
            <label className="choice">
              <input type="radio" name="mode" checked={mode === 'copy'} onChange={() => {
                  setMode('copy');
                  setNeutralize(true);
                }} />
              <span>
                <strong>It's a copy</strong> (recommended)
                <span className="muted block">Gives the database a new identity, so it doesn't clash with the original (for example with its subscription or with mail sent to it).</span>
              </span>
            </label>
            <label className="choice">
              <input type="radio" name="mode" checked={mode === 'move'} onChange={() => {
                  setMode('move');
                  setNeutralize(false);
                }} />
              <span>
                <strong>It moved here</strong>
                <span className="muted block">Keeps its identity. Choose this only when the original will no longer be used.</span>
              </span>
            </label>
          </fieldset>
          <label className="choice">
            <input type="checkbox" checked={neutralize} onChange={(e) => setNeutralize(e.target.checked)} />
            <span>
              <strong>Make it safe for testing (neutralize)</strong>{mode === 'copy' ? ' (suggested for a copy)' : ''}
              <span className="muted block">Switches off outgoing mail servers, scheduled actions and backup schedules in the copy, so it cannot e-mail customers or run jobs.</span>
            </span>
          </label>
          {target?.type === 'odoo' ? null : initial.format === 'dump' ? (
            // A custom-format dump holds the database only: nothing to choose, and the consequence said before the restore.
            <p className="warning" data-testid="dump-no-filestore">
              This backup is a PostgreSQL dump: it holds the database only. Attachments kept in the filestore will be missing unless you copy that filestore to the new database’s folder yourself.
            </p>
          ) : (
            <label className="choice">
              <input type="checkbox" checked={!filestore} onChange={(e) => setFilestore(!e.target.checked)} />
              <span>
                <strong>Database only</strong>
                <span className="muted block">Skip the filestore: attachments and images will be missing.</span>
              </span>
            </label>
          )}
          {ownerApplies ? (
            <OwnerField
              id={ids.owner}
              value={owner}
              onChange={(v) => {
                setOwner(v);
                setOwnerTouched(true);
              }}
              detected={!ownerTouched && owner !== ''}
            />
          ) : null}
          {odooAsIs ? (
            <AttachmentsAsIs id={ids.asIs} checked={asIs} onChange={setAsIs} />
          ) : remoteAttachments ? (
            <fieldset className="choices warn-box">
              <legend>Some attachments of this backup are not in it: they live in production’s object storage (S3/Swift). What should the copy do with them?</legend>
              {ATTACHMENT_CHOICES.map((c) => (
                <label className="choice" key={c.id}>
                  <input type="radio" name="attachments" checked={attachments === c.id} onChange={() => setAttachments(c.id)} />
                  <span>
                    <strong>{c.title}</strong>
                    <span className="muted block">{c.help}</span>
                  </span>
                </label>
              ))}
            </fieldset>
          ) : null}
          {initial.encrypted ? (
            <PassphraseField id={ids.pass} value={passphrase} onChange={setPassphrase} storage={initial.storage} remembered={remembered} intro="The backup is encrypted. " />
          ) : null}
          {initial.encrypted && onStorage ? (
            <RememberPassphrase id={ids.remember} checked={remember} onChange={setRemember} storage={initial.storage} />
          ) : null}
          {initial.encrypted ? <PrivateKeyField id={ids.pass} value={privateKey} onChange={setPrivateKey} /> : null}
          {exists ? (
            <div className="danger-zone">
              <label className="choice">
                <input type="checkbox" checked={replace} onChange={(e) => setReplace(e.target.checked)} />
                <span>
                  <strong>Replace the existing database “{name}”</strong>
                  <span className="muted block">It is deleted only after the new copy has loaded completely. This cannot be undone.</span>
                </span>
              </label>
              {replace ? (
                <Field label={`Type “${name}” to confirm`} htmlFor={ids.confirm}>
                  <input id={ids.confirm} type="text" autoComplete="off" spellCheck={false} value={confirmName} onChange={(e) => setConfirmName(e.target.value)} />
                </Field>
              ) : (
                <p className="warn-text">To go on, replace it or go back and choose another name.</p>
              )}
            </div>
          ) : null}
          <div className="wizard-nav">
            <button type="button" className="btn" onClick={() => setStep('name')}>
              Back
            </button>
            <button type="button" className="btn primary" disabled={!optionsOk} onClick={() => setStep('summary')}>
              Next
            </button>
          </div>
        </section>
      ) : null}

      {step === 'summary' ? (
        <section className="wizard-step">
          <h3 tabIndex={-1}>Ready to restore</h3>
          <dl className="facts summary">
            <dt>Backup</dt>
            <dd>{initial.label}</dd>
            <dt>Into</dt>
            <dd>{targetLabel}</dd>
            <dt>New database</dt>
            <dd>
              <strong>{name}</strong>
              {exists && replace ? <span className="warn-text"> — replaces the existing one</span> : null}
            </dd>
            <dt>Identity</dt>
            <dd>{mode === 'copy' ? 'A copy with a new identity' : 'Moved: keeps its identity'}</dd>
            <dt>Neutralized</dt>
            <dd>{neutralize ? 'Yes: no mail, no scheduled actions' : 'No'}</dd>
            {target?.type === 'odoo' ? (
              <>
                <dt>Odoo version</dt>
                <dd>{remoteVersionNote(initial)}</dd>
              </>
            ) : (
              <>
                <dt>Filestore</dt>
                <dd>{initial.format === 'dump' ? 'None in this backup (a PostgreSQL dump holds the database only)' : filestore ? `Restored${dataDir ? ` to ${dataDir}/filestore/${name}` : ''}` : 'Skipped (database only)'}</dd>
              </>
            )}
            {ownerApplies ? (
              <>
                <dt>Owner (role)</dt>
                <dd>{ownerRole || 'The role this restore connects as'}</dd>
              </>
            ) : null}
            {remoteAttachments ? (
              <>
                <dt>Attachments in S3/Swift</dt>
                <dd>{odooAsIs ? 'Not in the backup: restored as they are' : ATTACHMENT_CHOICES.find((c) => c.id === attachments)?.summary}</dd>
              </>
            ) : null}
          </dl>
          <ErrorMessage error={startErr} />
          <div className="wizard-nav">
            <button type="button" className="btn" onClick={() => setStep('options')}>
              Back
            </button>
            <button type="button" className="btn primary" onClick={start}>
              Restore now
            </button>
          </div>
        </section>
      ) : null}

      {step === 'progress' ? (
        <RestoreProgress
          job={job}
          phases={phases}
          db={name}
          targetLabel={targetLabel}
          onCancel={() => jobId && void api['jobs:cancel']({ jobId })}
          onClose={onClose}
          onBack={() => {
            setJobId(undefined);
            setStep('options');
          }}
        />
      ) : null}
      </div>
    </Modal>
  );
}

/** What the summary says about versions for a restore into a running Odoo (which does not migrate). */
export function remoteVersionNote(s: RestoreSource): string {
  const compared = "compared with the server's before anything is uploaded (Odoo does not migrate: another version is refused)";
  if (s.odooVersion) return `${s.odooVersion}: ${compared}.`;
  // A plain zip or folder has its manifest read before the upload.
  if (!s.encrypted && (s.format === 'zip' || s.format === 'folder')) return `Read from the backup's manifest and ${compared}.`;
  const why = s.encrypted ? 'the backup is encrypted' : 'a database dump does not record it';
  return `Unknown before the upload (${why}). If the server runs another Odoo version, Odoo restores it anyway — it does not migrate — and the database will not start there.`;
}

/** Into a running Odoo, attachments kept in S3/Swift: what restoring as is means, ticked to go on. */
function AttachmentsAsIs({ id, checked, onChange }: { id: string; checked: boolean; onChange: (v: boolean) => void }) {
  return (
    <fieldset className="choices warn-box">
      <legend>Some attachments of this backup are not in it: they live in production’s object storage (S3/Swift).</legend>
      <p>
        Odoo's database manager restores a backup as it is: it cannot bring them home nor keep them read-only. The copy reads them with its server's own S3/Swift settings — production’s bucket, when it has its keys, and it may then change it — or reads them empty. To bring them home, restore into PostgreSQL instead.
      </p>
      <label htmlFor={id} className="check">
        <input id={id} type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} /> Restore it as it is
      </label>
    </fieldset>
  );
}

/** What Odoo will be told about the owner: the role it connects as, or, left empty, why that matters. */
const OWNER_EMPTY_WARNING =
  'Empty: the database and everything in it will belong to the role this restore connects as. If Odoo connects as another role, it will get “permission denied”: enter the role Odoo connects as (db_user in its odoo.conf).';

/** The owner role of the restored database (default: the local Odoo's role; empty: the connecting role, with a warning). */
function OwnerField({ id, value, onChange, detected }: { id: string; value: string; onChange: (v: string) => void; detected: boolean }) {
  const empty = value.trim() === '';
  const help = empty
    ? undefined
    : `The database and everything in it will belong to this role, the one Odoo connects as${detected ? ' (found in the odoo.conf of the Odoo on this machine)' : ''}. It must exist on the server.`;
  return (
    <Field label="Owner (role)" htmlFor={id} help={help} error={value.trim().length > 63 ? 'PostgreSQL role names have at most 63 characters.' : undefined}>
      <input id={id} type="text" spellCheck={false} autoComplete="off" value={value} onChange={(e) => onChange(e.target.value)} placeholder="the role this restore connects as" />
      {empty ? (
        <p className="warn-text" role="note">
          {OWNER_EMPTY_WARNING}
        </p>
      ) : null}
    </Field>
  );
}

function SourceSummary({ s, compact = false }: { s: RestoreSource; compact?: boolean }) {
  return (
    <div className={`source-card ${compact ? 'compact' : ''}`}>
      <strong>{s.label}</strong>
      <span className="muted">
        {[s.database, s.format, s.size !== undefined ? formatBytes(s.size) : undefined, s.createdAt ? formatBackupTime({ createdAt: s.createdAt, timeIsLocal: s.timeIsLocal }) : undefined, s.encrypted ? 'encrypted' : undefined]
          .filter(Boolean)
          .join(' · ')}
      </span>
    </div>
  );
}

/** What is wrong with a typed server URL, if anything (the check of the name would only say it later, as if the name were wrong). */
export function urlProblem(url: string): string | undefined {
  const u = url.trim();
  return u && !PG_URL_PREFIX.test(u) ? 'Give a postgres:// URL, such as postgres://odoo@db.example.com:5432/postgres.' : undefined;
}

/** Known restore phases, in order, with plain labels. */
const PHASES: ReadonlyArray<[string, string]> = [
  ['preflight', 'Checking'],
  ['download', 'Fetching the backup'],
  ['decrypt', 'Decrypting'],
  ['database', 'Loading the database'],
  ['indexes', 'Building indexes and constraints'],
  ['filestore', 'Copying the filestore'],
  ['neutralize', 'Neutralizing'],
  ['upload', 'Uploading to the Odoo server'],
  ['server', 'Odoo is loading the backup'],
  ['finalize', 'Finishing'],
  ['verify', 'Checking the restored database'],
];

function RestoreProgress({
  job,
  phases,
  db,
  targetLabel,
  onCancel,
  onClose,
  onBack,
}: {
  job: ReturnType<typeof useJob>['job'];
  phases: string[];
  db: string;
  targetLabel: string;
  onCancel: () => void;
  onClose: () => void;
  onBack: () => void;
}) {
  const phase = job?.progress?.phase;
  const labels = new Map(PHASES);
  if (job?.progress?.label && phase) labels.set(phase, job.progress.label);

  if (job && job.state !== 'running') {
    const result = (job.result ?? {}) as Record<string, unknown>;
    if (job.state === 'succeeded') {
      return (
        <section className="wizard-step result" aria-live="polite">
          <ResultIcon state="succeeded" />
          <h3 tabIndex={-1}>“{db}” is restored</h3>
          <p>
            The database <strong>{db}</strong> is ready on {targetLabel}.
          </p>
          {Array.isArray(result.warnings) && result.warnings.length ? (
            <ul className="warnings" aria-label="Warnings">
              {result.warnings.map((w) => (
                <li key={String(w)}>{String(w)}</li>
              ))}
              {result.ownerFallback === true ? <li>To give it to Odoo’s role instead, restore again with that role in “Owner (role)”: the db_user of Odoo’s odoo.conf.</li> : null}
              {result.leftoversFound === true ? <li>The leftovers can be removed under Settings → Clean up after interrupted runs.</li> : null}
            </ul>
          ) : null}
          <HowToOpen result={result} />
          <dl className="facts">
            {resultFacts(result).map(([k, v]) => (
              <FragmentFact key={k} k={k} v={v} />
            ))}
          </dl>
          <div className="wizard-nav">
            <button type="button" className="btn primary" onClick={onClose}>
              Done
            </button>
          </div>
        </section>
      );
    }
    const goesOn = odooGoesOn(job);
    return (
      <section className="wizard-step result">
        <ResultIcon state={job.state === 'cancelled' ? 'cancelled' : 'failed'} />
        <h3 tabIndex={-1}>{job.state === 'cancelled' ? 'Restore cancelled' : 'The restore did not complete'}</h3>
        {goesOn ? (
          <p className="warn-text" data-testid="odoo-goes-on">
            {goesOn.message} {goesOn.hint}
          </p>
        ) : null}
        {typeof job.error?.details?.halfBuilt === 'string' && typeof job.error.details.instance === 'string' ? (
          <HalfBuilt instance={job.error.details.instance} db={job.error.details.halfBuilt} stillLoading={goesOn !== undefined} />
        ) : goesOn ? null : (
          <p>Nothing was left half-restored: any existing database “{db}” is untouched.</p>
        )}
        <ErrorMessage error={job.error} />
        <div className="wizard-nav">
          <button type="button" className="btn" onClick={onBack}>
            Back to options
          </button>
          <button type="button" className="btn primary" onClick={onClose}>
            Close
          </button>
        </div>
      </section>
    );
  }

  const p = job?.progress;
  return (
    <section className="wizard-step" aria-live="polite">
      <h3 tabIndex={-1}>Restoring “{db}”…</h3>
      <ol className="phases">
        {phases.map((ph) => (
          <li key={ph} className={ph === phase ? 'current' : 'done'}>
            <span aria-hidden="true">{ph === phase ? '●' : '✓'}</span> {labels.get(ph) ?? ph}
          </li>
        ))}
      </ol>
      <ProgressBar value={p?.done} max={p?.total} label={`Restore progress: ${p ? (labels.get(p.phase) ?? p.phase) : 'starting'}`} />
      <p className="muted" data-testid="restore-amount">
        {p?.message ?? ''}
        {p ? ` ${progressAmount(p)}` : ''}
      </p>
      <div className="wizard-nav">
        <CancelButton label="Cancel restore" onCancel={onCancel} />
      </div>
    </section>
  );
}

/** How far a phase got: "10 MB of 100 MB", "1 of 2", or without a total "12 MB read" / "3 done". */
export function progressAmount(p: { phase?: string; done?: number | undefined; total?: number | undefined; unit?: 'bytes' | 'items' | undefined }): string {
  if (p.done === undefined) return '';
  if (p.unit === 'bytes') return p.total ? `${formatBytes(p.done)} of ${formatBytes(p.total)}` : `${formatBytes(p.done)} read`;
  // Index and key builds come without a total: say what was counted.
  const what = p.phase === 'indexes' ? ' indexes and keys built' : ' done';
  return p.total ? `${p.done} of ${p.total}` : `${p.done}${what}`;
}

/** A cancel that came once Odoo had the whole upload: Odoo may go on restoring (the job's message and hint say so). */
function odooGoesOn(job: ReturnType<typeof useJob>['job']): { message: string; hint: string } | undefined {
  const e = job?.state === 'cancelled' ? job.error : undefined;
  return e?.kind === 'Cancelled' && typeof e.details?.instance === 'string' && e.hint ? { message: e.message, hint: e.hint } : undefined;
}

/** Odoo left a half-built database behind (or, after a cancel, may still be loading it): say so and offer to drop it (typed confirmation). */
function HalfBuilt({ instance, db, stillLoading = false }: { instance: string; db: string; stillLoading?: boolean }) {
  const api = useApi();
  const id = useId();
  const [confirm, setConfirm] = useState('');
  const [state, setState] = useState<'idle' | 'dropping' | 'dropped'>('idle');
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const drop = (): void => {
    setState('dropping');
    api['odoo:drop']({ name: instance, db, confirm }).then(
      () => setState('dropped'),
      (e: unknown) => (setError(toApiError(e)), setState('idle')),
    );
  };
  if (state === 'dropped') return <p>The half-built database “{db}” was dropped from {instance}.</p>;
  return (
    <div className="half-built" role="group" aria-label="Half-built database">
      <p>
        {stillLoading ? (
          <>
            Odoo has started the database <strong>{db}</strong> on {instance} and may still be loading it: drop it here if you do not want it.
          </>
        ) : (
          <>
            Odoo failed half-way and left a half-built database <strong>{db}</strong> on {instance}. Drop it?
          </>
        )}
      </p>
      <Field label={`Type “${db}” to drop it`} htmlFor={id}>
        <input id={id} type="text" value={confirm} onChange={(e) => setConfirm(e.target.value)} autoComplete="off" />
      </Field>
      <ErrorMessage error={error} />
      <button type="button" className="btn danger" disabled={confirm !== db || state === 'dropping'} onClick={drop}>
        Drop “{db}”
      </button>
    </div>
  );
}

const SENT: Record<string, string> = { zip: 'The Odoo zip as it is', dump: 'The dump as it is', 'packed-zip': 'An Odoo zip packed on the way' };

/** Labels and formats for what a restore reports (a format giving undefined hides the fact); unknown keys are shown as they are. */
const RESULT_FACTS: Record<string, [string, (v: unknown) => string | undefined]> = {
  instance: ['Odoo instance', String],
  url: ['Server address', String],
  listed: ['On the server', (v) => (v ? 'Listed among its databases, and answers' : 'Answers, but not listed (a dbfilter may hide it)')],
  sent: ['Sent', (v) => SENT[String(v)] ?? String(v)],
  mode: ['Identity', (v) => (v === 'move' ? 'Moved: keeps its identity' : 'A copy with a new identity')],
  neutralized: ['Neutralized', (v) => (v ? 'Yes: no mail, no scheduled actions' : 'No')],
  replaced: ['Replaced', (v) => (v ? 'The existing database of that name' : undefined)],
  encrypted: ['Encrypted', (v) => (v ? 'Yes: decrypted on the way, its integrity check passed' : undefined)],
  db: ['Database', String],
  database: ['Database', String],
  filestorePath: ['Filestore', String],
  filestoreFiles: ['Filestore files', String],
  tables: ['Tables', String],
  odooVersion: ['Odoo', String],
  format: ['Format', String],
  bytesRead: ['Read', (v) => formatBytes(Number(v))],
  durationMs: ['Took', (v) => formatDuration(Number(v) / 1000)],
  serverVersion: ['Odoo server', String],
  bytesSent: ['Uploaded', (v) => formatBytes(Number(v))],
  uploadSeconds: ['All sent after', (v) => formatDuration(Number(v))],
  serverSeconds: ['Odoo answered (received and loaded it) after', (v) => `${formatDuration(Number(v))} more`],
  owner: ['Owner (role)', String],
  filestoreOwner: ['Filestore owner', String],
};
/** Shown as "how to open it", or flags the result page turns into a line of its own (ownerFallback, leftoversFound): not facts. */
const NOT_FACTS = new Set(['odooUrl', 'psql', 'passphraseNotRemembered', 'target', 'ownerFallback', 'leftoversFound']);

/** How to open a restored database: the local Odoo's URL, a psql line, or how to reach the private PostgreSQL. */
export function HowToOpen({ result }: { result: Record<string, unknown> }) {
  const odooUrl = typeof result.odooUrl === 'string' ? result.odooUrl : undefined;
  const t = result.target as { type?: string; socketDir?: string; port?: number } | undefined;
  const db = String(result.db ?? '');
  const psql = typeof result.psql === 'string' ? result.psql : t?.type === 'embedded' && t.socketDir ? `psql -h ${t.socketDir} -p ${t.port ?? 5432} -U postgres ${db}` : undefined;
  if (!odooUrl && !psql) return null;
  return (
    <div className="how-to-open">
      <h4>How to open it</h4>
      {odooUrl ? (
        <p>
          In Odoo:{' '}
          <a href={odooUrl} target="_blank" rel="noreferrer">
            {odooUrl}
          </a>
        </p>
      ) : null}
      {psql ? (
        <p>
          With psql: <code className="wrap">{psql}</code>
        </p>
      ) : null}
      {t?.type === 'embedded' ? <p className="muted">The private PostgreSQL runs while the app is open (Unix socket only). To run Odoo on it, start Odoo with --db_host {t.socketDir} --db_port {t.port ?? 5432} --db_user postgres.</p> : null}
    </div>
  );
}

/** The result's scalar facts as [label, text], known ones first. */
export function resultFacts(result: Record<string, unknown>): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const seen = new Set<string>();
  for (const [k, v] of Object.entries(result)) {
    if (v === undefined || v === null || typeof v === 'object' || NOT_FACTS.has(k)) continue;
    const known = RESULT_FACTS[k];
    const label = known ? known[0] : k.replace(/([A-Z])/g, ' $1').replace(/^./, (c) => c.toUpperCase());
    const text = known ? known[1](v) : String(v);
    if (seen.has(label) || text === undefined) continue;
    seen.add(label);
    out.push([label, text]);
  }
  return out;
}

function FragmentFact({ k, v }: { k: string; v: string }) {
  const label = k;
  return (
    <>
      <dt>{label}</dt>
      <dd className="wrap">{v}</dd>
    </>
  );
}

/** A postgres URL without its password, for display. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]+):[^@/]*@/, '$1:•••@');
}
