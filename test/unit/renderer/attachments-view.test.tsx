/** The Attachments screen against a fake client: duplicate and drop with the bucket/container (drop only once the name is typed again), and Resume / Roll back of an interrupted job. */
import { cleanup, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import type { MigrationSummary } from '../../../shared/contract/attachments';
import { ApiProvider } from '../../../renderer/src/app/api-context';
import { AttachmentsView } from '../../../renderer/src/features/attachments/attachments-view';
import { fakeClient } from './fake-client';

afterEach(cleanup);

const INTERRUPTED: MigrationSummary = { id: '2026-12-06-abcd1234', direction: 'duplicate', db: 'shop', copy: 'shopcopy', store: 's3://odoo-shopcopy', status: 'interrupted', createdAt: '2026-12-06T10:00:00.000Z', updatedAt: '2026-12-06T10:01:00.000Z', message: 'cancelled' };

function show(list: MigrationSummary[] = []) {
  const f = fakeClient({
    'attachments:migrations': async () => list,
    'attachments:drop': async () => ({ jobId: 'j-drop' }),
    'attachments:duplicate': async () => ({ jobId: 'j-dup' }),
    'attachments:migration-resume': async () => ({ jobId: 'j-res' }),
  });
  render(
    <ApiProvider client={f.client}>
      <AttachmentsView />
    </ApiProvider>,
  );
  return f;
}

describe('AttachmentsView', () => {
  it('drops a database with its bucket/container only once its name is typed again', async () => {
    const f = show();
    const form = await screen.findByRole('region', { name: 'Drop with the bucket/container' });
    await userEvent.type(within(form).getByLabelText('Database'), 'shopcopy');
    await userEvent.type(within(form).getByLabelText('PostgreSQL server'), 'postgres://odoo@db:5432/');
    const button = within(form).getByRole('button', { name: 'Drop shopcopy' }) as HTMLButtonElement;
    expect(button.disabled).toBe(true);
    const confirm = within(form).getByLabelText('Type “shopcopy” to drop it, its filestore and its objects');
    await userEvent.type(confirm, 'shop');
    expect(button.disabled).toBe(true);
    await userEvent.type(confirm, 'copy');
    expect(button.disabled).toBe(false);
    await userEvent.click(button);
    await waitFor(() => expect(f.calls.some(([m]) => m === 'attachments:drop')).toBe(true));
    expect(f.calls.find(([m]) => m === 'attachments:drop')?.[1]).toEqual({ db: 'shopcopy', confirm: 'shopcopy', target: { type: 'postgres', url: 'postgres://odoo@db:5432/' } });
  });

  it('duplicates a database with its bucket/container', async () => {
    const f = show();
    const form = await screen.findByRole('region', { name: 'Duplicate with the bucket/container' });
    await userEvent.type(within(form).getByLabelText('Database'), 'shop');
    await userEvent.type(within(form).getByLabelText('Name of the copy'), 'shopcopy');
    await userEvent.type(within(form).getByLabelText('Storage with the credentials'), 'prod-s3');
    await userEvent.type(within(form).getByLabelText('PostgreSQL server'), 'embedded');
    await userEvent.click(within(form).getByRole('button', { name: 'Duplicate' }));
    await waitFor(() => expect(f.calls.some(([m]) => m === 'attachments:duplicate')).toBe(true));
    expect(f.calls.find(([m]) => m === 'attachments:duplicate')?.[1]).toEqual({ db: 'shop', newDb: 'shopcopy', storage: 'prod-s3', target: { type: 'embedded' } });
  });

  it('lists an interrupted duplicate with Resume and Roll back', async () => {
    const f = show([INTERRUPTED]);
    const row = (await screen.findByText('shop → shopcopy')).closest('tr') as HTMLElement;
    expect(within(row).getByText('interrupted')).toBeTruthy();
    expect(within(row).getByRole('button', { name: 'Roll back' })).toBeTruthy();
    await userEvent.click(within(row).getByRole('button', { name: 'Resume' }));
    await waitFor(() => expect(f.calls.some(([m, a]) => m === 'attachments:migration-resume' && (a as { id: string }).id === INTERRUPTED.id)).toBe(true));
  });
});
