import { cleanup, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BackupEntry } from '../../../shared/contract/api';
import { ApiProvider } from '../../../renderer/src/app/api-context';
import { OdooInstancesView, type RestoreHereProps } from '../../../renderer/src/features/odoo-instances/odoo-instances-view';
import { fakeClient } from './fake-client';

afterEach(cleanup);

const BACKUPS = [
  { ref: 'nas:prod_2026-02-01.zip', storage: 'nas', key: 'prod_2026-02-01_03-00-00.zip', database: 'prod', createdAt: '2026-02-01T03:00:00Z', format: 'zip', encrypted: false, size: 2048, convention: 'odoo-manager', odooVersion: '17.0' },
  { ref: 'nas:prod_2025-01-01.zip', storage: 'nas', key: 'prod_2025-01-01_03-00-00.zip', database: 'prod', createdAt: '2025-01-01T03:00:00Z', format: 'zip', encrypted: false, size: 1024, convention: 'odoo-manager', odooVersion: '16.0' },
  { ref: 'nas:shop_2026-02-02.zip', storage: 'nas', key: 'shop_2026-02-02_03-00-00.zip', database: 'shop', createdAt: '2026-02-02T03:00:00Z', format: 'zip', encrypted: true, size: 4096, convention: 'odoo-manager' },
] satisfies BackupEntry[];

function setup(restoreHere?: RestoreHereProps, overrides: Parameters<typeof fakeClient>[0] = {}) {
  const dbs = ['prod', 'staging'];
  const instances = [{ name: 'erp', url: 'https://erp.example.com', createdAt: '2026-01-01T00:00:00Z' }];
  const fake = fakeClient({
    'odoo:list': async () => [...instances],
    'odoo:dbs': async () => ({ name: 'erp', url: 'https://erp.example.com', version: '17.0', major: 17, databases: dbs.map((name) => ({ name })), listDisabled: false }),
    'odoo:drop': async (a) => {
      dbs.splice(dbs.indexOf(a.db), 1);
      return {};
    },
    'odoo:add': async (a) => {
      instances.push({ name: a.name, url: a.url, createdAt: '2026-01-02T00:00:00Z' });
      return instances.at(-1)!;
    },
    'storages:list': async () => [{ name: 'nas', kind: 'local', label: 'Local folder', summary: '/b', createdAt: '2026-01-01T00:00:00Z' }] as never,
    'backup:start': async () => ({ jobId: 'b1' }),
    'odoo:set-password': async (a) => {
      if (a.masterPassword !== 'right') throw Object.assign(new Error('Odoo refused the master password (list_countries: "Access Denied").'), { kind: 'AuthFailed' });
      return {};
    },
    'odoo:test': async () => ({ ok: false, version: '17.0', checks: [{ name: 'server', ok: true, message: 'Odoo 17.0 answers' }, { name: 'password', ok: false, message: 'Odoo refused the master password' }] }),
    ...overrides,
  });
  render(
    <ApiProvider client={fake.client}>
      <OdooInstancesView {...(restoreHere ? { restoreHere } : {})} />
    </ApiProvider>,
  );
  return fake;
}

