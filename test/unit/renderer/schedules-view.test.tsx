/** The Schedules screen against a fake client: jobs with next run, last result and overdue; live preview while a spec is typed; run now; per-job history. */
import { cleanup, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import type { Run } from '../../../shared/contract/history';
import type { RotationPolicy } from '../../../shared/contract/rotation';
import type { SchedulePreview, ScheduleStatus } from '../../../shared/contract/schedules';
import { ApiProvider } from '../../../renderer/src/app/api-context';
import { SchedulesView } from '../../../renderer/src/features/schedules/schedules-view';
import { fakeClient } from './fake-client';

afterEach(cleanup);

const JOB: ScheduleStatus = {
  name: 'nightly',
  work: { kind: 'backup', db: 'prod', source: 'postgres://odoo@db/', to: ['nas'], format: 'zip' },
  every: 'Mon..Fri 02:00',
  tz: 'Europe/Berlin',
  enabled: true,
  createdAt: '2026-01-01T00:00:00.000Z',
  description: 'Monday to Friday at 02:00 (Europe/Berlin time)',
  nextRunAt: '2026-01-06T01:00:00.000Z',
  lastRunAt: '2026-01-05T01:00:00.000Z',
  lastOutcome: 'failed',
  lastError: 'The storage did not answer.',
  lastSuccessAt: '2026-01-01T01:00:00.000Z',
  running: false,
  overdueSince: '2026-01-03T13:00:00.000Z',
  retryAt: null,
  consecutiveFailures: 4,
};

const RUN: Run = {
  id: 'r1',
  kind: 'backup',
  db: 'prod',
  startedAt: '2026-01-05T01:00:00.000Z',
  endedAt: '2026-01-05T01:02:00.000Z',
  outcome: 'failed',
  bytes: null,
  refs: [],
  destinations: ['nas'],
  error: { kind: 'Transient', message: 'The storage did not answer.' },
  durationMs: 120_000,
  details: {},
};

describe('SchedulesView', () => {
  it('lists jobs with words, next run, last result and overdue; Run now and History', async () => {
    const f = fakeClient({
      'schedules:list': async () => [JOB],
      'history:list': async () => [RUN],
      'schedules:run-now': async () => ({ jobId: 'j1' }),
    });
    render(
      <ApiProvider client={f.client}>
        <SchedulesView utc />
      </ApiProvider>,
    );
    const row = (await screen.findByText('nightly')).closest('tr') as HTMLElement;
    expect(within(row).getByText('Monday to Friday at 02:00 (Europe/Berlin time)')).toBeTruthy();
    expect(within(row).getByText('Overdue')).toBeTruthy();
    expect(within(row).getByText('failed')).toBeTruthy();
    expect(within(row).getByText('The storage did not answer.')).toBeTruthy();
    await userEvent.click(within(row).getByRole('button', { name: 'Run now' }));
    expect(f.calls.some(([m, a]) => m === 'schedules:run-now' && (a as { name: string }).name === 'nightly')).toBe(true);
    await userEvent.click(within(row).getByRole('button', { name: 'History' }));
    expect(await screen.findByRole('img', { name: 'Duration of the last runs' })).toBeTruthy();
    const item = screen.getAllByRole('listitem').find((li) => /failed/.test(li.textContent ?? ''));
    expect(item?.textContent).toMatch(/^2026-01-05 01:00.* — failed, .+ — The storage did not answer\.$/);
  });

  it('shows a run missed while no scheduler ran as missed, when it was due and where it runs, instead of the next slot', async () => {
    const f = fakeClient({ 'schedules:list': async () => [{ ...JOB, overdueSince: null, lastOutcome: 'ok' as const, lastError: null, dueSince: '2026-01-05T01:00:00.000Z' }, { ...JOB, name: 'weekly', overdueSince: null }], 'history:list': async () => [] });
    render(
      <ApiProvider client={f.client}>
        <SchedulesView utc />
      </ApiProvider>,
    );
    const row = (await screen.findByText('nightly')).closest('tr') as HTMLElement;
    const next = row.querySelectorAll('td')[2] as HTMLElement;
    expect(next.textContent).toBe('missed due 2026-01-05 01:00 UTCruns once a scheduler starts (the desktop app or backup-desk daemon)');
    const other = (await screen.findByText('weekly')).closest('tr') as HTMLElement;
    expect((other.querySelectorAll('td')[2] as HTMLElement).textContent).toBe('2026-01-06 01:00 UTC');
  });

  it('shows a cancelled last run as cancelled, without its "was cancelled" message in red', async () => {
    const f = fakeClient({ 'schedules:list': async () => [{ ...JOB, overdueSince: null, lastOutcome: 'cancelled' as const, lastError: 'The backup was cancelled.' }], 'history:list': async () => [] });
    render(
      <ApiProvider client={f.client}>
        <SchedulesView utc />
      </ApiProvider>,
    );
    const row = (await screen.findByText('nightly')).closest('tr') as HTMLElement;
    expect(within(row).getByText('cancelled')).toBeTruthy();
    expect(within(row).queryByText('The backup was cancelled.')).toBeNull();
  });

  it('says that the drill after a backup that went fine failed, in the failure colours, and lists that drill in the job history', async () => {
    const DRILLED: ScheduleStatus = {
      ...JOB,
      work: { ...JOB.work, drillEvery: 1 } as ScheduleStatus['work'],
      lastOutcome: 'ok',
      lastError: null,
      lastSuccessAt: '2026-01-05T01:02:00.000Z',
      overdueSince: null,
      consecutiveFailures: 0,
      lastDrill: { at: '2026-01-05T01:02:01.000Z', outcome: 'failed', error: 'The restore drill of nas:prod_2026-01-05_01-00-00.zip failed: the filestore misses 2 files', retryAt: '2999-01-01T00:00:00.000Z', running: false },
    };
    const drillRun: Run = { ...RUN, id: 'r2', kind: 'drill', startedAt: '2026-01-05T01:02:01.000Z', destinations: ['embedded'], error: { kind: 'Fatal', message: 'The restore drill of nas:prod_2026-01-05_01-00-00.zip failed: the filestore misses 2 files' }, details: { schedule: 'nightly.drill' } };
    const f = fakeClient({ 'schedules:list': async () => [DRILLED], 'history:list': async () => [drillRun, { ...RUN, outcome: 'ok', error: null }] });
    render(
      <ApiProvider client={f.client}>
        <SchedulesView utc />
      </ApiProvider>,
    );
    const row = (await screen.findByText('nightly')).closest('tr') as HTMLElement;
    expect(within(row).getByText('drill failed')).toHaveClass('badge-bad');
    expect(within(row).queryByText('ok')).toBeNull();
    const line = within(row).getByText('Backed up 2026-01-05 01:02 UTC · drill failed: the filestore misses 2 files');
    expect(line).toHaveClass('error-text');
    expect(within(row).getByText(/^drill retry at 2999-01-01 00:00 UTC/)).toBeTruthy();
    await userEvent.click(within(row).getByRole('button', { name: 'History' }));
    const items = (await screen.findAllByRole('listitem')).map((li) => li.textContent);
    expect(items).toEqual([expect.stringMatching(/ — drill failed, .+ — The restore drill of .+ failed: the filestore misses 2 files$/), expect.stringMatching(/ — ok, /)]);
  });

  it('shows a drill that passed, or one that runs again, as no failure', async () => {
    const base: ScheduleStatus = { ...JOB, work: { ...JOB.work, drillEvery: 1 } as ScheduleStatus['work'], lastOutcome: 'ok', lastError: null, overdueSince: null };
    const failed = { at: '2026-01-05T01:02:01.000Z', outcome: 'failed' as const, error: 'The restore drill of x failed: no', retryAt: null };
    const f = fakeClient({ 'schedules:list': async () => [{ ...base, lastDrill: { ...failed, running: true } }, { ...base, name: 'other', lastDrill: { ...failed, outcome: 'ok', error: null, running: false } }], 'history:list': async () => [] });
    render(
      <ApiProvider client={f.client}>
        <SchedulesView utc />
      </ApiProvider>,
    );
    await screen.findByText('nightly');
    expect(screen.queryByText(/drill failed/)).toBeNull();
    expect(screen.getAllByText('ok')).toHaveLength(2);
  });

  it('shows a failure from before a save changed the settings as such, not as the state now; one after it as a failure', async () => {
    const FIXED: ScheduleStatus = { ...JOB, overdueSince: null, consecutiveFailures: 0, settingsChangedAt: '2026-01-05T09:00:00.000Z' };
    const f = fakeClient({ 'schedules:list': async () => [FIXED, { ...FIXED, name: 'again', lastRunAt: '2026-01-05T10:00:00.000Z' }], 'history:list': async () => [] });
    render(
      <ApiProvider client={f.client}>
        <SchedulesView utc />
      </ApiProvider>,
    );
    const row = (await screen.findByText('nightly')).closest('tr') as HTMLElement;
    expect(within(row).getByText('settings changed')).toHaveClass('badge-neutral');
    expect(within(row).queryByText('failed')).toBeNull();
    expect(within(row).queryByText('The storage did not answer.')).toBeNull();
    const line = within(row).getByText('Last run failed on 2026-01-05 01:00 UTC, before the settings changed — runs next at 2026-01-06 01:00 UTC');
    expect(line).not.toHaveClass('error-text');
    expect(line).toHaveAttribute('title', 'The storage did not answer.');
    const again = screen.getByText('again').closest('tr') as HTMLElement;
    expect(within(again).getByText('failed')).toHaveClass('badge-bad');
    expect(within(again).getByText('The storage did not answer.')).toHaveClass('error-text');
  });

  it('shows a failed drill from before a save changed the settings as such', async () => {
    const lastDrill = { at: '2026-01-05T01:02:01.000Z', outcome: 'failed' as const, error: 'The restore drill of x failed: no', retryAt: null, running: false };
    const job: ScheduleStatus = { ...JOB, work: { ...JOB.work, drillEvery: 1 } as ScheduleStatus['work'], lastOutcome: 'ok', lastError: null, lastSuccessAt: '2026-01-05T01:02:00.000Z', overdueSince: null, lastDrill, settingsChangedAt: '2026-01-05T09:00:00.000Z' };
    const f = fakeClient({ 'schedules:list': async () => [job], 'history:list': async () => [] });
    render(
      <ApiProvider client={f.client}>
        <SchedulesView utc />
      </ApiProvider>,
    );
    const row = (await screen.findByText('nightly')).closest('tr') as HTMLElement;
    expect(within(row).getByText('ok')).toHaveClass('badge-good');
    expect(within(row).getByText('Backed up 2026-01-05 01:02 UTC · last drill failed on 2026-01-05 01:02 UTC, before the settings changed')).toHaveClass('muted');
    expect(within(row).queryByText(/drill failed:/)).toBeNull();
  });

  it('reads the spec back live while it is typed, and saves the job', async () => {
    const previews: string[] = [];
    const f = fakeClient({
      'schedules:list': async () => [],
      'history:list': async () => [],
      'schedules:preview': async (a): Promise<SchedulePreview> => {
        previews.push(a.every);
        return a.every === 'Sat,Sun 10:00'
          ? { ok: true, kind: 'calendar', normalized: 'Sat,Sun *-*-* 10:00:00', description: 'Saturdays and Sundays at 10:00 (UTC time)', zone: 'UTC', runs: ['2026-01-03T10:00:00.000Z'] }
          : { ok: false, runs: [], error: `"${a.every}" is not a valid calendar event` };
      },
      'schedules:save': async () => JOB,
      'storages:list': async () => [{ name: 'nas' }, { name: 's3' }, { name: 'box' }] as never,
    });
    render(
      <ApiProvider client={f.client}>
        <SchedulesView utc />
      </ApiProvider>,
    );
    await userEvent.click(await screen.findByRole('button', { name: 'New schedule' }));
    // A name the core would refuse is said under the field as it is typed, and Save waits for a good one.
    await userEvent.type(screen.getByLabelText('Name'), 'nightly acme!');
    expect(screen.getByLabelText('Name')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByText('Use letters, digits, "_", "." or "-", starting with a letter or digit (at most 64).')).toBeInTheDocument();
    await userEvent.clear(screen.getByLabelText('Name'));
    await userEvent.type(screen.getByLabelText('Name'), 'nightly.drill');
    expect(screen.getByText('Names ending in ".drill" are kept for the restore drills run after a backup job; choose another.')).toBeInTheDocument();
    await userEvent.clear(screen.getByLabelText('Name'));
    await userEvent.type(screen.getByLabelText('Name'), 'weekend');
    expect(screen.getByLabelText('Name')).toHaveAttribute('aria-invalid', 'false');
    await userEvent.type(screen.getByLabelText('Restore drill after every Nth backup'), '-3');
    expect(screen.getByText('A whole number of backups, 1 or more (empty: no automatic drills).')).toBeInTheDocument();
    expect((screen.getByRole('button', { name: 'Save' }) as HTMLButtonElement).disabled).toBe(true);
    await userEvent.clear(screen.getByLabelText('Restore drill after every Nth backup'));
    await userEvent.type(screen.getByLabelText('Database'), 'prod');
    await userEvent.type(screen.getByLabelText('Source'), 'postgres://odoo@db/');
    // The configured storages to tick, not names to type.
    await userEvent.click(await screen.findByRole('checkbox', { name: 'nas' }));
    await userEvent.click(screen.getByRole('checkbox', { name: 's3' }));
    const when = screen.getByLabelText('When');
    await userEvent.clear(when);
    await userEvent.type(when, 'Sat,Sun');
    expect(await screen.findByRole('alert')).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Save' }) as HTMLButtonElement).disabled).toBe(true);
    await userEvent.type(when, ' 10:00');
    expect(await screen.findByText('Saturdays and Sundays at 10:00 (UTC time)')).toBeTruthy();
    expect(within(screen.getByRole('list', { name: 'Next runs' })).getAllByRole('listitem')).toHaveLength(1);
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(f.calls.some(([m]) => m === 'schedules:save')).toBe(true));
    const saved = f.calls.find(([m]) => m === 'schedules:save')?.[1] as { name: string; every: string; work: { to: string[]; kind: string } };
    expect(saved).toMatchObject({ name: 'weekend', every: 'Sat,Sun 10:00', work: { kind: 'backup', to: ['nas', 's3'] } });
  });
});

