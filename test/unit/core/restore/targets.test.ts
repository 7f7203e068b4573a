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

describe('detectLocalTargets', () => {
  it('finds a server given by the libpq environment and reports an unreachable default port as unavailable', async () => {
    const { startPgCluster } = await import('../../../helpers/pg-cluster');
    const { detectLocalTargets } = await import('../../../../shared/core/restore/targets');
    const cluster = await startPgCluster();
    const saved = { ...process.env };
    try {
      process.env.PGHOST = cluster.host;
      process.env.PGPORT = String(cluster.port);
      process.env.PGUSER = cluster.user;
      const targets = await detectLocalTargets();
      const env = targets.find((t) => t.id === 'env');
      expect(env).toMatchObject({ available: true });
      expect(env!.detail).toMatch(/^PostgreSQL 1\d\.\d+ .*as postgres/);
      expect(targets.find((t) => t.id === 'tcp:127.0.0.1:5432')).toBeDefined();
    } finally {
      process.env = saved;
      await cluster.stop();
    }
  });
});
