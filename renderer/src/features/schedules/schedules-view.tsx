/** The Schedules screen: scheduled backups and drills with next run, last result and overdue state; add, edit, run now, history per job. */
import { useCallback, useEffect, useState } from 'react';
import type { ApiError } from '../../../../shared/contract/api';
import { runFailure, type Run } from '../../../../shared/contract/history';
import { beforeSettingsChanged, failedDrill, followUpDrillName, scheduledBackupTraits, type ScheduleStatus } from '../../../../shared/contract/schedules';
import { toApiError } from '../../api';
import { useApi } from '../../app/api-context';
import { formatBytes, formatDuration, formatLocal, formatUtcTitle } from '../../components/format';
import { Badge, ErrorMessage } from '../../components/ui';
import { ScheduleEditor } from './schedule-editor';

const OUTCOME_TONE = { ok: 'good', failed: 'bad', cancelled: 'neutral', skipped: 'neutral' } as const;

/** What a job does, in a few words: a backup's database, storages and what sets it apart. */
function what(s: ScheduleStatus): string {
  if (s.work.kind !== 'backup') return `Restore drill of ${s.work.db} on ${s.work.storage}`;
  const traits = scheduledBackupTraits(s.work);
  return `Back up ${s.work.db} to ${s.work.to.join(', ')}${traits.length ? ` (${traits.join(', ')})` : ''}`;
}

/** A job's runs in the history: those it recorded (a backup job's drills too), else those of the same kind, database and storages. */
function runsOf(s: ScheduleStatus, runs: readonly Run[]): Run[] {
  const where = s.work.kind === 'backup' ? s.work.to : ['embedded'];
  const mine = [s.name, followUpDrillName(s.name)];
  return runs.filter((r) => mine.includes(String(r.details.schedule)) || (r.kind === s.work.kind && r.db === s.work.db && r.destinations.some((d) => where.includes(d))));
}

/** When a failed run is tried again, or that its retry was due while no scheduler ran. */
function RetryLine({ what, at, utc }: { what: string; at: string; utc: boolean }) {
  const ahead = Date.parse(at) > Date.now();
  return (
    <span className="block small">
      {what} {ahead ? 'at' : 'was due at'} {formatLocal(at, utc)}
      {ahead ? '' : ' (no scheduler was running then)'}
    </span>
  );
}

/** Why the drill failed, without the words the row already says ("The restore drill of REF failed: "). */
const drillReason = (error: string | null): string => (error ?? 'no reason recorded').replace(/^The restore drill of \S+ failed: /, '');

/** Where a run missed while no scheduler ran is caught up. */
const MISSED_RUNS_WHEN = 'runs once a scheduler starts (the desktop app or backup-desk daemon)';

/** The Next run cell: the next slot, or a run missed while no scheduler ran (which the next scheduler to start runs once). */
function NextRun({ s, utc }: { s: ScheduleStatus; utc: boolean }) {
  if (s.dueSince) {
    return (
      <>
        <Badge tone="warn">missed</Badge> due {formatLocal(s.dueSince, utc)}
        <span className="block small muted">{MISSED_RUNS_WHEN}</span>
      </>
    );
  }
  return <>{s.nextRunAt ? formatLocal(s.nextRunAt, utc) : s.enabled ? 'never' : 'off'}</>;
}

/** When the job runs next, in words that end a sentence. */
function nextWords(s: ScheduleStatus, utc: boolean): string {
  if (s.dueSince) return `missed the run due at ${formatLocal(s.dueSince, utc)}: it ${MISSED_RUNS_WHEN}`;
  if (s.nextRunAt) return `runs next at ${formatLocal(s.nextRunAt, utc)}`;
  return s.enabled ? 'never runs again' : 'is off';
}

/** The badge of the Last result cell: running, the last outcome, or a failed drill after a backup that went fine. */
function LastBadge({ s, failedBefore, drillFailed }: { s: ScheduleStatus; failedBefore: boolean; drillFailed: boolean }) {
  if (s.running) return <Badge tone="info">Running</Badge>;
  if (failedBefore) return <Badge tone="neutral">settings changed</Badge>;
  if (drillFailed && s.lastOutcome === 'ok') return <Badge tone="bad">drill failed</Badge>;
  if (s.lastOutcome) return <Badge tone={OUTCOME_TONE[s.lastOutcome]}>{s.lastOutcome}</Badge>;
  return <span className="muted">not run yet</span>;
}

