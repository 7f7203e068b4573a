/** Settings → Clean up: what interrupted restores and backups left behind, found and removed (as `backup-desk cleanup` does). */
import { useEffect, useId, useState } from 'react';
import { PG_URL_PREFIX, type ApiError, type ApiResult, type JobSnapshotDto, type RestoreTargetSpec } from '../../../../shared/contract/api';
import type { CleanupFound, CleanupRemoved } from '../../../../shared/contract/cleanup';
import { toApiError } from '../../api';
import { useApi, useJob } from '../../app/api-context';
import { countOf, formatBytes } from '../../components/format';
import { ErrorMessage, ProgressBar } from '../../components/ui';

type Target = ApiResult<'targets:detect'>[number];

/** The option for a server given by URL, as the restore wizard's "Another PostgreSQL server". */
const CUSTOM = 'custom';

/** The target to search: a detected one, or the server at `url` (a postgres:// URL) for CUSTOM. */
function chosenTarget(targets: Target[] | undefined, targetId: string, url: string): RestoreTargetSpec | undefined {
  if (targetId !== CUSTOM) return targets?.find((t) => t.id === targetId)?.target;
  return PG_URL_PREFIX.test(url.trim()) ? { type: 'postgres', url: url.trim() } : undefined;
}

/** " (42 min old)", " (3 h old)", " (5 days old)"; nothing when the age is unknown. */
function age(ms: number | undefined): string {
  if (ms === undefined) return '';
  const min = Math.round(ms / 60_000);
  if (min < 120) return ` (${min} min old)`;
  const h = Math.round(min / 60);
  return h < 48 ? ` (${h} h old)` : ` (${Math.round(h / 24)} days old)`;
}

/** `jobId` while its job has not ended (also before its first snapshot arrives), else undefined. */
function live(jobId: string | undefined, job: JobSnapshotDto | undefined): string | undefined {
  return jobId !== undefined && (!job || job.state === 'running') ? jobId : undefined;
}

