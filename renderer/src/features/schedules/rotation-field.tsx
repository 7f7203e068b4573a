/**
 * The schedule editor's rotation choice, with the policies it would apply: odoo_backup_sh rotates
 * after every backup, so a new job rotates by default when one of its storages has a policy.
 */
import { useEffect, useState } from 'react';
import type { RotationPolicy } from '../../../../shared/contract/rotation';
import { useApi } from '../../app/api-context';
import { Field } from '../../components/ui';
import { describeRotation } from '../rotation/rotation-policy';

/** Each storage's rotation policy: `null` when it has none; absent until known (or when it could not be read). */
export type StoragePolicies = ReadonlyMap<string, RotationPolicy | null>;

/** The rotation policies of the configured storages, read once they are listed. */
export function useRotationPolicies(storages: readonly string[]): StoragePolicies {
  const api = useApi();
  const [policies, setPolicies] = useState<StoragePolicies>(new Map());
  const key = storages.join('\n');
  useEffect(() => {
    let live = true;
    const names = key === '' ? [] : key.split('\n');
    void Promise.all(names.map((n) => api['rotation:get-policy']({ storage: n }).then((p) => [n, p] as const, () => undefined))).then((read) => {
      if (live) setPolicies(new Map(read.filter((r) => r !== undefined)));
    });
    return () => {
      live = false;
    };
  }, [api, key]);
  return policies;
}

/** A new job's default: rotate when one of its storages has a policy (as odoo_backup_sh rotates after every backup). */
export function rotatesByDefault(to: readonly string[], policies: StoragePolicies): boolean {
  return to.some((n) => policies.get(n));
}

/** What rotation does on each ticked storage, in words. */
function PolicyWords({ to, checked, policies }: { to: readonly string[]; checked: boolean; policies: StoragePolicies }) {
  if (to.length === 0) return null;
  if (to.every((n) => policies.get(n) === null)) {
    return (
      <p className="small muted" data-testid="rotation-policies">
        None of these storages has a rotation policy (Storages → Rotation): rotation would delete nothing.
      </p>
    );
  }
  return (
    <div className="small muted" data-testid="rotation-policies">
      {checked ? 'After each backup:' : 'Not applied; their policies:'}
      <ul>
        {to.map((n) => {
          const p = policies.get(n);
          return <li key={n}>{`${n}: ${p ? describeRotation(p) : p === null ? 'no policy, left alone' : 'policy not known'}`}</li>;
        })}
      </ul>
    </div>
  );
}

/** The Rotation field: its checkbox, and the policies of the ticked storages. */
export function RotationField({ id, checked, onChange, to, policies }: { id: string; checked: boolean; onChange: (rotate: boolean) => void; to: readonly string[]; policies: StoragePolicies }) {
  return (
    <Field label="Rotation" help="delete the older backups each storage's rotation policy (Storages → Rotation) does not keep; storages without a policy are left alone" htmlFor={id}>
      <label className="choice">
        <input id={id} type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} />
        <span>Apply it after each backup</span>
      </label>
      <PolicyWords to={to} checked={checked} policies={policies} />
    </Field>
  );
}
