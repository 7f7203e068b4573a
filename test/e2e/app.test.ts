/**
 * End to end: Debian's Chromium (playwright-core) drives the React UI served by the real
 * `backup-desk serve` (built CLI, real core) against a real PostgreSQL and real backups:
 * first run, browse, inspect, download, download-and-decrypt (gpg), restore, error paths.
 * Saves a screenshot of every screen to a temp folder (`npm run screenshots` refreshes docs/screenshots/).
 *
 * Backups used: a small Odoo-shaped database dumped with the real pg_dump and zipped like
 * Odoo (always), an odoo_backup_sh-style gpg-encrypted copy of it (always), and
 * $ODOO_FIXTURES_DIR/acme_small_zip.zip (when set).
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeOdooBackupShPair } from '../helpers/gpg';
import { createOdooShapedDb, dbSnapshot, pgDumpPlain, writeOdooZip } from '../helpers/odoo-shaped-db';
import { psql, startPgCluster, type PgCluster } from '../helpers/pg-cluster';
import { startServe, type ServeProcess } from './helpers/serve-process';
import { fixtureDirWith } from '../helpers/fixtures';
import { buildIfStale, openBrowserPage, tidyAfterTest, type BrowserPage } from './helpers/browser';

const FIXTURES = fixtureDirWith('acme_small_zip.zip');
const PASSPHRASE = 'correct horse battery staple';
const TINY_ZIP = 'tiny_2024-05-01_10-00-00.zip';
const TINY_TS = '2024-05-02_10-00-00';

const sha256 = async (p: string): Promise<string> => createHash('sha256').update(await readFile(p)).digest('hex');

describe('the app in Chromium against `serve`', () => {
  let pg: PgCluster;
  let work: string;
  let home: string;
  let store: string;
  let serve: ServeProcess;
  let ui: BrowserPage;
  let page: Page;
  let expected: Awaited<ReturnType<typeof dbSnapshot>>;

  const shot = (name: string): Promise<void> => ui.shot(name);
  const nav = (label: string): Locator => ui.nav(label);

  beforeAll(async () => {
    const build = buildIfStale();
    [pg] = await Promise.all([startPgCluster(), build]);
    work = await mkdtemp(join(tmpdir(), 'bd-e2e-'));
    home = join(work, 'home');
    store = join(work, 'store');
    await mkdir(home);
    await mkdir(store);
    await mkdir(join(work, 'out'));
    // A small Odoo-shaped database, dumped by the real pg_dump and zipped like Odoo.
    const fsDir = join(work, 'src-filestore');
    await createOdooShapedDb(pg.url, 'tiny_src', { partners: 120, blobs: 2, blobBytes: 2048, files: 4, fileBytes: 300 }, fsDir);
    expected = await dbSnapshot(pg.url, 'tiny_src');
    const dump = join(work, 'dump.sql');
    await pgDumpPlain(pg.url, 'tiny_src', dump, pg.binDir);
    await writeOdooZip(join(store, TINY_ZIP), dump, 'tiny', fsDir);
    // The same backup encrypted the way odoo_backup_sh does it (real gpg), with its .info.
    await makeOdooBackupShPair(store, 'tiny', join(store, TINY_ZIP), PASSPHRASE, TINY_TS);
    await writeFile(join(store, 'notes.txt'), 'not a backup\n');
    if (FIXTURES) await copyFile(join(FIXTURES, 'acme_small_zip.zip'), join(store, 'acme_small_2024-06-01_03-00-00.zip'));
    // HOME too: Odoo's default data dir (where Clean up looks for filestore leftovers) is the test's own.
    serve = await startServe(home, { HOME: work, PGHOST: pg.host, PGPORT: String(pg.port), PGUSER: pg.user, PGDATABASE: 'postgres' });
    ui = await openBrowserPage(800);
    page = ui.page;
  });

  afterEach(async (ctx) => tidyAfterTest(page, ctx.task.name, ctx.task.result?.state === 'fail'));

  afterAll(async () => {
    await ui?.browser.close();
    await serve?.stop();
    await pg?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('rejects the page without the token, then opens the first-run screen with it', async () => {
    const bare = await fetch(`${serve.origin}/api/storages:list`, { method: 'POST', body: '{}' });
    expect(bare.status).toBe(401);
    // Without the token: a sign-in screen (not an empty catalog); the printed URL pasted into the
    // address bar (only the #token= part changes: no reload) signs in at once.
    await page.goto(serve.origin + '/');
    await page.getByRole('heading', { name: 'Sign in to Odoo Backup Desk' }).waitFor();
    await shot('sign-in');
    await page.goto(serve.url);
    await expect.poll(() => page.url()).not.toContain('token=');
    await page.getByRole('heading', { name: 'Welcome to Odoo Backup Desk' }).waitFor();
    const folder = page.getByLabel('Backups folder');
    await expect.poll(() => folder.inputValue()).toBe(join(home, 'backups'));
    await shot('first-run');
    // The CSP is strict and the page still runs (no inline script).
    const csp = (await fetch(serve.origin + '/')).headers.get('content-security-policy');
    expect(csp).toContain("script-src 'self'");
  });

  it('adds the backups folder and lists every backup across the storage', async () => {
    await page.getByLabel('Backups folder').fill(store);
    await page.getByRole('button', { name: 'Use this folder' }).click();
    const grid = page.getByRole('grid', { name: 'Backups' });
    await grid.getByRole('row').filter({ hasText: 'tiny' }).first().waitFor();
    const rows = grid.getByRole('row').filter({ hasNotText: 'Database' });
    await expect.poll(() => rows.count()).toBe(FIXTURES ? 3 : 2);
    const enc = grid.getByRole('row').filter({ hasText: 'Yes' });
    expect(await enc.count()).toBe(1);
    expect(await enc.textContent()).toContain('odoo_backup_sh');
    // Local time shown, UTC on hover.
    const date = grid.getByRole('row').filter({ hasText: 'Odoo manager' }).filter({ hasText: 'tiny' }).getByRole('gridcell').nth(1);
    expect(await date.getAttribute('title')).toBe('2024-05-01 10:00:00 UTC');
    await shot('backups');
    await page.getByLabel('Group by database').check();
    await shot('backups-grouped');
    await page.getByLabel('Group by database').uncheck();
    await page.getByRole('tab', { name: /Strays/ }).click();
    await page.getByRole('table', { name: 'Stray files' }).getByText('notes.txt').waitFor();
    await shot('strays');
    await page.getByRole('tab', { name: 'Backups' }).click();
  });

  it('inspects a backup in the detail panel', async () => {
    await page.getByRole('grid', { name: 'Backups' }).getByRole('row').filter({ hasText: 'Odoo manager' }).filter({ hasText: 'tiny' }).dblclick();
    const panel = page.getByRole('complementary');
    await panel.getByText('Contents').waitFor();
    await panel.getByText('16.0', { exact: true }).first().waitFor({ timeout: 20_000 });
    // 4 attachments' files plus Odoo's checklist markers.
    await panel.getByText('8 files', { exact: false }).waitFor();
    await shot('backup-detail');
    await page.getByRole('button', { name: 'Close details' }).click();
  });

  it('downloads a backup byte for byte', async () => {
    await page.getByRole('grid', { name: 'Backups' }).getByRole('row').filter({ hasText: 'Odoo manager' }).filter({ hasText: 'tiny' }).dblclick();
    await page.getByRole('complementary').getByRole('button', { name: 'Download…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Download' });
    const out = join(work, 'out', 'plain.zip');
    await dialog.getByLabel('Save to').fill(out);
    await dialog.getByRole('button', { name: 'Download', exact: true }).click();
    await dialog.getByRole('heading', { name: 'Downloaded' }).waitFor({ timeout: 30_000 });
    expect(await sha256(out)).toBe(await sha256(join(store, TINY_ZIP)));
    await shot('download-done');
    await dialog.getByRole('button', { name: 'Close', exact: true }).last().click();
    await page.getByRole('button', { name: 'Close details' }).click();
  });

  it('downloads and decrypts the gpg-encrypted copy; a wrong passphrase says so', async () => {
    await page.getByRole('grid', { name: 'Backups' }).getByRole('row').filter({ hasText: 'Yes' }).dblclick();
    await page.getByRole('complementary').getByRole('button', { name: 'Download & decrypt…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Download & decrypt' });
    const out = join(work, 'out', 'decrypted.zip');
    await dialog.getByLabel('Save to').fill(out);
    await dialog.getByLabel('Passphrase', { exact: true }).fill('not the passphrase');
    await shot('download-decrypt');
    await dialog.getByRole('button', { name: 'Download & decrypt' }).click();
    await dialog.getByRole('heading', { name: 'The download failed' }).waitFor({ timeout: 30_000 });
    expect(await dialog.getByRole('alert').textContent()).toMatch(/passphrase/i);
    await expect(stat(out)).rejects.toThrow();
    await shot('download-wrong-passphrase');
    await dialog.getByRole('button', { name: 'Try again' }).click();
    await dialog.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
    await dialog.getByRole('button', { name: 'Download & decrypt' }).click();
    await dialog.getByRole('heading', { name: 'Downloaded and decrypted' }).waitFor({ timeout: 30_000 });
    expect(await sha256(out)).toBe(await sha256(join(store, TINY_ZIP)));
    expect(await dialog.getByTestId('verification').textContent()).toMatch(/integrity check passed.*Zip archive is complete/);
    await shot('download-decrypt-done');
    await dialog.getByRole('button', { name: 'Close', exact: true }).last().click();
    await page.getByRole('button', { name: 'Close details' }).click();
  });

  it('verifies the encrypted copy: a wrong passphrase says so, the right one reads it through', async () => {
    await page.getByRole('grid', { name: 'Backups' }).getByRole('row').filter({ hasText: 'Yes' }).dblclick();
    await page.getByRole('complementary').getByRole('button', { name: 'Verify…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Verify backup' });
    await dialog.getByLabel('Passphrase', { exact: true }).fill('not the passphrase');
    await dialog.getByRole('button', { name: 'Verify', exact: true }).click();
    await dialog.getByRole('heading', { name: 'The backup could not be read' }).waitFor({ timeout: 30_000 });
    expect(await dialog.getByRole('alert').textContent()).toMatch(/passphrase/i);
    await dialog.getByRole('button', { name: 'Try again' }).click();
    await dialog.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
    await dialog.getByRole('button', { name: 'Verify', exact: true }).click();
    await dialog.getByRole('heading', { name: 'The backup is sound' }).waitFor({ timeout: 30_000 });
    const checks = await dialog.getByTestId('verify-checks').textContent();
    expect(checks).toMatch(/integrity check passed.*Every zip member read.*Database dump read to its end.*Filestore: 8 files read.*Every one of the 4 files that attachments reference is in the filestore/);
    await shot('verify-done');
    await dialog.getByRole('button', { name: 'Close', exact: true }).last().click();
    await page.getByRole('button', { name: 'Close details' }).click();
  });

  it('restores a backup through the wizard into PostgreSQL', async () => {
    const grid = page.getByRole('grid', { name: 'Backups' });
    await grid.getByRole('row').filter({ hasText: 'Odoo manager' }).filter({ hasText: 'tiny' }).dblclick();
    await page.getByRole('complementary').getByRole('button', { name: 'Restore…' }).click();
    const w = page.getByRole('dialog', { name: /Restore tiny/ });
    await w.getByRole('heading', { name: 'Where should it go?' }).waitFor();
    await w.getByText('Looking for PostgreSQL').waitFor({ state: 'detached' });
    // serve runs with the test cluster in its PG* environment: detection finds it and preselects it.
    const detected = w.getByRole('radio', { name: new RegExp(`127\\.0\\.0\\.1:${pg.port}`) });
    expect(await detected.isChecked()).toBe(true);
    await w.getByLabel('Odoo data folder (optional)').fill(join(work, 'odoo-data'));
    await shot('restore-target');
    await w.getByRole('button', { name: 'Next' }).click();
    const name = w.getByLabel('Database name');
    await name.fill('bad name!');
    await w.getByText(/Only letters, digits/).waitFor();
    await name.fill('tiny_src');
    await w.getByText('A database named “tiny_src” already exists', { exact: false }).waitFor({ timeout: 15_000 });
    await shot('restore-name-taken');
    await name.fill('tiny_restored');
    await w.getByText('✓ “tiny_restored” is free.').waitFor({ timeout: 15_000 });
    await shot('restore-name');
    await w.getByRole('button', { name: 'Next' }).click();
    await w.getByRole('checkbox', { name: /Make it safe for testing/ }).check();
    await shot('restore-options');
    await w.getByRole('button', { name: 'Next' }).click();
    await shot('restore-summary');
    await w.getByRole('button', { name: 'Restore now' }).click();
    await w.getByRole('heading', { name: '“tiny_restored” is restored' }).waitFor({ timeout: 60_000 });
    await shot('restore-result');
    const got = await dbSnapshot(pg.url, 'tiny_restored');
    expect(got.tables.res_partner).toBe(120);
    expect(got.tables.ir_attachment).toBe(expected.tables.ir_attachment);
    expect(got.hashes.res_partner).toBe(expected.hashes.res_partner);
    expect(Object.keys(got.tables).sort()).toEqual(Object.keys(expected.tables).sort());
    // Neutralized like Odoo: the real mail server is off, only the dummy "invalid" one is active.
    expect((await psql(pg.urlFor('tiny_restored'), "SELECT count(*) FROM ir_mail_server WHERE active AND smtp_host <> 'invalid'")).trim()).toBe('0');
    expect((await psql(pg.urlFor('tiny_src'), 'SELECT count(*) FROM ir_mail_server WHERE active')).trim()).toBe('1');
    await w.getByRole('button', { name: 'Done' }).click();
  });

  it('flags the restored name as taken in a second restore', async () => {
    await page.getByRole('grid', { name: 'Backups' }).getByRole('row').filter({ hasText: 'Odoo manager' }).filter({ hasText: 'tiny' }).dblclick();
    await page.getByRole('complementary').getByRole('button', { name: 'Restore…' }).click();
    const w = page.getByRole('dialog', { name: /Restore tiny/ });
    await w.getByText('Looking for PostgreSQL').waitFor({ state: 'detached' });
    await w.getByRole('radio', { name: /Another PostgreSQL server/ }).check();
    await w.getByLabel('Server URL').fill(pg.url);
    await w.getByRole('button', { name: 'Next' }).click();
    await w.getByLabel('Database name').fill('tiny_restored');
    await w.getByText('A database named “tiny_restored” already exists', { exact: false }).waitFor({ timeout: 15_000 });
    await w.getByRole('button', { name: 'Next' }).click();
    await w.getByRole('checkbox', { name: /Replace the existing database/ }).check();
    await w.getByLabel('Type “tiny_restored” to confirm').fill('tiny_restore');
    expect(await w.getByRole('button', { name: 'Next' }).isDisabled()).toBe(true);
    await shot('restore-replace-confirm');
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Close details' }).click();
  });

  it.skipIf(!FIXTURES)('restores the real Odoo 16 backup (acme_small_zip) with every table as expected', async () => {
    const grid = page.getByRole('grid', { name: 'Backups' });
    await page.getByLabel('Search backups').fill('acme');
    await grid.getByRole('row').filter({ hasText: 'acme_small' }).dblclick();
    const panel = page.getByRole('complementary');
    await panel.getByText(/24 modules|Show 24 modules/).first().waitFor({ timeout: 20_000 });
    await panel.getByRole('button', { name: 'Restore…' }).click();
    const w = page.getByRole('dialog', { name: 'Restore acme_small' });
    await w.getByText('Looking for PostgreSQL').waitFor({ state: 'detached' });
    await w.getByLabel('Odoo data folder (optional)').fill(join(work, 'odoo-data'));
    await w.getByRole('button', { name: 'Next' }).click();
    await w.getByLabel('Database name').fill('acme_e2e');
    await w.getByText('✓ “acme_e2e” is free.').waitFor();
    await w.getByRole('button', { name: 'Next' }).click();
    await w.getByRole('button', { name: 'Next' }).click();
    await w.getByRole('button', { name: 'Restore now' }).click();
    await w.getByRole('heading', { name: '“acme_e2e” is restored' }).waitFor({ timeout: 90_000 });
    const want = JSON.parse(await readFile(join(FIXTURES!, 'acme_small_zip.expected.json'), 'utf8')) as { tables: Record<string, number> };
    const got = await dbSnapshot(pg.url, 'acme_e2e');
    // The wizard neutralizes a copy by default, as Odoo 16+ does: that adds the
    // database.is_neutralized parameter and the mail server that blocks outgoing mail.
    expect(got.tables).toEqual({ ...want.tables, ir_config_parameter: want.tables.ir_config_parameter! + 1, ir_mail_server: want.tables.ir_mail_server! + 1 });
    await w.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('button', { name: 'Close details' }).click();
    await page.getByLabel('Search backups').fill('');
  });

  it('restores a backup file dropped onto the window (uploaded into <home>/incoming)', async () => {
    const b64 = (await readFile(join(store, TINY_ZIP))).toString('base64');
    await page.evaluate(
      ({ b64, name }) => {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const dt = new DataTransfer();
        dt.items.add(new File([bytes], name, { type: 'application/zip' }));
        (window as unknown as { __dt: DataTransfer }).__dt = dt;
        document.body.dispatchEvent(new DragEvent('dragenter', { dataTransfer: dt, bubbles: true, cancelable: true }));
      },
      { b64, name: 'dropped_tiny.zip' },
    );
    await page.getByText('Drop a backup file to inspect and restore it').waitFor();
    await shot('drop-overlay');
    await page.evaluate(() => {
      const dt = (window as unknown as { __dt: DataTransfer }).__dt;
      document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    });
    const d = page.getByRole('dialog', { name: 'dropped_tiny.zip' });
    await d.getByText('Database').waitFor({ timeout: 20_000 });
    expect(await sha256(join(home, 'incoming', 'dropped_tiny.zip'))).toBe(await sha256(join(store, TINY_ZIP)));
    await shot('dropped-file');
    await d.getByRole('button', { name: 'Restore…' }).click();
    const w = page.getByRole('dialog', { name: 'Restore tiny' });
    await w.getByText('Looking for PostgreSQL').waitFor({ state: 'detached' });
    await w.getByRole('button', { name: 'Next' }).click();
    await w.getByLabel('Database name').fill('tiny_dropped');
    await w.getByText('✓ “tiny_dropped” is free.').waitFor();
    await w.getByRole('button', { name: 'Next' }).click();
    await w.getByRole('checkbox', { name: /Database only/ }).check();
    // A copy is suggested neutralized; this one is compared with the original table by table.
    await w.getByRole('checkbox', { name: /Make it safe for testing/ }).uncheck();
    await w.getByRole('button', { name: 'Next' }).click();
    await w.getByRole('button', { name: 'Restore now' }).click();
    await w.getByRole('heading', { name: '“tiny_dropped” is restored' }).waitFor({ timeout: 60_000 });
    const got = await dbSnapshot(pg.url, 'tiny_dropped');
    expect(got.tables).toEqual(expected.tables);
    await w.getByRole('button', { name: 'Done' }).click();
  });

  it('shows the other screens: activity, history, storages, settings, and the dark theme', async () => {
    await nav('Activity').click();
    await page.getByRole('heading', { name: 'Activity' }).waitFor();
    await page.getByRole('region', { name: 'Finished' }).waitFor();
    await shot('activity');
    await nav('History').click();
    await page.getByRole('heading', { name: 'History', level: 1 }).waitFor();
    // The wizard's restores are in the run history (recorded by the Desk, listed through history:list).
    const restores = page.getByRole('table').getByRole('row').filter({ hasText: 'Restore' }).filter({ hasText: 'OK' });
    await restores.first().waitFor();
    expect(await restores.count()).toBeGreaterThanOrEqual(2);
    await shot('history');
    await nav('Storages').click();
    await page.getByRole('list', { name: 'Storages' }).getByText('local').first().waitFor();
    await page.getByRole('button', { name: 'Test' }).click();
    await page.getByRole('list', { name: /Test results/ }).waitFor({ timeout: 15_000 });
    await shot('storages');
    await page.getByRole('button', { name: 'Add storage' }).click();
    await page.getByRole('dialog', { name: 'Add a storage' }).waitFor();
    await shot('storage-add');
    await page.keyboard.press('Escape');
    await nav('Settings').click();
    await page.getByRole('heading', { name: 'About this installation' }).waitFor();
    await page.getByText(home).waitFor();
    await shot('settings');
    // A backup killed mid-write left its hidden temporary file an hour ago: Clean up finds it and removes it, after a confirmation.
    const temp = join(store, '.tiny_2024-06-01_10-00-00.zip.backup-desk-tmp-0b0e4f3a-6d3c-4a55-9f0e-2f6c1b8f7e11');
    await writeFile(temp, 'half a backup');
    const hourAgo = new Date(Date.now() - 3600_000);
    await utimes(temp, hourAgo, hourAgo);
    await page.getByRole('button', { name: 'Look for leftovers' }).click();
    await page.getByText(/unfinished upload of tiny_2024-06-01_10-00-00\.zip, 13 B \(60 min old\)/).waitFor({ timeout: 15_000 });
    await page.getByText(`Interrupted restores on ${pg.host}:${pg.port}`).waitFor();
    await page.getByText(`Nothing left by interrupted restores (filestore folders looked for in ${join(work, '.local', 'share', 'Odoo')}).`).waitFor();
    await shot('settings-cleanup');
    await page.getByRole('button', { name: 'Remove 1 item…' }).click();
    await page.getByRole('group', { name: 'Confirm the removal' }).getByRole('button', { name: 'Remove', exact: true }).click();
    await page.getByText('Removed 1 item.').waitFor({ timeout: 15_000 });
    await page.getByText(/^No unfinished uploads on /).waitFor();
    await expect(stat(temp)).rejects.toThrow(/ENOENT/);
    await page.emulateMedia({ colorScheme: 'dark' });
    await nav('Backups').click();
    await page.getByRole('grid', { name: 'Backups' }).getByRole('row').filter({ hasText: 'tiny' }).first().waitFor();
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(bg).toBe('rgb(21, 23, 28)');
    await shot('backups-dark');
    // A theme forced in Settings wins over the OS's (light-dark() follows color-scheme).
    await nav('Settings').click();
    await page.getByRole('radio', { name: 'Light' }).check();
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(246, 247, 249)');
    await page.getByRole('radio', { name: 'Follow the system' }).check();
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(21, 23, 28)');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.getByRole('radio', { name: 'Dark' }).check();
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(21, 23, 28)');
    await page.getByRole('radio', { name: 'Follow the system' }).check();
  });

  it('adds a storage through the form and scrolls smoothly through 10,000 backups', async () => {
    // 10,000 Odoo-manager-named (empty) zips in a second folder.
    const many = join(work, 'many');
    await mkdir(many);
    const t0 = Date.UTC(2020, 0, 1);
    const dbs = ['alpha', 'beta', 'gamma', 'delta.prod'];
    const eocd = Buffer.concat([Buffer.from('PK\x05\x06', 'latin1'), Buffer.alloc(18)]);
    for (let i = 0; i < 10_000; i += 500) {
      await Promise.all(
        Array.from({ length: 500 }, (_, k) => {
          const n = i + k;
          const ts = new Date(t0 + n * 3_600_000).toISOString().slice(0, 19).replace('T', '_').replace(/:/g, '-');
          return writeFile(join(many, `${dbs[n % 4]}_${ts}.zip`), eocd);
        }),
      );
    }
    await nav('Storages').click();
    await page.getByRole('button', { name: 'Add storage' }).click();
    const form = page.getByRole('dialog', { name: 'Add a storage' });
    await form.getByLabel('Type').selectOption('local');
    await form.getByLabel('Name').fill('many');
    await form.getByLabel('Folder').fill(many);
    await form.getByRole('button', { name: 'Add storage' }).click();
    await page.getByRole('list', { name: 'Test results for many' }).waitFor({ timeout: 30_000 });
    await nav('Backups').click();
    const total = 10_000 + (FIXTURES ? 3 : 2);
    await page.getByText(`${total} backups`, { exact: false }).waitFor({ timeout: 60_000 });
    const grid = page.getByRole('grid', { name: 'Backups' });
    expect(await grid.getAttribute('aria-rowcount')).toBe(String(total + 1));
    // Scroll 60 frames of 600 px each, measuring frame times and how many rows the DOM holds.
    const stats = await grid.evaluate(async (el) => {
      const frames: number[] = [];
      let maxRows = 0;
      let last = performance.now();
      for (let i = 0; i < 60; i++) {
        el.scrollTop += 600;
        await new Promise((r) => requestAnimationFrame(() => r(undefined)));
        const now = performance.now();
        frames.push(now - last);
        last = now;
        maxRows = Math.max(maxRows, el.querySelectorAll('[role="row"]').length);
      }
      frames.sort((a, b) => a - b);
      return { median: frames[30]!, p90: frames[54]!, maxRows, top: el.scrollTop };
    });
    console.log(`10,000 rows: median frame ${stats.median.toFixed(1)} ms, p90 ${stats.p90.toFixed(1)} ms, at most ${stats.maxRows} rows in the DOM`);
    expect(stats.maxRows).toBeLessThan(80);
    // ~23 ms measured on a 2-core machine (60 fps is 16.7); with margin for a busy CI runner.
    expect(stats.median).toBeLessThan(100);
    await grid.focus();
    await page.keyboard.press('End');
    const lastRow = grid.locator(`[aria-rowindex="${total + 1}"]`);
    await lastRow.waitFor();
    expect(await lastRow.getAttribute('aria-selected')).toBe('true');
    await shot('backups-10000');
  });
});