/** The card: a target to search, the search, what it found, and one removal of all of it (each a job, with progress and cancel). */
export function CleanupCard() {
  const api = useApi();
  const id = useId();
  const [targets, setTargets] = useState<Target[] | undefined>(undefined);
  const [targetId, setTargetId] = useState('');
  const [findId, setFindId] = useState<string | undefined>(undefined);
  const [removeId, setRemoveId] = useState<string | undefined>(undefined);
  const [confirming, setConfirming] = useState(false);
  // Younger than this, a leftover may belong to a run still going; the removal uses the age its search used.
  const [minutes, setMinutes] = useState('10');
  const [dataDir, setDataDir] = useState('');
  const [url, setUrl] = useState('');
  const [searchedAge, setSearchedAge] = useState(10);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const { job: finding } = useJob(findId);
  const { job: removing } = useJob(removeId);

  useEffect(() => {
    api['targets:detect']({}).then(
      (all) => {
        // PostgreSQL targets first: an Odoo instance holds only the temporary databases of restores that replace one.
        const usable = [...all.filter((t) => t.target.type !== 'odoo'), ...all.filter((t) => t.target.type === 'odoo')];
        setTargets(usable);
        setTargetId((cur) => cur || (usable.find((t) => t.available && t.target.type !== 'odoo') ?? usable[0])?.id || '');
      },
      (e: unknown) => (setError(toApiError(e)), setTargets([])),
    );
  }, [api]);

  const chosen = chosenTarget(targets, targetId, url);
  // A restore into a data folder of its own leaves its filestore folders there: look in it too.
  const target = chosen && chosen.type !== 'odoo' && dataDir.trim() ? { ...chosen, dataDir: dataDir.trim() } : chosen;
  const ageValid = minutes.trim() !== '' && Number.isFinite(Number(minutes)) && Number(minutes) >= 0;
  const start = (call: Promise<{ jobId: string }>, then: (jobId: string) => void): void => {
    setError(undefined);
    call.then((r) => then(r.jobId), (e: unknown) => setError(toApiError(e)));
  };
  const search = (): void => {
    const age = Number(minutes);
    if (!target || !ageValid) return;
    start(api['cleanup:find']({ target, minAgeMinutes: age }), (j) => (setConfirming(false), setSearchedAge(age), setFindId(j)));
  };
  const found = finding?.state === 'succeeded' ? (finding.result as CleanupFound) : undefined;
  const remove = (): void => {
    if (!target || !found) return;
    const leftovers = found.restores.leftovers.map(({ kind, name }) => ({ kind, name }));
    const temporaries = found.backups.temporaries.map(({ storage, id: tid }) => ({ storage, id: tid }));
    start(api['cleanup:remove']({ target, minAgeMinutes: searchedAge, leftovers, temporaries }), (j) => (setConfirming(false), setRemoveId(j)));
  };
  // Once a removal ends, what is left is searched for again.
  const removedDone = removing && removing.state !== 'running' ? removing.id : undefined;
  useEffect(() => {
    if (removedDone) search();
    // Only when a removal ends (search is a new function each render).
  }, [removedDone]);

  const busyId = live(removeId, removing) ?? live(findId, finding);
  const total = found ? found.restores.leftovers.length + found.backups.temporaries.length : 0;
  return (
    <section className="card settings-card" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>Clean up after interrupted runs</h2>
      <p className="muted">
        A restore or backup stopped by a crash, a kill or a power cut can leave a temporary database, a filestore folder or an unfinished upload behind. They are never listed as backups, but take space. Only
        this app&apos;s own temporary names are looked for; anything younger than the age set here (10 minutes unless you change it) may belong to a run still going and is left alone.
      </p>
      <div className="row">
        <label htmlFor={`${id}-t`}>Restore target</label>
        <select id={`${id}-t`} value={targetId} disabled={!targets || busyId !== undefined} onChange={(e) => (setTargetId(e.target.value), setFindId(undefined), setRemoveId(undefined))}>
          {(targets ?? []).map((t) => (
            <option key={t.id} value={t.id}>
              {t.label}
              {t.available ? '' : ' (not available)'}
            </option>
          ))}
          <option value={CUSTOM}>Another PostgreSQL server (by URL)</option>
        </select>
      </div>
      {targetId === CUSTOM ? (
        <div className="row">
          <label htmlFor={`${id}-url`}>Server URL</label>
          <input id={`${id}-url`} type="text" value={url} disabled={busyId !== undefined} placeholder="postgres://user@host:5432/postgres" aria-invalid={url.trim() !== '' && !chosen} onChange={(e) => (setUrl(e.target.value), setFindId(undefined), setRemoveId(undefined))} />
        </div>
      ) : null}
      {chosen?.type === 'odoo' ? (
        <p className="muted small">
          On an Odoo instance only the temporary databases (bd_tmp_…) of interrupted restores that replace a database are looked for. Odoo tells no age: make sure no such restore into it is running before you remove them.
        </p>
      ) : (
        <div className="row">
          <label htmlFor={`${id}-dir`}>Odoo data folder (optional)</label>
          <input id={`${id}-dir`} type="text" value={dataDir} disabled={busyId !== undefined} placeholder="the target's own, else ~/.local/share/Odoo" onChange={(e) => (setDataDir(e.target.value), setFindId(undefined), setRemoveId(undefined))} />
        </div>
      )}
      <div className="row">
        <label htmlFor={`${id}-age`}>Older than (minutes)</label>
        <input id={`${id}-age`} className="cleanup-age" type="number" min={0} value={minutes} disabled={busyId !== undefined} aria-invalid={!ageValid} onChange={(e) => setMinutes(e.target.value)} />
        <button type="button" className="btn" disabled={!target || !ageValid || busyId !== undefined} onClick={search}>
          {found ? 'Look again' : 'Look for leftovers'}
        </button>
      </div>
      {busyId ? <Running job={busyId === removeId ? removing : finding} jobId={busyId} /> : null}
      <ErrorMessage error={error ?? (finding?.state === 'failed' ? finding.error : undefined) ?? (removing?.state === 'failed' ? removing.error : undefined)} />
      {finding?.state === 'cancelled' ? <p className="muted">The search was cancelled.</p> : null}
      {removing?.state === 'cancelled' ? <p className="muted">The removal was cancelled; what it had removed is gone, the rest is listed again.</p> : null}
      {removing?.state === 'succeeded' ? <RemoveOutcome outcome={removing.result as CleanupRemoved} /> : null}
      {found && !busyId ? <Found found={found} /> : null}
      {found && !busyId && total > 0 ? <RemoveButton total={total} confirming={confirming} onAsk={() => (setRemoveId(undefined), setConfirming(true))} onCancel={() => setConfirming(false)} onRemove={remove} /> : null}
    </section>
  );
}

