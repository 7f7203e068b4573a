/** Settings → About: what the secrets backend means when there is none. */
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiProvider } from '../../../renderer/src/app/api-context';
import { SettingsView } from '../../../renderer/src/features/settings/settings-view';
import { fakeClient } from './fake-client';

function setup(secretsBackend: string) {
  const fake = fakeClient({
    'app:info': async () => ({ version: '0.1.0', home: '/home/a/.config/odoo-backup-desk', secretsBackend, platform: 'linux' }),
    'targets:detect': async () => [],
  });
  render(
    <ApiProvider client={fake.client}>
      <SettingsView prefs={{ theme: 'system', utc: false }} onPrefs={() => undefined} />
    </ApiProvider>,
  );
}

describe('Settings → About this installation', () => {
  afterEach(cleanup);

  it('says what "unavailable" secrets mean and how to get a vault (it said only "unavailable")', async () => {
    setup('unavailable');
    expect(await screen.findByText(/No OS keychain and no vault/)).toHaveTextContent('backup-desk secrets vault init');
  });

  it('adds nothing when secrets have a place', async () => {
    setup('vault');
    expect(await screen.findByText('vault')).toBeInTheDocument();
    expect(screen.queryByText(/No OS keychain and no vault/)).toBeNull();
  });
});
