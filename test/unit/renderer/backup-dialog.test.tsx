import { act, cleanup, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiProvider } from '../../../renderer/src/app/api-context';
import { BackupDialog } from '../../../renderer/src/features/backup/backup-dialog';
import { fakeClient, snap } from './fake-client';

function setup(onClose: () => void = () => undefined) {
  const fake = fakeClient({
    'backup:start': async () => ({ jobId: 'bk-1' }),
    'jobs:get': async () => snap('bk-1', { kind: 'backup' }),
    'jobs:cancel': async () => ({ cancelled: true }),
  });
  render(
    <ApiProvider client={fake.client}>
      <BackupDialog storages={['nas', 's3']} onClose={onClose} />
    </ApiProvider>,
  );
  return fake;
}

describe('Back up now', { timeout: 30_000 }, () => {
  afterEach(() => cleanup());

  it('sends the request, shows progress, then the refs written, sha256 and the verification', async () => {
    const user = userEvent.setup();
    const fake = setup();
    const go = screen.getByRole('button', { name: 'Back up now' });
    expect(go).toBeDisabled(); // no database yet
    await user.type(screen.getByLabelText('Database'), 'acme');
    await user.type(screen.getByLabelText('Odoo data dir'), '/var/lib/odoo');
    // Of several storages none is ticked for the user (the first may be one not to write to).
    expect(screen.getByLabelText('nas')).not.toBeChecked();
    expect(go).toBeDisabled();
    await user.click(screen.getByLabelText('nas'));
    await user.click(screen.getByLabelText('s3'));
    await user.click(screen.getByLabelText(/Encrypt/));
    expect(go).toBeDisabled(); // no passphrase yet
    await user.type(screen.getByLabelText('Passphrase'), 'pw');
    // Typed once only, or twice but differently: still refused (a typo would make the backup unreadable).
    expect(go).toBeDisabled();
    await user.type(screen.getByLabelText('Repeat the passphrase'), 'pv');
    expect(go).toBeDisabled();
    expect(screen.getByRole('alert')).toHaveTextContent('The two passphrases differ.');
    await user.clear(screen.getByLabelText('Repeat the passphrase'));
    await user.type(screen.getByLabelText('Repeat the passphrase'), 'pw');
    expect(screen.queryByText('The two passphrases differ.')).toBeNull();
    await user.click(go);
    expect(fake.calls.find(([m]) => m === 'backup:start')![1]).toEqual({
      db: 'acme',
      source: { type: 'postgres', dataDir: '/var/lib/odoo', filestore: true },
      to: ['nas', 's3'],
      format: 'zip',
      layout: 'odoo-backup-sh',
      rotate: false,
      encrypt: { passphrase: 'pw' },
    });
    act(() => fake.emit('job:update', snap('bk-1', { progress: { phase: 'backup', label: 'Dumping, archiving and uploading', done: 5_000_000, unit: 'bytes' } })));
    expect(await screen.findByText('Dumping, archiving and uploading')).toBeInTheDocument();
    expect(screen.getByTestId('bk-done')).toHaveTextContent('5.0 MB');
    const result = {
      db: 'acme', format: 'zip', layout: 'odoo-backup-sh', encrypted: true, createdAt: '2024-01-01T00:00:00.000Z', size: 9_000_000, sha256: 'ab'.repeat(32), durationMs: 1000,
      destinations: [
        { storage: 'nas', ok: true, ref: 'nas:acme.2024-01-01_00-00-00.zip.enc', key: 'acme.2024-01-01_00-00-00.zip.enc' },
        { storage: 's3', ok: false, key: 'acme.2024-01-01_00-00-00.zip.enc', error: { kind: 'Transient', message: 'connection reset' } },
      ],
      verification: { status: 'complete', referenced: 3, archived: 3, missingCount: 0, missing: [], message: 'All 3 files the database references are in the backup.' },
      warnings: ['Storage "s3" did not get the backup: connection reset'],
    };
    act(() => fake.emit('job:done', snap('bk-1', { state: 'succeeded', result })));
    // One of the two storages did not get it: not a plain success.
    expect(await screen.findByText('Backed up acme to 1 of 2 storages')).toBeInTheDocument();
    expect(document.querySelector('.result-icon')).toHaveClass('warn');
    expect(screen.getByText('nas:acme.2024-01-01_00-00-00.zip.enc')).toBeInTheDocument();
    expect(screen.getByText('s3: connection reset')).toBeInTheDocument();
    expect(screen.getByText('ab'.repeat(32))).toBeInTheDocument();
    expect(screen.getByTestId('bk-verification')).toHaveTextContent('All 3 files');
    expect(screen.queryByTestId('bk-rotation')).toBeNull(); // not asked for
  });

  it("says what the rotation afterwards deleted on each storage", async () => {
    const fake = setup();
    await userEvent.type(screen.getByLabelText('Database'), 'acme');
    await userEvent.click(screen.getByLabelText('nas'));
    await userEvent.click(screen.getByLabelText(/Then apply each storage's rotation policy/));
    await userEvent.click(screen.getByRole('button', { name: 'Back up now' }));
    expect(fake.calls.find(([m]) => m === 'backup:start')![1]).toMatchObject({ rotate: true });
    const result = {
      db: 'acme', format: 'zip', layout: 'odoo-backup-sh', encrypted: false, createdAt: '2024-01-01T00:00:00.000Z', size: 9_000_000, sha256: 'ab'.repeat(32), durationMs: 1000,
      destinations: [{ storage: 'nas', ok: true, ref: 'nas:acme.2024-01-01_00-00-00.zip', key: 'acme.2024-01-01_00-00-00.zip' }],
      verification: { status: 'complete', referenced: 3, archived: 3, missingCount: 0, missing: [], message: 'All 3 files the database references are in the backup.' },
      warnings: [],
      rotation: [{ storage: 'nas', policy: true, kept: 1, deleted: ['nas:a.zip', 'nas:b.zip'], bytes: 4_000_000, failed: [] }],
    };
    act(() => fake.emit('job:done', snap('bk-1', { state: 'succeeded', result })));
    expect(await screen.findByTestId('bk-rotation')).toHaveTextContent('nas: kept 1, deleted 2 older backups (4.0 MB)');
  });

  it('can include the attachments kept in S3/Swift (a zip with its filestore only), and says how many it took', async () => {
    const fake = setup();
    await userEvent.type(screen.getByLabelText('Database'), 'acme');
    await userEvent.click(screen.getByLabelText('nas'));
    const include = screen.getByLabelText(/Include the attachments kept in S3\/Swift/);
    expect(include).not.toBeChecked();
    // Not offered for a pg_dump file, which holds no filestore to put them in.
    await userEvent.selectOptions(screen.getByLabelText('Format'), 'dump');
    expect(screen.queryByLabelText(/Include the attachments kept in S3\/Swift/)).toBeNull();
    await userEvent.selectOptions(screen.getByLabelText('Format'), 'zip');
    await userEvent.click(screen.getByLabelText(/Include the attachments kept in S3\/Swift/));
    await userEvent.click(screen.getByRole('button', { name: 'Back up now' }));
    expect(fake.calls.find(([m]) => m === 'backup:start')![1]).toMatchObject({ format: 'zip', attachments: 'include' });
    const result = {
      db: 'acme', format: 'zip', layout: 'odoo-backup-sh', encrypted: false, createdAt: '2024-01-01T00:00:00.000Z', size: 9_000_000, sha256: 'ab'.repeat(32), durationMs: 1000,
      destinations: [{ storage: 'nas', ok: true, ref: 'nas:acme.2024-01-01_00-00-00.zip', key: 'acme.2024-01-01_00-00-00.zip' }],
      verification: { status: 'missing-files', referenced: 67, archived: 133, missingCount: 1, missing: ['s3://b/x'], message: '1 of the 67 files…' },
      warnings: [],
      attachments: { total: 20, included: 19, bytes: 391_743, problems: [{ storeFname: 's3://b/x', reason: 'missing', message: 's3://b/x does not exist.' }] },
    };
    act(() => fake.emit('job:done', snap('bk-1', { state: 'succeeded', result })));
    expect(await screen.findByTestId('bk-attachments')).toHaveTextContent('19 of 20 objects included (392 kB); 1 object could not be included (s3://b/x does not exist.)');
  });

  it('through a running Odoo: the instance field points at the Odoo instances screen, not at a CLI command', async () => {
    const user = userEvent.setup();
    setup();
    await user.click(screen.getByRole('radio', { name: /A running Odoo/ }));
    expect(screen.getByLabelText('Odoo instance')).toBeInTheDocument();
    expect(screen.getByText('An Odoo server added under Odoo instances.')).toBeInTheDocument();
    expect(screen.queryByText(/backup-desk odoo add/)).toBeNull();
  });

  it('a pg_dump has no filestore and no odoo_backup_sh names, and says so; rotation afterwards is asked for', async () => {
    const user = userEvent.setup();
    const fake = setup();
    await user.type(screen.getByLabelText('Database'), 'acme');
    await user.click(screen.getByLabelText('nas'));
    await user.selectOptions(screen.getByLabelText('Format'), 'dump');
    expect((screen.getByLabelText('Names') as HTMLSelectElement).value).toBe('odoo-manager');
    expect(screen.getByRole('option', { name: 'odoo_backup_sh (.zip + .info) — zip only' })).toBeDisabled();
    const filestore = screen.getByLabelText('Include the filestore (a pg_dump file holds the database only)');
    expect(filestore).toBeDisabled();
    expect(filestore).not.toBeChecked();
    await user.click(screen.getByLabelText(/Then apply each storage's rotation policy/));
    await user.click(screen.getByRole('button', { name: 'Back up now' }));
    expect(fake.calls.find(([m]) => m === 'backup:start')![1]).toMatchObject({ format: 'dump', layout: 'odoo-manager', rotate: true, source: { type: 'postgres', filestore: false } });
  });

  it('offers no × while the backup runs (it did nothing then; Escape neither closes it), and offers it again once it has ended', async () => {
    const user = userEvent.setup();
    let closed = 0;
    const fake = setup(() => closed++);
    await user.type(screen.getByLabelText('Database'), 'acme');
    await user.click(screen.getByLabelText('nas'));
    await user.click(screen.getByRole('button', { name: 'Back up now' }));
    act(() => fake.emit('job:update', snap('bk-1', { progress: { phase: 'backup', done: 1, unit: 'bytes' } })));
    await screen.findByRole('button', { name: 'Cancel backup' });
    expect(screen.queryByRole('button', { name: 'Close' })).toBeNull();
    await user.keyboard('{Escape}');
    expect(closed).toBe(0);
    act(() => fake.emit('job:done', snap('bk-1', { state: 'cancelled', error: { kind: 'Cancelled', message: 'The backup was cancelled.' } })));
    await screen.findByText('Backup cancelled');
    await user.click(screen.getAllByRole('button', { name: 'Close' })[0]!);
    expect(closed).toBe(1);
  });

  it('cancels a running backup', async () => {
    const user = userEvent.setup();
    const fake = setup();
    await user.type(screen.getByLabelText('Database'), 'acme');
    await user.click(screen.getByLabelText('nas'));
    await user.click(screen.getByRole('button', { name: 'Back up now' }));
    act(() => fake.emit('job:update', snap('bk-1', { progress: { phase: 'backup', done: 1, unit: 'bytes' } })));
    await user.click(await screen.findByRole('button', { name: 'Cancel backup' }));
    expect(fake.calls.some(([m, a]) => m === 'jobs:cancel' && (a as { jobId: string }).jobId === 'bk-1')).toBe(true);
    // Pressed once, it says so and waits for the job to stop.
    expect(screen.getByRole('button', { name: 'Cancel backup' })).toBeDisabled();
    expect(screen.getByRole('button', { name: 'Cancel backup' })).toHaveTextContent('Cancelling…');
    act(() => fake.emit('job:done', snap('bk-1', { state: 'cancelled', error: { kind: 'Cancelled', message: 'The backup was cancelled.' } })));
    expect(await screen.findByText('Backup cancelled')).toBeInTheDocument();
  });

  it('after a failure, Back to the form brings the form back as it was filled in, to correct and start again', async () => {
    const user = userEvent.setup();
    const fake = setup();
    await user.type(screen.getByLabelText('Database'), 'acme');
    await user.click(screen.getByLabelText('nas'));
    await user.click(screen.getByRole('button', { name: 'Back up now' }));
    act(() => fake.emit('job:done', snap('bk-1', { state: 'failed', error: { kind: 'Transient', message: 'Cannot reach PostgreSQL at 127.0.0.1:55999.', hint: 'Start PostgreSQL or check the target host and port.' } })));
    expect(await screen.findByText('The backup failed')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Back to the form' }));
    expect(screen.getByLabelText('Database')).toHaveValue('acme');
    expect(screen.getByLabelText('nas')).toBeChecked();
    await user.click(screen.getByRole('button', { name: 'Back up now' }));
    expect(fake.calls.filter(([m]) => m === 'backup:start')).toHaveLength(2);
  });
});
