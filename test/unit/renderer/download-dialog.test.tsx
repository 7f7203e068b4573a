import { act, cleanup, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ApiResult, BackupEntry } from '../../../shared/contract/api';
import { ApiProvider } from '../../../renderer/src/app/api-context';
import { defaultDestination, DownloadDialog } from '../../../renderer/src/features/download/download-dialog';
import { fakeClient, snap } from './fake-client';

const ENC: BackupEntry = {
  ref: 's3:acme.2024-03-01_02-00-00.zip.enc',
  storage: 's3',
  key: 'backups/acme.2024-03-01_02-00-00.zip.enc',
  database: 'acme',
  createdAt: '2024-03-01T02:00:00.000Z',
  format: 'zip',
  encrypted: true,
  size: 100_000_000,
  convention: 'odoo-backup-sh',
};

type Check = ApiResult<'download:check-destination'>;

function setup(entry: BackupEntry = ENC, check: (out: string) => Check = (out) => ({ path: out, replaceable: false })) {
  const fake = fakeClient({
    'storages:passphrase-remembered': async () => ({ remembered: true }),
    'download:check-destination': async ({ out }) => check(out),
    'download:start': async () => ({ jobId: 'dl-1' }),
    'jobs:get': async () => snap('dl-1', { kind: 'download' }),
    'jobs:cancel': async () => ({ cancelled: true }),
  });
  render(
    <ApiProvider client={fake.client}>
      <DownloadDialog entry={entry} home="/home/me/.local/share/odoo-backup-desk" onClose={() => undefined} />
    </ApiProvider>,
  );
  return fake;
}

describe('defaultDestination', () => {
  it('puts downloads under <home>/downloads and drops .enc when decrypting', () => {
    expect(defaultDestination('/h', 'x/acme.zip.enc', true)).toBe('/h/downloads/acme.zip');
    expect(defaultDestination('/h/', 'x/acme.zip.enc', false)).toBe('/h/downloads/acme.zip.enc');
    expect(defaultDestination('C:\\Users\\me', 'acme.dump', false)).toBe('C:\\Users\\me\\downloads\\acme.dump');
  });
});

