/** Verify one backup without restoring it: passphrase when encrypted, progress, cancel, then what was checked and what is wrong. */
import { useId, useState } from 'react';
import type { ApiError, BackupEntry, VerifyReport } from '../../../../shared/contract/api';
import { toApiError } from '../../api';
import { useApi, useJob } from '../../app/api-context';
import { BackupCard, JobProgressPanel } from '../../components/job-panels';
import { ErrorMessage, Modal, RememberPassphrase, ResultIcon } from '../../components/ui';
import { PassphraseField, PrivateKeyField, passphraseMissing, privateKeyArg, usePassphraseRemembered, type LoadedPrivateKey } from '../../components/passphrase';

/** Props of the dialog. */
export interface VerifyDialogProps {
  readonly entry: BackupEntry;
  readonly onClose: () => void;
}

/** The verify dialog: starts at once for a plain backup, asks for the passphrase of an encrypted one first. */
export function VerifyDialog({ entry, onClose }: VerifyDialogProps) {
  const api = useApi();
  const ids = { pass: useId(), remember: useId() };
  const [passphrase, setPassphrase] = useState('');
  const remembered = usePassphraseRemembered(entry.encrypted ? entry.storage : undefined);
  const [remember, setRemember] = useState(false);
  const [privateKey, setPrivateKey] = useState<LoadedPrivateKey | undefined>(undefined);
  const [jobId, setJobId] = useState<string | undefined>(undefined);
  const [startErr, setStartErr] = useState<ApiError | undefined>(undefined);
  const { job, rate } = useJob(jobId);

  const start = (): void => {
    setStartErr(undefined);
    // An empty passphrase lets the core use the one remembered for the storage.
    const pass = passphrase !== '' ? { passphrase, ...(remember ? { rememberPassphrase: true } : {}) } : {};
    api['backups:verify']({ source: entry.ref, ...pass, ...(entry.encrypted ? privateKeyArg(privateKey) : {}) }).then(
      (r) => setJobId(r.jobId),
      (e: unknown) => setStartErr(toApiError(e)),
    );
  };

  const running = job?.state === 'running' || (jobId !== undefined && !job);
  const done = job && job.state !== 'running' ? job : undefined;
  return (
    <Modal title="Verify backup" onClose={onClose} locked={running}>
      <BackupCard entry={entry} />
      {!jobId ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            start();
          }}
        >
          <p className="muted">
            Reads the whole backup once, without restoring it: every archive member, the database dump to its end, every filestore file against the SHA-1 in its name, and
            whether every file the attachments reference is there. Nothing is written.
          </p>
          {entry.encrypted ? (
            <>
              <PassphraseField id={ids.pass} value={passphrase} onChange={setPassphrase} storage={entry.storage} remembered={remembered} />
              <RememberPassphrase id={ids.remember} checked={remember} onChange={setRemember} storage={entry.storage} />
              <PrivateKeyField id={ids.pass} value={privateKey} onChange={setPrivateKey} />
            </>
          ) : null}
          <ErrorMessage error={startErr} />
          <div className="wizard-nav">
            <button type="button" className="btn" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="btn primary" disabled={(remember && !passphrase) || (entry.encrypted && !privateKey && passphraseMissing(entry.storage, remembered, passphrase))}>
              Verify
            </button>
          </div>
        </form>
      ) : done ? (
        <VerifyResult state={done.state} report={done.result as VerifyReport | undefined} error={done.error} onAgain={() => setJobId(undefined)} onClose={onClose} />
      ) : (
        <JobProgressPanel
          heading={job?.progress?.label ?? 'Starting…'}
          progress={job?.progress}
          rate={rate}
          total={entry.size}
          barLabel="Verify progress"
          doneLabel="Read"
          testIdPrefix="verify"
          cancelLabel="Cancel verify"
          jobId={jobId}
        />
      )}
    </Modal>
  );
}

/** The end of a verification: the checks and problems, or why it could not be read. */
function VerifyResult(props: { state: string; report: VerifyReport | undefined; error: ApiError | undefined; onAgain: () => void; onClose: () => void }) {
  const { state, report, error } = props;
  const title = state === 'cancelled' ? 'Verify cancelled' : state === 'failed' ? 'The backup could not be read' : report?.ok ? 'The backup is sound' : 'The backup has problems';
  const icon = state === 'succeeded' ? (report?.ok ? 'succeeded' : 'failed') : state === 'cancelled' ? 'cancelled' : 'failed';
  return (
    <div className="result" aria-live="polite">
      <ResultIcon state={icon} />
      <h3>{title}</h3>
      {report ? (
        <ul className="checks listed" data-testid="verify-checks">
          {report.problems.map((p) => (
            <li key={p} className="bad">
              <span aria-hidden="true">✗</span>
              <span>{p}</span>
            </li>
          ))}
          {report.checks.map((c) => (
            <li key={c} className="ok">
              <span aria-hidden="true">✓</span>
              <span>{c}</span>
            </li>
          ))}
          {report.notes.map((n) => (
            <li key={n} className="note">
              <span aria-hidden="true">i</span>
              <span>{n}</span>
            </li>
          ))}
        </ul>
      ) : null}
      {report?.manifest?.odooVersion ? (
        <p className="muted">
          Odoo {report.manifest.odooVersion}
          {report.manifest.database ? `, database ${report.manifest.database}` : ''}
        </p>
      ) : null}
      {state === 'cancelled' ? <p className="muted">Stopped before the end; nothing was written.</p> : <ErrorMessage error={error} />}
      {state !== 'succeeded' ? (
        <button type="button" className="btn" onClick={props.onAgain}>
          Try again
        </button>
      ) : null}
      <div className="wizard-nav">
        <button type="button" className="btn primary" onClick={props.onClose}>
          Close
        </button>
      </div>
    </div>
  );
}
