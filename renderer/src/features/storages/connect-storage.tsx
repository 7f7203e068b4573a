/**
 * The "Connect"/"Reconnect" button of an OAuth storage (Dropbox, Google Drive): starts the
 * `storages:connect` job, opens the sign-in URL it reports (the Electron host opens it in the
 * system browser itself; in the browser build the page opens it), shows "waiting for
 * sign-in…" with a link to open it again, and reports success or the error with its hint.
 */
import { useEffect, useRef, useState } from 'react';
import type { ApiError } from '../../../../shared/contract/api';
import { toApiError } from '../../api';
import { useApi, useJob } from '../../app/api-context';
import { ErrorMessage } from '../../components/ui';

/** Props of the connect control. */
export interface ConnectStorageProps {
  /** The configured storage to connect. */
  readonly name: string;
  /** `Reconnect` wording (a revoked or expired sign-in). */
  readonly reconnect?: boolean;
  /** Start at once (right after the storage was added). */
  readonly autoStart?: boolean;
  /** Called once the sign-in is stored. */
  readonly onConnected: () => void;
}

/** An http(s) URL from the job's progress, or undefined. */
export function signInUrl(message: string | undefined): string | undefined {
  if (!message) return undefined;
  try {
    const u = new URL(message);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : undefined;
  } catch {
    return undefined;
  }
}

/** The connect button and the sign-in progress. */
export function ConnectStorage({ name, reconnect, autoStart, onConnected }: ConnectStorageProps) {
  const api = useApi();
  const [jobId, setJobId] = useState<string | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [starting, setStarting] = useState(false);
  const { job } = useJob(jobId);
  const opened = useRef<string | undefined>(undefined);
  const reported = useRef<string | undefined>(undefined);
  const started = useRef(false);

  const start = (): void => {
    setError(undefined);
    setStarting(true);
    opened.current = undefined;
    api['storages:connect']({ name }).then(
      (r) => {
        setStarting(false);
        setJobId(r.jobId);
      },
      (e: unknown) => {
        setStarting(false);
        setError(toApiError(e));
      },
    );
  };

  useEffect(() => {
    if (autoStart && !started.current) {
      started.current = true;
      start();
    }
    // Once, on mount.
  }, []);

  const url = job?.state === 'running' ? signInUrl(job.progress?.message) : undefined;
  useEffect(() => {
    // The Electron host opens the system browser itself; a browser page opens a new tab.
    if (url && opened.current !== url && api.host === 'browser') {
      opened.current = url;
      window.open(url, '_blank', 'noopener,noreferrer');
    }
  }, [url, api.host]);

  useEffect(() => {
    if (job && job.state === 'succeeded' && reported.current !== job.id) {
      reported.current = job.id;
      onConnected();
    }
  }, [job, onConnected]);

  const running = starting || job?.state === 'running';
  const failed = job && (job.state === 'failed' || job.state === 'cancelled') ? (job.error ?? { kind: 'Cancelled' as const, message: 'The sign-in was cancelled.' }) : undefined;
  const verb = reconnect ? 'Reconnect' : 'Connect';

  return (
    <div className="connect-storage">
      {!running ? (
        <button type="button" className={reconnect ? 'btn primary' : 'btn'} onClick={start} aria-label={`${verb} ${name}`}>
          {failed ? 'Try again' : verb}
        </button>
      ) : (
        <div role="status" aria-live="polite">
          <p>{url ? 'Waiting for sign-in…' : 'Starting the sign-in…'}</p>
          {url ? (
            <p className="muted small">
              Sign in in your browser.{' '}
              <a href={url} target="_blank" rel="noopener noreferrer">
                Open the sign-in page again
              </a>
            </p>
          ) : null}
          {jobId ? (
            <button type="button" className="btn" onClick={() => void api['jobs:cancel']({ jobId })}>
              Cancel
            </button>
          ) : null}
        </div>
      )}
      {job?.state === 'succeeded' ? <p role="status">Connected.</p> : null}
      <ErrorMessage error={error ?? failed} />
    </div>
  );
}