describe('Download & decrypt dialog', { timeout: 30_000 }, () => {
  afterEach(() => {
    cleanup();
    vi.useRealTimers();
  });

  it('asks for destination and passphrase, then shows progress with speed and time left, then the verification', async () => {
    const user = userEvent.setup();
    const fake = setup();
    expect(screen.getByLabelText('Save to')).toHaveValue('/home/me/.local/share/odoo-backup-desk/downloads/acme.2024-03-01_02-00-00.zip');
    const go = screen.getByRole('button', { name: 'Download & decrypt' });
    // Enabled without a passphrase once one is known to be remembered for the storage: the core then uses it.
    expect(await screen.findByText(/^Leave it empty to use the passphrase remembered for s3\./)).toBeInTheDocument();
    expect(go).toBeEnabled();
    await user.type(screen.getByLabelText('Passphrase'), 's3cret');
    await user.click(go);
    expect(fake.calls.find(([m]) => m === 'download:start')![1]).toEqual({
      ref: ENC.ref,
      out: '/home/me/.local/share/odoo-backup-desk/downloads/acme.2024-03-01_02-00-00.zip',
      decrypt: true,
      passphrase: 's3cret',
    });
    // The destination is checked first: the job is followed once the dialog shows its progress.
    await screen.findByRole('button', { name: 'Cancel download' });
    // 10 MB in the first second, 10 MB more in the next: 10 MB/s, 80 MB left → 8 s.
    const now = vi.spyOn(performance, 'now');
    now.mockReturnValue(1000);
    act(() => fake.emit('job:update', snap('dl-1', { progress: { phase: 'download', label: 'Downloading and decrypting', done: 10_000_000, total: 100_000_000, unit: 'bytes' } })));
    now.mockReturnValue(2000);
    act(() => fake.emit('job:update', snap('dl-1', { progress: { phase: 'download', label: 'Downloading and decrypting', done: 20_000_000, total: 100_000_000, unit: 'bytes' } })));
    expect(await screen.findByText('Downloading and decrypting')).toBeInTheDocument();
    expect(screen.getByTestId('dl-done')).toHaveTextContent('20 MB of 100 MB');
    expect(screen.getByTestId('dl-speed')).toHaveTextContent('10 MB/s');
    expect(screen.getByTestId('dl-eta')).toHaveTextContent('8 s');
    expect(screen.getByRole('progressbar', { name: 'Download progress' })).toHaveAttribute('aria-valuenow', '20');
    // The check after the transfer starts at 0 with no speed yet: not the transfer's, with "0 s" left.
    now.mockReturnValue(3000);
    act(() => fake.emit('job:update', snap('dl-1', { progress: { phase: 'verify', label: 'Verifying', done: 0, total: 100_000_000, unit: 'bytes' } })));
    expect(screen.getByTestId('dl-speed')).not.toHaveTextContent('10 MB/s');
    expect(screen.getByTestId('dl-eta')).not.toHaveTextContent(/\d s/);
    now.mockRestore();
    act(() =>
      fake.emit('job:done', snap('dl-1', { state: 'succeeded', result: { path: '/tmp/acme.zip', storedBytes: 100_000_000, bytes: 99_000_000, verified: ['size', 'sha256', 'zip (12 entries)'] } })),
    );
    expect(await screen.findByText('Downloaded and decrypted')).toBeInTheDocument();
    expect(screen.getByTestId('verification')).toHaveTextContent(
      '✓ Decrypted; the OpenPGP integrity check passed✓ Size matches the storage listing✓ SHA256 checksum matches✓ Zip archive is complete (12 entries)',
    );
    expect(screen.getByText('99 MB')).toBeInTheDocument();
    expect(screen.getByText('/tmp/acme.zip')).toBeInTheDocument();
  });

  it('cancels a running download', async () => {
    const user = userEvent.setup();
    const fake = setup({ ...ENC, encrypted: false, key: 'acme.zip', ref: 's3:acme.zip' });
    await user.click(screen.getByRole('button', { name: 'Download' }));
    await screen.findByRole('button', { name: 'Cancel download' });
    act(() => fake.emit('job:update', snap('dl-1', { progress: { phase: 'download', done: 1, total: 100, unit: 'bytes' } })));
    await user.click(await screen.findByRole('button', { name: 'Cancel download' }));
    expect(fake.calls.some(([m, a]) => m === 'jobs:cancel' && (a as { jobId: string }).jobId === 'dl-1')).toBe(true);
    act(() => fake.emit('job:done', snap('dl-1', { state: 'cancelled', error: { kind: 'Cancelled', message: 'The download was cancelled.' } })));
    expect(await screen.findByText('Download cancelled')).toBeInTheDocument();
    expect(screen.getByText('No partial file was left at the destination.')).toBeInTheDocument();
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('sends "remember for this storage" with the passphrase, and no passphrase when left empty', async () => {
    const user = userEvent.setup();
    const fake = setup();
    const remember = screen.getByLabelText(/Remember for this storage \(kept with its credentials\)/);
    expect(remember).not.toBeChecked();
    await user.click(remember);
    const go = screen.getByRole('button', { name: 'Download & decrypt' });
    expect(go).toBeDisabled(); // nothing to remember yet
    await user.type(screen.getByLabelText('Passphrase'), 's3cret');
    await user.click(go);
    expect(fake.calls.find(([m]) => m === 'download:start')![1]).toEqual({
      ref: ENC.ref,
      out: '/home/me/.local/share/odoo-backup-desk/downloads/acme.2024-03-01_02-00-00.zip',
      decrypt: true,
      passphrase: 's3cret',
      rememberPassphrase: true,
    });
    cleanup();
    const again = setup();
    await user.click(screen.getByRole('button', { name: 'Download & decrypt' }));
    expect(again.calls.find(([m]) => m === 'download:start')![1]).toEqual({
      ref: ENC.ref,
      out: '/home/me/.local/share/odoo-backup-desk/downloads/acme.2024-03-01_02-00-00.zip',
      decrypt: true,
    });
  });

  it('decrypts with a private key file when one is picked (its own passphrase sent with it)', async () => {
    const user = userEvent.setup();
    const fake = setup();
    await user.click(screen.getByText('Encrypted to a public key? Open it with the private key instead'));
    const armored = '-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nxVgE…\n-----END PGP PRIVATE KEY BLOCK-----\n';
    await user.upload(screen.getByLabelText('Private key file'), new File([armored], 'ops.asc'));
    await user.type(await screen.findByLabelText('Passphrase of the private key'), 'key pw');
    await user.click(screen.getByRole('button', { name: 'Download & decrypt' }));
    expect(fake.calls.find(([m]) => m === 'download:start')![1]).toEqual({
      ref: ENC.ref,
      out: '/home/me/.local/share/odoo-backup-desk/downloads/acme.2024-03-01_02-00-00.zip',
      decrypt: true,
      privateKey: { armored, passphrase: 'key pw' },
    });
  });

  it('explains a wrong passphrase and lets the user try again', async () => {
    const user = userEvent.setup();
    const fake = setup();
    await user.type(screen.getByLabelText('Passphrase'), 'wrong');
    await user.click(screen.getByRole('button', { name: 'Download & decrypt' }));
    await screen.findByRole('button', { name: 'Cancel download' });
    act(() =>
      fake.emit(
        'job:done',
        snap('dl-1', { state: 'failed', error: { kind: 'AuthFailed', message: 'The passphrase is wrong.', hint: 'Check the passphrase (it is case-sensitive) and try again.' } }),
      ),
    );
    expect(await screen.findByText('The download failed')).toBeInTheDocument();
    expect(screen.getByRole('alert')).toHaveTextContent('The passphrase is wrong.Check the passphrase');
    await user.click(screen.getByRole('button', { name: 'Try again' }));
    expect(screen.getByLabelText('Passphrase')).toBeInTheDocument();
  });

  it('asks before replacing an existing file, and replaces it only when told to', async () => {
    const user = userEvent.setup();
    const fake = setup({ ...ENC, encrypted: false, key: 'acme.zip', ref: 's3:acme.zip' }, (out) => ({ path: out, existing: 'file', replaceable: true }));
    await user.click(screen.getByRole('button', { name: 'Download' }));
    const question = await screen.findByRole('alertdialog', { name: 'Replace the existing file?' });
    expect(question).toHaveTextContent('A file named /home/me/.local/share/odoo-backup-desk/downloads/acme.zip already exists. Replace it?');
    expect(question.textContent).not.toContain('--');
    expect(fake.calls.some(([m]) => m === 'download:start')).toBe(false);
    // Keep it: back to the form, nothing started.
    await user.click(screen.getByRole('button', { name: 'Keep it' }));
    expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument();
    expect(fake.calls.some(([m]) => m === 'download:start')).toBe(false);
    await user.click(screen.getByRole('button', { name: 'Download' }));
    await user.click(await screen.findByRole('button', { name: 'Replace' }));
    expect(fake.calls.find(([m]) => m === 'download:start')![1]).toEqual({
      ref: 's3:acme.zip',
      out: '/home/me/.local/share/odoo-backup-desk/downloads/acme.zip',
      decrypt: false,
      overwrite: true,
    });
  });

  it('starts at once when nothing is at the destination (no overwrite flag)', async () => {
    const user = userEvent.setup();
    const fake = setup({ ...ENC, encrypted: false, key: 'acme.zip', ref: 's3:acme.zip' });
    await user.click(screen.getByRole('button', { name: 'Download' }));
    await screen.findByRole('button', { name: 'Cancel download' });
    expect(fake.calls.map(([m]) => m).filter((m) => m.startsWith('download:'))).toEqual(['download:check-destination', 'download:start']);
    expect(fake.calls.find(([m]) => m === 'download:start')![1]).not.toHaveProperty('overwrite');
  });

  it('says in its own words when the destination is a folder that a file cannot replace', async () => {
    const user = userEvent.setup();
    const fake = setup({ ...ENC, encrypted: false, key: 'acme.zip', ref: 's3:acme.zip' }, (out) => ({ path: out, existing: 'folder', replaceable: false }));
    await user.click(screen.getByRole('button', { name: 'Download' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('There is a folder named /home/me/.local/share/odoo-backup-desk/downloads/acme.zip already');
    expect(alert).toHaveTextContent('Choose another name or folder to save to.');
    expect(alert.textContent).not.toContain('--out');
    expect(screen.queryByRole('button', { name: 'Replace' })).not.toBeInTheDocument();
    expect(fake.calls.some(([m]) => m === 'download:start')).toBe(false);
  });
});