/** The Schedules screen with one job `job` (saving answers `saved`), its editor opened. */
async function editOneJob(job: ScheduleStatus, saved: ScheduleStatus & { warnings?: string[] } = job) {
  const f = fakeClient({
    'schedules:list': async () => [job],
    'history:list': async () => [],
    'schedules:preview': async (): Promise<SchedulePreview> => ({ ok: true, kind: 'calendar', normalized: 'x', description: 'every day', zone: 'UTC', runs: ['2026-01-06T00:00:00.000Z'] }),
    'schedules:save': async () => saved,
    'storages:list': async () => [{ name: 'nas' }] as never,
  });
  render(
    <ApiProvider client={f.client}>
      <SchedulesView utc />
    </ApiProvider>,
  );
  const row = (await screen.findByText(job.name)).closest('tr') as HTMLElement;
  await userEvent.click(within(row).getByRole('button', { name: 'Edit' }));
  return f;
}

describe('SchedulesView: a saved job whose source looks wrong', () => {
  it("says what the core warned of after saving, and closes on the user's word", async () => {
    const warning = 'database "shpo" at 127.0.0.1:5432: database "shpo" does not exist: the job will fail until that database exists (check its name).';
    const f = await editOneJob(JOB, { ...JOB, warnings: [warning] });
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    const dialog = await screen.findByRole('dialog', { name: 'nightly is saved' });
    expect(within(dialog).getByTestId('schedule-warning').textContent).toBe(warning);
    const lists = f.calls.filter(([m]) => m === 'schedules:list').length;
    await userEvent.click(within(dialog).getByRole('button', { name: 'Done' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    await waitFor(() => expect(f.calls.filter(([m]) => m === 'schedules:list').length).toBeGreaterThan(lists));
  });
});

describe('SchedulesView: attachments kept in S3/Swift', () => {
  const WITH: ScheduleStatus = { ...JOB, work: { kind: 'backup', db: 'prod', source: 'postgres://odoo@db/', to: ['nas'], format: 'zip', attachments: 'include', attachmentsStorage: 'prod-s3' } };

  it('shows the option in the list and in the editor, and saves it switched off', async () => {
    const f = fakeClient({
      'schedules:list': async () => [WITH],
      'history:list': async () => [],
      'schedules:preview': async (): Promise<SchedulePreview> => ({ ok: true, kind: 'calendar', normalized: 'x', description: 'every day', zone: 'UTC', runs: ['2026-01-06T00:00:00.000Z'] }),
      'schedules:save': async () => WITH,
    });
    render(
      <ApiProvider client={f.client}>
        <SchedulesView utc />
      </ApiProvider>,
    );
    const row = (await screen.findByText('nightly')).closest('tr') as HTMLElement;
    expect(within(row).getByText('Back up prod to nas (with its attachments from S3/Swift)')).toBeTruthy();
    await userEvent.click(within(row).getByRole('button', { name: 'Edit' }));
    const box = screen.getByLabelText('Attachments in S3/Swift') as HTMLInputElement;
    expect(box.checked).toBe(true);
    expect((screen.getByLabelText('Storage for the attachments') as HTMLInputElement).value).toBe('prod-s3');
    await userEvent.click(box);
    expect(screen.queryByLabelText('Storage for the attachments')).toBeNull();
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(f.calls.some(([m]) => m === 'schedules:save')).toBe(true));
    const saved = f.calls.find(([m]) => m === 'schedules:save')?.[1] as { work: Record<string, unknown> };
    expect(saved.work).not.toHaveProperty('attachments');
    expect(saved.work).not.toHaveProperty('attachmentsStorage');
  });

  it('saves the option when it is ticked', async () => {
    const f = fakeClient({
      'schedules:list': async () => [JOB],
      'history:list': async () => [],
      'schedules:preview': async (): Promise<SchedulePreview> => ({ ok: true, kind: 'calendar', normalized: 'x', description: 'every day', zone: 'UTC', runs: [] }),
      'schedules:save': async () => JOB,
    });
    render(
      <ApiProvider client={f.client}>
        <SchedulesView utc />
      </ApiProvider>,
    );
    const row = (await screen.findByText('nightly')).closest('tr') as HTMLElement;
    await userEvent.click(within(row).getByRole('button', { name: 'Edit' }));
    await userEvent.click(screen.getByLabelText('Attachments in S3/Swift'));
    await userEvent.type(screen.getByLabelText('Storage for the attachments'), 'prod-swift');
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(f.calls.some(([m]) => m === 'schedules:save')).toBe(true));
    const saved = f.calls.find(([m]) => m === 'schedules:save')?.[1] as { work: Record<string, unknown> };
    expect(saved.work).toMatchObject({ kind: 'backup', db: 'prod', attachments: 'include', attachmentsStorage: 'prod-swift' });
  });
});

describe('ScheduleEditor: format, names, filestore and encryption', () => {
  const setup = (jobs: ScheduleStatus[]) => {
    const f = fakeClient({
      'schedules:list': async () => jobs,
      'history:list': async () => [],
      'schedules:preview': async (): Promise<SchedulePreview> => ({ ok: true, kind: 'calendar', normalized: 'x', description: 'every day', zone: 'UTC', runs: ['2026-01-06T00:00:00.000Z'] }),
      'schedules:save': async () => JOB,
      'storages:list': async () => [{ name: 'nas' }] as never,
    });
    render(
      <ApiProvider client={f.client}>
        <SchedulesView utc />
      </ApiProvider>,
    );
    return f;
  };
  const savedArgs = async (f: ReturnType<typeof setup>) => {
    await waitFor(() => expect(f.calls.some(([m]) => m === 'schedules:save')).toBe(true));
    return f.calls.find(([m]) => m === 'schedules:save')?.[1] as { work: Record<string, unknown>; passphrase?: string };
  };

  it('makes a job encrypted only with the passphrase typed twice alike, and sends it to be kept', async () => {
    const f = setup([JOB]);
    await userEvent.click(await screen.findByRole('button', { name: 'Edit' }));
    const save = screen.getByRole('button', { name: 'Save' }) as HTMLButtonElement;
    await userEvent.click(screen.getByLabelText("Encrypt with a passphrase (OpenPGP; stored for this job with the app's other secrets)"));
    expect(save.disabled).toBe(true); // no passphrase yet
    // A short passphrase is warned about as it is typed (not refused).
    await userEvent.type(screen.getByLabelText('Passphrase'), 'long');
    expect(screen.getByTestId('passphrase-short')).toHaveTextContent(/can be guessed .* 10 characters or more/);
    await userEvent.type(screen.getByLabelText('Passphrase'), ' secret');
    expect(screen.queryByTestId('passphrase-short')).toBeNull();
    await userEvent.type(screen.getByLabelText('Repeat the passphrase'), 'long secreT');
    expect(screen.getByRole('alert')).toHaveTextContent('The two passphrases differ.');
    expect(save.disabled).toBe(true);
    await userEvent.clear(screen.getByLabelText('Repeat the passphrase'));
    await userEvent.type(screen.getByLabelText('Repeat the passphrase'), 'long secret');
    await userEvent.click(save);
    const a = await savedArgs(f);
    expect(a.passphrase).toBe('long secret');
    expect(a.work).toMatchObject({ format: 'zip', encrypt: { passphrase: true } });
    expect(a.work).not.toHaveProperty('noFilestore');
  });

  it('a dump: no filestore choice and no odoo_backup_sh names (reset when chosen before); a zip without its filestore', async () => {
    const f = setup([{ ...JOB, work: { ...JOB.work, layout: 'odoo-backup-sh' } as ScheduleStatus['work'] }]);
    await userEvent.click(await screen.findByRole('button', { name: 'Edit' }));
    expect((screen.getByLabelText('Names') as HTMLSelectElement).value).toBe('odoo-backup-sh');
    await userEvent.click(screen.getByLabelText('Include the filestore'));
    await userEvent.selectOptions(screen.getByLabelText('Format'), 'dump');
    expect(screen.queryByLabelText('Include the filestore')).toBeNull();
    const names = screen.getByLabelText('Names') as HTMLSelectElement;
    expect(names.value).toBe('');
    expect([...names.options].map((o) => o.value)).toEqual(['', 'odoo-manager', 'backup-desk']);
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    const a = await savedArgs(f);
    expect(a.work).toMatchObject({ format: 'dump' });
    expect(a.work).not.toHaveProperty('layout');
    expect(a.work).not.toHaveProperty('noFilestore');
    cleanup();
    const g = setup([JOB]);
    await userEvent.click(await screen.findByRole('button', { name: 'Edit' }));
    await userEvent.click(screen.getByLabelText('Include the filestore'));
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect((await savedArgs(g)).work).toMatchObject({ format: 'zip', noFilestore: true });
  });
});

describe('ScheduleEditor: what only the CLI sets', () => {
  it('shows the rest in the form, names what only the CLI sets, and keeps both on Save (the passphrase stays in the keychain)', async () => {
    const ENC: ScheduleStatus = { ...JOB, work: { kind: 'backup', db: 'prod', source: 'postgres://odoo@db/', to: ['nas'], format: 'dump', layout: 'odoo-manager', encrypt: { passphrase: true, recipients: ['/keys/ops.asc'] }, rotate: true } };
    const f = await editOneJob(ENC);
    expect(screen.getByText('Back up prod to nas (pg_dump format, encrypted, then rotated)')).toBeTruthy();
    expect(await screen.findByTestId('cli-settings')).toHaveTextContent('Also, as set with the CLI and kept on Save: encrypted to 1 public key.');
    expect((screen.getByLabelText('Rotation') as HTMLInputElement).checked).toBe(true);
    expect((screen.getByLabelText('Format') as HTMLSelectElement).value).toBe('dump');
    expect((screen.getByLabelText('Names') as HTMLSelectElement).value).toBe('odoo-manager');
    expect((screen.getByLabelText("Encrypt with a passphrase (OpenPGP; stored for this job with the app's other secrets)") as HTMLInputElement).checked).toBe(true);
    expect(screen.getByText('Leave both empty to keep the stored passphrase.')).toBeTruthy();
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(f.calls.some(([m]) => m === 'schedules:save')).toBe(true));
    const saved = f.calls.find(([m]) => m === 'schedules:save')?.[1] as { work: Record<string, unknown>; passphrase?: string };
    expect(saved.work).toMatchObject({ format: 'dump', layout: 'odoo-manager', encrypt: { passphrase: true, recipients: ['/keys/ops.asc'] }, rotate: true, to: ['nas'] });
    expect(saved).not.toHaveProperty('passphrase');
  });

  it('drops what is emptied or unticked in the form (the drill count, the data dir, rotation) instead of keeping the old value', async () => {
    const FULL: ScheduleStatus = { ...JOB, work: { kind: 'backup', db: 'prod', source: 'postgres://odoo@db/', to: ['nas'], format: 'zip', dataDir: '/srv/odoo', drillEvery: 7, rotate: true, cold: { stopCommand: 'systemctl stop odoo', startCommand: 'systemctl start odoo' } } };
    const f = await editOneJob(FULL);
    await userEvent.clear(screen.getByLabelText('Restore drill after every Nth backup'));
    await userEvent.clear(screen.getByLabelText('Odoo data dir'));
    await userEvent.click(screen.getByLabelText('Rotation'));
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(f.calls.some(([m]) => m === 'schedules:save')).toBe(true));
    const saved = f.calls.find(([m]) => m === 'schedules:save')?.[1] as { work: Record<string, unknown> };
    expect(saved.work).not.toHaveProperty('drillEvery');
    expect(saved.work).not.toHaveProperty('dataDir');
    expect(saved.work).not.toHaveProperty('rotate');
    expect(saved.work).toMatchObject({ cold: { stopCommand: 'systemctl stop odoo' } }); // set with the CLI: kept
  });
});

