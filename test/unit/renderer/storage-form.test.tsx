import { cleanup, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiProvider } from '../../../renderer/src/app/api-context';
import { collectValues, StorageForm, type StorageKind } from '../../../renderer/src/features/storages/storage-form';
import { StoragesView } from '../../../renderer/src/features/storages/storages-view';
import { fakeClient } from './fake-client';
import { storageKindSchema } from '../../../shared/contract/storages';
import { sftpFields } from '../../../shared/core/storage/sftp/config';

const KINDS: StorageKind[] = [
  { kind: 'local', label: 'Local folder', oauth: false, fields: [{ name: 'path', label: 'Folder', type: 'path', required: true, secret: false, help: 'The folder holding the backups.' }] },
  {
    kind: 's3',
    label: 'Amazon S3 or compatible',
    oauth: false,
    fields: [
      { name: 'bucket', label: 'Bucket', type: 'string', required: true, secret: false },
      { name: 'region', label: 'Region', type: 'select', required: false, secret: false, options: ['us-east-1', 'eu-west-3'] },
      { name: 'port', label: 'Port', type: 'number', required: false, secret: false },
      { name: 'pathStyle', label: 'Path-style URLs', type: 'boolean', required: false, secret: false, default: true },
      { name: 'accessKeyId', label: 'Access key ID', type: 'string', required: false, secret: false, credential: true },
      { name: 'secretAccessKey', label: 'Secret access key', type: 'string', required: true, secret: true },
    ],
  },
  { kind: 'dropbox', label: 'Dropbox', oauth: true, fields: [] },
];

function setup() {
  const added: string[] = [];
  const fake = fakeClient({
    'storages:add': async (a) => {
      if (a.name === 'dup') throw { kind: 'Conflict', message: 'A storage named dup exists.', hint: 'Choose another name.' };
      return { name: a.name, kind: a.kind, description: 'x', settings: a.settings };
    },
  });
  render(
    <ApiProvider client={fake.client}>
      <StorageForm kinds={KINDS} existingNames={['prod']} onAdded={(n) => added.push(n)} onCancel={() => undefined} />
    </ApiProvider>,
  );
  return { fake, added };
}

describe('collectValues', () => {
  it('splits secrets from settings, converts numbers, and reports missing required fields', () => {
    const f = KINDS[1]!.fields;
    expect(collectValues(f, { bucket: ' b ', port: '9000', pathStyle: true, secretAccessKey: ' k ' })).toEqual({
      settings: { bucket: 'b', port: 9000, pathStyle: true },
      secrets: { secretAccessKey: ' k ' },
      errors: {},
    });
    expect(collectValues(f, { port: 'abc' }).errors).toEqual({ bucket: 'Bucket is required.', port: 'Port must be a number.', secretAccessKey: 'Secret access key is required.' });
  });
});