/**
 * The Last result cell: the last run's outcome, a failed drill after a backup that went fine,
 * overdue, the retries planned. A failure from before a save changed the job's settings is
 * said as such (muted, its message in the tooltip), not as the job's state now.
 */
function LastResult({ s, utc }: { s: ScheduleStatus; utc: boolean }) {
  const failed = s.lastOutcome === 'failed' && !s.running;
  const failedBefore = failed && beforeSettingsChanged(s, s.lastRunAt);
  const drill = failedDrill(s);
  const drillBefore = drill !== undefined && beforeSettingsChanged(s, drill.at);
  const backedUp = s.lastSuccessAt ? `Backed up ${formatLocal(s.lastSuccessAt, utc)} · ` : '';
  return (
    <>
      <LastBadge s={s} failedBefore={failedBefore} drillFailed={drill !== undefined && !drillBefore} />
      {s.overdueSince ? <> <Badge tone="warn">Overdue</Badge></> : null}
      {failed && s.lastError && !failedBefore ? <span className="block small error-text">{s.lastError}</span> : null}
      {failedBefore && s.lastRunAt ? (
        <span className="block small muted" title={s.lastError ?? undefined}>
          Last run failed on {formatLocal(s.lastRunAt, utc)}, before the settings changed — {nextWords(s, utc)}
        </span>
      ) : null}
      {s.retryAt ? <RetryLine what="retry" at={s.retryAt} utc={utc} /> : null}
      {drill && !drillBefore ? (
        <span className="block small error-text" title={drill.error ?? undefined}>
          {backedUp}drill failed: {drillReason(drill.error)}
        </span>
      ) : null}
      {drill && drillBefore ? (
        <span className="block small muted" title={drill.error ?? undefined}>
          {backedUp}last drill failed on {formatLocal(drill.at, utc)}, before the settings changed
        </span>
      ) : null}
      {drill?.retryAt ? <RetryLine what="drill retry" at={drill.retryAt} utc={utc} /> : null}
    </>
  );
}

/** Duration (bar height) and size (bar label) of the last runs, oldest first. */
function RunChart({ runs }: { runs: readonly Run[] }) {
  const last = runs.filter((r) => r.durationMs !== null).slice(0, 20).reverse();
  if (last.length === 0) return null;
  const max = Math.max(...last.map((r) => r.durationMs ?? 0), 1);
  return (
    <svg className="run-chart" role="img" aria-label="Duration of the last runs" width={last.length * 14} height={48}>
      {last.map((r, i) => {
        const h = Math.max(2, Math.round(((r.durationMs ?? 0) / max) * 44));
        return (
          <rect key={r.id} x={i * 14} y={48 - h} width={10} height={h} className={r.outcome === 'ok' ? 'bar-ok' : 'bar-bad'}>
            <title>{`${formatUtcTitle(r.startedAt)}: ${r.outcome}, ${formatDuration((r.durationMs ?? 0) / 1000)}${r.bytes !== null ? `, ${formatBytes(r.bytes)}` : ''}`}</title>
          </rect>
        );
      })}
    </svg>
  );
}

/** One job's history under its row. */
function JobHistory({ job, runs, utc }: { job: ScheduleStatus; runs: readonly Run[]; utc: boolean }) {
  const mine = runsOf(job, runs);
  if (mine.length === 0) return <p className="muted small">No runs yet.</p>;
  return (
    <div className="job-history">
      <RunChart runs={mine} />
      <ul className="small">
        {mine.slice(0, 10).map((r) => {
          const failure = runFailure(r);
          return (
            <li key={r.id}>
              {formatLocal(r.startedAt, utc)} — {r.kind === 'drill' ? 'drill ' : ''}
              {r.outcome}
              {r.durationMs !== null ? `, ${formatDuration(r.durationMs / 1000)}` : ''}
              {r.bytes !== null ? `, ${formatBytes(r.bytes)}` : ''}
              {failure ? <span className="error-text"> — {failure.message}</span> : null}
            </li>
          );
        })}
      </ul>
    </div>
  );
}

