/** The side panel for one backup: catalog facts, and what `backups:inspect` finds inside. */
import { useEffect, useId, useRef, useState } from 'react';
import type { ApiError, ApiResult, AttachmentReport, BackupEntry, InspectResult } from '../../../../shared/contract/api';
import { toApiError } from '../../api';
import { useApi } from '../../app/api-context';
import { backupTimeFull, CONVENTION_LABELS, formatBackupTime, formatBytes, formatLocal } from '../../components/format';
import { Badge, ErrorMessage, RememberPassphrase } from '../../components/ui';
import { PrivateKeyField, passphraseHelp, passphraseMissing, privateKeyArg, usePassphraseRemembered, type LoadedPrivateKey } from '../../components/passphrase';

/** Props of the detail panel. */
export interface DetailPanelProps {
  readonly entry: BackupEntry;
  readonly onClose: () => void;
  readonly onRestore: (entry: BackupEntry) => void;
  readonly onDownload: (entry: BackupEntry) => void;
  /** Opens the verify dialog (absent: no Verify button). */
  readonly onVerify?: (entry: BackupEntry) => void;
  /** Called with what an inspect read, so the table can show it (the Odoo version) at once. */
  readonly onInspected?: (ref: string, result: InspectResult) => void;
}

type Run = ApiResult<'history:list'>[number];

/** The newest restore drill of this backup in the run history (undefined while loading, null when none). */
function useLatestDrill(entry: BackupEntry): Run | null | undefined {
  const api = useApi();
  const [run, setRun] = useState<Run | null | undefined>(undefined);
  useEffect(() => {
    setRun(undefined);
    api['history:list']({ kind: 'drill', db: entry.database }).then(
      (runs) => setRun(runs.find((r) => r.refs.includes(entry.ref)) ?? null),
      () => setRun(null),
    );
  }, [api, entry.ref, entry.database]);
  return run;
}

/** A drill of a backup without all its S3/Swift attachments: what it could not check. */
function DrillAttachmentsNote({ run }: { run: Run }) {
  const a = run.details.attachments as { notInBackup?: number; message?: string } | undefined;
  if (!a?.notInBackup) return null;
  return <span className="muted" title={a.message}>{` — ${a.notInBackup} attachment objects only in S3/Swift were not checked (restored read-only)`}</span>;
}

/** Whether a restore drill proved this backup restores into a working Odoo database. */
function DrillFact({ run }: { run: Run | null | undefined }) {
  if (run === undefined) return <span className="muted">…</span>;
  if (run === null) return <span className="muted">never drilled (a restore drill schedule checks its backups)</span>;
  const when = formatLocal(run.endedAt ?? run.startedAt);
  if (run.outcome === 'ok') return <><Badge tone="good">{`passed ${when}`}</Badge><DrillAttachmentsNote run={run} /></>;
  if (run.outcome === 'running') return <Badge tone="info">running</Badge>;
  return (
    <>
      <Badge tone="bad">{`${run.outcome} ${when}`}</Badge>
      {run.error ? <span className="muted"> {run.error.message}</span> : null}
    </>
  );
}

