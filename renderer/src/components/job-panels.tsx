/** The pieces the job dialogs share: the backup they act on, and a running job's progress with cancel. */
import { useState } from 'react';
import type { BackupEntry, JobSnapshotDto } from '../../../shared/contract/api';
import { useApi, type Rate } from '../app/api-context';
import { baseName, formatBytes, formatDuration, formatRate } from './format';
import { ProgressBar } from './ui';

/** The backup a dialog acts on: its file name, storage, size, and whether it is encrypted. */
export function BackupCard({ entry }: { entry: BackupEntry }) {
  return (
    <p className="source-card compact">
      <strong>{baseName(entry.key)}</strong>
      <span className="muted">
        {entry.storage} · {formatBytes(entry.size)}
        {entry.encrypted ? ' · encrypted' : ''}
      </span>
    </p>
  );
}

/** What a running job shows: its step, a bar, bytes so far (of the total when known), speed, time left, and Cancel (of `jobId`). */
export function JobProgressPanel(p: {
  readonly heading: string;
  readonly progress: JobSnapshotDto['progress'];
  readonly rate: Rate;
  /** The total when the job does not say it (the backup's listed size). */
  readonly total?: number | undefined;
  readonly barLabel: string;
  /** "Done", "Read", "Written". */
  readonly doneLabel: string;
  readonly testIdPrefix: string;
  readonly cancelLabel: string;
  /** The job the Cancel button cancels. */
  readonly jobId: string;
}) {
  const api = useApi();
  const total = p.progress?.total ?? p.total;
  return (
    <div aria-live="polite">
      <p>{p.heading}</p>
      <ProgressBar value={p.progress?.done} max={total} label={p.barLabel} />
      <dl className="facts stats">
        <dt>{p.doneLabel}</dt>
        <dd data-testid={`${p.testIdPrefix}-done`}>
          {formatBytes(p.progress?.done ?? 0)}
          {total !== undefined ? ` of ${formatBytes(total)}` : ''}
        </dd>
        <dt>Speed</dt>
        <dd data-testid={`${p.testIdPrefix}-speed`}>{formatRate(p.rate.bytesPerSecond)}</dd>
        {total !== undefined ? (
          <>
            <dt>Time left</dt>
            <dd data-testid={`${p.testIdPrefix}-eta`}>{formatDuration(p.rate.secondsLeft)}</dd>
          </>
        ) : null}
      </dl>
      <div className="wizard-nav">
        <CancelButton label={p.cancelLabel} onCancel={() => void api['jobs:cancel']({ jobId: p.jobId })} />
      </div>
    </div>
  );
}

/** A job's Cancel button: once pressed it says "Cancelling…" and waits, disabled, for the job to stop. */
export function CancelButton({ label, onCancel }: { label: string; onCancel: () => void }) {
  const [asked, setAsked] = useState(false);
  return (
    <button type="button" className="btn danger" disabled={asked} aria-label={label} onClick={() => (setAsked(true), onCancel())}>
      {asked ? 'Cancelling…' : label}
    </button>
  );
}
