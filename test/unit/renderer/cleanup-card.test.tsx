/** Settings → Clean up: searches the chosen restore target (PostgreSQL, or an Odoo instance) and the storages, lists what interrupted runs left, removes it after a confirmation. */
import { act, cleanup, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobSnapshotDto } from '../../../shared/contract/api';
import type { CleanupFound } from '../../../shared/contract/cleanup';
import { ApiProvider } from '../../../renderer/src/app/api-context';
import { CleanupCard } from '../../../renderer/src/features/settings/cleanup-card';
import { fakeClient, snap } from './fake-client';

const FOUND: CleanupFound = {
  restores: { server: '127.0.0.1:5432', dataDir: '/var/lib/odoo', leftovers: [{ kind: 'database', name: 'bd_tmp_deadbeef_shop', ageMs: 3 * 3600_000 }, { kind: 'folder', name: '/var/lib/odoo/filestore/.bd-tmp-deadbeef-shop' }], young: 1 },
  backups: { storages: ['nas', 'cloud'], temporaries: [{ storage: 'nas', id: 'acme/.acme.zip.backup-desk-tmp-x', forKey: 'acme/acme.zip', size: 2_500_000, ageMs: 45 * 60_000 }], young: 0, failed: [{ storage: 'cloud', message: 'The bucket does not exist.' }] },
};
const EMPTY: CleanupFound = { restores: { ...FOUND.restores, leftovers: [], young: 0 }, backups: { storages: ['nas'], temporaries: [], young: 0, failed: [] } };

/** The card over a fake client whose cleanup jobs end at once (their snapshots through jobs:get), or stay running when `running`. */
function setup(running?: JobSnapshotDto['progress']) {
  let searches = 0;
  const jobs = new Map<string, JobSnapshotDto>();
  const fake = fakeClient({
    'targets:detect': async () => [
      { id: 'odoo:prod', label: 'Odoo prod', target: { type: 'odoo', instance: 'prod' }, available: true },
      { id: 'libpq', label: 'PostgreSQL (libpq environment)', target: { type: 'postgres' }, available: true },
      { id: 'embedded', label: 'Private PostgreSQL (embedded)', target: { type: 'embedded' }, available: false },
    ],
    'cleanup:find': async () => {
      const id = `find-${++searches}`;
      jobs.set(id, running ? snap(id, { progress: running }) : snap(id, { state: 'succeeded', result: searches === 1 ? FOUND : EMPTY }));
      return { jobId: id };
    },
    'cleanup:remove': async () => {
      jobs.set('remove-1', snap('remove-1', { state: 'succeeded', result: { removed: 3, failed: [] } }));
      return { jobId: 'remove-1' };
    },
    'jobs:get': async ({ jobId }) => jobs.get(jobId)!,
    'jobs:cancel': async () => ({ cancelled: true }),
  });
  render(
    <ApiProvider client={fake.client}>
      <CleanupCard />
    </ApiProvider>,
  );
  return fake;
}

