import { act, cleanup, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiProvider } from '../../../renderer/src/app/api-context';
import { signInUrl } from '../../../renderer/src/features/storages/connect-storage';
import { StorageForm, type StorageKind } from '../../../renderer/src/features/storages/storage-form';
import { StoragesView } from '../../../renderer/src/features/storages/storages-view';
import { fakeClient, snap } from './fake-client';

const DROPBOX: StorageKind = {
  kind: 'dropbox',
  label: 'Dropbox',
  oauth: true,
  fields: [
    { name: 'folderPath', label: 'Folder', type: 'string', required: false, secret: false },
    { name: 'clientId', label: 'App key (client id)', type: 'string', required: false, secret: false },
  ],
};
const LOCAL: StorageKind = { kind: 'local', label: 'Local folder', oauth: false, fields: [{ name: 'path', label: 'Path', type: 'path', required: true, secret: false }] };
const SIGN_IN = 'http://127.0.0.1:9/oauth2/authorize?client_id=k&redirect_uri=http%3A%2F%2F127.0.0.1%3A5555%2Fcallback';

describe('signInUrl', () => {
  it('accepts only http(s) URLs from the job progress', () => {
    expect(signInUrl(SIGN_IN)).toBe(SIGN_IN);
    expect(signInUrl('javascript:alert(1)')).toBeUndefined();
    expect(signInUrl('Starting…')).toBeUndefined();
    expect(signInUrl(undefined)).toBeUndefined();
  });
});

describe('Connect (OAuth storages)', { timeout: 30_000 }, () => {
  afterEach(() => {
    cleanup();
    vi.restoreAllMocks();
  });

  it('the form adds the storage, starts storages:connect, opens the sign-in URL, waits, and reports success', async () => {
    const user = userEvent.setup();
    const open = vi.spyOn(window, 'open').mockImplementation(() => null);
    const added: string[] = [];
    const fake = fakeClient({
      'storages:add': async (a) => ({ name: a.name, kind: a.kind, description: 'Dropbox /B', settings: a.settings, status: 'needs-secret' }),
      'storages:connect': async () => ({ jobId: 'j1' }),
      'jobs:get': async ({ jobId }) => snap(jobId, { kind: 'connect', progress: { phase: 'authorize', label: 'Starting the sign-in…' } }),
      'jobs:cancel': async () => ({ cancelled: true }),
    });
    render(
      <ApiProvider client={fake.client}>
        <StorageForm kinds={[DROPBOX, LOCAL]} existingNames={[]} onAdded={(n) => added.push(n)} onCancel={() => undefined} />
      </ApiProvider>,
    );
    const connect = screen.getByRole('button', { name: 'Connect Dropbox…' });
    expect(connect).toBeEnabled();
    await user.type(screen.getByLabelText('Name'), 'dbx');
    await user.type(screen.getByLabelText('Folder (optional)'), '/B');
    await user.click(connect);
    expect(fake.calls.find(([m]) => m === 'storages:add')![1]).toMatchObject({ name: 'dbx', kind: 'dropbox', settings: { folderPath: '/B' } });
    await screen.findByText('Starting the sign-in…');
    expect(fake.calls.find(([m]) => m === 'storages:connect')![1]).toEqual({ name: 'dbx' });

    act(() => fake.emit('job:update', snap('j1', { kind: 'connect', progress: { phase: 'authorize', label: 'Sign in in your browser', message: SIGN_IN } })));
    expect(await screen.findByText('Waiting for sign-in…')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Open the sign-in page again' })).toHaveAttribute('href', SIGN_IN);
    expect(open).toHaveBeenCalledTimes(1);
    expect(open.mock.calls[0]![0]).toBe(SIGN_IN);
    expect(added).toEqual([]);

    act(() => fake.emit('job:done', snap('j1', { kind: 'connect', state: 'succeeded', result: { storageName: 'dbx' } })));
    await vi.waitFor(() => expect(added).toEqual(['dbx']));
  });

  it('the Storages screen shows "needs reconnect" with a Reconnect button; a failed sign-in shows the error and its hint', async () => {
    const user = userEvent.setup();
    vi.spyOn(window, 'open').mockImplementation(() => null);
    let changed = 0;
    const fake = fakeClient({
      'storages:kinds': async () => [DROPBOX, LOCAL],
      'storages:connect': async () => ({ jobId: 'j2' }),
      'jobs:get': async ({ jobId }) => snap(jobId, { kind: 'connect' }),
    });
    render(
      <ApiProvider client={fake.client}>
        <StoragesView
          storages={[
            { name: 'dbx', kind: 'dropbox', description: 'Dropbox /B', settings: {}, status: 'needs-reconnect' },
            { name: 'ok-box', kind: 'dropbox', description: 'Dropbox /C', settings: {}, status: 'ok' },
            { name: 'disk', kind: 'local', description: '/srv', settings: {} },
          ]}
          onChanged={() => changed++}
        />
      </ApiProvider>,
    );
    const card = screen.getByRole('heading', { name: /dbx/ }).closest('li')!;
    expect(within(card).getByText('needs reconnect')).toBeInTheDocument();
    const reconnect = await within(card).findByRole('button', { name: 'Reconnect dbx' });
    expect(screen.queryByRole('button', { name: /Reconnect ok-box|Connect ok-box/ })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /Connect disk/ })).not.toBeInTheDocument();

    await user.click(reconnect);
    await within(card).findByText('Starting the sign-in…');
    act(() =>
      fake.emit('job:done', snap('j2', { kind: 'connect', state: 'failed', error: { kind: 'AuthFailed', message: 'The sign-in was refused.', hint: 'Try connecting again.' } })),
    );
    expect(await within(card).findByRole('alert')).toHaveTextContent('The sign-in was refused.Try connecting again.');
    expect(within(card).getByRole('button', { name: 'Reconnect dbx' })).toHaveTextContent('Try again');
    expect(changed).toBe(0);
  });
});
