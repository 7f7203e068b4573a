/** Download (and decrypt) one backup: destination, passphrase, progress with speed and time left, cancel, verification. */
import { useEffect, useId, useState } from 'react';
import type { ApiError, ApiResult, BackupEntry } from '../../../../shared/contract/api';
import { toApiError } from '../../api';
import { useApi, useJob } from '../../app/api-context';
import { BackupCard, JobProgressPanel } from '../../components/job-panels';
import { baseName, formatBytes } from '../../components/format';
import { ErrorMessage, Field, Modal, RememberPassphrase, ResultIcon } from '../../components/ui';
import { PassphraseField, PrivateKeyField, passphraseMissing, privateKeyArg, usePassphraseRemembered, type LoadedPrivateKey } from '../../components/passphrase';

/** Where a download goes by default: `<home>/downloads/<file name>` (without `.enc`/`.gpg` when decrypting). */
export function defaultDestination(home: string | undefined, key: string, decrypt: boolean): string {
  let name = baseName(key);
  if (decrypt) name = name.replace(/\.(enc|gpg|pgp|asc)$/i, '');
  const sep = home?.includes('\\') && !home.includes('/') ? '\\' : '/';
  return home ? `${home.replace(/[\\/]+$/, '')}${sep}downloads${sep}${name}` : name;
}

/** What the core says is at the destination already. */
type DestinationCheck = ApiResult<'download:check-destination'>;

/** Why an existing destination cannot be replaced, in the dialog's words. */
export function notReplaceable(d: DestinationCheck): ApiError {
  const there = d.existing === 'folder' ? 'a folder' : 'a file';
  return { kind: 'Conflict', message: `There is ${there} named ${d.path} already, and it cannot be replaced by this download.`, hint: 'Choose another name or folder to save to.' };
}

/** Props of the dialog. */
export interface DownloadDialogProps {
  readonly entry: BackupEntry;
  readonly home: string | undefined;
  readonly onClose: () => void;
}

