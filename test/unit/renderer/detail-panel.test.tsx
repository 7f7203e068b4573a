import { cleanup, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiResult, BackupEntry, DeskApi } from '../../../shared/contract/api';
import { ApiProvider } from '../../../renderer/src/app/api-context';
import { DetailPanel, withInspected } from '../../../renderer/src/features/backups/detail-panel';
import { fakeClient } from './fake-client';

afterEach(cleanup);

const ENTRY: BackupEntry = { ref: 'nas:acme.2026-12-06_02-00-00.zip', storage: 'nas', key: 'acme.2026-12-06_02-00-00.zip', database: 'acme', createdAt: '2026-12-06T02:00:00.000Z', format: 'zip', encrypted: true, size: 1000, convention: 'odoo-backup-sh' };
type Run = ApiResult<'history:list'>[number];
const drill = (ref: string, outcome: Run['outcome'], message?: string): Run => ({
  id: ref + outcome,
  kind: 'drill',
  db: 'acme',
  startedAt: '2026-12-06T03:00:00.000Z',
  endedAt: '2026-12-06T03:01:00.000Z',
  outcome,
  bytes: null,
  refs: [ref],
  destinations: ['embedded'],
  error: message ? { kind: 'Fatal', message } : null,
  durationMs: 60_000,
  details: {},
});

function show(runs: Run[], more: Partial<DeskApi> = {}) {
  const fake = fakeClient({ 'history:list': async () => runs, 'targets:detect': async () => [], ...more });
  render(
    <ApiProvider client={fake.client}>
      <DetailPanel entry={ENTRY} onClose={() => undefined} onRestore={() => undefined} onDownload={() => undefined} />
    </ApiProvider>,
  );
  return fake;
}

describe('the backup detail panel shows the restore drills that proved the backup', () => {
  it('shows the newest drill of this backup, not of another one', async () => {
    const fake = show([drill('nas:acme.other.zip', 'failed', 'x'), drill(ENTRY.ref, 'ok')]);
    const panel = await screen.findByRole('complementary', { name: 'Details of acme backup' });
    expect(await within(panel).findByText(/^passed /)).toBeTruthy();
    expect(fake.calls.find(([m]) => m === 'history:list')?.[1]).toEqual({ kind: 'drill', db: 'acme' });
  });

  it('says when the drill failed and why, and when there never was one', async () => {
    show([drill(ENTRY.ref, 'failed', 'filestore: 1 attachment file missing')]);
    expect(await screen.findByText(/^failed /)).toBeTruthy();
    expect(screen.getByText(/1 attachment file missing/)).toBeTruthy();
    cleanup();
    show([]);
    expect(await screen.findByText(/never drilled/)).toBeTruthy();
  });

  it('says what a passed drill could not check: attachments only in S3/Swift, restored read-only', async () => {
    show([{ ...drill(ENTRY.ref, 'ok'), details: { attachments: { mode: 'keep-remote', objects: 10, fromBackup: 6, notInBackup: 4, message: 'Not self-contained: 4 of 10…' } } }]);
    expect(await screen.findByText(/^passed /)).toBeTruthy();
    expect(screen.getByText(/4 attachment objects only in S3\/Swift were not checked \(restored read-only\)/)).toBeTruthy();
  });
});

describe('the backup detail panel looks inside an encrypted backup', () => {
  const inspected = async () => ({ name: ENTRY.key, format: 'zip' as const, encrypted: true, database: 'acme', odooVersion: '17.0', filestoreFiles: 3 });

  it('opens a backup encrypted to a public key with a private key file instead of a passphrase', async () => {
    const user = userEvent.setup();
    const fake = show([], { 'storages:passphrase-remembered': async () => ({ remembered: false }), 'backups:inspect': inspected });
    await screen.findByText(/No passphrase is remembered for nas/);
    const inspect = screen.getByRole('button', { name: 'Inspect' });
    expect(inspect).toBeDisabled();
    await user.click(screen.getByText('Encrypted to a public key? Open it with the private key instead'));
    const armored = '-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nxVgE…\n-----END PGP PRIVATE KEY BLOCK-----\n';
    await user.upload(screen.getByLabelText('Private key file'), new File([armored], 'ops.asc'));
    await user.type(await screen.findByLabelText('Passphrase of the private key'), 'key pass');
    expect(inspect).toBeEnabled(); // the key stands in for the backup passphrase
    await user.click(inspect);
    expect(fake.calls.find(([m]) => m === 'backups:inspect')![1]).toEqual({ source: ENTRY.ref, privateKey: { armored, passphrase: 'key pass' } });
    expect(await screen.findByText('17.0')).toBeTruthy();
  });

  it('sends the passphrase alone when no key was picked', async () => {
    const user = userEvent.setup();
    const fake = show([], { 'storages:passphrase-remembered': async () => ({ remembered: false }), 'backups:inspect': inspected });
    await user.type(screen.getByLabelText('Passphrase to look inside'), 's3cret');
    await user.click(screen.getByRole('button', { name: 'Inspect' }));
    expect(fake.calls.find(([m]) => m === 'backups:inspect')![1]).toEqual({ source: ENTRY.ref, passphrase: 's3cret' });
  });
});

describe('withInspected', () => {
  const entry = { ref: 'nas:acme17_zip.zip', storage: 'nas', key: 'acme17_zip.zip', database: 'acme17_zip', createdAt: '2026-12-01T00:00:00.000Z', format: 'zip', encrypted: false, size: 1, convention: 'generic' } as BackupEntry;
  it("starts a restore of a generically named backup from the database its manifest names, and keeps a named one's", () => {
    const inspected = { database: 'acme17', attachments: { selfContained: true } } as never;
    expect(withInspected(entry, inspected)).toMatchObject({ database: 'acme17', selfContained: true });
    expect(withInspected({ ...entry, convention: 'odoo-manager', database: 'acme' } as BackupEntry, inspected).database).toBe('acme');
    expect(withInspected(entry, undefined)).toBe(entry);
  });
});

describe('a backup whose name gives the server-local time (OCA, Yenthe auto_backup)', () => {
  const tz = process.env.TZ;
  afterEach(() => {
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
  });

  it('shows that time as written, not shifted into the viewer\'s zone, and says nowhere that it is UTC', async () => {
    process.env.TZ = 'Europe/Berlin';
    const yenthe: BackupEntry = { ...ENTRY, ref: 'nas:2026_12_06_02_00_00_acme.zip', key: '2026_12_06_02_00_00_acme.zip', convention: 'yenthe-auto-backup', timeIsLocal: true, encrypted: false };
    const fake = fakeClient({ 'history:list': async () => [], 'targets:detect': async () => [] });
    render(
      <ApiProvider client={fake.client}>
        <DetailPanel entry={yenthe} onClose={() => undefined} onRestore={() => undefined} onDownload={() => undefined} />
      </ApiProvider>,
    );
    const panel = await screen.findByRole('complementary', { name: 'Details of acme backup' });
    expect(within(panel).getByText('2026-12-06 02:00 · nas')).toBeTruthy();
    expect(within(panel).getByText('Created')).toBeTruthy();
    expect(within(panel).queryByText(/UTC/)).toBeNull();
    expect(within(panel).getByText(/^2026-12-06 02:00:00/).textContent).toBe('2026-12-06 02:00:00 (server-local time; zone unknown)');
  });
});
