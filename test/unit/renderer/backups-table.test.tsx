import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import type { BackupEntry, Catalog } from '../../../shared/contract/api';
import { ApiProvider } from '../../../renderer/src/app/api-context';
import { BackupsView } from '../../../renderer/src/features/backups/backups-view';
import { ROW_HEIGHT } from '../../../renderer/src/features/backups/backups-table';
import { buildRows, DEFAULT_QUERY } from '../../../renderer/src/features/backups/table-model';
import { Compatibility, pgMajor } from '../../../renderer/src/features/backups/detail-panel';
import { fakeClient } from './fake-client';

const DBS = ['acme', 'acme.prod', 'beta_shop', 'zeta'];
const STORAGES = ['local', 's3-prod', 'dropbox'];

function catalog(n: number): Catalog {
  const backups: BackupEntry[] = [];
  const t0 = Date.UTC(2024, 0, 1);
  for (let i = 0; i < n; i++) {
    const db = DBS[i % DBS.length]!;
    const storage = STORAGES[i % STORAGES.length]!;
    const createdAt = new Date(t0 + i * 3_600_000).toISOString();
    backups.push({
      ref: `${storage}:${db}/${db}_${i}.zip`,
      storage,
      key: `${db}/${db}_${i}.zip`,
      database: db,
      createdAt,
      format: i % 5 === 0 ? 'dump' : 'zip',
      encrypted: i % 7 === 0,
      size: 1000 + i,
      convention: 'odoo-manager',
      odooVersion: '16.0',
    });
  }
  return { backups, strays: [{ ref: 'local:notes.txt', storage: 'local', key: 'notes.txt', size: 12, stray: 'not a backup' }], failures: [] };
}

function renderView(c: Catalog) {
  const { client } = fakeClient();
  return render(
    <ApiProvider client={client}>
      <BackupsView catalog={c} loading={false} onRefresh={() => undefined} onRestore={() => undefined} onDownload={() => undefined} />
    </ApiProvider>,
  );
}

const dataRows = (): HTMLElement[] => within(screen.getByRole('grid')).getAllByRole('row').filter((r) => r.getAttribute('aria-rowindex') !== '1');

