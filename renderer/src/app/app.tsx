/** The app shell: sidebar navigation, screens, dialogs, first run, and drag-and-drop of backup files. */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ApiError, ApiResult, BackupEntry, Catalog, StorageSummary } from '../../../shared/contract/api';
import { toApiError } from '../api';
import { ErrorMessage } from '../components/ui';
import { ActivityView } from '../features/activity/activity-view';
import { AttachmentsView } from '../features/attachments/attachments-view';
import { BackupsView } from '../features/backups/backups-view';
import { DownloadDialog } from '../features/download/download-dialog';
import { VerifyDialog } from '../features/verify/verify-dialog';
import { BackupDialog } from '../features/backup/backup-dialog';
import { DroppedFile, type OpenedItem } from '../features/first-run/dropped-file';
import { FirstRun } from '../features/first-run/first-run';
import { HistoryView } from '../features/history/history-view';
import { OdooInstancesView } from '../features/odoo-instances/odoo-instances-view';
import { SchedulesView } from '../features/schedules/schedules-view';
import { RestoreWizard, type RestorePreset, type RestoreSource } from '../features/restore/restore-wizard';
import { loadPrefs, savePrefs, SettingsView, type UiPrefs } from '../features/settings/settings-view';
import { StoragesView } from '../features/storages/storages-view';
import { VaultUnlock } from '../features/vault-unlock/vault-unlock';
import { useApi, useJobs } from './api-context';

/** The screens in the sidebar. */
export type Screen = 'backups' | 'storages' | 'odoo' | 'attachments' | 'schedules' | 'activity' | 'history' | 'settings';

const NAV: ReadonlyArray<{ id: Screen; label: string; icon: string }> = [
  { id: 'backups', label: 'Backups', icon: '▤' },
  { id: 'storages', label: 'Storages', icon: '⛁' },
  { id: 'odoo', label: 'Odoo instances', icon: '◎' },
  { id: 'attachments', label: 'Attachments', icon: '▦' },
  { id: 'schedules', label: 'Schedules', icon: '◷' },
  { id: 'activity', label: 'Activity', icon: '↻' },
  { id: 'history', label: 'History', icon: '☰' },
  { id: 'settings', label: 'Settings', icon: '⚙' },
];

/** Turns a catalog entry into what the restore wizard needs. */
export function entryToSource(e: BackupEntry): RestoreSource {
  return { source: e.ref, label: e.key, database: e.database, encrypted: e.encrypted, storage: e.storage, format: e.format, size: e.size, createdAt: e.createdAt, timeIsLocal: e.timeIsLocal, selfContained: e.selfContained, odooVersion: e.odooVersion };
}

