/**
 * The browser page's way in: `serve` guards its API with a token that travels in the URL's
 * `#token=…`. Opened without it, the page asks for it here (paste the printed URL or the token)
 * and also signs in as soon as the address gets a `#token=` (pasting the URL into the address bar).
 */
import { useEffect, useId, useState, type FormEvent } from 'react';
import type { DeskClient } from '../../../shared/contract/client';
import { keepToken, signedInClient, tokenFromPaste } from '../api';
import { App } from './app';
import { ApiProvider } from './api-context';

/** The sign-in screen. */
export function SignIn({ onToken }: { onToken: (token: string) => void }) {
  const id = useId();
  const [text, setText] = useState('');
  const [bad, setBad] = useState(false);
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    const token = tokenFromPaste(text);
    if (token) onToken(token);
    else setBad(true);
  };
  return (
    <main className="sign-in">
      <h1>Sign in to Odoo Backup Desk</h1>
      <p>
        This page needs the access token that <code>backup-desk serve</code> printed when it started: open the full URL it printed (it ends with{' '}
        <code>#token=…</code>), or paste that URL or the token here.
      </p>
      <form onSubmit={submit}>
        <label htmlFor={id}>URL or token</label>
        <input id={id} type="text" autoComplete="off" spellCheck={false} value={text} onChange={(e) => (setText(e.target.value), setBad(false))} aria-invalid={bad} />
        {bad ? <p className="warn-text">That is not the URL `backup-desk serve` printed, nor its token.</p> : null}
        <button type="submit" className="btn primary">
          Sign in
        </button>
      </form>
    </main>
  );
}

/** The page root: the app once signed in (Electron always is), else the sign-in screen; a `#token=` in the address signs in at once. */
export function Root() {
  const [client, setClient] = useState<DeskClient | undefined>(() => signedInClient());
  useEffect(() => {
    if (client) return undefined;
    const onHash = (): void => {
      const c = signedInClient();
      if (c) setClient(c);
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, [client]);
  if (!client) {
    return (
      <SignIn
        onToken={(t) => {
          keepToken(t);
          setClient(signedInClient());
        }}
      />
    );
  }
  return (
    <ApiProvider client={client}>
      <App />
    </ApiProvider>
  );
}
