/** "Change secret": replaces a storage's secrets (a rotated key, a mistyped password); its settings stay. */
import { useId, useState } from 'react';
import type { ApiError } from '../../../../shared/contract/api';
import { fieldApplies } from '../../../../shared/contract/storages';
import { toApiError } from '../../api';
import { useApi } from '../../app/api-context';
import { ErrorMessage, Field } from '../../components/ui';
import type { StorageKind } from './storage-form';
import { SecretInput } from './secret-input';

/** The secret fields of a storage kind, typed anew; only those filled in are replaced. */
export function SecretForm({ name, kind, settings, onCancel, onSaved }: { name: string; kind: StorageKind; settings: Record<string, unknown>; onCancel: () => void; onSaved: () => void }) {
  const api = useApi();
  const id = useId();
  // Only the secrets its way of logging in uses (a key-file SFTP storage: the key's passphrase, no password).
  const fields = kind.fields.filter((f) => f.secret && fieldApplies(f, settings, kind.fields));
  // The settings that go with the secrets (an access key ID), shown as they are and changeable.
  const credentialFields = kind.fields.filter((f) => f.credential);
  const current = Object.fromEntries(credentialFields.map((f) => [f.name, typeof settings[f.name] === 'string' ? (settings[f.name] as string) : '']));
  const [values, setValues] = useState<Record<string, string>>({});
  const [credentials, setCredentials] = useState<Record<string, string>>(current);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [saving, setSaving] = useState(false);
  const given = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== ''));
  const changed = Object.fromEntries(Object.entries(credentials).filter(([k, v]) => v !== '' && v !== current[k]));
  const save = () => {
    setSaving(true);
    setError(undefined);
    api['storages:set-secrets']({ name, secrets: given, ...(Object.keys(changed).length ? { credentials: changed } : {}) }).then(onSaved, (e: unknown) => {
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
      <p className="muted">Type the new value; a secret left empty keeps what is stored. The other settings of {name} stay as they are.</p>
      {credentialFields.map((f) => (
        <Field key={f.name} label={f.label} htmlFor={`${id}-${f.name}`} help={f.help}>
          <input id={`${id}-${f.name}`} type="text" spellCheck={false} value={credentials[f.name] ?? ''} onChange={(e) => setCredentials({ ...credentials, [f.name]: e.target.value })} />
        </Field>
      ))}
      {fields.map((f) => (
        <Field key={f.name} label={f.label} htmlFor={`${id}-${f.name}`} help={f.help}>
          <SecretInput id={`${id}-${f.name}`} multiline={f.multiline} value={values[f.name] ?? ''} onChange={(value) => setValues({ ...values, [f.name]: value })} />
        </Field>
      ))}
      <ErrorMessage error={error} />
      <div className="dialog-actions">
        <button type="button" className="btn" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="btn primary" disabled={saving || Object.keys(given).length + Object.keys(changed).length === 0}>
          {saving ? 'Saving…' : 'Save and test'}
        </button>
      </div>
    </form>
  );
}
