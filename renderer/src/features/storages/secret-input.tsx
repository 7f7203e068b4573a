/** The input of a storage secret, the same in the storage form and the secrets form. */

/** A secret's input: a password box, or for a multi-line secret (a private key) a text area that keeps its lines; never autofilled, never spell-checked. */
export function SecretInput({ id, multiline, required, value, onChange }: { id: string; multiline?: boolean | undefined; required?: boolean; value: string; onChange: (value: string) => void }) {
  return multiline ? (
    <textarea id={id} className="secret-text" rows={6} spellCheck={false} autoComplete="off" aria-required={required} value={value} onChange={(e) => onChange(e.target.value)} />
  ) : (
    <input id={id} type="password" autoComplete="new-password" spellCheck={false} aria-required={required} value={value} onChange={(e) => onChange(e.target.value)} />
  );
}