/** A running search or removal: what it is doing, how far, and Cancel. */
function Running({ job, jobId }: { job: JobSnapshotDto | undefined; jobId: string }) {
  const api = useApi();
  const p = job?.progress;
  return (
    <div className="row cleanup-running" aria-live="polite">
      <span>{p?.label ?? 'Starting…'}</span>
      {p?.total ? <ProgressBar value={p.done} max={p.total} label={p.label ?? 'Progress'} /> : null}
      <button type="button" className="btn" onClick={() => void api['jobs:cancel']({ jobId }).catch(() => undefined)}>
        Cancel
      </button>
    </div>
  );
}

/** "Remove N items…", then the confirmation. */
function RemoveButton(p: { total: number; confirming: boolean; onAsk: () => void; onCancel: () => void; onRemove: () => void }) {
  if (!p.confirming) {
    return (
      <div className="row">
        <button type="button" className="btn danger" onClick={p.onAsk}>
          Remove {countOf(p.total, 'item')}…
        </button>
      </div>
    );
  }
  return (
    <div className="row cleanup-confirm" role="group" aria-label="Confirm the removal">
      <span>Remove {countOf(p.total, 'item')} for good? A database dropped or an upload deleted cannot be brought back.</span>
      <button type="button" className="btn danger" onClick={p.onRemove}>
        Remove
      </button>
      <button type="button" className="btn" onClick={p.onCancel}>
        Cancel
      </button>
    </div>
  );
}

/** What the search found, restores and backups apart. */
function Found({ found }: { found: CleanupFound }) {
  const { restores: r, backups: b } = found;
  return (
    <div className="cleanup-found">
      <h3>Interrupted restores on {r.server}</h3>
      {r.error ? <p className="error-text">Could not look there: {r.error}</p> : null}
      {!r.error && r.leftovers.length === 0 ? <p className="muted">Nothing left by interrupted restores{r.dataDir ? ` (filestore folders looked for in ${r.dataDir})` : ''}.</p> : null}
      <ul className="plain-list">
        {r.leftovers.map((l) => (
          <li key={`${l.kind} ${l.name}`}>
            {l.kind === 'database' ? 'Database' : 'Filestore folder'} <span className="mono wrap">{l.name}</span>
            {age(l.ageMs)}
          </li>
        ))}
      </ul>
      {r.young > 0 ? <p className="muted">{countOf(r.young, 'younger leftover')} left alone: a restore may still be running (set “Older than” to 0 if none is).</p> : null}
      <h3>Interrupted backups on the storages</h3>
      {b.storages.length === 0 ? <p className="muted">No storage of a kind whose unfinished uploads can be listed (local folders, SFTP, S3, Swift).</p> : null}
      {b.storages.length > 0 && b.temporaries.length === 0 && b.failed.length === 0 ? <p className="muted">No unfinished uploads on {b.storages.join(', ')}.</p> : null}
      <ul className="plain-list">
        {b.temporaries.map((t) => (
          <li key={`${t.storage} ${t.id}`}>
            {t.storage}: <span className="mono wrap">{t.id}</span> — unfinished upload of {t.forKey}
            {t.size !== undefined ? `, ${formatBytes(t.size)}` : ''}
            {age(t.ageMs)}
          </li>
        ))}
      </ul>
      {b.failed.map((f) => (
        <p key={f.storage} className="error-text">
          Could not look on {f.storage}: {f.message}
        </p>
      ))}
      {b.young > 0 ? <p className="muted">{countOf(b.young, 'younger upload')} left alone: a backup may still be running (set “Older than” to 0 if none is).</p> : null}
    </div>
  );
}

/** What a removal did. */
function RemoveOutcome({ outcome }: { outcome: CleanupRemoved }) {
  return (
    <div role="status">
      <p>Removed {countOf(outcome.removed, 'item')}.</p>
      {outcome.failed.map((f) => (
        <p key={f.what} className="error-text">
          Not removed: {f.what}: {f.message}
        </p>
      ))}
    </div>
  );
}