describe('ScheduleEditor: rotation by default where a storage has a policy', () => {
  const POLICIES: Record<string, RotationPolicy | null> = { nas: { daily: 7, weekly: 4 }, s3: null };
  const setup = (jobs: ScheduleStatus[] = []) => {
    const f = fakeClient({
      'schedules:list': async () => jobs,
      'history:list': async () => [],
      'schedules:preview': async (): Promise<SchedulePreview> => ({ ok: true, kind: 'calendar', normalized: 'x', description: 'every day', zone: 'UTC', runs: ['2026-01-06T00:00:00.000Z'] }),
      'schedules:save': async () => JOB,
      'storages:list': async () => [{ name: 'nas' }, { name: 's3' }] as never,
      'rotation:get-policy': async ({ storage }) => POLICIES[storage] ?? null,
    });
    render(
      <ApiProvider client={f.client}>
        <SchedulesView utc />
      </ApiProvider>,
    );
    return f;
  };
  const fillNew = async () => {
    await userEvent.click(await screen.findByRole('button', { name: 'New schedule' }));
    await userEvent.type(screen.getByLabelText('Name'), 'weekly');
    await userEvent.type(screen.getByLabelText('Database'), 'prod');
    await userEvent.type(screen.getByLabelText('Source'), 'postgres://odoo@db/');
  };
  const savedWork = async (f: ReturnType<typeof setup>) => {
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(f.calls.some(([m]) => m === 'schedules:save')).toBe(true));
    return (f.calls.find(([m]) => m === 'schedules:save')?.[1] as { work: Record<string, unknown> }).work;
  };

  it('starts unticked for storages without a policy and ticked once one has one, saying which policy applies where', async () => {
    const f = setup();
    await fillNew();
    const box = screen.getByLabelText('Rotation') as HTMLInputElement;
    await userEvent.click(await screen.findByRole('checkbox', { name: 's3' }));
    expect(box.checked).toBe(false);
    expect(screen.getByTestId('rotation-policies')).toHaveTextContent('None of these storages has a rotation policy (Storages → Rotation): rotation would delete nothing.');
    await userEvent.click(screen.getByRole('checkbox', { name: 'nas' }));
    await waitFor(() => expect(box.checked).toBe(true));
    const words = screen.getByTestId('rotation-policies');
    expect(words).toHaveTextContent(/^After each backup:/);
    expect(within(words).getAllByRole('listitem').map((li) => li.textContent)).toEqual(['s3: no policy, left alone', 'nas: keeps 7 days, 4 weeks']);
    expect(await savedWork(f)).toMatchObject({ to: ['s3', 'nas'], rotate: true });
  });

  it('keeps the choice once it is made, and an existing job keeps its own', async () => {
    const f = setup();
    await fillNew();
    await userEvent.click(await screen.findByRole('checkbox', { name: 'nas' }));
    const box = screen.getByLabelText('Rotation') as HTMLInputElement;
    await waitFor(() => expect(box.checked).toBe(true));
    await userEvent.click(box);
    await userEvent.click(screen.getByRole('checkbox', { name: 's3' }));
    expect(box.checked).toBe(false);
    expect(screen.getByTestId('rotation-policies')).toHaveTextContent(/^Not applied; their policies:/);
    expect(await savedWork(f)).not.toHaveProperty('rotate');
    cleanup();
    const g = setup([JOB]);
    await userEvent.click(await screen.findByRole('button', { name: 'Edit' }));
    await waitFor(() => expect(screen.getByTestId('rotation-policies')).toHaveTextContent('nas: keeps 7 days, 4 weeks'));
    expect((screen.getByLabelText('Rotation') as HTMLInputElement).checked).toBe(false);
    expect(await savedWork(g)).not.toHaveProperty('rotate');
  });
});