describe('Backups table', { timeout: 30_000 }, () => {
  afterEach(cleanup);

  it('virtualizes 10,000 rows: only a window is in the DOM, scrolling brings later rows', () => {
    renderView(catalog(10_000));
    const grid = screen.getByRole('grid');
    expect(grid).toHaveAttribute('aria-rowcount', '10001');
    const first = dataRows();
    expect(first.length).toBeGreaterThan(5);
    expect(first.length).toBeLessThan(60);
    // Newest first by default.
    expect(first[0]).toHaveTextContent('zeta');
    expect(first[0]).toHaveAttribute('aria-rowindex', '2');
    grid.scrollTop = 5000 * ROW_HEIGHT;
    fireEvent.scroll(grid);
    const later = dataRows();
    expect(later.length).toBeLessThan(60);
    const idx = later.map((r) => Number(r.getAttribute('aria-rowindex')));
    expect(Math.min(...idx)).toBeGreaterThan(4900);
    expect(Math.max(...idx)).toBeLessThan(5100);
  });

  it('searches, filters by storage/format/encryption, and counts what is shown', async () => {
    const user = userEvent.setup();
    renderView(catalog(200));
    fireEvent.change(screen.getByLabelText('Search backups'), { target: { value: 'beta' } });
    expect(await screen.findByText('50 of 200 shown')).toBeInTheDocument();
    for (const r of dataRows()) expect(r).toHaveTextContent('beta_shop');
    await user.selectOptions(screen.getByLabelText('Storage'), 's3-prod');
    for (const r of dataRows()) expect(r).toHaveTextContent('s3-prod');
    fireEvent.change(screen.getByLabelText('Search backups'), { target: { value: '' } });
    await user.selectOptions(screen.getByLabelText('Format'), 'dump');
    await user.selectOptions(screen.getByLabelText('Encrypted'), 'yes');
    // i ≡ 1 (mod 3), i ≡ 0 (mod 5), i ≡ 0 (mod 7) below 200: 70, 175.
    expect(screen.getByText('2 of 200 shown')).toBeInTheDocument();
  });

  it('sorts by a column header and toggles the direction', async () => {
    const user = userEvent.setup();
    renderView(catalog(50));
    await user.click(screen.getByRole('button', { name: /Size/ }));
    const sizeHeader = screen.getAllByRole('columnheader').find((h) => h.textContent?.startsWith('Size'))!;
    expect(sizeHeader).toHaveAttribute('aria-sort', 'descending');
    expect(dataRows()[0]).toHaveTextContent('1.0 kB'); // 1049 B
    expect(dataRows()[0]).toHaveAttribute('id', `row-${encodeURIComponent('s3-prod:acme.prod/acme.prod_49.zip')}`);
    await user.click(screen.getByRole('button', { name: /Size/ }));
    expect(sizeHeader).toHaveAttribute('aria-sort', 'ascending');
    expect(dataRows()[0]).toHaveAttribute('id', `row-${encodeURIComponent('local:acme/acme_0.zip')}`);
    await user.click(screen.getByRole('button', { name: /Database/ }));
    expect(dataRows()[0]).toHaveTextContent('acme');
  });

  it('groups by database and folds a group', async () => {
    const user = userEvent.setup();
    renderView(catalog(12));
    await user.click(screen.getByLabelText('Group by database'));
    const groups = dataRows().filter((r) => r.hasAttribute('aria-expanded'));
    expect(groups.map((g) => g.textContent?.split('3 backups')[0]?.replace(/[▾▸]/g, ''))).toEqual(['acme', 'acme.prod', 'beta_shop', 'zeta']);
    expect(dataRows()).toHaveLength(16);
    await user.click(groups[0]!);
    expect(dataRows()).toHaveLength(13);
    expect(dataRows()[0]).toHaveAttribute('aria-expanded', 'false');
  });

  it("a group's latest time of a backup named in the server's own clock (Yenthe) is shown as written, like its row", async () => {
    const tz = process.env.TZ;
    process.env.TZ = 'Europe/Berlin';
    try {
      const user = userEvent.setup();
      const yenthe: BackupEntry = { ref: 'nas:2026_12_06_02_00_00_shop.zip', storage: 'nas', key: '2026_12_06_02_00_00_shop.zip', database: 'shop', createdAt: '2026-12-06T02:00:00.000Z', timeIsLocal: true, format: 'zip', encrypted: false, size: 1000, convention: 'yenthe-auto-backup' };
      renderView({ backups: [yenthe], strays: [], failures: [] });
      expect(dataRows()[0]).toHaveTextContent('2026-12-06 02:00');
      await user.click(screen.getByLabelText('Group by database'));
      expect(dataRows()[0]).toHaveTextContent('latest 2026-12-06 02:00');
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
  });

  it('moves through rows with the keyboard and opens the detail panel with Enter', async () => {
    const user = userEvent.setup();
    const { client } = fakeClient({
      'backups:inspect': async () => ({ name: 'x', format: 'zip', encrypted: false, odooVersion: '16.0', modules: { base: '16.0.1.3', web: '16.0.1.0' }, filestoreFiles: 3 }),
    });
    render(
      <ApiProvider client={client}>
        <BackupsView catalog={catalog(30)} loading={false} onRefresh={() => undefined} onRestore={() => undefined} onDownload={() => undefined} />
      </ApiProvider>,
    );
    const grid = screen.getByRole('grid');
    grid.focus();
    await user.keyboard('{ArrowDown}{ArrowDown}');
    const active = grid.getAttribute('aria-activedescendant')!;
    expect(document.getElementById(active)).toHaveAttribute('aria-rowindex', '4');
    expect(document.getElementById(active)).toHaveAttribute('aria-selected', 'true');
    await user.keyboard('{Enter}');
    const panel = await screen.findByRole('complementary');
    expect(within(panel).getByText('16.0')).toBeInTheDocument();
    expect(await within(panel).findByText('3 files')).toBeInTheDocument();
    await user.keyboard('{End}');
    expect(document.getElementById(grid.getAttribute('aria-activedescendant')!)).toHaveAttribute('aria-rowindex', '31');
  });

  it('counts one backup on one storage in the singular', () => {
    const { client } = fakeClient({});
    render(
      <ApiProvider client={client}>
        <BackupsView catalog={catalog(1)} loading={false} onRefresh={() => undefined} onRestore={() => undefined} onDownload={() => undefined} storageCount={1} />
      </ApiProvider>,
    );
    expect(screen.getByText(/^1 backup · .* · 1 storage$/)).toBeInTheDocument();
  });

  it('opens a row\'s detail with one click; the Odoo version an inspect read fills the column at once; the header counts configured storages', async () => {
    const user = userEvent.setup();
    const { client } = fakeClient({
      'backups:inspect': async () => ({ name: 'x', format: 'zip', encrypted: false, odooVersion: '17.0', filestoreFiles: 3 }),
    });
    const c = catalog(4);
    c.backups.forEach((b) => delete (b as { odooVersion?: string }).odooVersion);
    render(
      <ApiProvider client={client}>
        <BackupsView catalog={c} loading={false} onRefresh={() => undefined} onRestore={() => undefined} onDownload={() => undefined} storageCount={5} />
      </ApiProvider>,
    );
    expect(screen.getByText(/4 backups · .* · 5 storages/)).toBeInTheDocument(); // the sidebar's count, not the 3 with backups
    const row = dataRows()[0]!;
    expect(within(row).queryByText('17.0')).toBeNull();
    await user.click(within(row).getAllByRole('gridcell')[1]!);
    const panel = await screen.findByRole('complementary');
    expect(await within(panel).findByText('3 files')).toBeInTheDocument();
    expect(within(dataRows()[0]!).getByText('17.0')).toBeInTheDocument();
  });

  it('an encrypted backup inspected without its passphrase keeps asking for it and states nothing about its contents; a .dump says it holds no filestore', async () => {
    const user = userEvent.setup();
    const { client } = fakeClient({
      'storages:passphrase-remembered': async () => ({ remembered: true }),
      'backups:inspect': async (a: { source: string; passphrase?: string }) =>
        a.source.endsWith('.gpg')
          ? { name: 'x', format: 'zip' as const, encrypted: true, contentsRead: false, warnings: ['The backup is encrypted; give the passphrase or key to see inside.'] }
          : { name: 'y', format: 'dump' as const, encrypted: false, odooVersion: '16.0', pgVersion: '15.4' },
    });
    const c = catalog(2);
    c.backups[0] = { ...c.backups[0]!, ref: 'local:acme.zip.gpg', key: 'acme.zip.gpg', encrypted: true, format: 'zip' };
    c.backups[1] = { ...c.backups[1]!, ref: 'local:acme.dump', key: 'acme.dump', encrypted: false, format: 'dump' };
    render(
      <ApiProvider client={client}>
        <BackupsView catalog={c} loading={false} onRefresh={() => undefined} onRestore={() => undefined} onDownload={() => undefined} />
      </ApiProvider>,
    );
    const rowOf = (ref: string): HTMLElement => dataRows().find((r) => r.textContent?.includes(ref.split(':')[1]!.split('.')[0]!) && r.textContent.includes(ref.endsWith('.gpg') ? 'zip' : 'dump'))!;
    await user.click(within(rowOf('local:acme.zip.gpg')).getAllByRole('gridcell')[1]!);
    const panel = await screen.findByRole('complementary');
    await user.click(within(panel).getByRole('button', { name: 'Inspect' })); // empty: no passphrase remembered either
    expect(await within(panel).findByText(/give the passphrase \(or the private key\) to read them/)).toBeInTheDocument();
    expect(within(panel).getByLabelText('Passphrase to look inside')).toBeInTheDocument();
    expect(within(panel).queryByText(/attachments will be missing/)).toBeNull();
    expect(within(panel).queryByText('Filestore')).toBeNull();
    await user.click(within(rowOf('local:acme.dump')).getAllByRole('gridcell')[1]!);
    expect(await within(screen.getByRole('complementary')).findByText('a .dump holds the database only')).toBeInTheDocument();
  });

  it('shows what the manifest says at once and where the attachments live once the dump is read (a plain backup is inspected twice; an encrypted one once)', async () => {
    const user = userEvent.setup();
    let release: () => void = () => undefined;
    const calls: unknown[] = [];
    const { client } = fakeClient({
      'backups:inspect': async (a: { source: string; attachments?: boolean }) => {
        calls.push(a);
        const base = { name: 'x', format: 'zip' as const, encrypted: false, odooVersion: '17.0', filestoreFiles: 3 };
        if (a.attachments === false) return base;
        await new Promise<void>((r) => (release = r));
        return { ...base, attachments: { location: 'file', locationSet: false, groups: [], total: { count: 3, bytes: 3000 }, remote: { count: 0, bytes: 0, objects: 0 }, selfContained: true, notes: [] } };
      },
    });
    render(
      <ApiProvider client={client}>
        <BackupsView catalog={catalog(2)} loading={false} onRefresh={() => undefined} onRestore={() => undefined} onDownload={() => undefined} />
      </ApiProvider>,
    );
    await user.click(within(dataRows()[0]!).getAllByRole('gridcell')[1]!);
    const panel = await screen.findByRole('complementary');
    expect(await within(panel).findByText('3 files')).toBeInTheDocument();
    expect(within(panel).getByText('reading the dump…')).toBeInTheDocument();
    act(() => release());
    await waitFor(() => expect(within(panel).queryByText('reading the dump…')).toBeNull());
    expect(within(panel).getByText('Attachments')).toBeInTheDocument();
    expect(calls).toEqual([expect.objectContaining({ attachments: false }), expect.not.objectContaining({ attachments: false })]);
  });

  it('shows strays in their own view', async () => {
    const user = userEvent.setup();
    renderView(catalog(3));
    await user.click(screen.getByRole('tab', { name: 'Strays (1)' }));
    expect(screen.getByRole('table', { name: 'Stray files' })).toHaveTextContent('not a backup');
  });

  it('judges PostgreSQL compatibility of a backup with the detected target', () => {
    expect(pgMajor('15.0')).toBe(15);
    expect(pgMajor('PostgreSQL 16.4 (Debian 16.4-1)')).toBe(16);
    expect(pgMajor('9.6')).toBe(9);
    render(<Compatibility backupPg="16.0" format="dump" targetLabel="local" targetDetail="PostgreSQL 15.20 (Debian) as postgres" />);
    expect(screen.getByText('newer source')).toBeInTheDocument();
    expect(screen.getByText(/restore into PostgreSQL 16 or newer/)).toBeInTheDocument();
    cleanup();
    render(<Compatibility backupPg="15.0" format="zip" targetLabel="local" targetDetail="PostgreSQL 15.20 (Debian) as postgres" />);
    expect(screen.getByText('compatible')).toBeInTheDocument();
  });

  it('buildRows keeps groups in name order and sorts inside them', () => {
    const rows = buildRows(catalog(8).backups, { ...DEFAULT_QUERY, groupByDb: true });
    expect(rows.filter((r) => r.type === 'group').map((r) => (r.type === 'group' ? r.database : ''))).toEqual(DBS);
    const acme = rows.slice(1, 3).map((r) => (r.type === 'backup' ? r.entry.key : ''));
    expect(acme).toEqual(['acme/acme_4.zip', 'acme/acme_0.zip']);
  });
});
