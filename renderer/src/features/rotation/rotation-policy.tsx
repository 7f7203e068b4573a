/** A storage's rotation policy (what `backup … --rotate` applies there): shown on its card, edited in a dialog. */
import { useEffect, useId, useState } from 'react';
import type { ApiError } from '../../../../shared/contract/api';
import type { RotationPolicy } from '../../../../shared/contract/rotation';
import { toApiError } from '../../api';
import { useApi } from '../../app/api-context';
import { ErrorMessage, Field, Modal } from '../../components/ui';

const TIERS = ['hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const;
type Tier = (typeof TIERS)[number];
const TIER_UNIT: Record<Tier, string> = { hourly: 'hours', daily: 'days', weekly: 'weeks', monthly: 'months', yearly: 'years' };

/** A policy in words, e.g. "7 days, 4 weeks, unlimited months; at most 90 days old". */
export function describeRotation(p: RotationPolicy): string {
  const parts: string[] = [];
  for (const t of TIERS) {
    const v = p[t];
    if (v === undefined || v === 'off') continue;
    parts.push(v === 'unlimited' ? `every ${TIER_UNIT[t].replace(/s$/, '')}` : `${v} ${v === 1 ? TIER_UNIT[t].replace(/s$/, '') : TIER_UNIT[t]}`);
  }
  if (p.keepLast !== undefined) parts.push(`the last ${p.keepLast}`);
  const keep = parts.length ? `keeps ${parts.join(', ')}` : 'keeps everything younger than the limit';
  return p.maxAgeDays !== undefined ? `${keep}; nothing older than ${p.maxAgeDays} days` : keep;
}

/** Form state: one text field per rule ("" = off). */
type Draft = Record<Tier | 'keepLast' | 'maxAgeDays', string>;

function toDraft(p: RotationPolicy | null): Draft {
  const d = { hourly: '', daily: '', weekly: '', monthly: '', yearly: '', keepLast: '', maxAgeDays: '' };
  if (!p) return d;
  for (const t of TIERS) d[t] = p[t] === undefined || p[t] === 'off' ? '' : String(p[t]);
  d.keepLast = p.keepLast === undefined ? '' : String(p.keepLast);
  d.maxAgeDays = p.maxAgeDays === undefined ? '' : String(p.maxAgeDays);
  return d;
}

/** The policy a draft describes, or the first field that is wrong. */
function fromDraft(d: Draft): { policy: RotationPolicy } | { field: keyof Draft; message: string } {
  const policy: Record<string, unknown> = {};
  for (const t of TIERS) {
    const v = d[t].trim();
    if (v === '') continue;
    if (v === 'unlimited') policy[t] = 'unlimited';
    else if (/^\d+$/.test(v) && Number(v) >= 1) policy[t] = Number(v);
    else return { field: t, message: 'A whole number of at least 1, "unlimited", or empty for off.' };
  }
  if (d.keepLast.trim()) {
    if (!/^\d+$/.test(d.keepLast.trim()) || Number(d.keepLast) < 1) return { field: 'keepLast', message: 'A whole number of at least 1, or empty.' };
    policy.keepLast = Number(d.keepLast);
  }
  if (d.maxAgeDays.trim()) {
    const n = Number(d.maxAgeDays);
    if (!Number.isFinite(n) || n <= 0) return { field: 'maxAgeDays', message: 'A number of days above 0, or empty.' };
    policy.maxAgeDays = n;
  }
  return { policy: policy as RotationPolicy };
}

/** The dialog that edits (or removes) a storage's policy. */
function RotationDialog({ storage, initial, onClose, onSaved }: { storage: string; initial: RotationPolicy | null; onClose: () => void; onSaved: (p: RotationPolicy | null) => void }) {
  const api = useApi();
  const base = useId();
  const [draft, setDraft] = useState<Draft>(() => toDraft(initial));
  const [invalid, setInvalid] = useState<{ field: keyof Draft; message: string } | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const save = (policy: RotationPolicy | null): void => {
    setError(undefined);
    api['rotation:set-policy']({ storage, policy }).then(onSaved, (e: unknown) => setError(toApiError(e)));
  };
  const submit = (): void => {
    const r = fromDraft(draft);
    if ('field' in r) return setInvalid(r);
    setInvalid(undefined);
    save(r.policy);
  };
  const field = (name: keyof Draft, label: string, help: string) => (
    <Field key={name} label={label} help={help} htmlFor={`${base}-${name}`} error={invalid?.field === name ? invalid.message : undefined}>
      <input id={`${base}-${name}`} value={draft[name]} aria-invalid={invalid?.field === name} onChange={(e) => setDraft({ ...draft, [name]: e.target.value })} />
    </Field>
  );
  return (
    <Modal title={`Rotation of “${storage}”`} onClose={onClose}>
      <p className="muted">
        Applied after each backup made with rotation on, per database, with odoo_backup_sh’s rules: the newest backup is always kept; each tier keeps the newest backup of
        its N most recent periods (UTC, weeks from Monday); the first “unlimited” tier ends the list. Only complete backups are ever deleted, never strays or other
        databases’ files.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        {TIERS.map((t) => field(t, `${t[0]!.toUpperCase()}${t.slice(1)}`, `How many ${TIER_UNIT[t]} to keep a backup of (empty: off).`))}
        {field('keepLast', 'Keep last', 'Also keep this many newest backups.')}
        {field('maxAgeDays', 'Maximum age (days)', 'Delete anything older (never the newest backup).')}
        <ErrorMessage error={error} />
        <div className="wizard-nav">
          {initial ? (
            <button type="button" className="btn danger-outline" onClick={() => save(null)}>
              Turn rotation off
            </button>
          ) : null}
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn primary">
            Save
          </button>
        </div>
      </form>
    </Modal>
  );
}

/** The policy line on a storage card, with its Edit button. */
export function RotationPolicyLine({ storage }: { storage: string }) {
  const api = useApi();
  const [policy, setPolicy] = useState<RotationPolicy | null | undefined>(undefined);
  const [editing, setEditing] = useState(false);
  useEffect(() => {
    api['rotation:get-policy']({ storage }).then(setPolicy, () => setPolicy(undefined));
  }, [api, storage]);
  if (policy === undefined) return null;
  return (
    <>
      <p className="muted small">
        Rotation: {policy ? describeRotation(policy) : 'off (backups are kept until you delete them)'}{' '}
        <button type="button" className="link-btn" onClick={() => setEditing(true)} aria-label={`Edit rotation of ${storage}`}>
          Edit
        </button>
      </p>
      {editing ? (
        <RotationDialog
          storage={storage}
          initial={policy}
          onClose={() => setEditing(false)}
          onSaved={(p) => {
            setPolicy(p);
            setEditing(false);
          }}
        />
      ) : null}
    </>
  );
}
