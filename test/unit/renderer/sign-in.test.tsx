import { cleanup, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { tokenFromPaste } from '../../../renderer/src/api';
import type { Root as RootType } from '../../../renderer/src/app/sign-in';

const TOKEN = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcde';

describe('serve sign-in', () => {
  let Root: typeof RootType;
  beforeEach(async () => {
    vi.resetModules(); // a fresh page: no client signed in yet
    ({ Root } = await import('../../../renderer/src/app/sign-in'));
    window.sessionStorage.clear();
    window.history.replaceState(null, '', '/');
    // The app behind it asks the server for things; a pending fetch is all it needs here.
    vi.stubGlobal('fetch', () => new Promise(() => undefined));
    vi.stubGlobal('EventSource', class { addEventListener() {} close() {} });
  });
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it('opened without the token shows a sign-in screen, not an empty catalog', () => {
    render(<Root />);
    expect(screen.getByRole('heading', { name: 'Sign in to Odoo Backup Desk' })).toBeInTheDocument();
  });

  it('reacts to a #token= pasted into the address bar, without a reload', () => {
    render(<Root />);
    act(() => {
      window.history.replaceState(null, '', `/#token=${TOKEN}`);
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    });
    expect(screen.queryByRole('heading', { name: 'Sign in to Odoo Backup Desk' })).toBeNull();
    expect(window.location.hash).toBe(''); // the token leaves the address bar
    expect(window.sessionStorage.getItem('backup-desk-token')).toBe(TOKEN);
  });

  it('signs in with the pasted URL; refuses text that is neither URL nor token', async () => {
    const user = userEvent.setup();
    render(<Root />);
    await user.type(screen.getByLabelText('URL or token'), 'hello');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(screen.getByText(/not the URL/)).toBeInTheDocument();
    await user.clear(screen.getByLabelText('URL or token'));
    await user.type(screen.getByLabelText('URL or token'), `http://127.0.0.1:8719/#token=${TOKEN}`);
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(screen.queryByRole('heading', { name: 'Sign in to Odoo Backup Desk' })).toBeNull();
    expect(tokenFromPaste(`  ${TOKEN} `)).toBe(TOKEN);
  });
});
