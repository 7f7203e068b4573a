import { cleanup, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import type { RotationPolicy } from '../../../shared/contract/rotation';
import { ApiProvider } from '../../../renderer/src/app/api-context';
import { describeRotation, RotationPolicyLine } from '../../../renderer/src/features/rotation/rotation-policy';
import { fakeClient } from './fake-client';

afterEach(cleanup);

function setup(initial: RotationPolicy | null) {
  let stored = initial;
  const fake = fakeClient({
    'rotation:get-policy': async () => stored,
    'rotation:set-policy': async ({ policy }) => (stored = policy ?? null),
  });
  render(
    <ApiProvider client={fake.client}>
      <RotationPolicyLine storage="nas" />
    </ApiProvider>,
  );
  return { fake, stored: () => stored };
}

describe('describeRotation', () => {
  it('reads a policy in words', () => {
    expect(describeRotation({ daily: 7, weekly: 4, monthly: 'unlimited' })).toBe('keeps 7 days, 4 weeks, every month');
    expect(describeRotation({ hourly: 'off', daily: 1, keepLast: 3, maxAgeDays: 90 })).toBe('keeps 1 day, the last 3; nothing older than 90 days');
  });
});

describe('RotationPolicyLine', () => {
  it('shows that rotation is off, and stores a policy entered in the dialog', async () => {
    const { fake, stored } = setup(null);
    expect(await screen.findByText(/Rotation: off/)).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Edit rotation of nas' }));
    await userEvent.type(screen.getByLabelText('Daily'), '7');
    await userEvent.type(screen.getByLabelText('Weekly'), 'unlimited');
    await userEvent.type(screen.getByLabelText('Maximum age (days)'), '90');
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(stored()).toEqual({ daily: 7, weekly: 'unlimited', maxAgeDays: 90 });
    expect(fake.calls.at(-1)).toEqual(['rotation:set-policy', { storage: 'nas', policy: { daily: 7, weekly: 'unlimited', maxAgeDays: 90 } }]);
    expect(screen.getByText(/Rotation: keeps 7 days, every week; nothing older than 90 days/)).toBeInTheDocument();
  });

  it('says what is wrong with a field, and turns rotation off', async () => {
    const { stored } = setup({ daily: 3 });
    expect(await screen.findByText(/Rotation: keeps 3 days/)).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Edit rotation of nas' }));
    expect(screen.getByLabelText('Daily')).toHaveValue('3');
    await userEvent.type(screen.getByLabelText('Keep last'), 'x');
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(screen.getByText('A whole number of at least 1, or empty.')).toBeInTheDocument();
    expect(stored()).toEqual({ daily: 3 });
    await userEvent.click(screen.getByRole('button', { name: 'Turn rotation off' }));
    await waitFor(() => expect(screen.getByText(/Rotation: off/)).toBeInTheDocument());
    expect(stored()).toBeNull();
  });
});
