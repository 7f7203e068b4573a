/** "Change secret": replaces a storage's secrets (a rotated key, a mistyped password); its settings stay. */
import { useId, useState } from 'react';
import type { ApiError } from '../../../../shared/contract/api';
import { toApiError } from '../../api';
import { useApi } from '../../app/api-context';
import { ErrorMessage, Field } from '../../components/ui';
import type { StorageKind } from './storage-form';

/** The secret fields of a storage kind, typed anew; only those filled in are replaced. */
export function SecretForm({ name, kind, onCancel, onSaved }: { name: string; kind: StorageKind; onCancel: () => void; onSaved: () => void }) {
  const api = useApi();
  const id = useId();
  const fields = kind.fields.filter((f) => f.secret);
  const [values, setValues] = useState<Record<string, string>>({});
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [saving, setSaving] = useState(false);
  const given = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== ''));
  const save = () => {
    setSaving(true);
    setError(undefined);
    api['storages:set-secrets']({ name, secrets: given }).then(onSaved, (e: unknown) => {
      setSaving(false);
      setError(toApiError(e));
    });
  };
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        save();
      }}
    >
      <p className="muted">Type the new value; a field left empty keeps what is stored. The settings of {name} stay as they are.</p>
      {fields.map((f) => (
        <Field key={f.name} label={f.label} htmlFor={`${id}-${f.name}`} help={f.help}>
          {f.multiline ? (
            <textarea id={`${id}-${f.name}`} className="secret-text" rows={6} spellCheck={false} autoComplete="off" value={values[f.name] ?? ''} onChange={(e) => setValues({ ...values, [f.name]: e.target.value })} />
          ) : (
            <input id={`${id}-${f.name}`} type="password" autoComplete="new-password" value={values[f.name] ?? ''} onChange={(e) => setValues({ ...values, [f.name]: e.target.value })} />
          )}
        </Field>
      ))}
      <ErrorMessage error={error} />
      <div className="dialog-actions">
        <button type="button" className="btn" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="btn primary" disabled={saving || Object.keys(given).length === 0}>
          {saving ? 'Saving…' : 'Save and test'}
        </button>
      </div>
    </form>
  );
}
