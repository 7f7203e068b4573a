/** The Storages screen: list, add (per-kind form), test and remove. */
import { useEffect, useState } from 'react';
import type { ApiError, ApiResult, StorageSummary } from '../../../../shared/contract/api';
import { toApiError } from '../../api';
import { useApi } from '../../app/api-context';
import { Badge, ErrorMessage, Modal } from '../../components/ui';
import { RotationPolicyLine } from '../rotation/rotation-policy';
import { ConnectStorage } from './connect-storage';
import { SecretForm } from './secret-form';
import { CONNECT_METHOD, StorageForm, type StorageKind } from './storage-form';

type TestResult = ApiResult<'storages:test'>;

/** Props of the Storages screen. */
export interface StoragesViewProps {
  readonly storages: readonly StorageSummary[] | undefined;
  readonly onChanged: () => void;
}

/** Configured storages. */
export function StoragesView({ storages, onChanged }: StoragesViewProps) {
  const api = useApi();
  const [kinds, setKinds] = useState<StorageKind[] | undefined>(undefined);
  const [adding, setAdding] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [tests, setTests] = useState<Record<string, TestResult | 'running' | ApiError>>({});
  const [removing, setRemoving] = useState<string | undefined>(undefined);
  const [changing, setChanging] = useState<StorageSummary | undefined>(undefined);

  useEffect(() => {
    api['storages:kinds']({}).then(setKinds, (e: unknown) => setError(toApiError(e)));
  }, [api]);

  const test = (name: string): void => {
    setTests((t) => ({ ...t, [name]: 'running' }));
    api['storages:test']({ name }).then(
      (r) => setTests((t) => ({ ...t, [name]: r })),
      (e: unknown) => setTests((t) => ({ ...t, [name]: toApiError(e) })),
    );
  };

  const remove = (name: string): void => {
    api['storages:remove']({ name }).then(
      () => {
        setRemoving(undefined);
        onChanged();
      },
      (e: unknown) => {
        setRemoving(undefined);
        setError(toApiError(e));
      },
    );
  };

  const kindLabel = (k: string): string => kinds?.find((x) => x.kind === k)?.label ?? k;
  const isOAuth = (k: string): boolean => kinds?.find((x) => x.kind === k)?.oauth === true;
  const hasSecrets = (k: string): boolean => !isOAuth(k) && (kinds?.find((x) => x.kind === k)?.fields.some((f) => f.secret) ?? false);
  const changingKind = changing ? kinds?.find((x) => x.kind === changing.kind) : undefined;

  return (
    <div className="screen">
      <header className="screen-header">
        <div>
          <h1>Storages</h1>
          <p className="muted">Where your backups live. Browsing, downloading and restoring only read them. Adding or testing a storage writes a small probe file and deletes it again; a backup is deleted only when a rotation you set up lets it go, and strays or other files are never touched.</p>
        </div>
        <button type="button" className="btn primary" onClick={() => setAdding(true)} disabled={!kinds}>
          Add storage
        </button>
      </header>
      <ErrorMessage error={error} />
      {storages && storages.length === 0 ? <p className="empty">No storages yet. Add the folder or bucket where your Odoo backups are.</p> : null}
      <ul className="card-list" aria-label="Storages">
        {storages?.map((s) => {
          const t = tests[s.name];
          return (
            <li key={s.name} className="card">
              <div className="card-main">
                <h2>
                  {s.name} <Badge tone="neutral">{kindLabel(s.kind)}</Badge>
                  {s.status && s.status !== 'ok' ? <Badge tone="warn">{s.status === 'needs-reconnect' ? 'needs reconnect' : 'needs secret'}</Badge> : null}
                </h2>
                <p className="muted mono">{s.description}</p>
                <RotationPolicyLine storage={s.name} />
                {t === 'running' ? <p role="status">Testing…</p> : null}
                {t && t !== 'running' && 'checks' in t ? (
                  <ul className="checks" aria-label={`Test results for ${s.name}`}>
                    {t.checks.map((c) => (
                      <li key={c.name} className={c.ok ? 'ok' : 'bad'}>
                        <span aria-hidden="true">{c.ok ? '✓' : '✗'}</span> <strong>{c.name}</strong>: {c.message}
                      </li>
                    ))}
                  </ul>
                ) : null}
                {t && t !== 'running' && 'kind' in t ? <ErrorMessage error={t} /> : null}
                {s.status === 'needs-reconnect' ? <p className="muted">The sign-in was revoked or has expired: reconnect to read this storage again.</p> : null}
              </div>
              <div className="card-actions">
                {CONNECT_METHOD && isOAuth(s.kind) && s.status && s.status !== 'ok' ? (
                  <ConnectStorage name={s.name} reconnect={s.status === 'needs-reconnect'} onConnected={onChanged} />
                ) : null}
                <button type="button" className="btn" onClick={() => test(s.name)} disabled={t === 'running'}>
                  Test
                </button>
                {hasSecrets(s.kind) ? (
                  <button type="button" className="btn" onClick={() => setChanging(s)}>
                    Change secret
                  </button>
                ) : null}
                <button type="button" className="btn danger-outline" onClick={() => setRemoving(s.name)}>
                  Remove
                </button>
              </div>
            </li>
          );
        })}
      </ul>
      {adding && kinds ? (
        <Modal title="Add a storage" onClose={() => setAdding(false)}>
          <StorageForm
            kinds={kinds}
            existingNames={storages?.map((s) => s.name) ?? []}
            onCancel={() => setAdding(false)}
            onAdded={(name) => {
              setAdding(false);
              onChanged();
              test(name);
            }}
          />
        </Modal>
      ) : null}
      {changing && changingKind ? (
        <Modal title={`Change the secret of “${changing.name}”`} onClose={() => setChanging(undefined)}>
          <SecretForm
            name={changing.name}
            kind={changingKind}
            settings={changing.settings}
            onCancel={() => setChanging(undefined)}
            onSaved={() => {
              setChanging(undefined);
              onChanged();
              test(changing.name);
            }}
          />
        </Modal>
      ) : null}
      {removing ? (
        <Modal title={`Remove “${removing}”?`} onClose={() => setRemoving(undefined)}>
          <p>Backup Desk forgets this storage and its saved secrets. The backups on it are not touched.</p>
          <div className="wizard-nav">
            <button type="button" className="btn" onClick={() => setRemoving(undefined)}>
              Keep it
            </button>
            <button type="button" className="btn danger" onClick={() => remove(removing)}>
              Remove storage
            </button>
          </div>
        </Modal>
      ) : null}
    </div>
  );
}
