/** The History screen: past backups, restores, rotations and drills from the run history, newest first. */
import { useCallback, useEffect, useId, useState } from 'react';
import type { ApiError } from '../../../../shared/contract/api';
import { drillChecks, runFailure, type Run, type RunFilter, type RunKind } from '../../../../shared/contract/history';
import { toApiError } from '../../api';
import { useApi } from '../../app/api-context';
import { formatBytes, formatDuration, formatLocal, formatUtcTitle } from '../../components/format';
import { Badge, ErrorMessage } from '../../components/ui';

const OUTCOME_TONE = { ok: 'good', failed: 'bad', cancelled: 'neutral', running: 'info' } as const;
const OUTCOME_LABEL = { ok: 'OK', failed: 'Failed', cancelled: 'Cancelled', running: 'Running' } as const;
const KIND_LABEL: Record<RunKind, string> = { backup: 'Backup', restore: 'Restore', rotation: 'Rotation', drill: 'Restore drill' };

/** What a run did, in a few words: its refs, or how many. */
function what(r: Run): string {
  if (r.refs.length === 0) return r.kind === 'rotation' ? 'nothing deleted' : '';
  const verb = r.kind === 'rotation' ? 'deleted ' : '';
  return r.refs.length === 1 ? `${verb}${r.refs[0]}` : `${verb}${r.refs.length} backups`;
}

/** True when the run's database contains `query`, ignoring case ("acme" finds acme_medium); an empty query matches every run. */
export function matchesDb(run: Run, query: string): boolean {
  const q = query.trim().toLowerCase();
  return q === '' || (run.db ?? '').toLowerCase().includes(q);
}

const CHECK_LABEL: Record<string, string> = { modules: 'Modules', 'admin-user': 'Admin user', filestore: 'Filestore' };

/** What a restore drill checked, one line each; a failed check in red with ✗, the attachments it names folded under it. */
function DrillChecks({ checks }: { checks: NonNullable<ReturnType<typeof drillChecks>> }) {
  return (
    <ul className="checks small" aria-label="Drill checks">
      {checks.map((c) => (
        <li key={c.name} className={c.ok ? 'ok' : 'bad'}>
          <span aria-hidden="true">{c.ok ? '✓' : '✗'}</span> <span className="sr-only">{c.ok ? 'passed: ' : 'failed: '}</span>
          <span className={c.ok ? undefined : 'error-text'}>
            {CHECK_LABEL[c.name] ?? c.name}: {c.message}
          </span>
          {c.problems?.length ? (
            <details>
              <summary>{`Show which (${c.problems.length} listed)`}</summary>
              <ul className="error-text">
                {c.problems.map((p) => (
                  <li key={p} className="mono">
                    {p}
                  </li>
                ))}
              </ul>
            </details>
          ) : null}
        </li>
      ))}
    </ul>
  );
}

/** One run as a table row; a drill's checks under what it drilled (a failed check is its failure, so that is not said twice). */
function RunRow({ run, utc }: { run: Run; utc: boolean }) {
  const checks = drillChecks(run);
  const failure = checks?.some((c) => !c.ok) ? null : runFailure(run);
  return (
    <tr>
      <td>
        <time dateTime={run.startedAt} title={formatUtcTitle(run.startedAt)}>
          {formatLocal(run.startedAt, utc)}
        </time>
      </td>
      <td>{KIND_LABEL[run.kind]}</td>
      <td>{run.db ?? '—'}</td>
      <td>
        <Badge tone={OUTCOME_TONE[run.outcome]}>{OUTCOME_LABEL[run.outcome]}</Badge>
      </td>
      <td className="num">{run.bytes === null ? '—' : formatBytes(run.bytes)}</td>
      <td className="num">{run.durationMs === null ? '—' : formatDuration(run.durationMs / 1000)}</td>
      <td>{run.destinations.join(', ')}</td>
      <td>
        <span className="small">{what(run)}</span>
        {failure ? <span className="block small error-text">{failure.message}</span> : null}
        {checks ? <DrillChecks checks={checks} /> : null}
      </td>
    </tr>
  );
}

/** The run history, filtered by kind (through the contract) and by part of the database name; reloads when `reloadKey` changes (e.g. a job ended). */
export function HistoryView({ reloadKey = 0, utc = false }: { reloadKey?: number; utc?: boolean }) {
  const api = useApi();
  const ids = { db: useId(), kind: useId() };
  const [filter, setFilter] = useState<{ db: string; kind: RunKind | '' }>({ db: '', kind: '' });
  const [runs, setRuns] = useState<Run[] | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const load = useCallback(() => {
    // The contract's db filter is exact: part of a name is matched here, over every run of the kind.
    const args: RunFilter = filter.kind ? { kind: filter.kind } : {};
    setError(undefined);
    api['history:list'](args).then(setRuns, (e: unknown) => setError(toApiError(e)));
  }, [api, filter.kind]);
  useEffect(load, [load, reloadKey]);
  const shown = runs?.filter((r) => matchesDb(r, filter.db));
  return (
    <div className="screen">
      <header className="screen-header">
        <div>
          <h1>History</h1>
          <p className="muted">Every backup, restore, rotation and drill run on this machine, by the app, the CLI or the scheduler.</p>
        </div>
        <div className="header-actions">
          <button type="button" className="btn" onClick={load}>
            Refresh
          </button>
        </div>
      </header>
      <div className="toolbar" role="search">
        <label htmlFor={ids.db}>Database</label>
        <input id={ids.db} className="search" value={filter.db} placeholder="all databases" onChange={(e) => setFilter({ ...filter, db: e.target.value })} />
        <label htmlFor={ids.kind}>Kind</label>
        <select id={ids.kind} value={filter.kind} onChange={(e) => setFilter({ ...filter, kind: e.target.value as RunKind | '' })}>
          <option value="">All kinds</option>
          {(Object.keys(KIND_LABEL) as RunKind[]).map((k) => (
            <option key={k} value={k}>
              {KIND_LABEL[k]}
            </option>
          ))}
        </select>
      </div>
      <ErrorMessage error={error} onRetry={load} />
      {runs === undefined && !error ? <p className="muted">Loading…</p> : null}
      {shown?.length === 0 ? <p className="empty">No runs recorded{filter.db || filter.kind ? ' that match' : ' yet'}. Backups, restores and rotations appear here once they have run.</p> : null}
      {shown?.length ? (
        <table className="history-table">
          <caption className="sr-only">Run history, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Started</th>
              <th scope="col">Kind</th>
              <th scope="col">Database</th>
              <th scope="col">Outcome</th>
              <th scope="col" className="num">Size</th>
              <th scope="col" className="num">Took</th>
              <th scope="col">Where</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => (
              <RunRow key={r.id} run={r} utc={utc} />
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}