/** The Schedules screen; reloads when `reloadKey` changes (e.g. a job ended). */
export function SchedulesView({ reloadKey = 0, utc = false }: { reloadKey?: number; utc?: boolean }) {
  const api = useApi();
  const [jobs, setJobs] = useState<ScheduleStatus[] | undefined>(undefined);
  const [runs, setRuns] = useState<Run[]>([]);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [editing, setEditing] = useState<ScheduleStatus | 'new' | undefined>(undefined);
  const [open, setOpen] = useState<string | undefined>(undefined);
  const load = useCallback(() => {
    setError(undefined);
    api['schedules:list']({}).then(setJobs, (e: unknown) => setError(toApiError(e)));
    api['history:list']({ limit: 500 }).then(setRuns, () => setRuns([]));
  }, [api]);
  useEffect(load, [load, reloadKey]);
  const act = (p: Promise<unknown>) => p.then(load, (e: unknown) => setError(toApiError(e)));
  return (
    <div className="screen">
      <header className="screen-header">
        <div>
          <h1>Schedules</h1>
          {api.host === 'electron' ? (
            <p className="muted">Backups and restore drills that run on their own, here in the app (it keeps running in the tray when its window is closed) or in <code>backup-desk daemon</code>.</p>
          ) : (
            <p className="muted">
              Backups and restore drills that run on their own: in the desktop app or in <code>backup-desk daemon</code>. This browser page does not run them; without one of those running, the next runs below do not happen.
            </p>
          )}
        </div>
        <div className="header-actions">
          <button type="button" className="btn" onClick={load}>
            Refresh
          </button>
          <button type="button" className="btn primary" onClick={() => setEditing('new')}>
            New schedule
          </button>
        </div>
      </header>
      <ErrorMessage error={error} onRetry={load} />
      {jobs === undefined && !error ? <p className="muted">Loading…</p> : null}
      {jobs?.length === 0 ? <p className="empty">No scheduled jobs yet. Add one to keep backups going and prove they restore.</p> : null}
      {jobs?.length ? (
        <table className="history-table schedules-table">
          <caption className="sr-only">Scheduled jobs</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">What</th>
              <th scope="col">When</th>
              <th scope="col">
                Next run{utc ? null : <span className="muted small block">this computer&apos;s time</span>}
              </th>
              <th scope="col">Last result</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {jobs.map((s) => (
              <JobRow key={s.name} s={s} utc={utc} open={open === s.name} runs={runs} onToggle={() => setOpen(open === s.name ? undefined : s.name)} onEdit={() => setEditing(s)}
                onRun={() => act(api['schedules:run-now']({ name: s.name }))} onRemove={() => act(api['schedules:remove']({ name: s.name }))} />
            ))}
          </tbody>
        </table>
      ) : null}
      {editing ? (
        <ScheduleEditor job={editing === 'new' ? undefined : editing} utc={utc} onClose={() => setEditing(undefined)} onSaved={() => { setEditing(undefined); load(); }} />
      ) : null}
    </div>
  );
}

interface RowProps {
  s: ScheduleStatus;
  utc: boolean;
  open: boolean;
  runs: readonly Run[];
  onToggle: () => void;
  onEdit: () => void;
  onRun: () => void;
  onRemove: () => void;
}

/** One job, and its history when opened. */
function JobRow({ s, utc, open, runs, onToggle, onEdit, onRun, onRemove }: RowProps) {
  return (
    <>
      <tr className={s.overdueSince ? 'overdue' : undefined}>
        <th scope="row">{s.name}</th>
        <td>{what(s)}</td>
        <td>
          <span title={s.every}>{s.description}</span>
        </td>
        <td>
          <NextRun s={s} utc={utc} />
        </td>
        <td>
          <LastResult s={s} utc={utc} />
        </td>
        <td className="row-actions">
          <button type="button" className="btn small" onClick={onRun} disabled={s.running}>
            Run now
          </button>
          <button type="button" className="btn small" onClick={onEdit}>
            Edit
          </button>
          <button type="button" className="btn small" aria-expanded={open} onClick={onToggle}>
            History
          </button>
          <button type="button" className="btn small danger" onClick={onRemove}>
            Remove
          </button>
        </td>
      </tr>
      {open ? (
        <tr>
          <td colSpan={6}>
            <JobHistory job={s} runs={runs} utc={utc} />
          </td>
        </tr>
      ) : null}
    </>
  );
}
