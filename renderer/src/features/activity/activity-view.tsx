/** The Activity screen: every job, its live progress, and its history and log. */
import { useState } from 'react';
import type { JobSnapshotDto } from '../../../../shared/contract/api';
import { useApi } from '../../app/api-context';
import { formatBytes, formatDuration, formatLocal, formatRate } from '../../components/format';
import { Badge, ErrorMessage, ProgressBar } from '../../components/ui';

const STATE_TONE = { running: 'info', succeeded: 'good', failed: 'bad', cancelled: 'neutral' } as const;
const STATE_LABEL = { running: 'Running', succeeded: 'Done', failed: 'Failed', cancelled: 'Cancelled' } as const;

/**
 * How far a running job is, after its step: "120 MB of 300 MB, 40 MB/s" in bytes (the bytes so
 * far and the average speed alone when no total is known: a dump's size is not), "3 of 10" in items.
 */
export function progressText(p: NonNullable<JobSnapshotDto['progress']>, secs: number): string {
  if (p.done === undefined) return '';
  if (p.unit !== 'bytes') return p.total ? ` — ${p.done} of ${p.total}` : '';
  const speed = secs >= 1 && p.done > 0 ? `, ${formatRate(p.done / secs)}` : '';
  return ` — ${p.total ? `${formatBytes(p.done)} of ${formatBytes(p.total)}` : `${formatBytes(p.done)} so far`}${speed}`;
}

/** All jobs, newest first. */
export function ActivityView({ jobs }: { jobs: readonly JobSnapshotDto[] }) {
  const api = useApi();
  const [open, setOpen] = useState<string | undefined>(undefined);
  const running = jobs.filter((j) => j.state === 'running');
  const past = jobs.filter((j) => j.state !== 'running');
  const row = (j: JobSnapshotDto) => {
    const p = j.progress;
    const secs = ((j.finishedAt ? Date.parse(j.finishedAt) : Date.now()) - Date.parse(j.startedAt)) / 1000;
    return (
      <li key={j.id} className="card job">
        <div className="card-main">
          <h2>
            {j.title} <Badge tone={STATE_TONE[j.state]}>{STATE_LABEL[j.state]}</Badge>
          </h2>
          <p className="muted">
            {j.kind} · started {formatLocal(j.startedAt)} · {formatDuration(secs)}
          </p>
          {j.state === 'running' ? (
            <>
              <ProgressBar value={p?.done} max={p?.total} label={`${j.title} progress`} />
              <p className="muted small">
                {p?.label ?? p?.phase ?? 'Starting…'}
                {p ? progressText(p, secs) : ''}
                {p?.message ? ` — ${p.message}` : ''}
              </p>
            </>
          ) : null}
          <ErrorMessage error={j.error} />
          {j.log.length ? (
            <>
              <button type="button" className="link-btn" aria-expanded={open === j.id} onClick={() => setOpen(open === j.id ? undefined : j.id)}>
                {open === j.id ? 'Hide log' : `Show log (${j.log.length})`}
              </button>
              {open === j.id ? (
                <ol className="log">
                  {j.log.map((l, i) => (
                    <li key={i} className={`log-${l.level}`}>
                      <time dateTime={l.at}>{formatLocal(l.at)}</time> {l.message}
                    </li>
                  ))}
                </ol>
              ) : null}
            </>
          ) : null}
        </div>
        {j.state === 'running' ? (
          <div className="card-actions">
            <button type="button" className="btn danger-outline" onClick={() => void api['jobs:cancel']({ jobId: j.id })}>
              Cancel
            </button>
          </div>
        ) : null}
      </li>
    );
  };
  return (
    <div className="screen">
      <header className="screen-header">
        <div>
          <h1>Activity</h1>
          <p className="muted">Backups, restores, downloads, checks and drills — running now and recently finished.</p>
        </div>
      </header>
      {jobs.length === 0 ? <p className="empty">Nothing has run yet. Backups, restores and downloads appear here with their progress.</p> : null}
      {running.length ? (
        <section aria-label="Running">
          <h2 className="section-title">Running</h2>
          <ul className="card-list">{running.map(row)}</ul>
        </section>
      ) : null}
      {past.length ? (
        <section aria-label="Finished">
          <h2 className="section-title">Finished</h2>
          <ul className="card-list">{past.map(row)}</ul>
        </section>
      ) : null}
    </div>
  );
}
