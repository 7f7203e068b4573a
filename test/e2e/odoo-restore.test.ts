/**
 * End to end: restore into a running Odoo through the wizard. Debian's Chromium
 * (playwright-core) drives the React UI served by the real `backup-desk serve` (built CLI, a
 * vault for the master password) against the local Odoo 16 database manager
 * (fake-services/odoo-manager.ts) and real Odoo backups from the fixtures: the instance is added
 * on the Odoo instances screen, a catalog backup goes through the wizard's "Odoo server" target
 * to the result page, and the server's refusals (its 413, its HTTP 200 error page with a
 * half-built database, another Odoo version) reach the wizard in plain words.
 * Screenshots go to the same temp folder as app.test.ts (odoo-*.png).
 */
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOdoo, type FakeOdoo } from '../helpers/fake-services/odoo-manager';
import { fixtureDirWith } from '../helpers/fixtures';
import { writeTinyZip } from '../helpers/gpg';
import { buildIfStale, openBrowserPage, tidyAfterTest, type BrowserPage } from './helpers/browser';
import { startServe, type ServeProcess } from './helpers/serve-process';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
const MASTER = `master ${randomUUID()}`;
const FIX16 = fixtureDirWith('acme_small_zip.zip');
const FIX17 = fixtureDirWith('acme17_zip.zip');
// Odoo-manager names, as Odoo's own downloads are called.
const ACME16 = 'acme_2024-06-01_03-00-00.zip';
const ACME17 = 'acme17_2024-06-02_03-00-00.zip';

const sha256 = async (p: string): Promise<string> => createHash('sha256').update(await readFile(p)).digest('hex');

/** The fixture backup, or (without fixtures) a small Odoo zip of that version. */
async function placeBackup(dir: string | undefined, file: string, version: string, to: string): Promise<void> {
  if (dir) return copyFile(join(dir, file), to);
  await writeTinyZip(to, { 'dump.sql': 'CREATE TABLE t (id int);\n', 'manifest.json': JSON.stringify({ db_name: 'acme', version, major_version: version }) });
}

