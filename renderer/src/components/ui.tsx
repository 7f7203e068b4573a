/** Small generic UI pieces: error message, progress bar, modal dialog, field. */
import { useEffect, useId, useRef, type ReactNode } from 'react';
import type { ApiError } from '../../../shared/contract/api';

/** An error as a message saying what happened and what to do; none for a cancel, which the person asked for (the result's heading says so). */
export function ErrorMessage({ error, onRetry }: { error: ApiError | undefined; onRetry?: () => void }) {
  if (!error || error.kind === 'Cancelled') return null;
  return (
    <div className="error-box" role="alert">
      <strong className="error-title">{error.message}</strong>
      {error.hint ? <p className="error-hint">{error.hint}</p> : null}
      {onRetry ? (
        <button type="button" className="btn" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

/** A determinate (or indeterminate, without `value`) progress bar. */
export function ProgressBar({ value, max, label }: { value: number | undefined; max: number | undefined; label: string }) {
  const pct = value !== undefined && max ? Math.min(100, (value / max) * 100) : undefined;
  return (
    <div
      className={`progress ${pct === undefined ? 'indeterminate' : ''}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={pct === undefined ? undefined : Math.round(pct)}
    >
      <div className="progress-fill" style={{ width: pct === undefined ? undefined : `${pct}%` }} />
    </div>
  );
}

/** A modal dialog: labelled, traps Tab, closes on Escape, restores focus on close; `locked` (a job running) offers no way to close. */
export function Modal({ title, onClose, children, wide, locked }: { title: string; onClose: () => void; children: ReactNode; wide?: boolean; locked?: boolean }) {
  const ref = useRef<HTMLDivElement>(null);
  const titleId = useId();
  const closeRef = useRef(onClose);
  closeRef.current = locked ? () => undefined : onClose;
  useEffect(() => {
    const prev = document.activeElement as HTMLElement | null;
    const first = ref.current?.querySelector<HTMLElement>('input, select, textarea, button:not(.modal-close)');
    (first ?? ref.current)?.focus();
    // Escape closes the topmost dialog wherever the focus is (it may have left with a removed button).
    const onKey = (e: KeyboardEvent): void => {
      if (e.key !== 'Escape') return;
      const all = document.querySelectorAll('.modal');
      if (all[all.length - 1] !== ref.current) return;
      e.preventDefault();
      closeRef.current();
    };
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('keydown', onKey);
      prev?.focus?.();
    };
  }, []);
  const onKeyDown = (e: React.KeyboardEvent): void => {
    if (e.key === 'Tab' && ref.current) {
      const items = [...ref.current.querySelectorAll<HTMLElement>('a[href], button:not([disabled]), input:not([disabled]), select, textarea, [tabindex="0"]')];
      if (items.length === 0) return;
      const first = items[0]!;
      const last = items[items.length - 1]!;
      if (e.shiftKey && document.activeElement === first) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && document.activeElement === last) {
        e.preventDefault();
        first.focus();
      }
    }
  };
  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && closeRef.current()}>
      <div className={`modal ${wide ? 'wide' : ''}`} role="dialog" aria-modal="true" aria-labelledby={titleId} ref={ref} tabIndex={-1} onKeyDown={onKeyDown}>
        <header className="modal-header">
          <h2 id={titleId}>{title}</h2>
          {locked ? null : (
            <button type="button" className="icon-btn modal-close" aria-label="Close" onClick={onClose}>
              ×
            </button>
          )}
        </header>
        <div className="modal-body">{children}</div>
      </div>
    </div>
  );
}

/** A labelled form field with optional help and error text. */
export function Field({ label, help, error, children, htmlFor }: { label: string; help?: string | undefined; error?: string | undefined; children: ReactNode; htmlFor: string }) {
  return (
    <div className={`field ${error ? 'has-error' : ''}`}>
      <label htmlFor={htmlFor}>{label}</label>
      {children}
      {help ? (
        <p className="field-help" id={`${htmlFor}-help`}>
          {help}
        </p>
      ) : null}
      {error ? (
        <p className="field-error" id={`${htmlFor}-error`} role="status">
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** A yes/no badge. */
export function Badge({ tone, children }: { tone: 'neutral' | 'good' | 'warn' | 'bad' | 'info'; children: ReactNode }) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}

/** The "remember this backup passphrase for the storage" checkbox; with `storage`, it explains what remembering does. */
export function RememberPassphrase({ id, checked, onChange, storage }: { id: string; checked: boolean; onChange: (checked: boolean) => void; storage?: string | undefined }) {
  return (
    <label className="choice" htmlFor={id}>
      <input id={id} type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} />
      {storage === undefined ? (
        <span>Remember for this storage (kept with its credentials)</span>
      ) : (
        <span>
          <strong>Remember for this storage (kept with its credentials)</strong>
          <span className="muted block">Kept only once it has opened this backup; later downloads and restores from {storage} need no passphrase.</span>
        </span>
      )}
    </label>
  );
}

/** The big icon of a finished job's result: a tick, a stop square (cancelled) or an exclamation mark (failed). */
export function ResultIcon({ state }: { state: 'succeeded' | 'partial' | 'cancelled' | 'failed' }) {
  const [tone, mark] = state === 'succeeded' ? ['ok', '✓'] : state === 'partial' ? ['warn', '!'] : state === 'cancelled' ? ['neutral', '■'] : ['bad', '!'];
  return (
    <div className={`result-icon ${tone}`} aria-hidden="true">
      {mark}
    </div>
  );
}
