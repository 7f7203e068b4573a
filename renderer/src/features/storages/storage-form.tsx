/** The add-storage form, generated from a storage kind's `fields` (one form per provider). */
import { useEffect, useId, useState } from 'react';
import type { z } from 'zod';
import { API_METHOD_NAMES, type ApiError, type storageKindSchema } from '../../../../shared/contract/api';
import { fieldApplies } from '../../../../shared/contract/storages';
import { toApiError } from '../../api';
import { useApi } from '../../app/api-context';
import { ErrorMessage, Field } from '../../components/ui';
import { ConnectStorage } from './connect-storage';
import { SecretInput } from './secret-input';

/** A storage type and its settings. */
export type StorageKind = z.infer<typeof storageKindSchema>;
type FieldDef = StorageKind['fields'][number];

/** The contract method that starts an OAuth "Connect" flow, when the core offers one. */
export const CONNECT_METHOD = API_METHOD_NAMES.find((m) => /^(accounts|storages|oauth):connect$/.test(m));

/** Splits form values into settings and secrets and converts types; returns errors by field. */
export function collectValues(
  fields: readonly FieldDef[],
  values: Record<string, string | boolean>,
): { settings: Record<string, unknown>; secrets: Record<string, string>; errors: Record<string, string> } {
  const settings: Record<string, unknown> = {};
  const secrets: Record<string, string> = {};
  const errors: Record<string, string> = {};
  for (const f of fields) {
    const raw = values[f.name];
    if (f.type === 'boolean') {
      settings[f.name] = raw === true;
      continue;
    }
    const text = typeof raw === 'string' ? raw.trim() : '';
    if (text === '') {
      if (f.required) errors[f.name] = `${f.label} is required.`;
      continue;
    }
    if (f.type === 'number') {
      const n = Number(text);
      if (!Number.isFinite(n)) {
        errors[f.name] = `${f.label} must be a number.`;
        continue;
      }
      settings[f.name] = n;
    } else if (f.secret) secrets[f.name] = typeof raw === 'string' ? raw : '';
    else settings[f.name] = text;
  }
  return { settings, secrets, errors };
}

/** The fields of `kind` that apply to these values (SFTP's password only when it logs in with one). */
function applicable(kind: StorageKind, values: Record<string, string | boolean>): readonly FieldDef[] {
  return kind.fields.filter((f) => fieldApplies(f, values, kind.fields));
}