/** The whole app. */
export function App() {
  const api = useApi();
  const [screen, setScreen] = useState<Screen>('backups');
  const [storages, setStorages] = useState<StorageSummary[] | undefined>(undefined);
  const [catalog, setCatalog] = useState<Catalog | undefined>(undefined);
  const [loading, setLoading] = useState(false);
  const [fatal, setFatal] = useState<ApiError | undefined>(undefined);
  const [info, setInfo] = useState<ApiResult<'app:info'> | undefined>(undefined);
  const [prefs, setPrefs] = useState<UiPrefs>(loadPrefs);
  const [skipFirstRun, setSkipFirstRun] = useState(false);
  const [restore, setRestore] = useState<RestoreSource | undefined>(undefined);
  const [restorePreset, setRestorePreset] = useState<RestorePreset | undefined>(undefined);
  const [download, setDownload] = useState<BackupEntry | undefined>(undefined);
  const [verify, setVerify] = useState<BackupEntry | undefined>(undefined);
  const [backupNow, setBackupNow] = useState(false);
  const [dropped, setDropped] = useState<OpenedItem | undefined>(undefined);
  const [dragging, setDragging] = useState(false);
  const dragDepth = useRef(0);
  const { jobs } = useJobs();
  const running = jobs.filter((j) => j.state === 'running').length;

  const loadStorages = useCallback(() => {
    api['storages:list']({}).then(
      (s) => {
        setStorages(s);
        setFatal(undefined);
      },
      (e: unknown) => setFatal(toApiError(e)),
    );
  }, [api]);
  const loadCatalog = useCallback(() => {
    setLoading(true);
    api['catalog:list']({ includeStrays: true }).then(
      (c) => {
        setCatalog(c);
        setLoading(false);
      },
      (e: unknown) => {
        setLoading(false);
        setFatal(toApiError(e));
      },
    );
  }, [api]);

  useEffect(() => {
    loadStorages();
    api['app:info']({}).then(setInfo, () => undefined);
  }, [api, loadStorages]);
  useEffect(() => {
    if (storages && storages.length > 0) loadCatalog();
    else if (storages) setCatalog({ backups: [], strays: [], failures: [] });
  }, [storages, loadCatalog]);

  useEffect(() => {
    const el = document.documentElement;
    if (prefs.theme === 'system') delete el.dataset.theme;
    else el.dataset.theme = prefs.theme;
    savePrefs(prefs);
  }, [prefs]);

  // Drag-and-drop a backup file anywhere on the window.
  useEffect(() => {
    const hasFiles = (e: DragEvent): boolean => [...(e.dataTransfer?.types ?? [])].includes('Files');
    const enter = (e: DragEvent): void => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      dragDepth.current++;
      setDragging(true);
    };
    const over = (e: DragEvent): void => {
      if (hasFiles(e)) e.preventDefault();
    };
    const leave = (): void => {
      dragDepth.current = Math.max(0, dragDepth.current - 1);
      if (dragDepth.current === 0) setDragging(false);
    };
    const drop = (e: DragEvent): void => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      dragDepth.current = 0;
      setDragging(false);
      const f = e.dataTransfer?.files[0];
      if (f) setDropped({ file: f });
    };
    window.addEventListener('dragenter', enter);
    window.addEventListener('dragover', over);
    window.addEventListener('dragleave', leave);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragenter', enter);
      window.removeEventListener('dragover', over);
      window.removeEventListener('dragleave', leave);
      window.removeEventListener('drop', drop);
    };
  }, []);

  // Electron's File > Open backup… hands us a path.
  useEffect(() => api.onOpenBackup?.((path) => setDropped({ path })), [api]);

  const firstRun = storages !== undefined && storages.length === 0 && !skipFirstRun;

  const mainRef = useRef<HTMLElement>(null);
  const go = (s: Screen): void => {
    setSkipFirstRun(true);
    setScreen(s);
    mainRef.current?.focus();
  };

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <nav className="sidebar" aria-label="Main">
        <div className="brand">
          <span className="logo-mark" aria-hidden="true">
            ⛁
          </span>
          <span>
            Backup Desk
            <span className="muted small block">for Odoo</span>
          </span>
        </div>
        <ul>
          {NAV.map((n) => (
            <li key={n.id}>
              <button
                type="button"
                className={`nav-item ${screen === n.id && !firstRun ? 'on' : ''}`}
                aria-current={screen === n.id && !firstRun ? 'page' : undefined}
                onClick={() => go(n.id)}
              >
                <span className="nav-icon" aria-hidden="true">
                  {n.icon}
                </span>
                {n.label}
                {n.id === 'activity' && running > 0 ? (
                  <span className="nav-count" aria-label={`${running} running`}>
                    {running}
                  </span>
                ) : null}
                {n.id === 'storages' && storages ? <span className="nav-count muted-count">{storages.length}</span> : null}
              </button>
            </li>
          ))}
        </ul>
        <div className="sidebar-foot muted small">{info ? `v${info.version}` : ''}</div>
      </nav>
      <main id="main" ref={mainRef} tabIndex={-1} className="main">
        {fatal ? <ErrorMessage error={fatal} onRetry={loadStorages} /> : null}
        {firstRun ? (
          <FirstRun home={info?.home} onDone={loadStorages} onSkip={() => setSkipFirstRun(true)} onFiles={(f) => f[0] && setDropped({ file: f[0] })} onCloud={() => go('storages')} />
        ) : screen === 'backups' ? (
          <BackupsView
            catalog={catalog}
            loading={loading}
            onRefresh={loadCatalog}
            utc={prefs.utc}
            {...(storages ? { storageCount: storages.length } : {})}
            onRestore={(e) => setRestore(entryToSource(e))}
            onDownload={(e) => setDownload(e)}
            onVerify={(e) => setVerify(e)}
            onBackup={() => setBackupNow(true)}
          />
        ) : screen === 'storages' ? (
          <StoragesView storages={storages} onChanged={loadStorages} />
        ) : screen === 'odoo' ? (
          <OdooInstancesView
            restoreHere={{
              backups: catalog?.backups,
              onRestoreHere: (e, preset) => {
                setRestorePreset(preset);
                setRestore(entryToSource(e));
              },
            }}
          />
        ) : screen === 'attachments' ? (
          <AttachmentsView reloadKey={jobs.filter((j) => j.state !== 'running').length} />
        ) : screen === 'schedules' ? (
          <SchedulesView reloadKey={jobs.filter((j) => j.state !== 'running').length} utc={prefs.utc} />
        ) : screen === 'activity' ? (
          <ActivityView jobs={jobs} />
        ) : screen === 'history' ? (
          <HistoryView reloadKey={jobs.filter((j) => j.state !== 'running').length} utc={prefs.utc} />
        ) : (
          <SettingsView prefs={prefs} onPrefs={setPrefs} />
        )}
      </main>
      {dragging ? (
        <div className="drop-overlay" aria-hidden="true">
          <div>Drop a backup file to inspect and restore it</div>
        </div>
      ) : null}
      {dropped ? (
        <DroppedFile
          item={dropped}
          onClose={() => setDropped(undefined)}
          onRestore={(s) => {
            setDropped(undefined);
            setRestore(s);
          }}
        />
      ) : null}
      {restore ? (
        <RestoreWizard
          initial={restore}
          preset={restorePreset}
          onClose={() => {
            setRestore(undefined);
            setRestorePreset(undefined);
          }}
        />
      ) : null}
      {backupNow ? (
        <BackupDialog
          storages={(storages ?? []).map((s) => s.name)}
          onClose={() => {
            setBackupNow(false);
            loadCatalog();
          }}
        />
      ) : null}
      {download ? <DownloadDialog entry={download} home={info?.home} onClose={() => setDownload(undefined)} /> : null}
      {verify ? <VerifyDialog entry={verify} onClose={() => setVerify(undefined)} /> : null}
      <VaultUnlock />
    </div>
  );
}