describe('restore into a running Odoo through the wizard, in Chromium against `serve`', () => {
  let fake: FakeOdoo;
  let work: string;
  let home: string;
  let store: string;
  let serve: ServeProcess;
  let ui: BrowserPage;
  let page: Page;

  const shot = (name: string): Promise<void> => ui.shot(name);
  const backupRow = (db: string): Locator => page.getByRole('grid', { name: 'Backups' }).getByRole('row').filter({ has: page.getByRole('gridcell', { name: db, exact: true }) });
  const nav = (label: string): Locator => ui.nav(label);

  /** Opens the wizard on the catalog backup of database `source` and walks it to the summary with an Odoo target. */
  const wizardToOdoo = async (source: string, db: string, opts: { neutralize?: boolean } = {}): Promise<Locator> => {
    await nav('Backups').click();
    await backupRow(source).dblclick();
    await page.getByRole('complementary').getByRole('button', { name: 'Restore…' }).click();
    const w = page.getByRole('dialog', { name: /^Restore / });
    await w.getByRole('heading', { name: 'Where should it go?' }).waitFor();
    await w.getByRole('radio', { name: /Odoo server prod/ }).check();
    await w.getByText('uploaded to this Odoo server', { exact: false }).waitFor();
    await w.getByRole('button', { name: 'Next' }).click();
    await w.getByLabel('Database name').fill(db);
    await w.getByText(`✓ “${db}” is free.`).waitFor({ timeout: 15_000 });
    await w.getByRole('button', { name: 'Next' }).click();
    const neutral = w.getByRole('checkbox', { name: /Make it safe for testing/ });
    if (opts.neutralize === false) await neutral.uncheck();
    await w.getByRole('button', { name: 'Next' }).click();
    await w.getByRole('heading', { name: 'Ready to restore' }).waitFor();
    return w;
  };

  beforeAll(async () => {
    const build = buildIfStale();
    fake = await startFakeOdoo({ version: '16.0', masterPassword: MASTER, databases: [{ name: 'prod_db' }] });
    work = await mkdtemp(join(tmpdir(), 'bd-e2e-odoo-'));
    home = join(work, 'home');
    store = join(work, 'store');
    await mkdir(store, { recursive: true });
    await placeBackup(FIX16, 'acme_small_zip.zip', '16.0', join(store, ACME16));
    await placeBackup(FIX17, 'acme17_zip.zip', '17.0', join(store, ACME17));
    // The master password lives in the vault (no keychain here); serve reads its passphrase from a file.
    await writeFile(join(work, 'vault-pass'), `vault ${randomUUID()}\n`, { mode: 0o600 });
    const env = { HOME: work, DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(work, 'no-bus')}`, BACKUP_DESK_VAULT_PASSPHRASE_FILE: join(work, 'vault-pass') };
    await build;
    await run(process.execPath, [join(root, 'bin', 'backup-desk.js'), '--home', home, 'secrets', 'vault', 'init', '--cost', '15'], { cwd: root, env: { ...process.env, ...env } });
    serve = await startServe(home, env);
    ui = await openBrowserPage(900);
    page = ui.page;
  });

  afterEach(async (ctx) => {
    fake?.set({ proxyMaxBodySize: undefined, failRestore: false });
    await tidyAfterTest(page, ctx.task.name, ctx.task.result?.state === 'fail');
  });

  afterAll(async () => {
    await ui?.browser.close();
    await serve?.stop();
    await fake?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('adds the backups folder, then the Odoo instance (a wrong master password is refused)', async () => {
    await page.goto(serve.url);
    await page.getByLabel('Backups folder').fill(store);
    await page.getByRole('button', { name: 'Use this folder' }).click();
    await backupRow('acme').waitFor();
    await nav('Odoo instances').click();
    const form = page.getByRole('form', { name: 'Add an Odoo instance' });
    await form.getByLabel('Name').fill('prod');
    await form.getByLabel('URL').fill(fake.url);
    await form.getByLabel('Master password').fill('not the master password');
    await form.getByRole('button', { name: 'Add instance' }).click();
    await form.getByRole('alert').filter({ hasText: 'refused the master password' }).waitFor();
    await form.getByLabel('Master password').fill(MASTER);
    await form.getByRole('button', { name: 'Add instance' }).click();
    const card = page.getByRole('article', { name: 'Odoo instance prod' });
    await card.getByText('Odoo 16.0').waitFor();
    await card.getByRole('list', { name: 'Databases on prod' }).getByText('prod_db').waitFor();
    expect(await readFile(join(home, 'odoo-instances.json'), 'utf8')).not.toContain(MASTER);
    await shot('odoo-instances');
  });

  it('restores a real Odoo 16 backup from the catalog into the Odoo 16 server, neutralized, to the result page', async () => {
    const w = await wizardToOdoo('acme', 'acme_remote');
    const summary = w.getByRole('definition');
    expect(await summary.allTextContents()).toEqual(expect.arrayContaining(['Odoo server prod', 'Yes: no mail, no scheduled actions']));
    await shot('odoo-restore-summary');
    await w.getByRole('button', { name: 'Restore now' }).click();
    await w.getByRole('heading', { name: '“acme_remote” is restored' }).waitFor({ timeout: 60_000 });
    await shot('odoo-restore-result');
    const facts = await factsOf(w);
    expect(facts['Odoo server']).toBe('16.0');
    expect(facts.Odoo).toMatch(/^16\.0/);
    expect(facts.Neutralized).toMatch(/^Yes/);
    expect(facts['On the server']).toBe('Listed among its databases, and answers');
    expect(facts.Identity).toBe('A copy with a new identity');
    expect(await w.getByRole('link', { name: `${fake.url}/web?db=acme_remote` }).getAttribute('href')).toBe(`${fake.url}/web?db=acme_remote`);
    // What the server received: the backup byte for byte, neutralize_database sent, copy=true.
    const up = fake.uploads.at(-1)!;
    expect(up.sha256).toBe(await sha256(join(store, ACME16)));
    expect(up.fields.name).toBe('acme_remote');
    expect(up.fields.copy).toBe('true');
    expect(up.fields.neutralize_database).toBeTruthy();
    expect(fake.databases.get('acme_remote')).toMatchObject({ halfBuilt: false, neutralized: true, newIdentity: true });
    await w.getByRole('button', { name: 'Done' }).click();
    // The instance's screen lists the new database.
    await nav('Odoo instances').click();
    const card = page.getByRole('article', { name: 'Odoo instance prod' });
    await card.getByRole('button', { name: 'Refresh' }).click();
    await card.getByRole('list', { name: 'Databases on prod' }).getByText('acme_remote', { exact: true }).waitFor();
  });

  it('restores a backup over a database from its row on the Odoo instances screen, after the typed confirmation', async () => {
    const uploads = fake.uploads.length;
    await nav('Odoo instances').click();
    const row = page.getByRole('article', { name: 'Odoo instance prod' }).getByRole('listitem').filter({ hasText: 'acme_remote' });
    await row.getByRole('button', { name: 'Restore a backup here…' }).click();
    const picker = page.getByRole('dialog', { name: 'Restore a backup over acme_remote on prod' });
    await picker.getByLabel('Search backups').fill('acme');
    const choices = picker.getByRole('table', { name: 'Backups to restore' }).getByRole('row');
    await choices.filter({ hasText: 'acme17' }).waitFor();
    await shot('odoo-restore-here-picker');
    await choices.filter({ has: page.getByRole('cell', { name: 'acme', exact: true }) }).getByRole('button', { name: /^Choose/ }).click();
    const w = page.getByRole('dialog', { name: 'Restore acme' });
    await w.getByText('A database named “acme_remote” already exists on Odoo server prod', { exact: false }).waitFor();
    await w.getByRole('button', { name: 'Next' }).click();
    expect(await w.getByRole('checkbox', { name: /Replace the existing database “acme_remote”/ }).isChecked()).toBe(true);
    expect(await w.getByRole('button', { name: 'Next' }).isDisabled()).toBe(true);
    await w.getByLabel('Type “acme_remote” to confirm').fill('acme_remote');
    await w.getByRole('button', { name: 'Next' }).click();
    await w.getByRole('button', { name: 'Restore now' }).click();
    await w.getByRole('heading', { name: '“acme_remote” is restored' }).waitFor({ timeout: 60_000 });
    expect((await factsOf(w)).Replaced).toBe('The existing database of that name');
    // Restored under a temporary name, then the old one dropped and the new one renamed into place.
    expect(fake.uploads.length).toBe(uploads + 1);
    expect(fake.uploads.at(-1)!.fields.name).toMatch(/^bd_tmp_acme_remote_/);
    expect(fake.databases.get('acme_remote')?.upload).toBe(fake.uploads.at(-1));
    expect([...fake.databases.keys()].filter((n) => n.startsWith('bd_tmp_'))).toEqual([]);
    await w.getByRole('button', { name: 'Done' }).click();
  });

  it('says which limit refused the upload when the proxy answers 413, and nothing is sent', async () => {
    fake.set({ proxyMaxBodySize: 1024 });
    const before = fake.uploads.length;
    const w = await wizardToOdoo('acme', 'acme_big', { neutralize: false });
    await w.getByRole('button', { name: 'Restore now' }).click();
    await w.getByRole('heading', { name: 'The restore did not complete' }).waitFor({ timeout: 30_000 });
    const alert = await w.getByRole('alert').textContent();
    expect(alert).toMatch(/client_max_body_size/);
    await shot('odoo-restore-413');
    expect(fake.uploads.length).toBe(before);
    expect(fake.databases.has('acme_big')).toBe(false);
  });

  it("shows Odoo's own message when the server fails the load, and drops the half-built database after its name is typed", async () => {
    fake.set({ failRestore: true });
    const w = await wizardToOdoo('acme', 'acme_half', { neutralize: false });
    await w.getByRole('button', { name: 'Restore now' }).click();
    await w.getByRole('heading', { name: 'The restore did not complete' }).waitFor({ timeout: 60_000 });
    expect(await w.getByRole('alert').textContent()).toContain('Odoo could not load the backup: "Database restore error: Couldn\'t restore database"');
    const half = w.getByRole('group', { name: 'Half-built database' });
    await half.getByText('left a half-built database').waitFor();
    expect(fake.databases.get('acme_half')?.halfBuilt).toBe(true);
    await shot('odoo-restore-half-built');
    await half.getByLabel('Type “acme_half” to drop it').fill('acme_half');
    await half.getByRole('button', { name: 'Drop “acme_half”' }).click();
    await w.getByText('The half-built database “acme_half” was dropped from prod.').waitFor();
    expect(fake.databases.has('acme_half')).toBe(false);
  });

  it('refuses a backup of another Odoo version, naming both, before uploading', async () => {
    const before = fake.uploads.length;
    const w = await wizardToOdoo('acme17', 'acme17_remote');
    await w.getByRole('button', { name: 'Restore now' }).click();
    await w.getByRole('heading', { name: 'The restore did not complete' }).waitFor({ timeout: 30_000 });
    expect(await w.getByRole('alert').textContent()).toMatch(/The backup is from Odoo 17\.0\S*, and prod runs Odoo 16\.0: Odoo does not migrate a database on restore\./);
    await shot('odoo-restore-version');
    expect(fake.uploads.length).toBe(before);
  });
});

/** The result page's facts as label → text. */
async function factsOf(w: Locator): Promise<Record<string, string>> {
  const dl = w.locator('dl.facts').last();
  const terms = await dl.locator('dt').allTextContents();
  const values = await dl.locator('dd').allTextContents();
  return Object.fromEntries(terms.map((t, i) => [t, values[i] ?? '']));
}
