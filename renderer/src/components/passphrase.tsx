/** The passphrase of an encrypted backup: whether one is remembered for its storage, the field, and "remember". */
import { useEffect, useId, useState } from 'react';
import { shortPassphraseWarning } from '../../../shared/contract/backups';
import { useApi } from '../app/api-context';
import { Field } from './ui';

/** Whether a backup passphrase is remembered for `storage`: undefined while asked, and for a file on this machine. */
export function usePassphraseRemembered(storage: string | undefined): boolean | undefined {
  const api = useApi();
  const [remembered, setRemembered] = useState<boolean | undefined>(undefined);
  useEffect(() => {
    if (storage === undefined) return undefined;
    let live = true;
    api['storages:passphrase-remembered']({ name: storage }).then(
      (r) => live && setRemembered(r.remembered),
      () => live && setRemembered(false),
    );
    return () => {
      live = false;
    };
  }, [api, storage]);
  return remembered;
}

/** True when the passphrase must be typed: none is remembered for the storage (or it is a local file) and none was typed. */
export function passphraseMissing(storage: string | undefined, remembered: boolean | undefined, passphrase: string): boolean {
  return passphrase === '' && (storage === undefined || remembered !== true);
}

/** The help under the passphrase field: what an empty field does, given what is remembered. */
export function passphraseHelp(storage: string | undefined, remembered: boolean | undefined, intro = ''): string {
  if (storage === undefined) return `${intro}The passphrase is used this once and is not stored.`;
  if (remembered === undefined) return `${intro}Checking whether a passphrase is remembered for ${storage}…`;
  return remembered
    ? `${intro}Leave it empty to use the passphrase remembered for ${storage}. Not stored unless you tick the box below.`
    : `${intro}No passphrase is remembered for ${storage}: type it. Not stored unless you tick the box below.`;
}

/** The passphrase field of an encrypted backup, its help saying whether one is remembered. */
export function PassphraseField(props: { id: string; value: string; onChange: (v: string) => void; storage: string | undefined; remembered: boolean | undefined; intro?: string }) {
  return (
    <Field label="Passphrase" htmlFor={props.id} help={passphraseHelp(props.storage, props.remembered, props.intro)}>
      <input id={props.id} type="password" autoComplete="off" value={props.value} onChange={(e) => props.onChange(e.target.value)} />
    </Field>
  );
}

/** A new encryption passphrase, typed twice; says so when the two differ. */
export function NewPassphraseFields(props: { value: string; again: string; onChange: (patch: { passphrase?: string; passphraseAgain?: string }) => void; help?: string | undefined; keepSafe: string }) {
  const id = useId();
  const differ = props.again !== '' && props.again !== props.value;
  const short = shortPassphraseWarning(props.value);
  return (
    <>
      <Field label="Passphrase" htmlFor={`${id}-pass`} help={props.help}>
        <input id={`${id}-pass`} type="password" autoComplete="new-password" value={props.value} onChange={(e) => props.onChange({ passphrase: e.target.value })} />
      </Field>
      <Field label="Repeat the passphrase" htmlFor={`${id}-again`} help={props.keepSafe}>
        <input id={`${id}-again`} type="password" autoComplete="new-password" value={props.again} aria-invalid={differ} onChange={(e) => props.onChange({ passphraseAgain: e.target.value })} />
      </Field>
      {differ ? (
        <p className="error-text small" role="alert">
          The two passphrases differ.
        </p>
      ) : null}
      {short ? (
        <p className="warning small" data-testid="passphrase-short">
          {short}
        </p>
      ) : null}
    </>
  );
}

/** A private key loaded in the browser: its armored text and file name, and its own passphrase. */
export interface LoadedPrivateKey {
  armored: string;
  fileName: string;
  passphrase: string;
}

const PRIVATE_ARMOR = '-----BEGIN PGP PRIVATE KEY BLOCK-----';

/** The request's `privateKey` for a loaded key (its passphrase only when one was typed). */
export function privateKeyArg(k: LoadedPrivateKey | undefined): { privateKey?: { armored: string; passphrase?: string } } {
  return k ? { privateKey: { armored: k.armored, ...(k.passphrase !== '' ? { passphrase: k.passphrase } : {}) } } : {};
}

/** Reads a file as text (FileReader: every browser and Electron). */
function readText(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result));
    r.onerror = () => reject(r.error ?? new Error('unreadable'));
    r.readAsText(file);
  });
}

/**
 * Opening a backup encrypted to a public key (backup --recipient) with its private key, as an
 * alternative to the passphrase: an armored key file picked here, and its own passphrase. The key
 * goes with this one request and is never stored.
 */
export function PrivateKeyField(props: { id: string; value: LoadedPrivateKey | undefined; onChange: (k: LoadedPrivateKey | undefined) => void }) {
  const [error, setError] = useState<string | undefined>(undefined);
  const pick = async (file: File | undefined): Promise<void> => {
    setError(undefined);
    if (!file) return props.onChange(undefined);
    const text = await readText(file).catch(() => '');
    if (!text.includes(PRIVATE_ARMOR)) {
      props.onChange(undefined);
      setError(`${file.name} is not an armored private key. Export it with: gpg --export-secret-keys --armor KEYID > key.asc`);
      return;
    }
    props.onChange({ armored: text.slice(text.indexOf(PRIVATE_ARMOR)), fileName: file.name, passphrase: '' });
  };
  return (
    <details className="private-key" open={props.value !== undefined}>
      <summary>Encrypted to a public key? Open it with the private key instead</summary>
      <Field label="Private key file" htmlFor={`${props.id}-file`} help="armored (.asc), as gpg --export-secret-keys --armor writes it; used this once, never stored" error={error}>
        <input id={`${props.id}-file`} type="file" accept=".asc,.key,.txt" onChange={(e) => void pick(e.target.files?.[0])} aria-invalid={error !== undefined} />
      </Field>
      {props.value ? (
        <Field label="Passphrase of the private key" htmlFor={`${props.id}-keypass`} help="empty when the key has none">
          <input id={`${props.id}-keypass`} type="password" autoComplete="off" value={props.value.passphrase} onChange={(e) => props.onChange({ ...props.value!, passphrase: e.target.value })} />
        </Field>
      ) : null}
    </details>
  );
}