/** The download & decrypt dialog. */
export function DownloadDialog({ entry, home, onClose }: DownloadDialogProps) {
  const api = useApi();
  const ids = { out: useId(), pass: useId(), dec: useId(), remember: useId() };
  const [decrypt, setDecrypt] = useState(entry.encrypted);
  const [out, setOut] = useState(() => defaultDestination(home, entry.key, entry.encrypted));
  const [outTouched, setOutTouched] = useState(false);
  const [passphrase, setPassphrase] = useState('');
  const remembered = usePassphraseRemembered(entry.encrypted ? entry.storage : undefined);
  const [remember, setRemember] = useState(false);
  const [privateKey, setPrivateKey] = useState<LoadedPrivateKey | undefined>(undefined);
  const [jobId, setJobId] = useState<string | undefined>(undefined);
  const [startErr, setStartErr] = useState<ApiError | undefined>(undefined);
  const [replace, setReplace] = useState<DestinationCheck | undefined>(undefined);
  const { job, rate } = useJob(jobId);

  useEffect(() => {
    if (!outTouched) setOut(defaultDestination(home, entry.key, decrypt));
  }, [home, entry.key, decrypt, outTouched]);

  useEffect(() => setReplace(undefined), [out, decrypt]);

  const begin = (overwrite: boolean): void => {
    // An empty passphrase lets the core use the one remembered for the storage.
    const pass = decrypt && passphrase !== '' ? { passphrase, ...(remember ? { rememberPassphrase: true } : {}) } : {};
    api['download:start']({ ref: entry.ref, out, decrypt, ...pass, ...(decrypt ? privateKeyArg(privateKey) : {}), ...(overwrite ? { overwrite: true } : {}) }).then(
      (r) => setJobId(r.jobId),
      (e: unknown) => setStartErr(toApiError(e)),
    );
  };

  // The destination is checked first: an existing one is replaced only when the user says so.
  const start = (): void => {
    setStartErr(undefined);
    api['download:check-destination']({ ref: entry.ref, out, decrypt }).then(
      (d) => {
        if (!d.existing) begin(false);
        else if (d.replaceable) setReplace(d);
        else setStartErr(notReplaceable(d));
      },
      (e: unknown) => setStartErr(toApiError(e)),
    );
  };

  const running = job?.state === 'running' || (jobId !== undefined && !job);
  const p = job?.progress;
  const done = job && job.state !== 'running' ? job : undefined;
  const result = (done?.result ?? {}) as { path?: string; bytes?: number; sha256?: string; verified?: string[]; passphraseNotRemembered?: string; decrypted?: boolean };
  const checks = [...(decrypt && done?.state === 'succeeded' ? [result.decrypted === false ? 'not-encrypted' : 'decrypted'] : []), ...(Array.isArray(result.verified) ? result.verified : [])];

  return (
    <Modal title={decrypt ? 'Download & decrypt' : 'Download'} onClose={onClose} locked={running}>
      <BackupCard entry={entry} />
      {!jobId ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            start();
          }}
        >
          <Field label="Save to" htmlFor={ids.out} help="A file on the machine running Backup Desk. An existing file is never overwritten half-way: the download is written aside and moved into place when complete.">
            <div className="row">
              <input
                id={ids.out}
                type="text"
                value={out}
                spellCheck={false}
                onChange={(e) => {
                  setOut(e.target.value);
                  setOutTouched(true);
                }}
              />
              {api.pickSaveFile ? (
                <button
                  type="button"
                  className="btn"
                  onClick={() =>
                    void api.pickSaveFile?.({ title: 'Save backup as', defaultPath: out }).then((p2) => {
                      if (p2) {
                        setOut(p2);
                        setOutTouched(true);
                      }
                    })
                  }
                >
                  Choose…
                </button>
              ) : null}
            </div>
          </Field>
          {entry.encrypted ? (
            <label className="choice">
              <input id={ids.dec} type="checkbox" checked={decrypt} onChange={(e) => setDecrypt(e.target.checked)} />
              <span>
                <strong>Decrypt while downloading</strong>
                <span className="muted block">Saves the plain backup, ready to restore anywhere. Uncheck to keep the encrypted file as it is.</span>
              </span>
            </label>
          ) : null}
          {decrypt ? (
            <>
              <PassphraseField id={ids.pass} value={passphrase} onChange={setPassphrase} storage={entry.storage} remembered={remembered} />
              <RememberPassphrase id={ids.remember} checked={remember} onChange={setRemember} storage={entry.storage} />
              {entry.encrypted ? <PrivateKeyField id={ids.pass} value={privateKey} onChange={setPrivateKey} /> : null}
            </>
          ) : null}
          <ErrorMessage error={startErr} />
          {replace ? (
            <ReplaceQuestion check={replace} onReplace={() => begin(true)} onKeep={() => setReplace(undefined)} />
          ) : (
            <div className="wizard-nav">
              <button type="button" className="btn" onClick={onClose}>
                Cancel
              </button>
              <button type="submit" className="btn primary" disabled={!out.trim() || (remember && !passphrase) || (decrypt && entry.encrypted && !privateKey && passphraseMissing(entry.storage, remembered, passphrase))}>
                {decrypt ? 'Download & decrypt' : 'Download'}
              </button>
            </div>
          )}
        </form>
      ) : done ? (
        <div className="result" aria-live="polite">
          {done.state === 'succeeded' ? (
            <>
              <ResultIcon state="succeeded" />
              <h3>{decrypt ? 'Downloaded and decrypted' : 'Downloaded'}</h3>
              {result.passphraseNotRemembered ? (
                <p className="warn-text" role="alert">
                  {result.passphraseNotRemembered}
                </p>
              ) : null}
              <dl className="facts">
                <dt>Saved to</dt>
                <dd className="mono wrap">{result.path ?? out}</dd>
                {result.bytes !== undefined ? (
                  <>
                    <dt>Size</dt>
                    <dd>{formatBytes(result.bytes)}</dd>
                  </>
                ) : null}
                <dt>Verification</dt>
                <dd data-testid="verification">
                  {checks.length === 0 ? (
                    'Completed; there was nothing to compare it with.'
                  ) : (
                    <ul className="checks">
                      {checks.map((c) => (
                        <li key={c} className="ok">
                          <span aria-hidden="true">✓</span> {checkLabel(c)}
                        </li>
                      ))}
                    </ul>
                  )}
                </dd>
                {result.sha256 ? (
                  <>
                    <dt>SHA-256</dt>
                    <dd className="mono wrap">{result.sha256}</dd>
                  </>
                ) : null}
              </dl>
              {api.showInFolder && result.path ? (
                <button type="button" className="btn" onClick={() => void api.showInFolder?.(result.path!)}>
                  Show in folder
                </button>
              ) : null}
            </>
          ) : (
            <>
              <ResultIcon state={done.state === 'cancelled' ? 'cancelled' : 'failed'} />
              <h3>{done.state === 'cancelled' ? 'Download cancelled' : 'The download failed'}</h3>
              <p className="muted">No partial file was left at the destination.</p>
              <ErrorMessage error={done.error} />
              <button type="button" className="btn" onClick={() => setJobId(undefined)}>
                Try again
              </button>
            </>
          )}
          <div className="wizard-nav">
            <button type="button" className="btn primary" onClick={onClose}>
              Close
            </button>
          </div>
        </div>
      ) : (
        <JobProgressPanel
          heading={p?.label ?? (p?.phase ? capital(p.phase) : 'Starting…')}
          progress={p}
          rate={rate}
          total={entry.size}
          barLabel="Download progress"
          doneLabel="Done"
          testIdPrefix="dl"
          cancelLabel="Cancel download"
          jobId={jobId}
        />
      )}
    </Modal>
  );
}

/** Asks whether to replace what is at the destination (replaced only once the download is complete and verified). */
function ReplaceQuestion({ check, onReplace, onKeep }: { check: DestinationCheck; onReplace: () => void; onKeep: () => void }) {
  const what = check.existing === 'folder' ? 'folder' : 'file';
  return (
    <div className="warn-box" role="alertdialog" aria-label={`Replace the existing ${what}?`}>
      <p>
        A {what} named <span className="mono wrap">{check.path}</span> already exists. Replace it?
      </p>
      <p className="muted">It stays as it is until the download is complete and verified, and is replaced only then.</p>
      <div className="wizard-nav">
        <button type="button" className="btn" onClick={onKeep}>
          Keep it
        </button>
        <button type="button" className="btn danger" onClick={onReplace}>
          Replace
        </button>
      </div>
    </div>
  );
}

/** What a verification the core reports (`size`, `sha256`, `zip (N entries)`, `dump header`) means, in plain words. */
export function checkLabel(c: string): string {
  if (c === 'decrypted') return 'Decrypted; the OpenPGP integrity check passed';
  if (c === 'not-encrypted') return 'It was not encrypted: saved as it is';
  if (c === 'size') return 'Size matches the storage listing';
  if (c === 'dump header') return 'PostgreSQL dump header is valid';
  const zip = /^zip \((\d+) entries\)$/.exec(c);
  if (zip) return `Zip archive is complete (${zip[1]} entries)`;
  return `${c.toUpperCase()} checksum matches`;
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
