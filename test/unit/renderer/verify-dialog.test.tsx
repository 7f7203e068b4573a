import { act, cleanup, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import type { BackupEntry, VerifyReport } from '../../../shared/contract/api';
import { ApiProvider } from '../../../renderer/src/app/api-context';
import { VerifyDialog } from '../../../renderer/src/features/verify/verify-dialog';
import { fakeClient, snap } from './fake-client';

const ENTRY: BackupEntry = {
  ref: 'nas:acme_2024-03-01_02-00-00.zip',
  storage: 'nas',
  key: 'acme_2024-03-01_02-00-00.zip',
  database: 'acme',
  createdAt: '2024-03-01T02:00:00.000Z',
  format: 'zip',
  encrypted: false,
  size: 50_000_000,
  convention: 'odoo-manager',
};

const REPORT: VerifyReport = {
  ok: false,
  name: ENTRY.key,
  format: 'zip',
  encrypted: false,
  dump: { pgVersion: '16.4', complete: true, statements: 10, tables: 3, rows: 20 },
  manifest: { odooVersion: '17.0', database: 'acme' },
  filestore: { files: 4, bytes: 400, hashed: 2, corrupt: [], corruptCount: 0, referenced: 3, missing: ['ab/ab00'], missingCount: 1 },
  problems: ['1 file that attachments reference is not in the filestore (a restore loses it): ab/ab00.'],
  checks: ['Every zip member read; CRC-32 and sizes match.', 'Database dump read to its end (PostgreSQL 16.4): 10 statements, 3 tables with data, 20 rows.'],
  notes: ['No filestore: a note the user should read.'],
};

function setup(entry: BackupEntry = ENTRY, remembered = true) {
  const fake = fakeClient({
    'storages:passphrase-remembered': async () => ({ remembered }),
    'backups:verify': async () => ({ jobId: 'v-1' }),
    'jobs:get': async () => snap('v-1', { kind: 'verify' }),
    'jobs:cancel': async () => ({ cancelled: true }),
  });
  render(
    <ApiProvider client={fake.client}>
      <VerifyDialog entry={entry} onClose={() => undefined} />
    </ApiProvider>,
  );
  return fake;
}

describe('Verify dialog', { timeout: 30_000 }, () => {
  afterEach(() => cleanup());

  it('verifies a plain backup without asking for a passphrase, then lists the problems before the checks', async () => {
    const user = userEvent.setup();
    const fake = setup();
    expect(screen.queryByLabelText('Passphrase')).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Verify' }));
    expect(fake.calls.find(([m]) => m === 'backups:verify')![1]).toEqual({ source: ENTRY.ref });
    await screen.findByRole('button', { name: 'Cancel verify' });
    act(() => fake.emit('job:update', snap('v-1', { progress: { phase: 'verify', label: 'Reading the backup', done: 10_000_000, total: 50_000_000, unit: 'bytes' } })));
    expect(await screen.findByTestId('verify-done')).toHaveTextContent('10 MB of 50 MB');
    act(() => fake.emit('job:done', snap('v-1', { state: 'succeeded', result: REPORT })));
    expect(await screen.findByText('The backup has problems')).toBeInTheDocument();
    const items = screen.getByTestId('verify-checks').querySelectorAll('li');
    expect([...items].map((li) => li.className)).toEqual(['bad', 'ok', 'ok', 'note']);
    expect(items[3]).toHaveTextContent('No filestore: a note the user should read.');
    expect(items[0]).toHaveTextContent('not in the filestore (a restore loses it): ab/ab00.');
    expect(screen.getByText('Odoo 17.0, database acme')).toBeInTheDocument();
  });

  it('with no passphrase remembered for the storage, says so and waits for one to be typed', async () => {
    const user = userEvent.setup();
    const fake = setup({ ...ENTRY, encrypted: true }, false);
    expect(await screen.findByText('No passphrase is remembered for nas: type it. Not stored unless you tick the box below.')).toBeInTheDocument();
    const verify = screen.getByRole('button', { name: 'Verify' });
    expect(verify).toBeDisabled();
    await user.type(screen.getByLabelText('Passphrase'), 's3cret');
    expect(verify).toBeEnabled();
    expect(fake.calls.find(([m]) => m === 'storages:passphrase-remembered')![1]).toEqual({ name: 'nas' });
  });

  it('verifies a backup encrypted to a public key with a private key file instead of a passphrase', async () => {
    const user = userEvent.setup();
    const fake = setup({ ...ENTRY, ref: 'nas:acme.zip.gpg', key: 'acme.zip.gpg', encrypted: true }, false);
    const go = screen.getByRole('button', { name: 'Verify' });
    await screen.findByText(/No passphrase is remembered for nas/);
    expect(go).toBeDisabled();
    await user.click(screen.getByText('Encrypted to a public key? Open it with the private key instead'));
    const armored = '-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nxVgE…\n-----END PGP PRIVATE KEY BLOCK-----\n';
    await user.upload(screen.getByLabelText('Private key file'), new File([armored], 'ops.asc'));
    await screen.findByLabelText('Passphrase of the private key');
    expect(go).toBeEnabled(); // an unprotected key needs no passphrase
    await user.click(go);
    expect(fake.calls.find(([m]) => m === 'backups:verify')![1]).toEqual({ source: 'nas:acme.zip.gpg', privateKey: { armored } });
  });

  it('sends the passphrase of an encrypted backup (and none when left empty), and cancels', async () => {
    const user = userEvent.setup();
    const fake = setup({ ...ENTRY, encrypted: true });
    await user.type(screen.getByLabelText('Passphrase'), 's3cret');
    await user.click(screen.getByRole('button', { name: 'Verify' }));
    expect(fake.calls.find(([m]) => m === 'backups:verify')![1]).toEqual({ source: ENTRY.ref, passphrase: 's3cret' });
    await user.click(await screen.findByRole('button', { name: 'Cancel verify' }));
    expect(fake.calls.some(([m, a]) => m === 'jobs:cancel' && (a as { jobId: string }).jobId === 'v-1')).toBe(true);
    act(() => fake.emit('job:done', snap('v-1', { state: 'cancelled', error: { kind: 'Cancelled', message: 'Verifying was cancelled.' } })));
    expect(await screen.findByText('Verify cancelled')).toBeInTheDocument();
    expect(screen.getByText('Stopped before the end; nothing was written.')).toBeInTheDocument();
    cleanup();
    const again = setup({ ...ENTRY, encrypted: true });
    await user.click(screen.getByRole('button', { name: 'Verify' }));
    expect(again.calls.find(([m]) => m === 'backups:verify')![1]).toEqual({ source: ENTRY.ref });
  });
});