describe('Odoo instances screen', () => {
  it('backs up one database of the instance now, through its database manager', async () => {
    const fake = setup();
    const card = await screen.findByRole('article', { name: 'Odoo instance erp' });
    await within(card).findByText('prod');
    const row = within(card).getByText('prod').closest('li')!;
    await userEvent.click(within(row as HTMLElement).getByRole('button', { name: 'Back up now…' }));
    const dialog = await screen.findByRole('dialog', { name: 'Back up now' });
    expect((within(dialog).getByLabelText('Database') as HTMLInputElement).value).toBe('prod');
    expect((within(dialog).getByLabelText('Odoo instance') as HTMLInputElement).value).toBe('erp');
    await userEvent.click(within(dialog).getByRole('button', { name: /^Back up/ }));
    await waitFor(() => expect(fake.calls.find(([m]) => m === 'backup:start')).toBeTruthy());
    expect(fake.calls.find(([m]) => m === 'backup:start')?.[1]).toMatchObject({ db: 'prod', source: { type: 'odoo', instance: 'erp' }, to: ['nas'] });
  });


  it('restores a backup over one database: the picker searches its name, refuses another Odoo major, and opens the wizard preset to replace it', async () => {
    const onRestoreHere = vi.fn();
    setup({ backups: BACKUPS, onRestoreHere });
    const card = await screen.findByRole('article', { name: 'Odoo instance erp' });
    const row = (await within(card).findByText('prod')).closest('li')!;
    await userEvent.click(within(row as HTMLElement).getByRole('button', { name: 'Restore a backup here…' }));
    const dialog = await screen.findByRole('dialog', { name: 'Restore a backup over prod on erp' });
    expect(within(dialog).getByLabelText('Search backups')).toHaveValue('prod');
    const rows = within(within(dialog).getByRole('table', { name: 'Backups to restore' })).getAllByRole('row').slice(1);
    expect(rows.map((r) => r.querySelector('td')?.textContent)).toEqual(['prod', 'prod']);
    // The Odoo 16 backup cannot go to this Odoo 17 server.
    expect(rows[1]!.textContent).toMatch(/The server runs Odoo 17: Odoo does not migrate/);
    expect(within(rows[1]!).getByRole('button', { name: /^Choose/ })).toBeDisabled();
    await userEvent.click(within(rows[0]!).getByRole('button', { name: /^Choose/ }));
    expect(onRestoreHere).toHaveBeenCalledWith(BACKUPS[0], { instance: 'erp', replaceDb: 'prod' });
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('restores a backup into the instance as a new database (any backup, searchable)', async () => {
    const onRestoreHere = vi.fn();
    setup({ backups: BACKUPS, onRestoreHere });
    const card = await screen.findByRole('article', { name: 'Odoo instance erp' });
    await within(card).findByText('Odoo 17.0');
    const actions = card.querySelector('.card-actions') as HTMLElement;
    await userEvent.click(within(actions).getByRole('button', { name: 'Restore a backup here…' }));
    const dialog = await screen.findByRole('dialog', { name: 'Restore a backup into erp' });
    expect(within(dialog).getAllByRole('row')).toHaveLength(4);
    await userEvent.type(within(dialog).getByLabelText('Search backups'), 'shop');
    const rows = within(dialog).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.textContent).toMatch(/encrypted/);
    await userEvent.click(within(rows[0]!).getByRole('button', { name: /^Choose/ }));
    expect(onRestoreHere).toHaveBeenCalledWith(BACKUPS[2], { instance: 'erp', replaceDb: undefined });
  });

  it('changes the stored master password once the server accepts it', async () => {
    const fake = setup();
    const card = await screen.findByRole('article', { name: 'Odoo instance erp' });
    await userEvent.click(within(card).getByRole('button', { name: 'Master password…' }));
    const form = within(card).getByRole('form', { name: 'Master password of erp' });
    await userEvent.type(within(form).getByLabelText('New master password'), 'wrong');
    await userEvent.click(within(form).getByRole('button', { name: 'Save' }));
    expect(await within(form).findByRole('alert')).toHaveTextContent(/refused the master password/);
    await userEvent.clear(within(form).getByLabelText('New master password'));
    await userEvent.type(within(form).getByLabelText('New master password'), 'right');
    await userEvent.click(within(form).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(within(card).queryByRole('form', { name: 'Master password of erp' })).toBeNull());
    expect(fake.calls.filter(([m]) => m === 'odoo:set-password').map(([, a]) => a)).toEqual([{ name: 'erp', masterPassword: 'wrong' }, { name: 'erp', masterPassword: 'right' }]);
  });

  it('shows each instance with its version and databases; test results per check', async () => {
    setup();
    const card = await screen.findByRole('article', { name: 'Odoo instance erp' });
    expect(await within(card).findByText('Odoo 17.0')).toBeTruthy();
    const list = within(card).getByRole('list', { name: 'Databases on erp' });
    expect(within(list).getAllByRole('listitem').map((li) => li.querySelector('.db-name')?.textContent)).toEqual(['prod', 'staging']);
    await userEvent.click(within(card).getByRole('button', { name: 'Test' }));
    const checks = await within(card).findByRole('list', { name: 'Test results' });
    expect(checks.textContent).toMatch(/password: Odoo refused the master password/);
  });

  it('drops a database only after its name is typed exactly', async () => {
    const fake = setup();
    const card = await screen.findByRole('article', { name: 'Odoo instance erp' });
    await within(card).findByText('staging');
    const row = within(card).getByText('staging').closest('li')!;
    await userEvent.click(within(row as HTMLElement).getByRole('button', { name: 'Drop…' }));
    const input = within(row as HTMLElement).getByLabelText(/Type “staging”/);
    const button = within(row as HTMLElement).getByRole('button', { name: 'Drop staging' });
    await userEvent.type(input, 'stagin');
    expect((button as HTMLButtonElement).disabled).toBe(true);
    await userEvent.type(input, 'g');
    expect((button as HTMLButtonElement).disabled).toBe(false);
    await userEvent.click(button);
    await waitFor(() => expect(within(card).queryByText('staging')).toBeNull());
    expect(fake.calls.find(([m]) => m === 'odoo:drop')?.[1]).toEqual({ name: 'erp', db: 'staging', confirm: 'staging' });
  });

  it('removes an instance only once confirmed, and shows a refusal in that dialog, next to the button pressed', async () => {
    const fake = setup(undefined, {
      'odoo:remove': async () => {
        throw Object.assign(new Error('Odoo instance "erp" is used by the scheduled job "nightly": removing it would make that job fail at every run.'), { kind: 'Conflict', hint: 'Edit or remove that job first (Schedules), then remove the instance.' });
      },
    });
    const card = await screen.findByRole('article', { name: 'Odoo instance erp' });
    await userEvent.click(within(card).getByRole('button', { name: 'Remove' }));
    expect(fake.calls.some(([m]) => m === 'odoo:remove')).toBe(false);
    const dialog = screen.getByRole('dialog', { name: 'Remove “erp”?' });
    expect(dialog).toHaveTextContent('Backup Desk forgets this Odoo server and its master password. Its databases are not touched.');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Remove instance' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('is used by the scheduled job "nightly"');
    expect(fake.calls.filter(([m]) => m === 'odoo:remove').map(([, a]) => a)).toEqual([{ name: 'erp' }]);
    await userEvent.click(within(dialog).getByRole('button', { name: 'Keep it' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(screen.getByRole('article', { name: 'Odoo instance erp' })).toBeInTheDocument();
  });

  it('adds an instance with its master password', async () => {
    const fake = setup();
    await screen.findByRole('article', { name: 'Odoo instance erp' });
    const form = screen.getByRole('form', { name: 'Add an Odoo instance' });
    await userEvent.type(within(form).getByLabelText('Name'), 'test');
    await userEvent.type(within(form).getByLabelText('URL'), 'https://test.example.com');
    await userEvent.type(within(form).getByLabelText('Master password'), 'pw');
    await userEvent.click(within(form).getByRole('button', { name: 'Add instance' }));
    await screen.findByRole('article', { name: 'Odoo instance test' });
    expect(fake.calls.find(([m]) => m === 'odoo:add')?.[1]).toEqual({ name: 'test', url: 'https://test.example.com', masterPassword: 'pw' });
  });
});