describe('Clean up after interrupted runs', () => {
  afterEach(cleanup);

  it('searches a server given by URL, as the restore wizard can restore into one (it offered only the detected targets)', async () => {
    const user = userEvent.setup();
    const fake = setup();
    await user.selectOptions(await screen.findByLabelText('Restore target'), 'Another PostgreSQL server (by URL)');
    const look = screen.getByRole('button', { name: 'Look for leftovers' });
    expect(look).toBeDisabled();
    await user.type(screen.getByLabelText('Server URL'), 'mysql://db');
    expect(look).toBeDisabled();
    await user.clear(screen.getByLabelText('Server URL'));
    await user.type(screen.getByLabelText('Server URL'), 'postgres://odoo@db:5432/postgres');
    await user.click(look);
    expect(await screen.findByText('bd_tmp_deadbeef_shop')).toBeInTheDocument();
    expect(fake.calls.find(([m]) => m === 'cleanup:find')![1]).toEqual({ target: { type: 'postgres', url: 'postgres://odoo@db:5432/postgres' }, minAgeMinutes: 10 });
  });

  it('offers the PostgreSQL targets first, then the Odoo instances, and lists what a search found with ages, sizes and what could not be searched', async () => {
    const user = userEvent.setup();
    const fake = setup();
    const select = await screen.findByLabelText('Restore target');
    await waitFor(() => expect(within(select).getAllByRole('option').map((o) => o.textContent)).toEqual(['PostgreSQL (libpq environment)', 'Private PostgreSQL (embedded) (not available)', 'Odoo prod', 'Another PostgreSQL server (by URL)']));
    await user.click(screen.getByRole('button', { name: 'Look for leftovers' }));
    expect(await screen.findByText('bd_tmp_deadbeef_shop')).toBeInTheDocument();
    expect(fake.calls.find(([m]) => m === 'cleanup:find')![1]).toEqual({ target: { type: 'postgres' }, minAgeMinutes: 10 });
    expect(screen.getByText('Interrupted restores on 127.0.0.1:5432')).toBeInTheDocument();
    expect(screen.getByText(/\(3 h old\)/)).toBeInTheDocument();
    expect(screen.getByText(/unfinished upload of acme\/acme\.zip, 2\.5 MB \(45 min old\)/)).toBeInTheDocument();
    expect(screen.getByText('1 younger leftover left alone: a restore may still be running (set “Older than” to 0 if none is).')).toBeInTheDocument();
    expect(screen.getByText('Could not look on cloud: The bucket does not exist.')).toBeInTheDocument();
  });

  it('searches an Odoo instance for the temporary databases of interrupted replacing restores: no data folder, and a word on the missing ages', async () => {
    const user = userEvent.setup();
    const fake = setup();
    await user.selectOptions(await screen.findByLabelText('Restore target'), 'Odoo prod');
    expect(screen.queryByLabelText('Odoo data folder (optional)')).toBeNull();
    expect(screen.getByText(/Odoo tells no age: make sure no such restore into it is running/)).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Look for leftovers' }));
    expect(await screen.findByText('bd_tmp_deadbeef_shop')).toBeInTheDocument();
    expect(fake.calls.find(([m]) => m === 'cleanup:find')![1]).toEqual({ target: { type: 'odoo', instance: 'prod' }, minAgeMinutes: 10 });
  });

  it('removes everything listed only after a confirmation, then searches again', async () => {
    const user = userEvent.setup();
    const fake = setup();
    await user.click(await screen.findByRole('button', { name: 'Look for leftovers' }));
    await user.click(await screen.findByRole('button', { name: 'Remove 3 items…' }));
    expect(fake.calls.some(([m]) => m === 'cleanup:remove')).toBe(false);
    const confirm = screen.getByRole('group', { name: 'Confirm the removal' });
    expect(within(confirm).getByText(/cannot be brought back/)).toBeInTheDocument();
    await user.click(within(confirm).getByRole('button', { name: 'Remove' }));
    expect(await screen.findByText('Removed 3 items.')).toBeInTheDocument();
    expect(fake.calls.find(([m]) => m === 'cleanup:remove')![1]).toEqual({
      target: { type: 'postgres' },
      minAgeMinutes: 10,
      leftovers: [{ kind: 'database', name: 'bd_tmp_deadbeef_shop' }, { kind: 'folder', name: '/var/lib/odoo/filestore/.bd-tmp-deadbeef-shop' }],
      temporaries: [{ storage: 'nas', id: 'acme/.acme.zip.backup-desk-tmp-x' }],
    });
    expect(await screen.findByText('No unfinished uploads on nas.')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /^Remove/ })).toBeNull();
  });

  it('looks for younger leftovers when asked (a crash just now), and removes with the age its search used', async () => {
    const user = userEvent.setup();
    const fake = setup();
    const age = await screen.findByLabelText('Older than (minutes)');
    await user.clear(age);
    expect(screen.getByRole('button', { name: 'Look for leftovers' })).toBeDisabled();
    await user.type(age, '0');
    await user.click(screen.getByRole('button', { name: 'Look for leftovers' }));
    expect(fake.calls.find(([m]) => m === 'cleanup:find')![1]).toEqual({ target: { type: 'postgres' }, minAgeMinutes: 0 });
    await user.click(await screen.findByRole('button', { name: 'Remove 3 items…' }));
    await user.clear(age); // changed after the search: the removal still uses the search's age
    await user.type(age, '30');
    await user.click(within(screen.getByRole('group', { name: 'Confirm the removal' })).getByRole('button', { name: 'Remove' }));
    await waitFor(() => expect(fake.calls.some(([m]) => m === 'cleanup:remove')).toBe(true));
    expect(fake.calls.find(([m]) => m === 'cleanup:remove')![1]).toMatchObject({ minAgeMinutes: 0 });
  });

  it('looks in the Odoo data folder given (where a restore put its filestore), and removes there', async () => {
    const user = userEvent.setup();
    const fake = setup();
    await user.type(await screen.findByLabelText('Odoo data folder (optional)'), '/srv/odoo-data');
    await user.click(screen.getByRole('button', { name: 'Look for leftovers' }));
    expect(fake.calls.find(([m]) => m === 'cleanup:find')![1]).toEqual({ target: { type: 'postgres', dataDir: '/srv/odoo-data' }, minAgeMinutes: 10 });
    await user.click(await screen.findByRole('button', { name: 'Remove 3 items…' }));
    await user.click(within(screen.getByRole('group', { name: 'Confirm the removal' })).getByRole('button', { name: 'Remove' }));
    await waitFor(() => expect(fake.calls.some(([m]) => m === 'cleanup:remove')).toBe(true));
    expect(fake.calls.find(([m]) => m === 'cleanup:remove')![1]).toMatchObject({ target: { type: 'postgres', dataDir: '/srv/odoo-data' } });
  });

  it('shows a search while it runs, and cancels it', async () => {
    const user = userEvent.setup();
    const fake = setup({ phase: 'storages', label: 'Looking on nas', done: 0, total: 2, unit: 'items' });
    await user.click(await screen.findByRole('button', { name: 'Look for leftovers' }));
    expect(await screen.findByText('Looking on nas')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Look for leftovers' })).toBeDisabled();
    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(fake.calls.find(([m]) => m === 'jobs:cancel')![1]).toEqual({ jobId: 'find-1' });
    act(() => fake.emit('job:done', snap('find-1', { state: 'cancelled' })));
    expect(await screen.findByText('The search was cancelled.')).toBeInTheDocument();
    expect(screen.queryByText('Looking on nas')).toBeNull();
    expect(screen.getByRole('button', { name: 'Look for leftovers' })).toBeEnabled();
  });
});
