/**
 * The desktop app's "Unlock the secrets vault" dialog: shown when the core needs a secret on a
 * machine whose secrets live in the encrypted vault (no OS keychain). The passphrase goes to
 * the main process once and is never kept by the page.
 */
import { useEffect, useId, useState } from 'react';
import { useApi } from '../../app/api-context';
import { Field, Modal } from '../../components/ui';

interface Request {
  readonly requestId: string;
  readonly retry: boolean;
}

/** Listens for vault requests (desktop host only) and asks for the passphrase. */
export function VaultUnlock() {
  const api = useApi();
  const [request, setRequest] = useState<Request | undefined>(undefined);
  const [passphrase, setPassphrase] = useState('');
  const [busy, setBusy] = useState(false);
  const id = useId();

  useEffect(() => (api.onVaultLocked ? api.onVaultLocked((r) => setRequest(r)) : undefined), [api]);
  if (!request || !api.unlockVault) return null;
  const unlock = api.unlockVault;

  const answer = (value: string | undefined): void => {
    setBusy(true);
    void unlock(request.requestId, value).finally(() => {
      setBusy(false);
      setPassphrase('');
      setRequest(undefined);
    });
  };
  return (
    <Modal title="Unlock the secrets vault" onClose={() => answer(undefined)}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (passphrase) answer(passphrase);
        }}
      >
        <p>This machine keeps storage passwords and keys in an encrypted vault instead of an OS keychain. Enter its passphrase to use them.</p>
        <Field label="Vault passphrase" htmlFor={id} error={request.retry ? 'That passphrase did not open the vault. Try again.' : undefined}>
          <input id={id} type="password" autoComplete="current-password" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} />
        </Field>
        <div className="row">
          <button type="button" className="btn" onClick={() => answer(undefined)} disabled={busy}>
            Keep Locked
          </button>
          <button type="submit" className="btn primary" disabled={busy || passphrase === ''}>
            Unlock
          </button>
        </div>
      </form>
    </Modal>
  );
}
