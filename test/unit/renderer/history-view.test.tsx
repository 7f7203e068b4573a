import { cleanup, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import type { Run, RunFilter } from '../../../shared/contract/history';
import { ApiProvider } from '../../../renderer/src/app/api-context';
import { HistoryView } from '../../../renderer/src/features/history/history-view';
import { fakeClient } from './fake-client';

const RUNS: Run[] = [
  {
    id: '1',
    kind: 'rotation',
    db: 'prod',
    startedAt: '2026-01-03T10:00:00.000Z',
    endedAt: '2026-01-03T10:00:02.000Z',
    outcome: 'ok',
    bytes: 2_500_000,
    refs: ['s3:prod.2026-01-01_00-00-00.zip', 's3:prod.2025-12-31_00-00-00.zip'],
    destinations: ['s3'],
    error: null,
    durationMs: 2000,
    details: {},
  },
  {
    id: '2',
    kind: 'restore',
    db: 'copy',
    startedAt: '2026-01-02T10:00:00.000Z',
    endedAt: '2026-01-02T10:01:05.000Z',
    outcome: 'failed',
    bytes: null,
    refs: ['nas:prod_2026-01-01_00-00-00.zip'],
    destinations: ['embedded'],
    error: { kind: 'Conflict', message: 'A database named "copy" already exists.' },
    durationMs: 65_000,
    details: {},
  },
];

afterEach(cleanup);

function setup(runs: Run[] = RUNS) {
  const fake = fakeClient({
    'history:list': async (f: RunFilter) => runs.filter((r) => (!f.db || r.db === f.db) && (!f.kind || r.kind === f.kind)),
  });
  render(
    <ApiProvider client={fake.client}>
      <HistoryView utc />
    </ApiProvider>,
  );
  return fake;
}

describe('HistoryView', () => {
  it('lists runs with kind, outcome, size, duration and the error of a failed one', async () => {
    setup();
    const rows = await screen.findAllByRole('row');
    expect(rows).toHaveLength(3);
    const rot = within(rows[1]!);
    expect(rot.getByText('Rotation')).toBeInTheDocument();
    expect(rot.getByText('OK')).toBeInTheDocument();
    expect(rot.getByText('2.5 MB')).toBeInTheDocument();
    expect(rot.getByText('2 s')).toBeInTheDocument();
    expect(rot.getByText('deleted 2 backups')).toBeInTheDocument();
    expect(rot.getByText('2026-01-03 10:00 UTC')).toBeInTheDocument();
    const res = within(rows[2]!);
    expect(res.getByText('Failed')).toBeInTheDocument();
    expect(res.getByText('1 min 05 s')).toBeInTheDocument();
    expect(res.getByText('A database named "copy" already exists.')).toBeInTheDocument();
  });

  it('shows a cancelled run as cancelled, without its "was cancelled" error in red', async () => {
    setup([{ ...RUNS[1]!, id: '3', outcome: 'cancelled', error: { kind: 'Cancelled', message: 'The restore was cancelled.' } }]);
    const rows = await screen.findAllByRole('row');
    expect(within(rows[1]!).getByText('Cancelled')).toBeInTheDocument();
    expect(within(rows[1]!).queryByText('The restore was cancelled.')).toBeNull();
  });

  it('filters by kind through the contract, and by database on what it returned', async () => {
    const fake = setup();
    await screen.findAllByRole('row');
    await userEvent.selectOptions(screen.getByLabelText('Kind'), 'restore');
    await waitFor(() => expect(screen.getAllByRole('row')).toHaveLength(2));
    expect(fake.calls.at(-1)).toEqual(['history:list', { kind: 'restore' }]);
    const calls = fake.calls.length;
    await userEvent.type(screen.getByLabelText('Database'), 'prod');
    expect(await screen.findByText(/No runs recorded that match/)).toBeInTheDocument();
    expect(fake.calls).toHaveLength(calls); // typing asks nothing more
  });

  it('finds a database by part of its name, whatever the case', async () => {
    const run = (id: string, db: string): Run => ({ ...RUNS[0]!, id, db });
    setup([run('a', 'acme_medium'), run('b', 'ACME17'), run('c', 'prod'), { ...RUNS[0]!, id: 'd', db: null }]);
    await screen.findAllByRole('row');
    await userEvent.type(screen.getByLabelText('Database'), 'Acme');
    await waitFor(() => expect(screen.getAllByRole('row')).toHaveLength(3));
    expect(screen.getByText('acme_medium')).toBeInTheDocument();
    expect(screen.getByText('ACME17')).toBeInTheDocument();
    expect(screen.queryByText('prod')).toBeNull();
  });

  it('shows what a drill checked under it, a failed check marked and its attachments listed, instead of the summed-up error', async () => {
    const checks = [
      { name: 'modules', ok: true, message: '114 installed modules, base among them' },
      { name: 'admin-user', ok: true, message: 'admin user "admin" exists' },
      { name: 'filestore', ok: false, message: '1 of 204 filestore attachments are missing or differ', problems: ['attachment 7 (ab/ab00): missing'] },
    ];
    const error = { kind: 'Fatal', message: 'The restore drill of nas:acme.zip failed: 1 of 204 filestore attachments are missing or differ' };
    setup([{ ...RUNS[1]!, id: 'd', kind: 'drill', db: 'acme', refs: ['nas:acme.zip'], error, details: { ok: false, restoredAs: 'bd_drill_1_acme', checks } }]);
    const rows = await screen.findAllByRole('row');
    const list = within(rows[1]!).getByRole('list', { name: 'Drill checks' });
    const items = [...list.children];
    expect(items.map((li) => li.className)).toEqual(['ok', 'ok', 'bad']);
    expect(items[0]).toHaveTextContent('✓ passed: Modules: 114 installed modules, base among them');
    expect(items[2]).toHaveTextContent('✗ failed: Filestore: 1 of 204 filestore attachments are missing or differ');
    expect(within(items[2] as HTMLElement).getByText('Show which (1 listed)')).toBeInTheDocument();
    expect(within(items[2] as HTMLElement).getByText('attachment 7 (ab/ab00): missing')).toBeInTheDocument();
    expect(within(rows[1]!).queryByText(error.message)).toBeNull();
  });

  it('keeps the error of a drill that failed before its checks', async () => {
    const error = { kind: 'AuthFailed', message: 'The passphrase does not open this backup.' };
    setup([{ ...RUNS[1]!, id: 'd', kind: 'drill', error, details: {} }]);
    expect(await screen.findByText(error.message)).toBeInTheDocument();
    expect(screen.queryByRole('list', { name: 'Drill checks' })).toBeNull();
  });

  it('says when nothing has run yet', async () => {
    setup([]);
    expect(await screen.findByText(/No runs recorded yet/)).toBeInTheDocument();
  });
});