describe('Storage form', { timeout: 30_000 }, () => {
  afterEach(cleanup);

  it('renders one form per kind from its fields and adds the storage', async () => {
    const user = userEvent.setup();
    const { fake, added } = setup();
    expect(screen.getByLabelText('Folder')).toBeInTheDocument();
    await user.selectOptions(screen.getByLabelText('Type'), 's3');
    expect(screen.queryByLabelText('Folder')).not.toBeInTheDocument();
    expect(screen.getByLabelText('Secret access key')).toHaveAttribute('type', 'password');
    expect(screen.getByLabelText('Port (optional)')).toHaveAttribute('type', 'number');
    expect(screen.getByRole('checkbox', { name: /Path-style URLs/ })).toBeChecked();
    expect(screen.getByLabelText('Region (optional)').tagName).toBe('SELECT');
    await user.click(screen.getByRole('button', { name: 'Add storage' }));
    expect(screen.getByText('Bucket is required.')).toBeInTheDocument();
    expect(screen.getByText('Give the storage a name.')).toBeInTheDocument();
    expect(fake.calls.some(([m]) => m === 'storages:add')).toBe(false);
    await user.type(screen.getByLabelText('Name'), 'prod');
    expect(screen.getByText('A storage with this name exists.')).toBeInTheDocument();
    await user.clear(screen.getByLabelText('Name'));
    await user.type(screen.getByLabelText('Name'), 'prod-s3');
    await user.type(screen.getByLabelText('Bucket'), 'odoo-backups');
    await user.selectOptions(screen.getByLabelText('Region (optional)'), 'eu-west-3');
    await user.type(screen.getByLabelText('Secret access key'), 'abc/123');
    await user.click(screen.getByRole('button', { name: 'Add storage' }));
    expect(fake.calls.find(([m]) => m === 'storages:add')![1]).toEqual({
      name: 'prod-s3',
      kind: 's3',
      settings: { bucket: 'odoo-backups', region: 'eu-west-3', pathStyle: true },
      secrets: { secretAccessKey: 'abc/123' },
    });
    await screen.findByRole('button', { name: 'Add storage' });
    expect(added).toEqual(['prod-s3']);
  });

  it('shows the error and its hint when the core refuses', async () => {
    const user = userEvent.setup();
    setup();
    await user.type(screen.getByLabelText('Name'), 'dup');
    await user.type(screen.getByLabelText('Folder'), '/srv/backups');
    await user.click(screen.getByRole('button', { name: 'Add storage' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('A storage named dup exists.Choose another name.');
  });

  it('offers Connect for OAuth kinds now that the core has storages:connect (see connect-storage.test.tsx)', async () => {
    const user = userEvent.setup();
    setup();
    await user.selectOptions(screen.getByLabelText('Type'), 'dropbox');
    expect(screen.getByRole('button', { name: 'Connect Dropbox…' })).toBeEnabled();
    expect(screen.getByText(/Opens the provider's sign-in page/)).toBeInTheDocument();
  });
});

describe('Storages screen', () => {
  afterEach(cleanup);
  it('does not claim the app never writes: Add and Test write a probe', async () => {
    const { client } = fakeClient({ 'storages:kinds': async () => [] });
    render(
      <ApiProvider client={client}>
        <StoragesView storages={[]} onChanged={() => undefined} />
      </ApiProvider>,
    );
    expect(screen.getByText(/Adding or testing a storage writes a small probe file and deletes it again/)).toBeInTheDocument();
    expect(screen.queryByText(/never changes or deletes/)).toBeNull();
  });
});

describe('Change secret', () => {
  afterEach(cleanup);

  it('replaces only the secrets typed, then tests the storage; a storage without secrets has no such button', async () => {
    const user = userEvent.setup();
    const fake = fakeClient({
      'storages:kinds': async () => KINDS,
      'storages:set-secrets': async (a) => ({ name: a.name, kind: 's3', description: 'x', settings: {} }),
      'storages:test': async () => ({ ok: true, checks: [{ name: 'list', ok: true, message: 'listed' }] }),
      'rotation:get-policy': async () => null,
    });
    let changed = 0;
    render(
      <ApiProvider client={fake.client}>
        <StoragesView
          storages={[
            { name: 'cloud', kind: 's3', description: 's3://backups', settings: { accessKeyId: 'AKOLD' } },
            { name: 'nas', kind: 'local', description: '/srv/backups', settings: {} },
          ]}
          onChanged={() => changed++}
        />
      </ApiProvider>,
    );
    const buttons = await screen.findAllByRole('button', { name: 'Change secret' });
    expect(buttons).toHaveLength(1);
    await user.click(buttons[0]!);
    const save = screen.getByRole('button', { name: 'Save and test' });
    expect(save).toBeDisabled();
    // The access key ID goes with the secret: shown as it is, changed for a rotated key.
    const keyId = screen.getByLabelText('Access key ID');
    expect(keyId).toHaveValue('AKOLD');
    await user.clear(keyId);
    await user.type(keyId, 'AKNEW');
    await user.type(screen.getByLabelText('Secret access key'), 'the right one');
    await user.click(save);
    await screen.findByText('listed', { exact: false });
    expect(fake.calls.find(([m]) => m === 'storages:set-secrets')![1]).toEqual({ name: 'cloud', secrets: { secretAccessKey: 'the right one' }, credentials: { accessKeyId: 'AKNEW' } });
    expect(fake.calls.some(([m, a]) => m === 'storages:test' && (a as { name: string }).name === 'cloud')).toBe(true);
    expect(changed).toBe(1);
  });
});

describe('a multi-line secret (an SFTP private key)', () => {
  afterEach(cleanup);

  it('is typed in a text area, and its line breaks reach the core', async () => {
    const user = userEvent.setup();
    const SFTP: StorageKind = {
      kind: 'sftp',
      label: 'SFTP',
      oauth: false,
      fields: [{ name: 'privateKey', label: 'Private key (content)', type: 'string', required: false, secret: true, multiline: true }],
    };
    const fake = fakeClient({
      'storages:kinds': async () => [SFTP],
      'storages:set-secrets': async (a) => ({ name: a.name, kind: 'sftp', description: 'x', settings: {} }),
      'storages:test': async () => ({ ok: true, checks: [] }),
      'rotation:get-policy': async () => null,
    });
    render(
      <ApiProvider client={fake.client}>
        <StoragesView storages={[{ name: 'nas', kind: 'sftp', description: 'sftp://nas', settings: {} }]} onChanged={() => undefined} />
      </ApiProvider>,
    );
    await user.click(await screen.findByRole('button', { name: 'Change secret' }));
    const key = screen.getByLabelText('Private key (content)');
    expect(key.tagName).toBe('TEXTAREA');
    await user.type(key, '-----BEGIN KEY-----{Enter}AAAA{Enter}-----END KEY-----');
    await user.click(screen.getByRole('button', { name: 'Save and test' }));
    await waitFor(() => expect(fake.calls.some(([m]) => m === 'storages:set-secrets')).toBe(true));
    expect(fake.calls.find(([m]) => m === 'storages:set-secrets')![1]).toEqual({ name: 'nas', secrets: { privateKey: '-----BEGIN KEY-----\nAAAA\n-----END KEY-----' } });
  });

  it('is the same text area when the storage is added, beside a password box that is never autofilled', async () => {
    const user = userEvent.setup();
    const sftp: StorageKind = {
      kind: 'sftp',
      label: 'SFTP',
      oauth: false,
      fields: [
        { name: 'password', label: 'Password', type: 'string', required: false, secret: true },
        { name: 'privateKey', label: 'Private key (content)', type: 'string', required: false, secret: true, multiline: true },
      ],
    };
    const fake = fakeClient({ 'storages:add': async (a) => ({ name: a.name, kind: a.kind, description: 'x', settings: a.settings }) });
    render(
      <ApiProvider client={fake.client}>
        <StorageForm kinds={[sftp]} existingNames={[]} onAdded={() => undefined} onCancel={() => undefined} />
      </ApiProvider>,
    );
    const key = screen.getByLabelText('Private key (content) (optional)');
    expect(key.tagName).toBe('TEXTAREA');
    expect(key).toHaveAttribute('autocomplete', 'off');
    expect(screen.getByLabelText('Password (optional)')).toHaveAttribute('type', 'password');
    expect(screen.getByLabelText('Password (optional)')).toHaveAttribute('autocomplete', 'new-password');
    await user.type(screen.getByLabelText('Name'), 'box');
    await user.type(key, 'line 1{Enter}line 2');
    await user.click(screen.getByRole('button', { name: 'Add storage' }));
    await waitFor(() => expect(fake.calls.some(([m]) => m === 'storages:add')).toBe(true));
    expect(fake.calls.find(([m]) => m === 'storages:add')![1]).toMatchObject({ name: 'box', kind: 'sftp', secrets: { privateKey: 'line 1\nline 2' } });
  });
});

describe("SFTP's fields follow its way of logging in (the real field list, through the contract)", () => {
  afterEach(cleanup);
  const SFTP = storageKindSchema.parse({ kind: 'sftp', label: 'SFTP', oauth: false, fields: sftpFields });

  it('Change secret of a key-file storage asks for the key passphrase only; of a password storage, for the password only', async () => {
    const user = userEvent.setup();
    const fake = fakeClient({ 'storages:kinds': async () => [SFTP], 'rotation:get-policy': async () => null });
    render(
      <ApiProvider client={fake.client}>
        <StoragesView
          storages={[
            { name: 'keyed', kind: 'sftp', description: 'sftp://a', settings: { host: 'a', username: 'u', auth: 'key-file', privateKeyPath: '/k' } },
            { name: 'typed', kind: 'sftp', description: 'sftp://b', settings: { host: 'b', username: 'u', auth: 'password' } },
          ]}
          onChanged={() => undefined}
        />
      </ApiProvider>,
    );
    const [keyed, typed] = await screen.findAllByRole('button', { name: 'Change secret' });
    await user.click(keyed!);
    expect(screen.getByLabelText('Key passphrase')).toBeInTheDocument();
    expect(screen.queryByLabelText('Password')).toBeNull();
    expect(screen.queryByLabelText('Private key (content)')).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    await user.click(typed!);
    expect(screen.getByLabelText('Password')).toBeInTheDocument();
    expect(screen.queryByLabelText('Key passphrase')).toBeNull();
  });

  it('the add form shows the password box only for "password", the key box only for "key", the key file only for "key-file", and sends only those', async () => {
    const user = userEvent.setup();
    const fake = fakeClient({ 'storages:add': async (a) => ({ name: a.name, kind: a.kind, description: 'x', settings: a.settings }) });
    render(
      <ApiProvider client={fake.client}>
        <StorageForm kinds={[SFTP]} existingNames={[]} onAdded={() => undefined} onCancel={() => undefined} />
      </ApiProvider>,
    );
    expect(screen.queryByLabelText('Password (optional)')).toBeNull();
    expect(screen.getByLabelText('Key passphrase (optional)')).toBeInTheDocument();
    expect(screen.getByLabelText('Private key file (optional)')).toBeInTheDocument();
    await user.selectOptions(screen.getByLabelText('Log in with'), 'password');
    expect(screen.queryByLabelText('Private key file (optional)')).toBeNull();
    await user.type(screen.getByLabelText('Password (optional)'), 'hunter2');
    await user.selectOptions(screen.getByLabelText('Log in with'), 'key');
    expect(screen.queryByLabelText('Password (optional)')).toBeNull();
    expect(screen.getByLabelText('Private key (content) (optional)')).toBeInTheDocument();
    await user.selectOptions(screen.getByLabelText('Log in with'), 'password');
    await user.type(screen.getByLabelText('Name'), 'box');
    await user.type(screen.getByLabelText('Host'), 'nas.local');
    await user.type(screen.getByLabelText('User'), 'odoo');
    await user.click(screen.getByRole('button', { name: 'Add storage' }));
    await waitFor(() => expect(fake.calls.some(([m]) => m === 'storages:add')).toBe(true));
    expect(fake.calls.find(([m]) => m === 'storages:add')![1]).toMatchObject({ name: 'box', kind: 'sftp', settings: { host: 'nas.local', username: 'odoo', auth: 'password' }, secrets: { password: 'hunter2' } });
  });
});
