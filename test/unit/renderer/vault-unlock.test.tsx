import { act, cleanup, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiProvider } from '../../../renderer/src/app/api-context';
import { VaultUnlock } from '../../../renderer/src/features/vault-unlock/vault-unlock';
import { fakeClient } from './fake-client';

type Listener = (r: { requestId: string; retry: boolean }) => void;

function setup() {
  let listener: Listener | undefined;
  const answers: Array<[string, string | undefined]> = [];
  const fake = fakeClient({
    onVaultLocked: (cb: Listener) => {
      listener = cb;
      return () => (listener = undefined);
    },
    unlockVault: async (id: string, pass: string | undefined) => void answers.push([id, pass]),
  });
  render(
    <ApiProvider client={fake.client}>
      <VaultUnlock />
    </ApiProvider>,
  );
  return { ask: (r: { requestId: string; retry: boolean }) => act(() => listener?.(r)), answers };
}

afterEach(cleanup);

describe('VaultUnlock', () => {
  it('shows nothing until the core asks, then sends the passphrase once', async () => {
    const { ask, answers } = setup();
    expect(screen.queryByRole('dialog')).toBeNull();
    ask({ requestId: 'r1', retry: false });
    expect(screen.getByRole('dialog', { name: 'Unlock the secrets vault' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Unlock' })).toHaveProperty('disabled', true);
    await userEvent.type(screen.getByLabelText('Vault passphrase'), 'open sesame');
    await userEvent.click(screen.getByRole('button', { name: 'Unlock' }));
    expect(answers).toEqual([['r1', 'open sesame']]);
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('says the last passphrase was wrong on a retry, and "Keep Locked" answers with none', async () => {
    const { ask, answers } = setup();
    ask({ requestId: 'r2', retry: true });
    expect(screen.getByText(/did not open the vault/)).toBeTruthy();
    await userEvent.click(screen.getByRole('button', { name: 'Keep Locked' }));
    expect(answers).toEqual([['r2', undefined]]);
  });
});
