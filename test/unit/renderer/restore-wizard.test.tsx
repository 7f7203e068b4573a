import { act, cleanup, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DBNAME_PATTERN, type ApiResult } from '../../../shared/contract/api';
import { ApiProvider } from '../../../renderer/src/app/api-context';
import { dbNameProblem, remoteVersionNote, RestoreWizard, type RestorePreset, type RestoreSource } from '../../../renderer/src/features/restore/restore-wizard';
import { fakeClient, snap } from './fake-client';

const SOURCE: RestoreSource = { source: 'local:acme_2024-01-01_00-00-00.zip', label: 'acme_2024-01-01_00-00-00.zip', database: 'acme', encrypted: false, format: 'zip', size: 1234 };

function setup(existing: string[] = ['acme', 'prod'], initial: RestoreSource = SOURCE, preset?: RestorePreset, onClose: () => void = () => undefined, overrides: Parameters<typeof fakeClient>[0] = {}) {
  const fake = fakeClient({
    'storages:passphrase-remembered': async () => ({ remembered: true }),
    'targets:detect': async () => [
      { id: 'local-pg', label: 'PostgreSQL 15 on 127.0.0.1:5432', target: { type: 'postgres', url: 'postgres://postgres@127.0.0.1:5432/postgres' }, available: true },
      { id: 'embedded', label: 'Embedded PostgreSQL', target: { type: 'embedded' }, available: false, detail: 'No server binaries found.' },
      { id: 'odoo:erp', label: 'Odoo server erp', target: { type: 'odoo', instance: 'erp' }, available: true, detail: 'https://erp.example.com, through its database manager' },
    ],
    'restore:check-name': async ({ db }) => ({ valid: true, exists: existing.includes(db) }),
    'restore:start': async () => ({ jobId: 'job-1' }),
    'jobs:get': async () => snap('job-1'),
    'jobs:cancel': async () => ({ cancelled: true }),
    ...overrides,
  });
  render(
    <ApiProvider client={fake.client}>
      <RestoreWizard initial={initial} preset={preset} onClose={onClose} />
    </ApiProvider>,
  );
  return fake;
}


/** Walks the wizard with its defaults to a free name ("acme") and presses "Restore now". */
async function restoreToFreeName(user: ReturnType<typeof userEvent.setup>): Promise<void> {
  await screen.findByText('PostgreSQL 15 on 127.0.0.1:5432');
  await user.click(screen.getByRole('button', { name: 'Next' }));
  await screen.findByText('✓ “acme” is free.');
  await user.click(screen.getByRole('button', { name: 'Next' }));
  await user.click(screen.getByRole('button', { name: 'Next' }));
  await user.click(screen.getByRole('button', { name: 'Restore now' }));
}
describe('dbNameProblem (Odoo rule)', () => {
  it('agrees with DBNAME_PATTERN and explains what is wrong', () => {
    for (const ok of ['acme', 'acme.prod', 'a-b_c.1', '16db']) {
      expect(dbNameProblem(ok)).toBeUndefined();
      expect(DBNAME_PATTERN.test(ok)).toBe(true);
    }
    expect(dbNameProblem('')).toMatch(/Enter a name/);
    expect(dbNameProblem('a')).toMatch(/at least 2/);
    expect(dbNameProblem('_acme')).toMatch(/Start with a letter or a digit/);
    expect(dbNameProblem('acme prod!')).toMatch(/not spaces, “!”/);
    expect(dbNameProblem('x'.repeat(64))).toMatch(/63/);
  });
});

