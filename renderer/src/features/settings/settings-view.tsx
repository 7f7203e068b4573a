/** The Settings screen: appearance and time display (kept in this browser/profile), cleaning up after interrupted runs, and facts about the app. */
import { useEffect, useState } from 'react';
import type { ApiResult } from '../../../../shared/contract/api';
import { useApi } from '../../app/api-context';
import { CleanupCard } from './cleanup-card';

/** UI preferences. */
export interface UiPrefs {
  readonly theme: 'system' | 'light' | 'dark';
  readonly utc: boolean;
}

const PREFS_KEY = 'backup-desk-prefs';

/** Loads the UI preferences from localStorage. */
export function loadPrefs(): UiPrefs {
  try {
    const p = JSON.parse(localStorage.getItem(PREFS_KEY) ?? '{}') as Partial<UiPrefs>;
    return { theme: p.theme === 'light' || p.theme === 'dark' ? p.theme : 'system', utc: p.utc === true };
  } catch {
    return { theme: 'system', utc: false };
  }
}

/** Saves the UI preferences. */
export function savePrefs(p: UiPrefs): void {
  try {
    localStorage.setItem(PREFS_KEY, JSON.stringify(p));
  } catch {
    /* private mode: keep in memory only */
  }
}

/** What "unavailable" means and how to get a place for secrets. */
export const NO_SECRETS =
  'No OS keychain and no vault: cloud storages cannot keep their keys and no backup passphrase can be remembered. Start a Secret Service (gnome-keyring, KeePassXC), or create an encrypted vault with `backup-desk secrets vault init`.';

/** Settings. */
export function SettingsView({ prefs, onPrefs }: { prefs: UiPrefs; onPrefs: (p: UiPrefs) => void }) {
  const api = useApi();
  const [info, setInfo] = useState<ApiResult<'app:info'> | undefined>(undefined);
  useEffect(() => {
    api['app:info']({}).then(setInfo, () => undefined);
  }, [api]);
  return (
    <div className="screen">
      <header className="screen-header">
        <div>
          <h1>Settings</h1>
        </div>
      </header>
      <section className="card settings-card" aria-labelledby="appearance">
        <h2 id="appearance">Appearance</h2>
        <fieldset className="choices horizontal">
          <legend>Theme</legend>
          {(['system', 'light', 'dark'] as const).map((t) => (
            <label key={t} className="choice">
              <input type="radio" name="theme" checked={prefs.theme === t} onChange={() => onPrefs({ ...prefs, theme: t })} />
              <span>{t === 'system' ? 'Follow the system' : t === 'light' ? 'Light' : 'Dark'}</span>
            </label>
          ))}
        </fieldset>
        <fieldset className="choices horizontal">
          <legend>Dates in the backups list</legend>
          <label className="choice">
            <input type="radio" name="tz" checked={!prefs.utc} onChange={() => onPrefs({ ...prefs, utc: false })} />
            <span>Local time (UTC on hover)</span>
          </label>
          <label className="choice">
            <input type="radio" name="tz" checked={prefs.utc} onChange={() => onPrefs({ ...prefs, utc: true })} />
            <span>UTC</span>
          </label>
        </fieldset>
      </section>
      <CleanupCard />
      <section className="card settings-card" aria-labelledby="about">
        <h2 id="about">About this installation</h2>
        {info ? (
          <dl className="facts">
            <dt>Version</dt>
            <dd>{info.version}</dd>
            <dt>Data folder</dt>
            <dd className="mono wrap">{info.home}</dd>
            <dt>Secrets kept in</dt>
            <dd>
              {info.secretsBackend}
              {info.secretsBackend === 'unavailable' ? <p className="field-help">{NO_SECRETS}</p> : null}
            </dd>
            <dt>Platform</dt>
            <dd>{info.platform}</dd>
            <dt>Running as</dt>
            <dd>{api.host === 'electron' ? 'Desktop app' : 'Web app served by backup-desk serve'}</dd>
          </dl>
        ) : (
          <p className="muted">Loading…</p>
        )}
      </section>
    </div>
  );
}