/** Props of the form. */
export interface StorageFormProps {
  readonly kinds: readonly StorageKind[];
  readonly existingNames: readonly string[];
  readonly onAdded: (name: string) => void;
  readonly onCancel: () => void;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Add a storage: choose a kind, fill its fields, add (and test). */
export function StorageForm({ kinds, existingNames, onAdded, onCancel }: StorageFormProps) {
  const api = useApi();
  const base = useId();
  const [kind, setKind] = useState(kinds[0]?.kind ?? '');
  const [name, setName] = useState('');
  const [values, setValues] = useState<Record<string, string | boolean>>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  /** The OAuth storage just added, now signing in. */
  const [connecting, setConnecting] = useState<string | undefined>(undefined);
  const def = kinds.find((k) => k.kind === kind);

  const initialFor = (k: StorageKind | undefined): Record<string, string | boolean> =>
    Object.fromEntries((k?.fields ?? []).map((f) => [f.name, f.type === 'boolean' ? f.default === true : f.default !== undefined ? String(f.default) : '']));
  useEffect(() => {
    setValues(initialFor(def));
    setErrors({});
  }, [def]);

  const nameError = name === '' ? undefined : !NAME_RE.test(name) ? 'Use letters, digits, “_”, “.” or “-”.' : existingNames.includes(name) ? 'A storage with this name exists.' : undefined;

  const submit = (then?: 'connect'): void => {
    if (!def) return;
    const c = collectValues(applicable(def, values), values);
    const errs = { ...c.errors };
    if (!name) errs.__name = 'Give the storage a name.';
    setErrors(errs);
    if (Object.keys(errs).length > 0 || nameError) return;
    setBusy(true);
    setError(undefined);
    api['storages:add']({ name, kind, settings: c.settings, secrets: c.secrets }).then(
      (s) => {
        setBusy(false);
        if (then === 'connect') setConnecting(s.name);
        else onAdded(s.name);
      },
      (e: unknown) => {
        setBusy(false);
        setError(toApiError(e));
      },
    );
  };

  if (connecting) {
    return (
      <div className="storage-form" aria-label={`Connect ${connecting}`}>
        <p>
          Storage “{connecting}” was added. Sign in to {def?.label ?? 'the provider'} to let Backup Desk read it.
        </p>
        <ConnectStorage name={connecting} autoStart onConnected={() => onAdded(connecting)} />
        <div className="wizard-nav">
          <button type="button" className="btn" onClick={() => onAdded(connecting)}>
            Connect later
          </button>
        </div>
      </div>
    );
  }

  return (
    <form
      className="storage-form"
      aria-label="Add a storage"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <Field label="Type" htmlFor={`${base}-kind`}>
        <select id={`${base}-kind`} value={kind} onChange={(e) => setKind(e.target.value)}>
          {kinds.map((k) => (
            <option key={k.kind} value={k.kind}>
              {k.label}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Name" htmlFor={`${base}-name`} help="How this storage appears in the list, e.g. “prod-s3”." error={nameError ?? errors.__name}>
        <input id={`${base}-name`} type="text" value={name} spellCheck={false} onChange={(e) => setName(e.target.value)} />
      </Field>
      {def?.oauth ? (
        <div className="oauth-box">
          <button
            type="button"
            className="btn primary"
            disabled={!CONNECT_METHOD || busy}
            title={CONNECT_METHOD ? undefined : 'Not available in this version'}
            onClick={() => submit('connect')}
          >
            Connect {def.label}…
          </button>
          {!CONNECT_METHOD ? (
            <p className="muted">
              Signing in through the browser is not available in this build yet. Fill in the fields below if this storage type offers a token or key instead.
            </p>
          ) : (
            <p className="muted">Opens the provider's sign-in page; Backup Desk never sees your password.</p>
          )}
        </div>
      ) : null}
      {(def ? applicable(def, values) : []).map((f) => {
        const id = `${base}-f-${f.name}`;
        const v = values[f.name];
        return f.type === 'boolean' ? (
          <label key={f.name} className="choice">
            <input id={id} type="checkbox" checked={v === true} onChange={(e) => setValues((o) => ({ ...o, [f.name]: e.target.checked }))} />
            <span>
              <strong>{f.label}</strong>
              {f.help ? <span className="muted block">{f.help}</span> : null}
            </span>
          </label>
        ) : (
          <Field key={f.name} label={`${f.label}${f.required ? '' : ' (optional)'}`} htmlFor={id} help={f.help} error={errors[f.name]}>
            {f.type === 'select' ? (
              <select id={id} value={String(v ?? '')} onChange={(e) => setValues((o) => ({ ...o, [f.name]: e.target.value }))}>
                {!f.required ? <option value="">—</option> : null}
                {f.options?.map((o) => (
                  <option key={o} value={o}>
                    {o}
                  </option>
                ))}
              </select>
            ) : (
              <div className="row">
                {f.secret ? (
                  <SecretInput id={id} multiline={f.multiline} required={f.required} value={String(v ?? '')} onChange={(value) => setValues((o) => ({ ...o, [f.name]: value }))} />
                ) : (
                  <input
                    id={id}
                    type={f.type === 'number' ? 'number' : 'text'}
                    spellCheck={false}
                    aria-required={f.required}
                    value={String(v ?? '')}
                    onChange={(e) => setValues((o) => ({ ...o, [f.name]: e.target.value }))}
                  />
                )}
                {f.type === 'path' && api.pickFolder ? (
                  <button
                    type="button"
                    className="btn"
                    onClick={() => void api.pickFolder?.({ title: f.label }).then((p) => p && setValues((o) => ({ ...o, [f.name]: p })))}
                  >
                    Browse…
                  </button>
                ) : null}
              </div>
            )}
          </Field>
        );
      })}
      {def?.fields.some((f) => f.secret) ? <p className="muted small">Secrets are kept in the system keychain (or the app's encrypted vault), never in the config file.</p> : null}
      <ErrorMessage error={error} />
      <div className="wizard-nav">
        <button type="button" className="btn" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="btn primary" disabled={busy || !def}>
          {busy ? 'Adding…' : 'Add storage'}
        </button>
      </div>
    </form>
  );
}