describe('remoteVersionNote (restore into a running Odoo)', () => {
  it('says whether the versions are compared before the upload, and what happens when they cannot be', () => {
    expect(remoteVersionNote({ ...SOURCE, odooVersion: '16.0+e' })).toMatch(/^16\.0\+e: compared with the server's before anything is uploaded \(Odoo does not migrate: another version is refused\)\.$/);
    expect(remoteVersionNote(SOURCE)).toMatch(/^Read from the backup's manifest and compared/);
    const enc = remoteVersionNote({ ...SOURCE, encrypted: true });
    expect(enc).toBe('Unknown before the upload (the backup is encrypted). If the server runs another Odoo version, Odoo restores it anyway — it does not migrate — and the database will not start there.');
    expect(remoteVersionNote({ ...SOURCE, format: 'dump' })).toMatch(/^Unknown before the upload \(a database dump does not record it\)/);
  });
});

describe('Restore wizard', { timeout: 30_000 }, () => {
  afterEach(cleanup);

  it('opened from an Odoo instance to replace one of its databases: that target and name, replace ticked, the typed confirmation still asked', async () => {
    const user = userEvent.setup();
    const fake = setup(['prod'], SOURCE, { instance: 'erp', replaceDb: 'prod' });
    const input = await screen.findByLabelText('Database name');
    expect(input).toHaveValue('prod');
    expect(await screen.findByText(/A database named “prod” already exists on Odoo server erp/)).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Next' }));
    // The server keeps its filestore itself: no "database only" here.
    expect(screen.queryByRole('checkbox', { name: /Database only/ })).toBeNull();
    expect(screen.getByRole('checkbox', { name: /Replace the existing database “prod”/ })).toBeChecked();
    const next = screen.getByRole('button', { name: 'Next' });
    expect(next).toBeDisabled();
    await user.type(screen.getByLabelText('Type “prod” to confirm'), 'prod');
    expect(next).toBeEnabled();
    await user.click(next);
    expect(screen.getByText('Odoo server erp')).toBeInTheDocument();
    expect(screen.getByText(/replaces the existing one/)).toBeInTheDocument();
    // A plain zip: its manifest is read before the upload.
    expect(screen.getByText(/^Read from the backup's manifest and compared with the server's before anything is uploaded/)).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Restore now' }));
    expect(fake.calls.find(([m]) => m === 'restore:start')![1]).toMatchObject({ db: 'prod', target: { type: 'odoo', instance: 'erp' }, replace: true });
  });

  it('a custom-format dump: no filestore to choose, said before the restore; the summary says the backup has none', async () => {
    const user = userEvent.setup();
    setup([], { ...SOURCE, format: 'dump' });
    await screen.findByText('PostgreSQL 15 on 127.0.0.1:5432');
    await user.click(screen.getByRole('button', { name: 'Next' }));
    await screen.findByText('✓ “acme” is free.');
    await user.click(screen.getByRole('button', { name: 'Next' }));
    expect(screen.getByTestId('dump-no-filestore')).toHaveTextContent('it holds the database only');
    expect(screen.queryByText('Database only')).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Next' }));
    expect(screen.getByText('None in this backup (a PostgreSQL dump holds the database only)')).toBeInTheDocument();
  });

  it('opened from an Odoo instance for a new database: the backup\'s name, nothing to replace', async () => {
    const user = userEvent.setup();
    setup(['prod'], SOURCE, { instance: 'erp' });
    expect(await screen.findByLabelText('Database name')).toHaveValue('acme');
    expect(await screen.findByText('✓ “acme” is free.')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Back' }));
    expect(screen.getByRole('radio', { name: /Odoo server erp/ })).toBeChecked();
  });

  it('cancelled once Odoo had the whole upload: says Odoo may go on restoring it, not that it failed or that nothing was left', async () => {
    const user = userEvent.setup();
    const fake = setup(['prod'], SOURCE, { instance: 'erp' });
    await screen.findByText('✓ “acme” is free.');
    await user.click(screen.getByRole('button', { name: 'Next' }));
    await user.click(screen.getByRole('button', { name: 'Next' }));
    await user.click(screen.getByRole('button', { name: 'Restore now' }));
    await screen.findByRole('button', { name: 'Cancel restore' });
    const error = {
      kind: 'Cancelled' as const,
      message: 'Cancelled after the upload: Odoo may go on restoring "acme" on erp.',
      hint: 'Look at erp\'s databases once it is done, and drop "acme" if it is not wanted.',
      details: { instance: 'erp', command: 'backup-desk odoo dbs erp', halfBuilt: 'acme' },
    };
    act(() => fake.emit('job:done', snap('job-1', { state: 'cancelled', error })));
    expect(await screen.findByText('Restore cancelled')).toBeInTheDocument();
    expect(screen.getByTestId('odoo-goes-on')).toHaveTextContent(`${error.message} ${error.hint}`);
    expect(screen.queryByText(/Odoo failed half-way/)).toBeNull();
    expect(screen.queryByText(/Nothing was left half-restored/)).toBeNull();
    expect(screen.getByRole('group', { name: 'Half-built database' })).toHaveTextContent('Odoo has started the database acme on erp and may still be loading it: drop it here if you do not want it.');
    expect(screen.getByLabelText('Type “acme” to drop it')).toBeInTheDocument();
  });

  it('into a running Odoo, a backup whose attachments live in S3/Swift: no bring-home choice (Odoo restores it as it is), "as is" must be ticked, and is sent', async () => {
    const user = userEvent.setup();
    const fake = setup(['prod'], { ...SOURCE, selfContained: false }, { instance: 'erp' });
    await screen.findByText('✓ “acme” is free.');
    await user.click(screen.getByRole('button', { name: 'Next' }));
    expect(screen.queryByRole('radio', { name: /Bring them home/ })).toBeNull();
    const group = screen.getByRole('group', { name: /they live in production’s object storage \(S3\/Swift\)/ });
    expect(group).toHaveTextContent("Odoo's database manager restores a backup as it is: it cannot bring them home nor keep them read-only.");
    const next = screen.getByRole('button', { name: 'Next' });
    expect(next).toBeDisabled();
    await user.click(screen.getByRole('checkbox', { name: /Restore it as it is/ }));
    expect(next).toBeEnabled();
    await user.click(next);
    expect(screen.getByText('Attachments in S3/Swift').nextElementSibling).toHaveTextContent('Not in the backup: restored as they are');
    await user.click(screen.getByRole('button', { name: 'Restore now' }));
    expect(fake.calls.find(([m]) => m === 'restore:start')![1]).toMatchObject({ target: { type: 'odoo', instance: 'erp' }, attachments: 'skip' });
  });

  it('refuses a server URL that is no postgres:// URL on the target step; a server that cannot be reached is the target\'s problem, not the name\'s', async () => {
    const user = userEvent.setup();
    setup([], SOURCE, undefined, undefined, {
      'restore:check-name': async () => Promise.reject({ kind: 'Transient', message: 'PostgreSQL is not reachable at db:5432 (ECONNREFUSED).' }),
    });
    await screen.findByText('PostgreSQL 15 on 127.0.0.1:5432');
    await user.click(screen.getByRole('radio', { name: /Another PostgreSQL server/ }));
    await user.type(screen.getByLabelText('Server URL'), 'mysql://db');
    expect(screen.getByText(/Give a postgres:\/\/ URL/)).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Next' })).toBeDisabled();
    await user.clear(screen.getByLabelText('Server URL'));
    await user.type(screen.getByLabelText('Server URL'), 'postgres://odoo@db:5432/postgres');
    await user.click(screen.getByRole('button', { name: 'Next' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('PostgreSQL is not reachable at db:5432');
    expect(screen.getByLabelText('Database name')).not.toHaveAttribute('aria-invalid', 'true');
  });

  it('keyboard: once the targets are found, the focus is on the chosen target, not on the unchecked "Another PostgreSQL server"', async () => {
    setup();
    await screen.findByText('PostgreSQL 15 on 127.0.0.1:5432');
    const chosen = screen.getByRole('radio', { name: /PostgreSQL 15 on 127.0.0.1:5432/ });
    expect(chosen).toBeChecked();
    expect(chosen).toHaveFocus();
  });

  it('validates the name live and flags an existing database', async () => {
    const user = userEvent.setup();
    setup();
    await screen.findByText('PostgreSQL 15 on 127.0.0.1:5432');
    expect(screen.getByRole('radio', { name: /Embedded PostgreSQL/ })).toBeDisabled();
    await user.click(screen.getByRole('button', { name: 'Next' }));
    const input = screen.getByLabelText('Database name');
    // Prefilled with the backup's database, which exists on the server.
    expect(input).toHaveValue('acme');
    expect(await screen.findByText(/A database named “acme” already exists/)).toBeInTheDocument();
    await user.clear(input);
    await user.type(input, 'bad name!');
    expect(input).toHaveValue('badname!'); // spaces are trimmed as typed
    expect(screen.getByText(/Only letters, digits/)).toBeInTheDocument();
    expect(input).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByRole('button', { name: 'Next' })).toBeDisabled();
    await user.clear(input);
    await user.type(input, 'acme_copy');
    expect(await screen.findByText('✓ “acme_copy” is free.')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Next' })).toBeEnabled();
  });

  it('requires a typed confirmation to replace an existing database, then restores and shows the result', async () => {
    const user = userEvent.setup();
    const fake = setup();
    await screen.findByText('PostgreSQL 15 on 127.0.0.1:5432');
    await user.click(screen.getByRole('button', { name: 'Next' }));
    await screen.findByText(/already exists/);
    await user.click(screen.getByRole('button', { name: 'Next' }));
    const next = screen.getByRole('button', { name: 'Next' });
    expect(next).toBeDisabled();
    await user.click(screen.getByRole('checkbox', { name: /Replace the existing database “acme”/ }));
    await user.type(screen.getByLabelText('Type “acme” to confirm'), 'acm');
    expect(next).toBeDisabled();
    await user.type(screen.getByLabelText('Type “acme” to confirm'), 'e');
    expect(next).toBeEnabled();
    // A copy is suggested neutralized; a move is not.
    const neutralize = screen.getByRole('checkbox', { name: /Make it safe for testing/ });
    expect(neutralize).toBeChecked();
    expect(screen.getByText(/suggested for a copy/)).toBeInTheDocument();
    await user.click(screen.getByRole('radio', { name: /It moved here/ }));
    expect(neutralize).not.toBeChecked();
    await user.click(screen.getByRole('radio', { name: /It's a copy/ }));
    expect(neutralize).toBeChecked();
    await user.click(next);
    expect(screen.getByText('— replaces the existing one')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Restore now' }));
    const start = fake.calls.find(([m]) => m === 'restore:start')![1];
    expect(start).toEqual({
      source: SOURCE.source,
      db: 'acme',
      target: { type: 'postgres', url: 'postgres://postgres@127.0.0.1:5432/postgres' },
      mode: 'copy',
      neutralize: true,
      replace: true,
      filestore: true,
    });
    act(() => fake.emit('job:update', snap('job-1', { progress: { phase: 'database', label: 'Loading the database', done: 10, total: 100, unit: 'bytes' } })));
    expect(await screen.findByRole('progressbar', { name: /Loading the database/ })).toHaveAttribute('aria-valuenow', '10');
    act(() => fake.emit('job:update', snap('job-1', { progress: { phase: 'filestore', done: 1, total: 2, unit: 'items' } })));
    expect(screen.getByText('Copying the filestore')).toBeInTheDocument();
    const result = {
      database: 'acme',
      db: 'acme',
      filestorePath: '/data/filestore/acme',
      owner: 'odoo',
      odooUrl: 'http://localhost:8069/web?db=acme',
      psql: 'psql -h 127.0.0.1 -p 5432 -U odoo acme',
      warnings: ['Leftovers of an interrupted restore found: folder /data/filestore/.bd-tmp-deadbeef-acme. They are not in use and only take space.'],
      leftoversFound: true,
      ownerFallback: true,
    };
    act(() => fake.emit('job:done', snap('job-1', { state: 'succeeded', result })));
    expect(await screen.findByText('“acme” is restored')).toBeInTheDocument();
    expect(screen.getByText('/data/filestore/acme')).toBeInTheDocument();
    // How to open it: the local Odoo's URL and a psql line; the owner role among the facts.
    expect(screen.getByRole('link', { name: 'http://localhost:8069/web?db=acme' })).toHaveAttribute('href', 'http://localhost:8069/web?db=acme');
    expect(screen.getByText('psql -h 127.0.0.1 -p 5432 -U odoo acme')).toBeInTheDocument();
    expect(screen.getByText('Owner (role)').nextElementSibling).toHaveTextContent('odoo');
    // The result's flags become the app's own lines under the warnings, never facts of their own.
    const warnings = screen.getByRole('list', { name: 'Warnings' });
    expect(within(warnings).getByText('The leftovers can be removed under Settings → Clean up after interrupted runs.')).toBeInTheDocument();
    expect(within(warnings).getByText(/To give it to Odoo’s role instead, restore again with that role in “Owner \(role\)”/)).toBeInTheDocument();
    expect(screen.queryByText('Leftovers Found')).toBeNull();
    expect(screen.queryByText('Owner Fallback')).toBeNull();
  });

  it('warns before it starts when the backup is not self-contained, and sends the chosen attachments mode', async () => {
    const user = userEvent.setup();
    const fake = setup([], { ...SOURCE, selfContained: false });
    await screen.findByText('PostgreSQL 15 on 127.0.0.1:5432');
    await user.click(screen.getByRole('button', { name: 'Next' }));
    await screen.findByText('✓ “acme” is free.');
    await user.click(screen.getByRole('button', { name: 'Next' }));
    expect(screen.getByText(/Some attachments of this backup are not in it/)).toBeInTheDocument();
    expect(screen.getByRole('radio', { name: /Bring them home/ })).toBeChecked();
    await user.click(screen.getByRole('radio', { name: /Keep reading them from production, read-only/ }));
    await user.click(screen.getByRole('button', { name: 'Next' }));
    expect(screen.getByText('Read from production’s storage (read-only)')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Restore now' }));
    expect(fake.calls.find(([m]) => m === 'restore:start')![1]).toMatchObject({ attachments: 'keep-remote' });
  });

  it('asks nothing about attachments for a self-contained backup', async () => {
    const user = userEvent.setup();
    const fake = setup([], { ...SOURCE, selfContained: true });
    await screen.findByText('PostgreSQL 15 on 127.0.0.1:5432');
    await user.click(screen.getByRole('button', { name: 'Next' }));
    await screen.findByText('✓ “acme” is free.');
    await user.click(screen.getByRole('button', { name: 'Next' }));
    expect(screen.queryByText(/Some attachments of this backup are not in it/)).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Next' }));
    await user.click(screen.getByRole('button', { name: 'Restore now' }));
    expect(fake.calls.find(([m]) => m === 'restore:start')![1]).not.toHaveProperty('attachments');
  });

  it('sends "remember for this storage" with the passphrase of an encrypted backup on a storage', async () => {
    const user = userEvent.setup();
    const enc: RestoreSource = { ...SOURCE, source: 'nas:acme_2024-01-01_00-00-00.zip.gpg', encrypted: true, storage: 'nas' };
    const fake = setup([], enc);
    await screen.findByText('PostgreSQL 15 on 127.0.0.1:5432');
    await user.click(screen.getByRole('button', { name: 'Next' }));
    await screen.findByText('✓ “acme” is free.');
    await user.click(screen.getByRole('button', { name: 'Next' }));
    const next = screen.getByRole('button', { name: 'Next' });
    expect(next).toBeEnabled(); // empty: the remembered passphrase is used
    await user.click(screen.getByRole('checkbox', { name: /Remember for this storage \(kept with its credentials\)/ }));
    expect(next).toBeDisabled(); // nothing to remember yet
    await user.type(screen.getByLabelText('Passphrase'), 'pw 1');
    await user.click(next);
    await user.click(screen.getByRole('button', { name: 'Restore now' }));
    expect(fake.calls.find(([m]) => m === 'restore:start')![1]).toMatchObject({ source: enc.source, passphrase: 'pw 1', rememberPassphrase: true });
  });

  it('offers no "remember" for an encrypted local file, and needs its passphrase', async () => {
    const user = userEvent.setup();
    setup([], { ...SOURCE, source: '/tmp/acme.zip.gpg', encrypted: true });
    await screen.findByText('PostgreSQL 15 on 127.0.0.1:5432');
    await user.click(screen.getByRole('button', { name: 'Next' }));
    await screen.findByText('✓ “acme” is free.');
    await user.click(screen.getByRole('button', { name: 'Next' }));
    expect(screen.queryByRole('checkbox', { name: /Remember for this storage/ })).toBeNull();
    expect(screen.getByRole('button', { name: 'Next' })).toBeDisabled();
  });

  it('opens a backup encrypted to a public key with a private key file instead of a passphrase', async () => {
    const user = userEvent.setup();
    const fake = setup([], { ...SOURCE, source: '/tmp/acme.zip.gpg', encrypted: true });
    await screen.findByText('PostgreSQL 15 on 127.0.0.1:5432');
    await user.click(screen.getByRole('button', { name: 'Next' }));
    await screen.findByText('✓ “acme” is free.');
    await user.click(screen.getByRole('button', { name: 'Next' }));
    const next = screen.getByRole('button', { name: 'Next' });
    expect(next).toBeDisabled(); // neither a passphrase nor a key yet
    await user.click(screen.getByText('Encrypted to a public key? Open it with the private key instead'));
    // A public key (or anything else) is refused, saying how to export the private one.
    await user.upload(screen.getByLabelText('Private key file'), new File(['-----BEGIN PGP PUBLIC KEY BLOCK-----\n...'], 'ops.pub.asc'));
    expect(await screen.findByText(/ops\.pub\.asc is not an armored private key\. Export it with: gpg --export-secret-keys --armor KEYID > key\.asc/)).toBeInTheDocument();
    expect(next).toBeDisabled();
    const armored = '-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nxVgE…\n-----END PGP PRIVATE KEY BLOCK-----\n';
    await user.upload(screen.getByLabelText('Private key file'), new File([`comment line\n${armored}`], 'ops.asc'));
    await user.type(await screen.findByLabelText('Passphrase of the private key'), 'key secret');
    expect(next).toBeEnabled();
    await user.click(next);
    await user.click(screen.getByRole('button', { name: 'Restore now' }));
    const sent = fake.calls.find(([m]) => m === 'restore:start')![1] as { privateKey?: unknown; passphrase?: unknown };
    expect(sent.privateKey).toEqual({ armored, passphrase: 'key secret' });
    expect(sent).not.toHaveProperty('passphrase');
  });

  it('shows what went wrong and what to do when the restore fails', async () => {
    const user = userEvent.setup();
    const fake = setup([]);
    await restoreToFreeName(user);
    act(() =>
      fake.emit(
        'job:done',
        snap('job-1', { state: 'failed', error: { kind: 'Integrity', message: 'The archive is truncated.', hint: 'Download the backup again.' } }),
      ),
    );
    expect(await screen.findByText('The restore did not complete')).toBeInTheDocument();
    expect(screen.getByRole('alert')).toHaveTextContent('The archive is truncated.Download the backup again.');
  });

  it('shows the bytes of an encrypted backup, and names the index-build phase once the dump is read', async () => {
    const user = userEvent.setup();
    const fake = setup([], { ...SOURCE, source: 'nas:acme_2024-01-01_00-00-00.zip.gpg', encrypted: true, storage: 'nas' });
    await restoreToFreeName(user);
    await screen.findByRole('button', { name: 'Cancel restore' });
    // The core reports an encrypted backup's bytes against its size; without a size, the bytes read still show.
    act(() => fake.emit('job:update', snap('job-1', { progress: { phase: 'database', label: 'Loading the database', done: 12_000_000, total: 30_000_000, unit: 'bytes' } })));
    expect(await screen.findByTestId('restore-amount')).toHaveTextContent('12 MB of 30 MB');
    act(() => fake.emit('job:update', snap('job-1', { progress: { phase: 'database', label: 'Loading the database', done: 12_000_000, unit: 'bytes' } })));
    expect(screen.getByTestId('restore-amount')).toHaveTextContent('12 MB read');
    act(() => fake.emit('job:update', snap('job-1', { progress: { phase: 'indexes', label: 'Building indexes and constraints', done: 3, unit: 'items' } })));
    expect(screen.getByRole('progressbar', { name: 'Restore progress: Building indexes and constraints' })).not.toHaveAttribute('aria-valuenow');
    expect(screen.getByTestId('restore-amount')).toHaveTextContent('3 indexes and keys built');
    expect(screen.getByTestId('restore-amount')).not.toHaveTextContent('30 MB');
    const phases = screen.getAllByRole('listitem').map((li) => li.textContent);
    expect(phases).toContain('✓ Loading the database');
    expect(phases).toContain('● Building indexes and constraints');
  });

  it('lists every phase the job went through, also those whose updates arrived together (React renders only the last)', async () => {
    const user = userEvent.setup();
    const fake = setup([]);
    await restoreToFreeName(user);
    await screen.findByRole('button', { name: 'Cancel restore' });
    act(() => {
      fake.emit('job:update', snap('job-1', { progress: { phase: 'preflight', done: 0, unit: 'items' } }));
      fake.emit('job:update', snap('job-1', { progress: { phase: 'database', label: 'Loading the database', done: 30, total: 30, unit: 'bytes' } }));
      fake.emit('job:update', snap('job-1', { progress: { phase: 'indexes', label: 'Building indexes and constraints', done: 0, unit: 'items' } }));
    });
    const phases = within(document.querySelector<HTMLElement>('ol.phases')!);
    expect(phases.getAllByRole('listitem').map((li) => li.textContent)).toEqual(['✓ Checking', '✓ Loading the database', '● Building indexes and constraints']);
  });

  it('"Cancel restore" cancels the job (also in the index phase); the dialog closes only once the job has ended', async () => {
    const user = userEvent.setup();
    const onClose = vi.fn();
    const fake = setup([], SOURCE, undefined, onClose);
    await restoreToFreeName(user);
    const cancel = await screen.findByRole('button', { name: 'Cancel restore' });
    act(() => fake.emit('job:update', snap('job-1', { progress: { phase: 'indexes', label: 'Building indexes and constraints', done: 2, unit: 'items' } })));
    expect(await screen.findByText('Building indexes and constraints')).toBeInTheDocument();
    await user.click(cancel);
    expect(fake.calls.filter(([m]) => m === 'jobs:cancel').map(([, a]) => a)).toEqual([{ jobId: 'job-1' }]);
    // Still running (the core is ending its work): Escape does not close it, and no × is offered.
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('button', { name: 'Close' })).toBeNull();
    expect(onClose).not.toHaveBeenCalled();
    expect(screen.getByRole('button', { name: 'Cancel restore' })).toBeInTheDocument();
    act(() => fake.emit('job:done', snap('job-1', { state: 'cancelled', error: { kind: 'Cancelled', message: 'The restore was cancelled.' } })));
    expect(await screen.findByText('Restore cancelled')).toBeInTheDocument();
    expect(screen.getByText(/Nothing was left half-restored/)).toBeInTheDocument();
    expect(screen.queryByRole('alert')).toBeNull(); // a cancel the person asked for is no error
    await user.click(screen.getAllByRole('button', { name: 'Close' }).find((b) => b.classList.contains('primary'))!);
    expect(onClose).toHaveBeenCalledTimes(1);
    await user.keyboard('{Escape}');
    expect(onClose).toHaveBeenCalledTimes(2);
  });

  describe('the owner role', () => {
    const LOCAL_ODOO = { id: 'local-odoo', label: 'The Odoo on this machine', target: { type: 'local-odoo' as const, conf: '/etc/odoo/odoo.conf' }, available: true, odooRole: 'odoo' };
    const PG = { id: 'local-pg', label: 'PostgreSQL 15 on 127.0.0.1:5432', target: { type: 'postgres' as const, url: 'postgres://postgres@127.0.0.1:5432/postgres' }, available: true };
    const EMBEDDED = { id: 'embedded', label: 'Embedded PostgreSQL', target: { type: 'embedded' as const }, available: true };

    function open(targets: ApiResult<'targets:detect'>) {
      const fake = fakeClient({
        'targets:detect': async () => targets,
        'restore:check-name': async () => ({ valid: true, exists: false }),
        'restore:start': async () => ({ jobId: 'job-1' }),
        'jobs:get': async () => snap('job-1'),
      });
      render(
        <ApiProvider client={fake.client}>
          <RestoreWizard initial={SOURCE} onClose={() => undefined} />
        </ApiProvider>,
      );
      return fake;
    }

    async function toOptions(user: ReturnType<typeof userEvent.setup>, target: string | RegExp) {
      await user.click(await screen.findByRole('radio', { name: target }));
      await user.click(screen.getByRole('button', { name: 'Next' }));
      await screen.findByText('✓ “acme” is free.');
      await user.click(screen.getByRole('button', { name: 'Next' }));
    }

    it('defaults to the role of the Odoo on this machine (db_user), and sends it; it can be changed', async () => {
      const user = userEvent.setup();
      const fake = open([LOCAL_ODOO, PG]);
      await toOptions(user, /The Odoo on this machine/);
      const field = screen.getByLabelText('Owner (role)');
      expect(field).toHaveValue('odoo');
      expect(screen.getByText(/belong to this role, the one Odoo connects as \(found in the odoo.conf of the Odoo on this machine\)/)).toBeInTheDocument();
      await user.click(screen.getByRole('button', { name: 'Next' }));
      expect(screen.getByText('Owner (role)').nextElementSibling).toHaveTextContent('odoo');
      await user.click(screen.getByRole('button', { name: 'Restore now' }));
      expect(fake.calls.find(([m]) => m === 'restore:start')![1]).toMatchObject({ target: LOCAL_ODOO.target, owner: 'odoo' });
      cleanup();
      // Another server: the same default, changed by the user.
      const again = open([LOCAL_ODOO, PG]);
      await toOptions(user, /PostgreSQL 15 on 127.0.0.1:5432/);
      expect(screen.getByLabelText('Owner (role)')).toHaveValue('odoo');
      await user.clear(screen.getByLabelText('Owner (role)'));
      await user.type(screen.getByLabelText('Owner (role)'), 'odoo_prod');
      await user.click(screen.getByRole('button', { name: 'Next' }));
      await user.click(screen.getByRole('button', { name: 'Restore now' }));
      expect(again.calls.find(([m]) => m === 'restore:start')![1]).toMatchObject({ target: PG.target, owner: 'odoo_prod' });
    });

    it('without a local Odoo it is empty: the connecting role, with the warning of what Odoo will need; no owner is sent', async () => {
      const user = userEvent.setup();
      const fake = open([PG, EMBEDDED]);
      await toOptions(user, /PostgreSQL 15 on 127.0.0.1:5432/);
      expect(screen.getByLabelText('Owner (role)')).toHaveValue('');
      expect(screen.getByRole('note')).toHaveTextContent(
        'Empty: the database and everything in it will belong to the role this restore connects as. If Odoo connects as another role, it will get “permission denied”: enter the role Odoo connects as (db_user in its odoo.conf).',
      );
      await user.type(screen.getByLabelText('Owner (role)'), 'x');
      expect(screen.queryByRole('note')).not.toBeInTheDocument();
      await user.clear(screen.getByLabelText('Owner (role)'));
      await user.click(screen.getByRole('button', { name: 'Next' }));
      expect(screen.getByText('Owner (role)').nextElementSibling).toHaveTextContent('The role this restore connects as');
      await user.click(screen.getByRole('button', { name: 'Restore now' }));
      expect(fake.calls.find(([m]) => m === 'restore:start')![1]).not.toHaveProperty('owner');
    });

    it('is not offered for the private (embedded) server', async () => {
      const user = userEvent.setup();
      open([LOCAL_ODOO, EMBEDDED]);
      await toOptions(user, /Embedded PostgreSQL/);
      expect(screen.queryByLabelText('Owner (role)')).not.toBeInTheDocument();
    });
  });
});