/** Catalog facts and inspection of one backup. */
export function DetailPanel({ entry, onClose, onRestore, onDownload, onVerify, onInspected }: DetailPanelProps) {
  const api = useApi();
  const [inspect, setInspect] = useState<InspectResult | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [attachmentsPending, setAttachmentsPending] = useState(false);
  /** The backup on show: answers for another one (the user moved on) are dropped. */
  const shown = useRef(entry.ref);
  const [passphrase, setPassphrase] = useState('');
  const remembered = usePassphraseRemembered(entry.encrypted ? entry.storage : undefined);
  const [remember, setRemember] = useState(false);
  const [privateKey, setPrivateKey] = useState<LoadedPrivateKey | undefined>(undefined);
  const rememberId = useId();
  const [showModules, setShowModules] = useState(false);
  const passId = useId();
  const [target, setTarget] = useState<ApiResult<'targets:detect'>[number] | undefined>(undefined);
  const drill = useLatestDrill(entry);
  useEffect(() => {
    api['targets:detect']({}).then((t) => setTarget(t.find((x) => x.available)), () => undefined);
  }, [api]);

  /**
   * Inspects the backup. Plain backups are read twice: first without the attachments (the
   * manifest and the zip's directory: at once), then with them, which means reading the dump
   * (seconds on a large backup) — the panel shows the rest meanwhile. An encrypted backup is
   * read once, whole: each reading would decrypt it again, with the passphrase or the private key given.
   */
  const run = (pass?: string, key?: LoadedPrivateKey): void => {
    const ref = entry.ref;
    const args = { source: ref, ...(pass ? { passphrase: pass, ...(remember ? { rememberPassphrase: true } : {}) } : {}), ...privateKeyArg(key) };
    const current = (): boolean => shown.current === ref;
    setBusy(true);
    setError(undefined);
    const full = (): void => {
      api['backups:inspect'](args).then(
        (r) => {
          if (!current()) return;
          setInspect(r);
          setBusy(false);
          setAttachmentsPending(false);
          onInspected?.(ref, r);
        },
        (e: unknown) => {
          if (!current()) return;
          setError(toApiError(e));
          setBusy(false);
          setAttachmentsPending(false);
        },
      );
    };
    if (entry.encrypted) return full();
    api['backups:inspect']({ ...args, attachments: false }).then(
      (r) => {
        if (!current()) return;
        setInspect(r);
        setBusy(false);
        setAttachmentsPending(true);
        full();
      },
      (e: unknown) => {
        if (!current()) return;
        setError(toApiError(e));
        setBusy(false);
      },
    );
  };

  useEffect(() => {
    shown.current = entry.ref;
    setInspect(undefined);
    setError(undefined);
    setPassphrase('');
    setPrivateKey(undefined);
    setAttachmentsPending(false);
    if (!entry.encrypted) run();
  }, [entry.ref]);

  const modules = inspect?.modules ? Object.entries(inspect.modules).sort(([a], [b]) => a.localeCompare(b)) : [];

  return (
    <aside className="detail" aria-label={`Details of ${entry.database} backup`}>
      <header className="detail-header">
        <div>
          <h2>{entry.database}</h2>
          <p className="muted" title={backupTimeFull(entry)}>
            {formatBackupTime(entry)} · {entry.storage}
          </p>
        </div>
        <button type="button" className="icon-btn" aria-label="Close details" onClick={onClose}>
          ×
        </button>
      </header>
      <div className="detail-actions">
        <button type="button" className="btn primary" onClick={() => onRestore(withInspected(entry, inspect))}>
          Restore…
        </button>
        <button type="button" className="btn" onClick={() => onDownload(entry)}>
          {entry.encrypted ? 'Download & decrypt…' : 'Download…'}
        </button>
        {onVerify ? (
          <button type="button" className="btn" onClick={() => onVerify(entry)}>
            Verify…
          </button>
        ) : null}
      </div>
      <dl className="facts">
        <dt>File</dt>
        <dd className="mono wrap">{entry.key}</dd>
        <dt>Format</dt>
        <dd>{entry.format}</dd>
        <dt>Size</dt>
        <dd>{formatBytes(entry.size)}</dd>
        <dt>Encrypted</dt>
        <dd>{entry.encrypted ? 'Yes' : 'No'}</dd>
        <dt>Layout</dt>
        <dd>{CONVENTION_LABELS[entry.convention] ?? entry.convention}</dd>
        <dt>{entry.timeIsLocal ? 'Created' : 'Created (UTC)'}</dt>
        <dd>
          {backupTimeFull(entry)}
          {entry.timeIsLocal ? <span className="muted"> (server-local time; zone unknown)</span> : null}
        </dd>
        <dt>Restore drill</dt>
        <dd>
          <DrillFact run={drill} />
        </dd>
        {entry.companions?.length ? (
          <>
            <dt>Companions</dt>
            <dd className="mono wrap">{entry.companions.join(', ')}</dd>
          </>
        ) : null}
      </dl>
      {entry.warnings?.length ? (
        <ul className="warnings" aria-label="Warnings">
          {entry.warnings.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      ) : null}
      <section aria-label="Contents" className="detail-section">
        <h3>Contents</h3>
        {entry.encrypted && (!inspect || inspect.contentsRead === false) ? (
          <form
            className="inline-form"
            onSubmit={(e) => {
              e.preventDefault();
              run(passphrase, privateKey);
            }}
          >
            <label htmlFor={passId}>Passphrase to look inside</label>
            <div className="row">
              <input id={passId} type="password" autoComplete="off" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} />
              <button type="submit" className="btn" disabled={(remember && !passphrase) || busy || (!privateKey && passphraseMissing(entry.storage, remembered, passphrase))}>
                Inspect
              </button>
            </div>
            <span className="muted block">{passphraseHelp(entry.storage, remembered)}</span>
            <RememberPassphrase id={rememberId} checked={remember} onChange={setRemember} />
            <PrivateKeyField id={passId} value={privateKey} onChange={setPrivateKey} />
          </form>
        ) : null}
        {busy ? <p className="muted" role="status">Reading the backup…</p> : null}
        <ErrorMessage error={error} />
        {inspect?.contentsRead === false ? <p className="muted">The contents are encrypted: give the passphrase (or the private key) to read them. Nothing is known about them until then.</p> : null}
        {inspect && inspect.contentsRead !== false ? (
          <>
            <dl className="facts">
              <dt>Odoo</dt>
              <dd>{inspect.odooVersion ?? '—'}</dd>
              <dt>Database</dt>
              <dd>{inspect.database ?? '—'}</dd>
              <dt>PostgreSQL</dt>
              <dd>{inspect.pgVersion ?? '—'}</dd>
              {inspect.dumpArchiveVersion ? (
                <>
                  <dt>Dump archive</dt>
                  <dd>{inspect.dumpArchiveVersion}</dd>
                </>
              ) : null}
              <dt>Filestore</dt>
              <dd>
                {inspect.filestoreFiles === undefined && (inspect.format === 'dump' || inspect.format === 'sql') ? (
                  <>
                    <Badge tone="neutral">none</Badge> <span className="muted">a .{inspect.format} holds the database only</span>
                  </>
                ) : inspect.filestoreFiles === undefined ? (
                  <>
                    <Badge tone="warn">none</Badge> <span className="muted">attachments will be missing</span>
                  </>
                ) : (
                  `${inspect.filestoreFiles} files${inspect.filestoreBytes !== undefined ? `, ${formatBytes(inspect.filestoreBytes)}` : ''}`
                )}
              </dd>
              {inspect.attachments ? (
                <>
                  <dt>Attachments</dt>
                  <dd>
                    {attachmentsLine(inspect.attachments)}{' '}
                    {inspect.attachments.selfContained ? null : <Badge tone="warn">not self-contained: some are only in object storage</Badge>}
                  </dd>
                </>
              ) : attachmentsPending ? (
                <>
                  <dt>Attachments</dt>
                  <dd className="muted" role="status">
                    reading the dump…
                  </dd>
                </>
              ) : null}
              <dt>Modules</dt>
              <dd>{modules.length || '—'}</dd>
              {target ? (
                <>
                  <dt>Restore target</dt>
                  <dd>
                    <Compatibility backupPg={inspect.pgVersion} format={inspect.format} targetLabel={target.label} targetDetail={target.detail} />
                  </dd>
                </>
              ) : null}
            </dl>
            {inspect.warnings?.length ? (
              <ul className="warnings">
                {inspect.warnings.map((w) => (
                  <li key={w}>{w}</li>
                ))}
              </ul>
            ) : null}
            {modules.length ? (
              <div>
                <button type="button" className="link-btn" aria-expanded={showModules} onClick={() => setShowModules((v) => !v)}>
                  {showModules ? 'Hide modules' : `Show ${modules.length} modules`}
                </button>
                {showModules ? (
                  <table className="mini-table">
                    <thead>
                      <tr>
                        <th scope="col">Module</th>
                        <th scope="col">Version</th>
                      </tr>
                    </thead>
                    <tbody>
                      {modules.map(([m, v]) => (
                        <tr key={m}>
                          <td>{m}</td>
                          <td className="mono">{v}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                ) : null}
              </div>
            ) : null}
          </>
        ) : null}
      </section>
    </aside>
  );
}

/**
 * The entry as the restore wizard should start from it, with what inspect read inside: whether it is
 * self-contained, and the database named in its manifest when the file name follows no convention
 * (the catalog only guessed it from the name: acme17_zip for acme17_zip.zip).
 */
export function withInspected(entry: BackupEntry, inspect: InspectResult | undefined): BackupEntry {
  if (!inspect) return entry;
  return {
    ...entry,
    ...(inspect.attachments ? { selfContained: inspect.attachments.selfContained } : {}),
    ...(entry.convention === 'generic' && inspect.database ? { database: inspect.database } : {}),
  };
}

/** PostgreSQL's major version in a text like "15.20", "15.0", "PostgreSQL 16.4 (Debian…)". */
export function pgMajor(text: string | undefined): number | undefined {
  const m = /(?:PostgreSQL\s+)?(\d+)(?:\.\d+)?/.exec(text ?? '');
  return m ? Number(m[1]) : undefined;
}

/** Whether the backup's PostgreSQL version suits the detected target, in plain words. */
export function Compatibility({ backupPg, format, targetLabel, targetDetail }: { backupPg: string | undefined; format: string; targetLabel: string; targetDetail: string | undefined }) {
  const from = pgMajor(backupPg);
  const to = pgMajor(targetDetail?.match(/PostgreSQL\s+\d+(\.\d+)?/)?.[0]);
  if (from === undefined || to === undefined) return <span>{targetLabel}</span>;
  if (from <= to) {
    return (
      <span>
        <Badge tone="good">compatible</Badge> {targetLabel} (PostgreSQL {to})
      </span>
    );
  }
  return (
    <span>
      <Badge tone="warn">newer source</Badge> made on PostgreSQL {from}, {targetLabel} runs {to}.{' '}
      {format === 'dump' ? 'A dump from a newer server may not load: restore into PostgreSQL ' + from + ' or newer.' : 'Plain SQL usually loads, but features of the newer server may fail.'}
    </span>
  );
}

/** Where a backup's attachments live, in one line. */
export function attachmentsLine(r: AttachmentReport): string {
  const places = r.groups
    .filter((g) => g.where !== 'url' && g.where !== 'empty')
    .map((g) => {
      const where = g.where === 'database' ? 'in the database' : g.where === 'filestore' ? 'in the filestore' : `in ${g.where === 'openstack' ? 'swift' : g.where}://${g.store ?? '?'}${g.inBackup !== undefined ? ` (${g.inBackup} of ${g.objects ?? 0} objects in the backup)` : ''}`;
      return `${g.count} ${where}`;
    });
  return `${r.total.count} (${formatBytes(r.total.bytes)}): ${places.join(', ') || 'none'}`;
}
