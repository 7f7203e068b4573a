import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultOdooDataDir } from '../../../../shared/core/restore/targets';

describe('defaultOdooDataDir (appdirs rule)', () => {
  const env = { ...process.env };
  afterEach(() => {
    process.env = { ...env };
    vi.restoreAllMocks();
  });
  it('follows appdirs on each OS', () => {
    const plat = vi.spyOn(process, 'platform', 'get');
    plat.mockReturnValue('linux');
    process.env.HOME = '/home/ann';
    delete process.env.XDG_DATA_HOME;
    expect(defaultOdooDataDir()).toBe('/home/ann/.local/share/Odoo');
    process.env.XDG_DATA_HOME = '/data/xdg';
    expect(defaultOdooDataDir()).toBe('/data/xdg/Odoo');
    process.env.HOME = '/';
    expect(defaultOdooDataDir()).toBe('/var/lib/odoo');
    plat.mockReturnValue('darwin');
    process.env.HOME = '/Users/ann';
    expect(defaultOdooDataDir()).toBe('/Users/ann/Library/Application Support/Odoo');
  });
});
